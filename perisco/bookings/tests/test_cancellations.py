"""The service cancels a facility's days (strike, school trip)."""

from datetime import date

import pytest
from django.core import mail

from perisco.activities.models import Closure
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.bookings.cancellations import cancellation_preview, days_cancel
from perisco.bookings.models import Booking, PlaceCounter
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW, THU_3, TUE_1
from perisco.core.errors import DomainError

STRIKE = "Grève des enseignants"


@pytest.fixture
def booked(parent, family, canteen, make_child):
    """Louise and Paul booked Monday 30 and Tuesday 1 (2 places); Zoé waits on Monday."""
    kids = [make_child(family, canteen, first_name=n) for n in ("Louise", "Paul", "Zoé")]
    changes = [Change(k.pk, canteen.pk, d) for k in kids[:2] for d in (MON_30, TUE_1, THU_3)]
    bookings_apply(
        actor=parent, family=family, changes=[*changes, Change(kids[2].pk, canteen.pk, MON_30)],
        now=NOW,
    )  # fmt: skip
    return kids


def cancel(manager, canteen, start=MON_30, end=TUE_1, reason=STRIKE, activity=None):
    return days_cancel(
        actor=manager,
        facility=canteen.activity.facility,
        activity=activity,
        start=start,
        end=end,
        reason=reason,
        now=NOW,
    )


def test_the_days_close_their_bookings_are_cancelled_and_each_family_told_once(
    booked, manager, parent, family, canteen, django_capture_on_commit_callbacks
):
    assert cancellation_preview(
        facility=canteen.activity.facility, activity=None, start=MON_30, end=TUE_1
    ) == (5, 1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = cancel(manager, canteen)

    assert (report.cancelled, report.families, report.emailed) == (5, 1, 1)
    states = {(b.child.first_name, b.day): b.state for b in Booking.objects.select_related("child")}
    assert states[("Louise", MON_30)] == states[("Zoé", MON_30)] == State.CANCELLED
    assert states[("Paul", TUE_1)] == State.CANCELLED
    assert states[("Louise", THU_3)] == State.CONFIRMED  # outside the range
    counters = {c.day: (c.taken, c.waiting) for c in PlaceCounter.objects.all()}
    assert counters[MON_30] == (0, 0) and counters[TUE_1] == (0, 0) and counters[THU_3] == (2, 0)
    change = Booking.objects.filter(day=MON_30).first().changes.order_by("pk").last()
    assert (change.reason, change.actor, change.on_behalf) == (STRIKE, manager, True)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert STRIKE in body and "Louise, lundi 30 novembre, Repas" in body and "Zoé" in body
    # The days are closed: nobody books them again.
    again = bookings_apply(
        actor=parent, family=family, changes=[Change(booked[0].pk, canteen.pk, MON_30)], now=NOW
    )
    assert again.refused and Closure.objects.get().label == STRIKE


def test_one_activity_of_the_facility_can_be_cancelled_alone(
    booked, manager, organisation, family, canteen, make_child
):
    club = UnitFactory(
        activity=PeriodFactory(
            activity__organisation=organisation, activity__facility=canteen.activity.facility
        ).activity,
        capacity=5,
    )
    cancel(manager, canteen, activity=club.activity)
    assert not Booking.objects.filter(state=State.CANCELLED).exists()
    cancel(manager, canteen, activity=canteen.activity)
    assert Booking.objects.filter(state=State.CANCELLED).count() == 5


@pytest.mark.parametrize(
    ("start", "end", "reason", "message"),
    [
        (MON_30, TUE_1, " ", "Dites pourquoi"),
        (TUE_1, MON_30, STRIKE, "avant le premier"),
        (date(2026, 11, 20), MON_30, STRIKE, "est passé"),
        (MON_30, date(2027, 1, 15), STRIKE, "Au plus 31 jours"),
        (date(2026, 12, 18), date(2026, 12, 22), STRIKE, "vacances scolaires"),
    ],
    ids=["no reason", "reversed", "past", "too long", "spans the holidays"],
)
def test_bad_ranges_are_refused_and_nothing_is_cancelled(
    booked, manager, canteen, start, end, reason, message
):
    with pytest.raises(DomainError, match=message):
        cancel(manager, canteen, start=start, end=end, reason=reason)
    assert not Booking.objects.filter(state=State.CANCELLED).exists()
    assert not Closure.objects.exists()


def test_a_family_cannot_cancel_a_facilitys_days(booked, parent, canteen):
    with pytest.raises(DomainError):
        cancel(parent, canteen)
    assert not Closure.objects.exists()
