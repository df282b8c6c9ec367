"""Staff attendance pages: the day's sheets, a sheet with one tap per mark (plain form and
JSON batch), closing the day, a manager's correction; roles and isolation."""

import json
import uuid
from datetime import datetime
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.rules import PARIS
from perisco.bookings.models import AttendanceMark, AttendanceSheet, Booking
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.states import Outcome, State
from perisco.bookings.tests.conftest import MON_30, NOW
from perisco.conftest import sign_in
from perisco.core.urls import org_reverse

EVENING = datetime(2026, 11, 30, 12, 30, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(EVENING, tick=False):
        yield


@pytest.fixture
def agent(client, organisation):
    user = UserFactory(organisation=organisation, role=Role.AGENT)
    sign_in(client, user)
    return user


@pytest.fixture
def canteen(canteen):
    canteen.capacity = 50
    canteen.save()
    return canteen


def booked(parent, family, canteen, make_child, n=1, **kwargs):
    children = [make_child(family, canteen, **kwargs) for _ in range(n)]
    with time_machine.travel(NOW, tick=False):
        bookings_apply(
            actor=parent,
            family=family,
            changes=[Change(c.pk, canteen.pk, MON_30) for c in children],
        )
    return children


def sheet_url(organisation, unit):
    return org_reverse(
        organisation, "backoffice:attendance_sheet", unit_pk=unit.pk, day=MON_30.isoformat()
    )


def test_the_day_lists_the_open_units_with_the_children_expected(
    client, organisation, agent, parent, family, canteen, make_child
):
    booked(parent, family, canteen, make_child, n=2)
    page = client.get(org_reverse(organisation, "backoffice:attendance"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Pointage – lundi 30 novembre" in text
    assert "Repas" in text and "2 enfants attendus" in text and "0 pointé" in text


def test_the_sheet_shows_what_the_agents_need_in_a_fixed_number_of_queries(
    client, organisation, agent, parent, family, canteen, make_child
):
    booked(
        parent, family, canteen, make_child, n=1, allergies="Arachide", has_pai=True,
        diets=["no_pork"],
    )  # fmt: skip
    client.get(sheet_url(organisation, canteen))  # the catalogue cached
    with CaptureQueriesContext(connection) as one:
        page = client.get(sheet_url(organisation, canteen))
    text = page.content.decode()
    assert "Arachide" in text and "PAI" in text and "Non pointé" in text
    assert "Régime alimentaire : Sans porc" in text
    booked(parent, family, canteen, make_child, n=9)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(sheet_url(organisation, canteen)).status_code == 200
    assert len(one) == len(ten) <= 16


def test_a_tap_without_javascript_marks_once_even_sent_twice(
    client, organisation, agent, parent, family, canteen, make_child
):
    (child,) = booked(parent, family, canteen, make_child)
    form = {"id": str(uuid.uuid4()), "enfant": child.pk, "statut": "present"}
    first = client.post(sheet_url(organisation, canteen), form, follow=True)
    client.post(sheet_url(organisation, canteen), form)
    assert "1 pointage enregistré." in first.content.decode()
    assert AttendanceMark.objects.get().status == "present"
    assert "Présent" in first.content.decode()


def test_all_present_marks_every_expected_child_not_marked_yet(
    client, organisation, agent, parent, family, canteen, make_child
):
    first, *others = booked(parent, family, canteen, make_child, n=3)
    client.post(
        sheet_url(organisation, canteen),
        {"id": str(uuid.uuid4()), "enfant": first.pk, "statut": "absent"},
    )
    client.post(sheet_url(organisation, canteen), {"tous": "1"})
    marks = {m.child_id: m.status for m in AttendanceMark.objects.all()}
    assert marks == {first.pk: "absent", **{c.pk: "present" for c in others}}


def test_the_browsers_batch_is_taken_once_and_each_mark_answered(
    client, organisation, agent, parent, family, canteen, make_child
):
    (child,) = booked(parent, family, canteen, make_child)
    url = org_reverse(
        organisation, "backoffice:attendance_marks", unit_pk=canteen.pk, day=MON_30.isoformat()
    )
    mark = {
        "id": str(uuid.uuid4()),
        "child": child.pk,
        "status": "present",
        "made_at": "2026-11-30T11:20:00.000Z",
        "arrival": "11:40",
    }
    body = json.dumps({"marks": [mark, {**mark, "id": str(uuid.uuid4()), "child": 0}]})
    answer = client.post(url, body, content_type="application/json").json()
    again = client.post(url, json.dumps({"marks": [mark]}), content_type="application/json")

    assert [r["result"] for r in answer["results"]] == ["recorded", "refused"]
    assert answer["results"][1]["message"] == "Cet enfant n'est pas connu ici."
    assert again.json()["results"][0]["result"] == "already_received"
    saved = AttendanceMark.objects.get()
    assert saved.arrival.hour == 11
    assert saved.made_at == datetime(2026, 11, 30, 12, 20, tzinfo=PARIS)
    bad = client.post(url, "{not json", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"] == "Les pointages n'ont pas pu être lus."


def test_closing_the_day_sets_the_outcomes_and_the_sheet_takes_no_more_marks(
    client, organisation, agent, parent, family, canteen, make_child
):
    present, absent = booked(parent, family, canteen, make_child, n=2)
    for child, status in ((present, "present"), (absent, "absent")):
        client.post(
            sheet_url(organisation, canteen),
            {"id": str(uuid.uuid4()), "enfant": child.pk, "statut": status},
        )
    close = org_reverse(
        organisation, "backoffice:attendance_close", unit_pk=canteen.pk, day=MON_30.isoformat()
    )
    page = client.post(close, follow=True).content.decode()

    assert "La journée du lundi 30 novembre est clôturée" in page
    outcomes = {b.child_id: b.outcome for b in Booking.objects.filter(state=State.CONFIRMED)}
    assert outcomes == {present.pk: Outcome.PRESENT, absent.pk: Outcome.ABSENT_BILLED}
    url = org_reverse(
        organisation, "backoffice:attendance_marks", unit_pk=canteen.pk, day=MON_30.isoformat()
    )
    late = {"id": str(uuid.uuid4()), "child": absent.pk, "status": "present",
            "made_at": "2026-11-30T15:00:00+00:00"}  # fmt: skip
    refused = client.post(url, json.dumps({"marks": [late]}), content_type="application/json")
    assert refused.status_code == 409 and "clôturée" in refused.json()["error"]


def test_a_manager_corrects_a_closed_day_and_an_agent_cannot(
    client, organisation, agent, parent, family, canteen, make_child
):
    (child,) = booked(parent, family, canteen, make_child)
    client.post(
        sheet_url(organisation, canteen),
        {"id": str(uuid.uuid4()), "enfant": child.pk, "statut": "absent"},
    )
    client.post(
        org_reverse(
            organisation, "backoffice:attendance_close", unit_pk=canteen.pk, day=MON_30.isoformat()
        )
    )
    booking = Booking.objects.get()
    url = org_reverse(organisation, "backoffice:attendance_correct", pk=booking.pk)
    form = {"resultat": "present", "motif": "Arrivé en retard"}
    assert client.post(url, form).status_code == 403

    manager = UserFactory(organisation=organisation, role=Role.MANAGER)
    sign_in(client, manager)
    assert "Corriger cette journée" in client.get(sheet_url(organisation, canteen)).content.decode()
    page = unescape(client.post(url, form, follow=True).content.decode())

    booking.refresh_from_db()
    assert booking.outcome == Outcome.PRESENT
    assert "la correction est gardée dans l'historique" in page
    assert AttendanceSheet.objects.get().corrected_at is not None


@pytest.mark.parametrize("role", [Role.GUARDIAN, Role.FINANCE])
def test_families_and_finance_do_not_take_attendance(client, organisation, canteen, role):
    from perisco.families.tests.factories import guardian_user

    user = (
        guardian_user(organisation)
        if role == Role.GUARDIAN
        else UserFactory(organisation=organisation, role=role)
    )
    sign_in(client, user)
    assert client.get(org_reverse(organisation, "backoffice:attendance")).status_code == 403
    assert client.get(sheet_url(organisation, canteen)).status_code == 403


def test_a_unit_of_another_organisation_is_404(client, other_organisation, agent):
    from perisco.activities.tests.factories import PeriodFactory, UnitFactory
    from perisco.core.scoping import organisation_scope

    with organisation_scope(other_organisation):
        other = UnitFactory(
            activity=PeriodFactory(activity__organisation=other_organisation).activity
        )
    url = org_reverse(agent.organisation, "backoffice:attendance_sheet", unit_pk=other.pk,
                      day=MON_30.isoformat())  # fmt: skip
    assert client.get(url).status_code == 404
