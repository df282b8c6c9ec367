"""Attendance: marks (batched, replayed, refused), closing the day into outcomes, and a
manager's correction."""

from datetime import datetime, time, timedelta
from uuid import uuid4

import pytest

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.rules import PARIS
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.bookings.attendance import (
    MAX_MARKS,
    MarkInput,
    MarkResult,
    attendance_correct,
    attendance_marks_record,
    attendance_sheet_close,
)
from perisco.bookings.models import AttendanceMark, AttendanceSheet, Booking, PlaceCounter
from perisco.bookings.services import Change, absence_declare, absence_review, bookings_apply
from perisco.bookings.states import Outcome, State
from perisco.bookings.tests.conftest import MON_30, NOW, TUE_1
from perisco.core.errors import DomainError
from perisco.families.tests.factories import ChildFactory, FamilyFactory

# Monday 30 November at 17:00: the canteen's day is over, the agents close it.
EVENING = datetime(2026, 11, 30, 17, 0, tzinfo=PARIS)
PRESENT, ABSENT = AttendanceMark.Status.PRESENT, AttendanceMark.Status.ABSENT


@pytest.fixture
def agent(organisation):
    return UserFactory(organisation=organisation, role=Role.AGENT)


def mark(child, status, minute=0, **kwargs):
    made = EVENING.replace(hour=12, minute=minute)
    return MarkInput(uuid4(), child.pk, status, made, **kwargs)


def record(agent, unit, *marks, day=MON_30, now=EVENING):
    return attendance_marks_record(actor=agent, unit=unit, day=day, marks=marks, now=now)


def book(parent, family, unit, *children, day=MON_30):
    report = bookings_apply(
        actor=parent, family=family, changes=[Change(c.pk, unit.pk, day) for c in children], now=NOW
    )
    assert not report.refused, report.refused


def outcome(child, unit, day=MON_30):
    booking = Booking.objects.get(child=child, unit=unit, day=day, state=State.CONFIRMED)
    return booking.outcome


def test_closing_the_day_turns_each_childs_last_mark_into_its_outcome(
    agent, parent, family, canteen, make_child
):
    louise, paul = make_child(family, canteen), make_child(family, canteen)
    book(parent, family, canteen, louise, paul)
    # Paul was marked present by mistake, then absent (sent in the other order).
    results = record(agent, canteen, mark(louise, PRESENT), mark(paul, ABSENT, minute=5))
    record(agent, canteen, mark(paul, PRESENT, minute=1))
    assert {r.result for r in results} == {MarkResult.RECORDED}

    report = attendance_sheet_close(actor=agent, unit=canteen, day=MON_30, now=EVENING)

    assert outcome(louise, canteen) == Outcome.PRESENT
    assert outcome(paul, canteen) == Outcome.ABSENT_BILLED
    assert report.outcomes == {Outcome.PRESENT: 1, Outcome.ABSENT_BILLED: 1}
    sheet = AttendanceSheet.objects.get(unit=canteen, day=MON_30)
    assert sheet.closed_by == agent and sheet.closed_at == EVENING
    changes = Booking.objects.get(child=paul).changes.order_by("pk")
    assert changes.last().after_outcome == Outcome.ABSENT_BILLED and changes.last().actor == agent


def test_an_excused_absence_stays_excused_and_a_declared_one_needs_no_mark(
    agent, parent, manager, family, canteen, make_child
):
    louise, paul = make_child(family, canteen), make_child(family, canteen)
    book(parent, family, canteen, louise, paul)
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=PARIS)  # past the cancellation deadline
    for child in (louise, paul):
        absence_declare(
            actor=parent, family=family, child=child, days=[MON_30], reason="illness", now=friday
        )
    excused = Booking.objects.get(child=louise).absence
    absence_review(actor=manager, absence=excused, excuse=True, now=friday)
    record(agent, canteen, mark(louise, ABSENT))  # Paul is not marked: his absence was said

    attendance_sheet_close(actor=agent, unit=canteen, day=MON_30, now=EVENING)

    assert outcome(louise, canteen) == Outcome.ABSENT_EXCUSED
    assert outcome(paul, canteen) == Outcome.ABSENT_BILLED


