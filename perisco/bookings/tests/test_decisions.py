import pytest
from django.core import mail

from perisco.activities.models import Confirmation
from perisco.bookings.models import Booking, PlaceCounter
from perisco.bookings.services import (
    Change,
    Op,
    bookings_apply,
    bookings_decide,
    waiting_list_offer,
)
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW
from perisco.core.errors import DomainError


@pytest.fixture
def manual(canteen):
    canteen.activity.confirmation = Confirmation.MANUAL
    canteen.activity.save()
    return canteen


def run(django_capture_on_commit_callbacks, service, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return service(**kwargs)


def test_staff_confirm_requests_in_bulk_and_each_family_gets_one_email(
    parent, manager, family, manual, make_child, django_capture_on_commit_callbacks
):
    kids = [make_child(family, manual) for _ in range(2)]
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(k.pk, manual.pk, MON_30) for k in kids],
        now=NOW,
    )
    mail.outbox.clear()
    ids = list(Booking.objects.values_list("pk", flat=True))

    report = run(
        django_capture_on_commit_callbacks,
        bookings_decide,
        actor=manager,
        booking_ids=ids,
        accept=True,
    )

    assert len(report.decided) == 2
    assert set(Booking.objects.values_list("state", flat=True)) == {State.CONFIRMED}
    assert len(mail.outbox) == 1


def test_refusing_a_request_needs_a_reason_and_frees_the_place_for_the_waiting_list(
    parent, manager, family, manual, make_child, django_capture_on_commit_callbacks
):
    kids = [make_child(family, manual) for _ in range(3)]  # 2 places
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(k.pk, manual.pk, MON_30) for k in kids],
        now=NOW,
    )
    first = Booking.objects.get(child=kids[0])
    with pytest.raises(DomainError):
        bookings_decide(actor=manager, booking_ids=[first.pk], accept=False)

    run(
        django_capture_on_commit_callbacks,
        bookings_decide,
        actor=manager,
        booking_ids=[first.pk],
        accept=False,
        reason="Dossier incomplet",
    )

    first.refresh_from_db()
    assert (first.state, first.refusal_reason) == (State.REFUSED, "Dossier incomplet")
    # The waiting child is offered the place: a manual activity asks staff again.
    assert Booking.objects.get(child=kids[2]).state == State.REQUESTED
    assert PlaceCounter.objects.get().taken == 2


def test_a_second_decision_on_the_same_booking_is_skipped(parent, manager, family, manual, child):
    bookings_apply(
        actor=parent, family=family, changes=[Change(child.pk, manual.pk, MON_30)], now=NOW
    )
    pk = Booking.objects.get().pk
    bookings_decide(actor=manager, booking_ids=[pk], accept=True)
    report = bookings_decide(actor=manager, booking_ids=[pk], accept=True)
    assert report.skipped == 1 and report.decided == []


def test_a_guardian_cannot_decide(parent, family, manual, child):
    bookings_apply(
        actor=parent, family=family, changes=[Change(child.pk, manual.pk, MON_30)], now=NOW
    )
    with pytest.raises(DomainError):
        bookings_decide(actor=parent, booking_ids=[Booking.objects.get().pk], accept=True)


def test_accepting_a_cancellation_request_frees_the_place(parent, manager, family, manual, child):
    bookings_apply(
        actor=parent, family=family, changes=[Change(child.pk, manual.pk, MON_30)], now=NOW
    )
    booking = Booking.objects.get()
    bookings_decide(actor=manager, booking_ids=[booking.pk], accept=True)
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(child.pk, manual.pk, MON_30, Op.CANCEL)],
        now=NOW,
    )
    assert Booking.objects.get().state == State.CANCEL_REQUESTED

    bookings_decide(actor=manager, booking_ids=[booking.pk], accept=True)
    assert Booking.objects.get().state == State.CANCELLED
    assert PlaceCounter.objects.get().taken == 0


def test_staff_promote_a_waiting_child_only_when_a_place_is_free(
    parent, manager, family, canteen, make_child
):
    kids = [make_child(family, canteen) for _ in range(3)]
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(k.pk, canteen.pk, MON_30) for k in kids],
        now=NOW,
    )
    waiting = Booking.objects.get(state=State.WAITING)
    with pytest.raises(DomainError, match="2"):
        waiting_list_offer(actor=manager, booking=waiting)

    canteen.capacity = 3
    canteen.save()
    waiting_list_offer(actor=manager, booking=waiting)
    waiting.refresh_from_db()
    assert waiting.state == State.CONFIRMED
    assert PlaceCounter.objects.get().taken == 3
