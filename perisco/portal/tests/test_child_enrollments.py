"""A child's page shows its enrollments; "Mes demandes" lists enrollment requests too,
with the same filter and time window as the other requests."""

from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.models import Enrollment
from perisco.activities.services import enrollment_request
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.families.requests import request_submit


def _enrollment(parent, family, child, name="Cantine"):
    period = PeriodFactory(activity__organisation=family.organisation, activity__name=name)
    meal = UnitFactory(activity=period.activity, name="Repas")
    return enrollment_request(
        actor=parent, family=family, child=child, period=period, typical_week={0: [meal.pk]}
    )


def test_a_childs_page_shows_its_enrollments_calendar_and_new_enrollment(
    client, parent, family, child
):
    _enrollment(parent, family, child)
    html = client.get(f"/demo/famille/enfants/{child.pk}/").text
    assert "Cantine" in html and "En attente de validation" in html
    assert "Semaine type : Lundi : repas" in html
    assert f'href="/demo/famille/calendrier/#cal-{child.pk}"' in html
    assert f'href="/demo/famille/inscriptions/nouvelle/?enfant={child.pk}"' in html


def test_my_requests_lists_enrollment_requests_with_the_same_filter_and_window(
    client, organisation, parent, family, child
):
    request_submit(actor=parent, family=family, kind="guardian", values={"city": "Pau"})
    _enrollment(parent, family, child, "Cantine")
    old = _enrollment(parent, family, child, "ALSH mercredi")
    Enrollment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=60))
    staff = UserFactory(organisation=organisation, role=Role.MANAGER)
    period = PeriodFactory(activity__organisation=organisation, activity__name="Garderie")
    enrollment_request(actor=staff, family=family, child=child, period=period, by_staff=True)

    listing = client.get("/demo/famille/demandes/").text
    assert "Cantine" in listing and "Pau" in listing
    assert "ALSH mercredi" not in listing  # older than a month
    assert "Garderie" not in listing  # staff enrolled directly: not a request
    assert 'value="inscription"' in listing
    only = client.get("/demo/famille/demandes/?type=inscription").text
    assert "Cantine" in only and "Pau" not in only
    everything = client.get("/demo/famille/demandes/?type=inscription&periode=tout").text
    assert "ALSH mercredi" in everything
    assert "Cantine" not in client.get("/demo/famille/demandes/?type=guardian").text


def test_an_enrollment_withdrawn_from_my_requests_comes_back_there(client, parent, family, child):
    enrollment = _enrollment(parent, family, child)
    response = client.post(
        f"/demo/famille/inscriptions/{enrollment.pk}/retirer/", {"retour": "demandes"}
    )
    assert response["Location"] == "/demo/famille/demandes/"


@time_machine.travel("2026-10-01 10:00 +02:00")
def test_my_requests_and_the_child_page_keep_a_fixed_number_of_queries(
    client, organisation, parent, family, child
):
    from perisco.families.tests.factories import ChildFactory

    counts = []
    for n in range(3):
        other = ChildFactory(organisation=organisation, families=[family])
        _enrollment(parent, family, other, f"Activité {n}")
        with CaptureQueriesContext(connection) as queries:
            client.get("/demo/famille/demandes/")
            client.get(f"/demo/famille/enfants/{child.pk}/")
        counts.append(len(queries))
    assert counts[0] == counts[-1], counts
