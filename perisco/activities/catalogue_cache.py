"""The catalogue (activities, periods, units, capacities, closures) changes a few times a
term and is read by every calendar page and booking action: it is cached per organisation,
month and set of activities, under the organisation's *catalogue version*.

The version lives in the shared cache (Redis or the database cache in production), so
every worker sees a change at once; any write to a catalogue model gives the organisation
a new version (signals below, so the services, the admin, the demo and the tests are all
covered), now and again when its transaction commits (a request reading between the two
would otherwise cache the old rows under the new version). Each process keeps the
catalogues it read last, so a request costs one cache read (the version), not seven
queries. A version lost from the cache is replaced by a new one: nothing stale is read."""

import hashlib
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

logger = logging.getLogger(__name__)

# Catalogues kept by each process (a few months × a few activity sets per organisation).
LOCAL_ENTRIES = 512
# How long the shared cache keeps a catalogue (it changes rarely; the version decides).
TIMEOUT = 6 * 60 * 60

_local: OrderedDict[tuple, Any] = OrderedDict()
_local_lock = threading.Lock()  # runserver and threaded workers share the dict


def _version_key(organisation_id: int) -> str:
    return f"catalogue-version:{organisation_id}"


def version(organisation_id: int) -> str:
    key = _version_key(organisation_id)
    current = cache.get(key)
    if current is None:
        cache.add(key, uuid.uuid4().hex, None)
        current = cache.get(key)
    return current


def changed(organisation_id: int) -> None:
    """The organisation's catalogue changed: every cached catalogue of it is stale."""

    def bump() -> None:
        cache.set(_version_key(organisation_id), uuid.uuid4().hex, None)

    bump()
    transaction.on_commit(bump)


def cached(
    organisation_id: int | None,
    activity_ids: tuple[int, ...],
    start: date,
    end: date,
    load: Callable[[], Any],
    *,
    shape: str = "",
):
    """`shape` names what the catalogue is made of (it changes with a release that
    changes it): part of the shared key, so a new release never reads an old pickle."""
    if organisation_id is None:  # outside a tenant's scope: nothing to key it by
        return load()
    key = (organisation_id, version(organisation_id), activity_ids, start, end)
    with _local_lock:
        found = _local.get(key)
        if found is not None:
            _local.move_to_end(key)
            return found
    ids = hashlib.sha256(",".join(map(str, activity_ids)).encode()).hexdigest()[:16]
    shared_key = f"catalogue:{shape}:{organisation_id}:{key[1]}:{start}:{end}:{ids}"
    try:
        found = cache.get(shared_key)
    except Exception:  # an entry that no longer unpickles: read the database again
        logger.warning("catalogue cache entry unreadable: %s", shared_key, exc_info=True)
        found = None
    if found is None:
        found = load()
        cache.set(shared_key, found, TIMEOUT)
    with _local_lock:
        _local[key] = found
        if len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)
    return found


def _on_change(sender, instance, **kwargs) -> None:
    organisation_id = getattr(instance, "organisation_id", None)
    if organisation_id is not None:
        changed(organisation_id)


def connect() -> None:
    """Called once by the app's `ready()`."""
    from perisco.activities import models

    for model in (
        models.Facility,
        models.Activity,
        models.Period,
        models.Unit,
        models.CapacityOverride,
        models.AgeGroupCapacity,
        models.Closure,
        models.DayOverride,
        models.RequestWindow,
    ):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"catalogue-{model.__name__}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"catalogue-{model.__name__}-")
    for through in (models.Unit.exclusive_with.through, models.Unit.requires.through):
        m2m_changed.connect(_on_change, sender=through, dispatch_uid=f"catalogue-{through}")
