"""Staff bookings pages: the queue, occupancy, waiting lists, booking for a family, a
child's history, absences to review."""

import re
from datetime import date

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.models import Confirmation
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.bookings.models import Absence, AbsenceReason, Booking, BookingChange
from perisco.bookings.services import Change, absence_declare, bookings_apply
from perisco.bookings.states import Outcome, State
from perisco.bookings.tests.conftest import MON_30, NOW, THU_3, TUE_1, TUE_24, enroll
from perisco.conftest import sign_in
from perisco.families.models import DocumentKind, FamilyCertification, Guardian
from perisco.families.services import document_upload
from perisco.families.tests.conftest import pdf_upload
from perisco.families.tests.factories import ChildFactory, FamilyFactory, guardian_user


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def staff(client, organisation, role):
    user = UserFactory(organisation=organisation, role=role)
    sign_in(client, user)
    client.cookies["perisco_language"] = "en"
    return user


@pytest.fixture
def manager(client, organisation):
    return staff(client, organisation, Role.MANAGER)


def manual(unit):
    unit.activity.confirmation = Confirmation.MANUAL
    unit.activity.save()
    return unit


def request_bookings(parent, family, unit, kids, day=MON_30):
    bookings_apply(
        actor=parent, family=family, changes=[Change(k.pk, unit.pk, day) for k in kids], now=NOW
    )
    return list(Booking.objects.filter(day=day, unit=unit).order_by("pk"))


# --- The queue ------------------------------------------------------------------------


def test_the_queue_lists_requests_with_child_family_unit_and_day(
    client, manager, parent, family, canteen, child
):
    request_bookings(parent, family, manual(canteen), [child])
    html = client.get("/demo/gestion/reservations/").text
    assert "Louise" in html and family.name in html and "Cantine – Repas" in html
    assert "Monday 30 November 2026" in html
    assert "Accept the ticked requests" in html


def test_accepting_in_bulk_says_how_many_and_those_decided_meanwhile(
    client, manager, parent, family, canteen, make_child, post
):
    kids = [make_child(family, manual(canteen)) for _ in range(2)]
    bookings = request_bookings(parent, family, canteen, kids)
    Booking.objects.filter(pk=bookings[1].pk).update(state=State.CONFIRMED)
    mail.outbox.clear()

    response = post(
        "/demo/gestion/reservations/decider/",
        {"bookings": [b.pk for b in bookings], "decision": "accept"},
    )

    assert response.status_code == 302
    assert Booking.objects.get(pk=bookings[0].pk).state == State.CONFIRMED
    page = client.get(response["Location"]).text
    assert "1 booking confirmed, 1 already decided by someone else." in page
    assert len(mail.outbox) == 1


def test_refusing_needs_a_reason_then_the_family_reads_it(
    client, manager, parent, family, canteen, child
):
    (booking,) = request_bookings(parent, family, manual(canteen), [child])
    url = "/demo/gestion/reservations/decider/"

    page = client.post(url, {"bookings": [booking.pk], "decision": "refuse"}, follow=True).text
    assert "Say why: the family will read it." in page
    assert Booking.objects.get(pk=booking.pk).state == State.REQUESTED

    page = client.post(
        url,
        {"bookings": [booking.pk], "decision": "refuse", "reason": "Complet ce jour"},
        follow=True,
    ).text
    booking.refresh_from_db()
    assert (booking.state, booking.refusal_reason) == (State.REFUSED, "Complet ce jour")
    assert "1 booking refused." in page


def test_the_queue_costs_the_same_queries_for_one_request_or_ten(
    client, manager, parent, family, canteen, make_child
):
    manual(canteen)
    canteen.capacity = 20
    canteen.save()
    request_bookings(parent, family, canteen, [make_child(family, canteen)])
    with CaptureQueriesContext(connection) as one:
        client.get("/demo/gestion/reservations/")
    request_bookings(
        parent, family, canteen, [make_child(family, canteen) for _ in range(9)], TUE_1
    )
    with CaptureQueriesContext(connection) as ten:
        response = client.get("/demo/gestion/reservations/")
    assert response.text.count('name="bookings"') >= 20
    assert len(ten) == len(one)


# --- Occupancy and waiting lists ----------------------------------------------------------


def test_the_occupancy_grid_shows_booked_places_waiting_full_and_closed_days(
    client, manager, parent, family, canteen, make_child
):
    kids = [make_child(family, canteen) for _ in range(3)]
    request_bookings(parent, family, canteen, kids)

    html = client.get(
        f"/demo/gestion/reservations/occupation/{canteen.activity.pk}/?mois=2026-11"
    ).text

    assert "Cantine – November 2026" in html
    assert "Monday 30 November : 2 of 2 places booked, full, 1 on the waiting list" in html
    assert f"/demo/gestion/reservations/unites/{canteen.pk}/2026-11-30/attente/" in html
    assert "Wednesday 25 November : Not an opening day" in html
    assert 'role="region"' in html and 'tabindex="0"' in html
    assert "?mois=2026-12" in html and "?mois=2026-10" in html


