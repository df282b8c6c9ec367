from datetime import datetime

import pytest
from django.core import mail

from perisco.activities.rules import PARIS
from perisco.bookings.models import Absence, Booking, PlaceCounter
from perisco.bookings.services import (
    Change,
    absence_declare,
    absence_review,
    bookings_apply,
)
from perisco.bookings.states import Outcome, State
from perisco.bookings.tests.conftest import MON_30, NOW, THU_3, TUE_1
from perisco.core.errors import DomainError

# Friday 27 November, 10:00: Monday 30 is past its cancellation deadline (Wednesday 25,
# 9:00); Thursday 3 December is not (Monday 30, 9:00).
FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=PARIS)


@pytest.fixture
def booked(parent, family, child, canteen):
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(child.pk, canteen.pk, d) for d in (MON_30, TUE_1, THU_3)],
        now=NOW,
    )


def test_an_absence_cancels_the_days_still_in_time_and_bills_the_others(
    booked, parent, family, child, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = absence_declare(
            actor=parent,
            family=family,
            child=child,
            days=[MON_30, THU_3],
            reason="illness",
            now=FRIDAY,
        )

    states = {b.day: (b.state, b.outcome) for b in Booking.objects.all()}
    assert states[MON_30] == (State.CONFIRMED, Outcome.ABSENT_BILLED)
    assert states[THU_3] == (State.CANCELLED, Outcome.NONE)
    assert states[TUE_1] == (State.CONFIRMED, Outcome.NONE)
    assert report.absence.review == Absence.Review.TO_REVIEW
    assert PlaceCounter.objects.get(day=THU_3).taken == 0
    assert len(mail.outbox) == 1
    assert "restent facturés" in mail.outbox[0].body


def test_staff_excuse_an_absence_and_its_days_are_not_billed(
    booked, parent, manager, family, child
):
    report = absence_declare(
        actor=parent, family=family, child=child, days=[MON_30], reason="illness", now=FRIDAY
    )
    absence_review(actor=manager, absence=report.absence, excuse=True, now=FRIDAY)

    booking = Booking.objects.get(day=MON_30)
    assert booking.outcome == Outcome.ABSENT_EXCUSED
    assert booking.changes.last().actor == manager
    assert Absence.objects.get().review == Absence.Review.EXCUSED


def test_an_absence_entirely_in_time_has_nothing_to_review(booked, parent, family, child):
    report = absence_declare(
        actor=parent, family=family, child=child, days=[THU_3], reason="family", now=FRIDAY
    )
    assert report.absence.review == Absence.Review.NONE
    assert report.billed == [] and len(report.cancelled) == 1


def test_other_reason_needs_words(booked, parent, family, child):
    with pytest.raises(DomainError) as error:
        absence_declare(
            actor=parent, family=family, child=child, days=[THU_3], reason="other", now=FRIDAY
        )
    assert error.value.field == "note"
    assert not Absence.objects.exists()


def test_an_absence_on_days_with_nothing_booked_is_refused(parent, family, child):
    with pytest.raises(DomainError):
        absence_declare(
            actor=parent, family=family, child=child, days=[MON_30], reason="illness", now=FRIDAY
        )


def test_another_familys_child_cannot_be_declared_absent(
    booked, family, other_family, make_child, canteen
):
    stranger = make_child(other_family, canteen)
    with pytest.raises(DomainError):
        absence_declare(
            actor=other_family.guardians.get().user,
            family=family,
            child=stranger,
            days=[MON_30],
            reason="illness",
            now=FRIDAY,
        )
