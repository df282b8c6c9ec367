"""`core.bulk.insert_rows`, as the booking action uses it: the new ids come back in the
order of the rows, each row stored as given (PostgreSQL: one unnest insert)."""

import pytest

from perisco.bookings.models import Booking
from perisco.bookings.services import _BOOKING_FIELDS
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW, THU_3, TUE_1
from perisco.core.bulk import insert_rows


def test_rows_come_back_with_their_ids_in_order(organisation, family, child, canteen):
    days = [THU_3, MON_30, TUE_1]
    states = [State.CONFIRMED, State.WAITING, State.REQUESTED]
    rows = [
        (organisation.pk, child.pk, family.pk, canteen.activity_id, canteen.pk, day, state, "",
         0, NOW, NOW, "")
        for day, state in zip(days, states, strict=True)
    ]  # fmt: skip

    ids = insert_rows(Booking, _BOOKING_FIELDS, rows)

    stored = {b.pk: (b.day, b.state, b.requested_at) for b in Booking.objects.filter(pk__in=ids)}
    assert [stored[pk] for pk in ids] == [(d, s, NOW) for d, s in zip(days, states, strict=True)]
    assert insert_rows(Booking, _BOOKING_FIELDS, []) == []


def test_only_columns_can_be_inserted(organisation):
    with pytest.raises(TypeError):
        insert_rows(Booking, ["changes"], [(1,)])


def test_copied_rows_are_stored_as_given(organisation, family, child, canteen):
    from perisco.core.bulk import copy_rows

    rows = (
        (organisation.pk, child.pk, family.pk, canteen.activity_id, canteen.pk, day,
         State.CONFIRMED, "present", 0, NOW, NOW, "")
        for day in (MON_30, TUE_1)
    )  # fmt: skip

    assert copy_rows(Booking, _BOOKING_FIELDS, rows) == 2
    assert sorted(Booking.objects.values_list("day", "outcome", "requested_at")) == [
        (MON_30, "present", NOW),
        (TUE_1, "present", NOW),
    ]
