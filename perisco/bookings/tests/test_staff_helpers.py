"""Reads and helpers behind the staff bookings pages."""

from datetime import date

from django.utils import translation

from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.bookings.models import Booking
from perisco.bookings.selectors import occupancy_cell, units_for_family
from perisco.bookings.services import Change, DecisionReport, Op, bookings_apply, changes_over
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW
from perisco.bookings.texts import decision_summary


def test_a_range_of_days_on_some_weekdays_becomes_one_change_per_day():
    changes = changes_over(
        child_id=1,
        unit_id=2,
        start=date(2026, 11, 30),
        end=date(2026, 12, 13),
        weekdays=[0, 3],
        op=Op.CANCEL,
    )
    assert [c.day for c in changes] == [
        date(2026, 11, 30),
        date(2026, 12, 3),
        date(2026, 12, 7),
        date(2026, 12, 10),
    ]
    assert {(c.child_id, c.unit_id, c.op) for c in changes} == {(1, 2, Op.CANCEL)}


def test_staff_may_book_the_units_of_activities_a_child_is_enrolled_in_only(
    organisation, family, canteen, child
):
    UnitFactory(activity=canteen.activity, name="Goûter")
    other = PeriodFactory(activity__organisation=organisation, activity__name="Mercredi")
    UnitFactory(activity=other.activity, name="Journée")
    assert [u.name for u in units_for_family(family)] == ["Goûter", "Repas"]


def test_one_cell_counts_as_the_grid_counts(parent, family, canteen, make_child):
    kids = [make_child(family, canteen) for _ in range(3)]
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(k.pk, canteen.pk, MON_30) for k in kids],
        now=NOW,
    )
    cell = occupancy_cell(canteen, MON_30)
    assert (cell.taken, cell.capacity, cell.waiting, cell.full) == (2, 2, 1, True)


def test_the_decision_summary_says_what_was_done_and_what_others_did_first():
    def booking(state):
        return Booking(state=state)

    accepted = DecisionReport(
        decided=[booking(State.CONFIRMED)] * 3 + [booking(State.CANCELLED)], skipped=1
    )
    refused = DecisionReport(decided=[booking(State.REFUSED)], skipped=0)
    with translation.override("fr"):
        assert decision_summary(accepted, accept=True) == (
            "3 réservations confirmées, 1 annulation acceptée, "
            "1 déjà décidée par quelqu'un d'autre."
        )
    with translation.override("en"):
        assert decision_summary(refused, accept=False) == "1 booking refused."
        assert decision_summary(DecisionReport(), accept=True) == "Nothing was decided."
