from unittest import mock

from django.core.management import call_command

from perisco.bookings.models import Booking, PlaceCounter
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW


def test_raising_the_places_gives_them_to_the_waiting_list_once(
    parent, family, canteen, make_child, django_capture_on_commit_callbacks
):
    kids = [make_child(family, canteen) for _ in range(4)]  # 2 places
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(k.pk, canteen.pk, MON_30) for k in kids],
        now=NOW,
    )
    canteen.capacity = 3
    canteen.save()

    # "Today" is the day of NOW, so Monday 30 is still to come and within its deadline.
    with (
        mock.patch("django.utils.timezone.now", return_value=NOW),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("promote_waiting_lists")
        call_command("promote_waiting_lists")  # nothing more to give

    states = list(Booking.objects.order_by("pk").values_list("state", flat=True))
    assert states == [State.CONFIRMED] * 3 + [State.WAITING]
    assert PlaceCounter.objects.get().taken == 3
