"""Staff cancel a facility's days from the bookings pages: count first, then confirm."""

from html import unescape

import pytest
import time_machine
from django.core import mail

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.models import Closure
from perisco.bookings.models import Booking
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW, TUE_1
from perisco.conftest import sign_in
from perisco.core.urls import org_reverse


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booked(parent, family, canteen, make_child):
    child = make_child(family, canteen, first_name="Louise")
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(child.pk, canteen.pk, d) for d in (MON_30, TUE_1)],
        now=NOW,
    )


def form(canteen, **extra):
    return {
        "facility": canteen.activity.facility_id,
        "activity": "",
        "start": "2026-11-30",
        "end": "2026-11-30",
        "reason": "Grève des enseignants",
        **extra,
    }


def test_the_service_counts_then_cancels_and_says_whether_families_were_told(
    client, organisation, booked, canteen, django_capture_on_commit_callbacks
):
    sign_in(client, UserFactory(organisation=organisation, role=Role.MANAGER))
    url = org_reverse(organisation, "backoffice:days_cancel")
    preview = unescape(client.post(url, form(canteen)).content.decode())
    assert "1 réservation sera annulée ; familles concernées : 1." in preview
    assert not Closure.objects.exists()

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, form(canteen, confirmer="1"), follow=True)
    page = unescape(done.content.decode())
    assert "1 réservation annulée ; 1 e-mail envoyé aux familles." in page
    assert Booking.objects.get(day=MON_30).state == State.CANCELLED
    assert Booking.objects.get(day=TUE_1).state == State.CONFIRMED
    assert len(mail.outbox) == 1


def test_a_refused_range_is_said_on_the_form(client, organisation, booked, canteen):
    sign_in(client, UserFactory(organisation=organisation, role=Role.MANAGER))
    url = org_reverse(organisation, "backoffice:days_cancel")
    page = unescape(
        client.post(url, form(canteen, start="2026-11-20", confirmer="1")).content.decode()
    )
    assert "est passé : annulez à partir d'aujourd'hui" in page
    assert not Closure.objects.exists()


def test_another_organisations_facility_cannot_be_chosen(
    client, organisation, other_organisation, booked, canteen
):
    from perisco.activities.models import Facility
    from perisco.core.scoping import organisation_scope

    with organisation_scope(other_organisation):
        elsewhere = Facility.objects.create(organisation=other_organisation, name="Ailleurs")
    sign_in(client, UserFactory(organisation=organisation, role=Role.MANAGER))
    url = org_reverse(organisation, "backoffice:days_cancel")
    client.post(url, {**form(canteen), "facility": elsewhere.pk, "confirmer": "1"})
    assert not Closure.objects.exists()
    assert not Booking.objects.filter(state=State.CANCELLED).exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.FINANCE])
def test_only_the_service_cancels_days(client, organisation, canteen, role):
    sign_in(client, UserFactory(organisation=organisation, role=role))
    response = client.post(
        org_reverse(organisation, "backoffice:days_cancel"), form(canteen, confirmer="1")
    )
    assert response.status_code == 403
    assert not Closure.objects.exists()
