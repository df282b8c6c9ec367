from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.activities.rules import Reason
from perisco.bookings.selectors import activity_occupancy, booking_queue, waiting_list
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.tests.conftest import MON_30, NOW, WED_2


def test_occupancy_shows_booked_places_and_waiting_per_unit_and_day(
    parent, family, canteen, make_child
):
    kids = [make_child(family, canteen) for _ in range(3)]
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(k.pk, canteen.pk, MON_30) for k in kids],
        now=NOW,
    )

    rows = activity_occupancy(canteen.activity, 2026, 11)

    cell = next(c for c in rows[0].cells if c.day == MON_30)
    assert (cell.taken, cell.capacity, cell.waiting, cell.full) == (2, 2, 1, True)
    assert next(c for c in rows[0].cells if c.day == WED_2.replace(month=11, day=25)).closed == (
        Reason.NOT_AN_OPENING_DAY
    )
    assert [b.child for b in waiting_list(canteen.pk, MON_30)] == [kids[2]]
    assert list(booking_queue()) == []


def test_occupancy_costs_the_same_queries_for_one_unit_or_eight(canteen):
    from perisco.activities.tests.factories import UnitFactory

    with CaptureQueriesContext(connection) as one:
        activity_occupancy(canteen.activity, 2026, 11)
    for n in range(7):
        UnitFactory(activity=canteen.activity, name=f"U{n}", capacity=5)
    with CaptureQueriesContext(connection) as eight:
        activity_occupancy(canteen.activity, 2026, 11)
    assert len(eight) == len(one)
