from django.db import transaction
from django.utils.translation import gettext as _

from perisco.core.audit import audit_log
from perisco.core.errors import DomainError
from perisco.core.models import RESERVED_SLUGS, Organisation

# What an organisation administrator may change in the settings page.
SETTINGS_FIELDS = (
    "name",
    "name_with_de",
    "address",
    "postal_code",
    "city",
    "phone",
    "email",
    "opening_hours",
    "website",
    "password_min_length",
    "password_require_upper",
    "password_require_lower",
    "password_require_digit",
    "password_require_symbol",
    "staff_2fa_required",
    "school_holiday_zone",
    "public_holiday_region",
    "whit_monday_is_holiday",
)


@transaction.atomic
def organisation_create(
    *,
    actor,
    name: str,
    slug: str,
    email: str,
    admin_email: str,
    admin_first_name: str,
    admin_last_name: str,
) -> Organisation:
    """A new municipality with its first administrator, who gets an invitation e-mail."""
    from perisco.accounts.roles import Role
    from perisco.accounts.services import staff_invite

    if slug in RESERVED_SLUGS:
        raise DomainError(_("This address is reserved; choose another one."), field="slug")
    if Organisation.objects.filter(slug=slug).exists():
        raise DomainError(_("Another organisation already uses this address."), field="slug")
    organisation = Organisation(name=name, slug=slug, email=email)
    organisation.full_clean()
    organisation.save()
    audit_log(
        organisation=None,
        actor=actor,
        action="organisation.created",
        target=organisation,
        data={"name": name, "slug": slug},
    )
    staff_invite(
        organisation=organisation,
        actor=actor,
        email=admin_email,
        first_name=admin_first_name,
        last_name=admin_last_name,
        role=Role.ORG_ADMIN,
    )
    return organisation


@transaction.atomic
def organisation_update_settings(*, actor, organisation: Organisation, values: dict) -> list[str]:
    """Apply the settings page; returns the names of the fields that changed (audited)."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changes = {}
    for field in SETTINGS_FIELDS:
        if field in values and getattr(organisation, field) != values[field]:
            changes[field] = {"before": getattr(organisation, field), "after": values[field]}
            setattr(organisation, field, values[field])
    if not changes:
        return []
    organisation.full_clean()
    organisation.save(update_fields=[*changes, "updated_at"])
    audit_log(
        organisation=organisation,
        actor=actor,
        action="organisation.settings_changed",
        target=organisation,
        data=changes,
    )
    return list(changes)