def test_a_child_present_without_booking_gets_one_and_takes_a_place(
    agent, parent, family, canteen, make_child
):
    louise = make_child(family, canteen)
    results = record(agent, canteen, mark(louise, PRESENT, arrival=time(11, 45)))
    assert results[0].result == MarkResult.RECORDED
    assert results[0].objection == "Pas réservé : noté présent sans réservation."

    report = attendance_sheet_close(actor=agent, unit=canteen, day=MON_30, now=EVENING)

    booking = Booking.objects.get(child=louise, unit=canteen, day=MON_30)
    assert (booking.state, booking.outcome) == (State.CONFIRMED, Outcome.PRESENT_UNBOOKED)
    assert booking.family == family
    assert report.outcomes == {Outcome.PRESENT_UNBOOKED: 1}
    assert PlaceCounter.objects.get(unit=canteen, day=MON_30).taken == 1


def test_a_child_on_the_waiting_list_who_came_is_confirmed_present_without_booking(
    agent, parent, family, canteen, make_child
):
    children = [make_child(family, canteen) for _ in range(3)]
    book(parent, family, canteen, *children)  # 2 places: the third waits
    waiting = Booking.objects.get(state=State.WAITING).child
    record(agent, canteen, *(mark(c, PRESENT) for c in children))

    attendance_sheet_close(actor=agent, unit=canteen, day=MON_30, now=EVENING)

    assert outcome(waiting, canteen) == Outcome.PRESENT_UNBOOKED
    assert Booking.objects.filter(child=waiting).count() == 1
    assert PlaceCounter.objects.get(unit=canteen, day=MON_30).taken == 3


def test_the_objection_names_the_rule_for_a_child_of_another_activity_of_the_facility(
    agent, organisation, family, canteen, make_child
):
    other = UnitFactory(
        activity=PeriodFactory(
            activity__organisation=organisation, activity__facility=canteen.activity.facility
        ).activity
    )
    child = make_child(family, other)
    results = record(agent, canteen, mark(child, PRESENT))
    assert results[0].result == MarkResult.RECORDED
    assert "pas inscrit à cette activité" in results[0].objection


def test_a_mark_sent_again_is_counted_once(agent, parent, family, canteen, make_child):
    louise = make_child(family, canteen)
    book(parent, family, canteen, louise)
    once = mark(louise, PRESENT)
    first = record(agent, canteen, once, once)
    again = record(agent, canteen, once)

    assert [r.result for r in first] == [MarkResult.RECORDED, MarkResult.ALREADY_RECEIVED]
    assert [r.result for r in again] == [MarkResult.ALREADY_RECEIVED]
    assert AttendanceMark.objects.count() == 1


def test_marks_the_rules_refuse_say_why_and_the_others_are_kept(
    agent, organisation, other_organisation, family, canteen, make_child
):
    louise = make_child(family, canteen)
    stranger = make_child(family)  # enrolled nowhere
    elsewhere = ChildFactory(
        organisation=other_organisation, families=[FamilyFactory(organisation=other_organisation)]
    )
    results = record(
        agent,
        canteen,
        mark(louise, PRESENT, arrival=time(12), departure=time(11)),
        mark(stranger, PRESENT),
        mark(elsewhere, PRESENT),
        mark(louise, "late"),
        mark(louise, ABSENT, arrival=time(12)),
        mark(louise, PRESENT, arrival=time(11, 30), departure=time(13)),
    )
    assert [r.result for r in results] == [MarkResult.REFUSED] * 5 + [MarkResult.RECORDED]
    assert [r.message for r in results[:5]] == [
        "L'heure de départ doit venir après l'heure d'arrivée.",
        "Cet enfant n'est inscrit à aucune activité de cette structure ce jour-là.",
        "Cet enfant n'est pas connu ici.",
        "Un pointage est « présent » ou « absent ».",
        "Un enfant absent n'a ni heure d'arrivée ni heure de départ.",
    ]
    assert AttendanceMark.objects.get().departure == time(13)


