from django.db import transaction

from perisco.core.models import Organisation, SequenceCounter


def next_value(*, organisation: Organisation, key: str) -> int:
    """The next number of a per-organisation sequence, without gaps or duplicates.

    Must run inside the caller's transaction: if it rolls back, the number is not used up.
    """
    return next_values(organisation=organisation, key=key, count=1)


def next_values(*, organisation: Organisation, key: str, count: int) -> int:
    """Reserve `count` consecutive numbers of a sequence and return the first (a billing
    run numbers thousands of invoices with one locked update). Same rules as `next_value`."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value() must run inside transaction.atomic()")
    if count < 1:
        raise ValueError("count must be positive")
    manager = SequenceCounter.objects.with_scopes_disabled()
    manager.get_or_create(organisation=organisation, key=key)
    counter = manager.select_for_update().get(organisation=organisation, key=key)
    first = counter.last_value + 1
    counter.last_value += count
    counter.save(update_fields=["last_value"])
    return first