def test_the_occupancy_grid_costs_the_same_queries_for_one_unit_or_ten(client, manager, canteen):
    url = f"/demo/gestion/reservations/occupation/{canteen.activity.pk}/?mois=2026-11"
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(9):
        UnitFactory(activity=canteen.activity, name=f"Unité {n}", capacity=5)
    with CaptureQueriesContext(connection) as ten:
        html = client.get(url).text
    assert "Unité 8" in html
    assert len(ten) == len(one)


def test_giving_the_place_to_a_waiting_child_or_saying_why_not(
    client, manager, parent, family, canteen, make_child, post
):
    kids = [make_child(family, canteen, first_name=f"Enfant{n}") for n in range(3)]
    bookings = request_bookings(parent, family, canteen, kids)
    waiting = next(b for b in bookings if b.state == State.WAITING)
    url = f"/demo/gestion/reservations/unites/{canteen.pk}/2026-11-30/attente/"

    html = client.get(url).text
    assert "No. 1" in html and "Enfant2" in html and "2 of 2 places booked" in html

    page = client.post(f"/demo/gestion/reservations/attente/{waiting.pk}/donner/", follow=True)
    assert "No place is free that day (2 of 2 taken)" in page.text
    assert Booking.objects.get(pk=waiting.pk).state == State.WAITING

    canteen.capacity = 3
    canteen.save()
    response = post(f"/demo/gestion/reservations/attente/{waiting.pk}/donner/", {})
    assert response["Location"] == url
    assert Booking.objects.get(pk=waiting.pk).state == State.CONFIRMED


def test_a_day_that_is_not_a_date_is_404(client, manager, canteen):
    assert (
        client.get(f"/demo/gestion/reservations/unites/{canteen.pk}/demain/attente/").status_code
        == 404
    )


# --- Booking for a family, history ------------------------------------------------------


def family_form(child, unit, **extra):
    return {
        "child": child.pk,
        "unit": unit.pk,
        "start": "2026-11-30",
        "end": "2026-12-06",
        "weekdays": [0, 1, 2],
        "op": "book",
        **extra,
    }