@pytest.mark.parametrize(
    ("day", "now", "message"),
    [
        (TUE_1, EVENING, "n'est pas encore venu"),
        (MON_30 + timedelta(days=2), EVENING + timedelta(days=2), "n'ouvre pas le"),
    ],
    ids=["day to come", "day the unit is closed"],
)
def test_a_day_to_come_or_a_closed_day_has_no_sheet(agent, child, canteen, day, now, message):
    with pytest.raises(DomainError, match=message):
        record(agent, canteen, mark(child, PRESENT), day=day, now=now)
    assert not AttendanceMark.objects.exists()
    assert not AttendanceSheet.objects.exists()


def test_a_closed_day_takes_no_more_marks_and_is_not_closed_twice(agent, child, canteen):
    record(agent, canteen, mark(child, PRESENT))
    attendance_sheet_close(actor=agent, unit=canteen, day=MON_30, now=EVENING)
    with pytest.raises(DomainError, match="est clôturée"):
        record(agent, canteen, mark(child, ABSENT))
    with pytest.raises(DomainError, match="déjà clôturée"):
        attendance_sheet_close(actor=agent, unit=canteen, day=MON_30, now=EVENING)
    assert AttendanceMark.objects.count() == 1


def test_the_day_is_not_closed_while_expected_children_are_unmarked(
    agent, parent, family, canteen, make_child
):
    louise = make_child(family, canteen, first_name="Louise", last_name="Martin")
    paul = make_child(family, canteen)
    book(parent, family, canteen, louise, paul)
    record(agent, canteen, mark(paul, PRESENT))
    with pytest.raises(DomainError, match="Louise Martin"):
        attendance_sheet_close(actor=agent, unit=canteen, day=MON_30, now=EVENING)
    assert outcome(paul, canteen) == Outcome.NONE
    assert not AttendanceSheet.objects.get().closed


def test_too_many_marks_at_once_are_refused_whole(agent, child, canteen):
    with pytest.raises(DomainError, match=f"au plus {MAX_MARKS}"):
        record(agent, canteen, *(mark(child, PRESENT) for _ in range(MAX_MARKS + 1)))
    assert not AttendanceMark.objects.exists()


def test_a_guardian_cannot_take_attendance(parent, child, canteen):
    with pytest.raises(DomainError):
        record(parent, canteen, mark(child, PRESENT))


def test_a_manager_corrects_a_closed_day_with_a_reason_kept_as_a_correction(
    agent, manager, parent, family, child, canteen
):
    book(parent, family, canteen, child)
    record(agent, canteen, mark(child, ABSENT))
    booking = Booking.objects.get(child=child)
    with pytest.raises(DomainError, match="pas encore clôturée"):
        attendance_correct(
            actor=manager, booking=booking, outcome=Outcome.PRESENT, reason="Arrivée à 12 h 30"
        )
    attendance_sheet_close(actor=agent, unit=canteen, day=MON_30, now=EVENING)
    with pytest.raises(DomainError):
        attendance_correct(
            actor=agent, booking=booking, outcome=Outcome.PRESENT, reason="Arrivée à 12 h 30"
        )
    with pytest.raises(DomainError, match="pourquoi"):
        attendance_correct(actor=manager, booking=booking, outcome=Outcome.PRESENT, reason=" ")

    later = EVENING + timedelta(days=1)
    attendance_correct(
        actor=manager,
        booking=booking,
        outcome=Outcome.PRESENT,
        reason="Arrivée à 12 h 30",
        now=later,
    )

    booking.refresh_from_db()
    assert booking.outcome == Outcome.PRESENT
    change = booking.changes.order_by("pk").last()
    assert (change.before_outcome, change.after_outcome) == (Outcome.ABSENT_BILLED, Outcome.PRESENT)
    assert change.reason == "Correction : Arrivée à 12 h 30" and change.actor == manager
    assert AttendanceSheet.objects.get().corrected_at == later
