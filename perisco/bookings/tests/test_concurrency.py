"""Capacity under real parallel transactions (PostgreSQL's row locks; SQLite serialises
writers, so these run in the PostgreSQL pass)."""

import threading

import pytest
from django.db import connection, transaction

from perisco.bookings.models import Booking, PlaceCounter
from perisco.bookings.services import Change, Result, bookings_apply
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW, THU_3, TUE_1
from perisco.core.scoping import organisation_scope
from perisco.families.models import FamilyCertification, Guardian
from perisco.families.tests.factories import guardian_user

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def run_in_threads(jobs, organisation):
    """Start every job at once, each in the organisation's scope as a request is; return
    their results and errors."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def worker(i, job):
        try:
            barrier.wait(timeout=10)
            with organisation_scope(organisation):
                results[i] = job()
        except Exception as exc:  # pragma: no cover - reported by the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def families(organisation, count):
    made = []
    for _ in range(count):
        user = guardian_user(organisation)
        family = Guardian.objects.get(user=user).family
        FamilyCertification.objects.create(
            organisation=organisation, family=family, school_year=2026
        )
        made.append((user, family))
    return made


def test_fifty_families_for_ten_places_get_ten_confirmed_and_forty_waiting(
    organisation, canteen, make_child
):
    canteen.capacity = 10
    canteen.save()
    people = [(u, f, make_child(f, canteen)) for u, f in families(organisation, 50)]

    def job(user, family, child):
        return lambda: bookings_apply(
            actor=user, family=family, changes=[Change(child.pk, canteen.pk, MON_30)], now=NOW
        )

    results, errors = run_in_threads([job(*p) for p in people], organisation)

    assert errors == []
    assert Booking.objects.filter(state=State.CONFIRMED).count() == 10
    assert Booking.objects.filter(state=State.WAITING).count() == 40
    assert PlaceCounter.objects.get(unit=canteen, day=MON_30).taken == 10
    positions = sorted(
        r.outcomes[0].position for r in results if r.outcomes[0].result == Result.WAITING
    )
    assert positions == list(range(1, 41))


def test_two_families_booking_overlapping_days_in_opposite_orders_never_deadlock(
    organisation, canteen, make_child
):
    canteen.capacity = 1
    canteen.save()
    (u1, f1), (u2, f2) = families(organisation, 2)
    c1, c2 = make_child(f1, canteen), make_child(f2, canteen)
    days = [MON_30, TUE_1, THU_3]

    def job(user, family, child, order):
        return lambda: bookings_apply(
            actor=user,
            family=family,
            changes=[Change(child.pk, canteen.pk, d) for d in order],
            now=NOW,
        )

    for _ in range(5):
        Booking.objects.all().delete()
        PlaceCounter.objects.all().delete()
        _, errors = run_in_threads(
            [job(u1, f1, c1, days), job(u2, f2, c2, list(reversed(days)))], organisation
        )
        assert errors == []
        for day in days:
            assert Booking.objects.filter(day=day, state=State.CONFIRMED).count() == 1
            assert Booking.objects.filter(day=day, state=State.WAITING).count() == 1


def test_control_without_the_counter_lock_the_race_overbooks(organisation, canteen, make_child):
    """Shows the harness catches what the lock prevents: count, both wait, both insert."""
    canteen.capacity = 1
    canteen.save()
    (_u1, f1), (_u2, f2) = families(organisation, 2)
    children = [make_child(f1, canteen), make_child(f2, canteen)]
    barrier = threading.Barrier(2)

    def unlocked_booking(child, family):
        def run():
            with transaction.atomic():
                taken = Booking.objects.filter(
                    unit=canteen, day=MON_30, state=State.CONFIRMED
                ).count()
                barrier.wait(timeout=5)
                if taken < canteen.capacity:
                    Booking.objects.create(
                        organisation=organisation,
                        child=child,
                        family=family,
                        activity=canteen.activity,
                        unit=canteen,
                        day=MON_30,
                        state=State.CONFIRMED,
                    )

        return run

    _, errors = run_in_threads(
        [unlocked_booking(children[0], f1), unlocked_booking(children[1], f2)], organisation
    )
    assert errors == []
    assert Booking.objects.filter(state=State.CONFIRMED).count() == 2  # overbooked


def test_a_day_filled_between_reading_and_saving_is_decided_again_under_the_lock(
    organisation, canteen, make_child, monkeypatch
):
    """An action decides on the counters as read and locks them only to save: when the
    last place went to another family in between, it decides again under the lock and
    puts the child on the waiting list instead of overbooking."""
    from perisco.bookings import services

    canteen.capacity = 1
    canteen.save()
    (u1, f1), (u2, f2) = families(organisation, 2)
    slow_child, fast_child = make_child(f1, canteen), make_child(f2, canteen)
    # The day's counter exists (made by its first booking, which other first bookings of
    # that day wait for): the race is on the places it counts.
    PlaceCounter.objects.create(organisation=organisation, unit=canteen, day=MON_30, group=0)
    read, other_committed = threading.Event(), threading.Event()
    reads, stale = [], []
    original_read, original_recheck = services._lock_counters, services._recheck

    def read_then_wait(keys, *, lock=True):
        counters = original_read(keys, lock=lock)
        if threading.current_thread().name == "slow" and not lock and not reads:
            reads.append(dict(counters))
            read.set()
            other_committed.wait(timeout=10)
        return counters

    def recheck(w):
        try:
            original_recheck(w)
        except services._Stale:
            stale.append(True)
            raise

    monkeypatch.setattr(services, "_lock_counters", read_then_wait)
    monkeypatch.setattr(services, "_recheck", recheck)
    outcomes = {}

    def slow():
        with organisation_scope(organisation):
            report = bookings_apply(
                actor=u1, family=f1, changes=[Change(slow_child.pk, canteen.pk, MON_30)], now=NOW
            )
            outcomes["slow"] = report.outcomes[0].result
        connection.close()

    def fast():
        read.wait(timeout=10)
        with organisation_scope(organisation):
            report = bookings_apply(
                actor=u2, family=f2, changes=[Change(fast_child.pk, canteen.pk, MON_30)], now=NOW
            )
            outcomes["fast"] = report.outcomes[0].result
        other_committed.set()
        connection.close()

    threads = [threading.Thread(target=slow, name="slow"), threading.Thread(target=fast)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert stale == [True]  # the first decision was found stale
    assert outcomes == {"fast": Result.BOOKED, "slow": Result.WAITING}
    assert PlaceCounter.objects.get(unit=canteen, day=MON_30).taken == 1
    assert Booking.objects.get(child=slow_child).state == State.WAITING
    assert Booking.objects.get(child=fast_child).state == State.CONFIRMED
