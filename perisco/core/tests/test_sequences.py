import threading

import pytest
from django.db import connection, transaction

from perisco.core.models import SequenceCounter
from perisco.core.sequences import next_value
from perisco.core.tests.factories import OrganisationFactory


def test_numbers_follow_each_other_per_organisation_and_key(organisation, other_organisation):
    with transaction.atomic():
        assert [next_value(organisation=organisation, key="family") for _ in range(3)] == [1, 2, 3]
        assert next_value(organisation=other_organisation, key="family") == 1
        assert next_value(organisation=organisation, key="invoice-2026") == 1


def test_a_rolled_back_number_is_handed_out_again(organisation):
    with transaction.atomic():
        next_value(organisation=organisation, key="family")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_value(organisation=organisation, key="family") == 2
        raise RuntimeError
    with transaction.atomic():
        assert next_value(organisation=organisation, key="family") == 2


@pytest.mark.django_db(transaction=True)
def test_next_value_refuses_to_run_outside_a_transaction(organisation):
    # Under autocommit the lock would be released at once and numbers could repeat.
    with pytest.raises(RuntimeError):
        next_value(organisation=organisation, key="family")


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_get_distinct_gapless_numbers():
    organisation = OrganisationFactory()
    results, errors = [], []
    barrier = threading.Barrier(8)

    def worker():
        try:
            barrier.wait()
            for _ in range(10):
                with transaction.atomic():
                    results.append(next_value(organisation=organisation, key="family"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == list(range(1, 81))


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_control_without_the_row_lock_two_callers_get_the_same_number():
    """Shows the harness catches the race the lock prevents: read, both wait, both write."""
    organisation = OrganisationFactory()
    counters = SequenceCounter.objects.with_scopes_disabled()
    counters.create(organisation=organisation, key="family")
    results = []
    barrier = threading.Barrier(2)

    def unlocked_next_value():
        try:
            with transaction.atomic():
                counter = counters.get(organisation=organisation, key="family")
                barrier.wait(timeout=5)
                counter.last_value += 1
                counter.save(update_fields=["last_value"])
                results.append(counter.last_value)
        finally:
            connection.close()

    threads = [threading.Thread(target=unlocked_next_value) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1, 1]
