"""Tenant scoping: every query on an organisation's data runs inside `scope(organisation=...)`.

Models holding an organisation's data inherit `OrganisationOwned`; their default manager is a
django-scopes `ScopedManager` that filters on the active organisation and *raises* when no
organisation is active, so an unscoped query fails loudly instead of leaking another
municipality's rows. The web request enters the scope in `OrganisationMiddleware`; tasks and
commands enter it from ids with `organisation_scope()`; platform-wide jobs say so explicitly
with `scopes_disabled()`.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import models
from django_scopes import ScopedManager, get_scope, scope, scopes_disabled

__all__ = [
    "OrganisationOwned",
    "ScopedManager",
    "current_organisation_id",
    "organisation_scope",
    "scopes_disabled",
]


@contextmanager
def organisation_scope(organisation_or_id) -> Iterator[None]:
    """Activate the scope of one organisation (an instance or its id; never None)."""
    organisation_id = getattr(organisation_or_id, "pk", organisation_or_id)
    if organisation_id is None:
        # django-scopes treats None as "no filter": refuse rather than open every tenant.
        raise ValueError("organisation_scope() needs an organisation")
    with scope(organisation=organisation_id):
        yield


def current_organisation_id() -> int | None:
    value = get_scope().get("organisation")
    return value if isinstance(value, int) else None


class OrganisationOwned(models.Model):
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = ScopedManager(organisation="organisation")  # type: ignore[django-manager-missing]

    class Meta:
        abstract = True
