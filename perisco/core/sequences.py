from django.db import transaction

from perisco.core.models import Organisation, SequenceCounter


def next_value(*, organisation: Organisation, key: str) -> int:
    """The next number of a per-organisation sequence, without gaps or duplicates.

    Must run inside the caller's transaction: if it rolls back, the number is not used up.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value() must run inside transaction.atomic()")
    manager = SequenceCounter.objects.with_scopes_disabled()
    manager.get_or_create(organisation=organisation, key=key)
    counter = manager.select_for_update().get(organisation=organisation, key=key)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return counter.last_value