def test_staff_book_days_for_a_family_and_read_the_report_per_day(
    client, manager, family, canteen, child, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        html = client.post(
            f"/demo/gestion/familles/{family.pk}/reservations/", family_form(child, canteen)
        ).text
    assert sorted(Booking.objects.values_list("day", flat=True)) == [MON_30, TUE_1]
    text = re.sub(r"<[^>]+>", "", html)
    assert "2 days done, 1 refused" in text
    assert "Monday 30 November 2026 · Louise · Repas : Booked." in text
    assert "Wednesday 2 December 2026 · Louise · Repas : Not an opening day." in text
    action = Booking.objects.first().changes.get().action
    assert action.source == "staff"


def test_passing_a_deadline_needs_a_reason_and_shows_in_the_history(
    client, manager, family, canteen, child
):
    url = f"/demo/gestion/familles/{family.pk}/reservations/"
    data = family_form(child, canteen, start="2026-11-24", end="2026-11-24", weekdays=[1])

    html = client.post(url, data).text
    assert "Too late" in html
    assert not Booking.objects.exists()

    client.post(url, {**data, "override_reason": "Accord de la directrice"})
    booking = Booking.objects.get()
    assert booking.day == TUE_24

    history = client.get(
        f"/demo/gestion/familles/{family.pk}/enfants/{child.pk}/reservations/"
    ).text
    assert "New → Booked" in history
    assert "for the family" in history
    assert "Deadline passed:" in history and "Accord de la directrice" in history


def test_the_booking_form_offers_only_the_familys_children_and_their_units(
    client, manager, organisation, family, canteen, child
):
    other = FamilyFactory(organisation=organisation)
    stranger = ChildFactory(organisation=organisation, families=[other])
    url = f"/demo/gestion/familles/{family.pk}/reservations/"
    html = client.post(url, family_form(stranger, canteen)).text
    assert "Select a valid choice" in html
    assert not Booking.objects.exists()


# --- Absences -------------------------------------------------------------------------


def test_absences_to_review_are_excused_or_kept_billed(
    client, manager, parent, family, canteen, child, post
):
    bookings_apply(
        actor=parent, family=family, changes=[Change(child.pk, canteen.pk, THU_3)], now=NOW
    )
    document = document_upload(
        actor=parent,
        organisation=family.organisation,
        upload=pdf_upload("certificat.pdf"),
        kind=DocumentKind.ABSENCE,
        title="Certificat médical",
        family=family,
    )
    with time_machine.travel(date(2026, 12, 3), tick=False):
        report = absence_declare(
            actor=parent,
            family=family,
            child=child,
            days=[THU_3],
            reason=AbsenceReason.ILLNESS,
            note="Fièvre",
            document=document,
        )
    html = client.get("/demo/gestion/reservations/absences/").text
    assert "Louise" in html and "Thursday 3 December 2026" in html and "Fièvre" in html
    assert "Illness" in html
    assert f'href="/demo/documents/{document.uuid}/">Certificat médical' in html
    assert client.get(f"/demo/documents/{document.uuid}/").status_code == 200

    post(f"/demo/gestion/reservations/absences/{report.absence.pk}/", {"decision": "excuse"})
    assert Booking.objects.get().outcome == Outcome.ABSENT_EXCUSED
    assert Absence.objects.get().review == Absence.Review.EXCUSED
    assert "No absence to review." in client.get("/demo/gestion/reservations/absences/").text
    history = client.get(f"/demo/gestion/familles/{family.pk}/enfants/{child.pk}/reservations/")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", history.text))
    assert "Not recorded → Absent, billed" in text
    assert "Absent, billed → Absent, excused (not billed)" in text
    assert "Illness" in text and "illness" not in text


# --- Who may do what ---------------------------------------------------------------------


def pages(family, child, canteen):
    return [
        "/demo/gestion/reservations/",
        "/demo/gestion/reservations/occupation/",
        f"/demo/gestion/reservations/occupation/{canteen.activity.pk}/",
        f"/demo/gestion/reservations/unites/{canteen.pk}/2026-11-30/attente/",
        f"/demo/gestion/familles/{family.pk}/enfants/{child.pk}/reservations/",
        "/demo/gestion/reservations/absences/",
    ]


def test_finance_reads_the_pages_but_cannot_decide_or_book(
    client, organisation, parent, family, canteen, child
):
    (booking,) = request_bookings(parent, family, manual(canteen), [child])
    staff(client, organisation, Role.FINANCE)
    for url in pages(family, child, canteen):
        assert client.get(url).status_code == 200, url
    assert "Accept the ticked requests" not in client.get("/demo/gestion/reservations/").text
    assert client.get(f"/demo/gestion/familles/{family.pk}/reservations/").status_code == 403
    for url, data in [
        ("/demo/gestion/reservations/decider/", {"bookings": [booking.pk], "decision": "accept"}),
        (f"/demo/gestion/reservations/attente/{booking.pk}/donner/", {}),
        (f"/demo/gestion/familles/{family.pk}/reservations/", family_form(child, canteen)),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert Booking.objects.get().state == State.REQUESTED


@pytest.mark.parametrize("role", [Role.AGENT, Role.GUARDIAN])
def test_agents_and_guardians_get_403(client, organisation, parent, family, canteen, child, role):
    user = (
        guardian_user(organisation)
        if role == Role.GUARDIAN
        else UserFactory(organisation=organisation, role=role)
    )
    sign_in(client, user)
    for url in [
        *pages(family, child, canteen),
        f"/demo/gestion/familles/{family.pk}/reservations/",
    ]:
        assert client.get(url).status_code == 403, url


def test_another_organisations_ids_are_404(client, organisation, other_organisation):
    period = PeriodFactory(activity__organisation=other_organisation)
    unit = UnitFactory(activity=period.activity)
    parent = guardian_user(other_organisation)
    family = Guardian.objects.get(user=parent).family
    FamilyCertification.objects.create(
        organisation=other_organisation, family=family, school_year=2026
    )
    child = ChildFactory(organisation=other_organisation, families=[family])
    enroll(child, family, unit)
    manual(unit)
    (booking,) = request_bookings(parent, family, unit, [child])
    staff(client, organisation, Role.MANAGER)

    for url in pages(family, child, unit)[2:5]:
        assert client.get(url).status_code == 404, url
    assert client.get(f"/demo/gestion/familles/{family.pk}/reservations/").status_code == 404
    assert (
        client.post(f"/demo/gestion/reservations/attente/{booking.pk}/donner/").status_code == 404
    )
    client.post(
        "/demo/gestion/reservations/decider/", {"bookings": [booking.pk], "decision": "accept"}
    )
    assert Booking.objects.get().state == State.REQUESTED
    assert not BookingChange.objects.filter(action=None).exists()
