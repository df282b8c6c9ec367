import io
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image

from perisco.core.audit import audit_log
from perisco.core.errors import DomainError
from perisco.core.models import Organisation

# A logo arrives already checked and re-encoded (families.uploads.check_upload, in the
# settings form). Larger sides are refused; the rest is fitted in the box and stored as PNG.
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_BOX = (600, 200)

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
    "publication_director",
    "brand_colour",
    "password_min_length",
    "password_require_upper",
    "password_require_lower",
    "password_require_digit",
    "password_require_symbol",
    "staff_2fa_required",
    "school_holiday_zone",
    "public_holiday_region",
    "whit_monday_is_holiday",
    "reminder_notice_hours",
    "siret",
    "invoice_due_days",
    "payment_instructions",
    "unpaid_block_threshold",
    "payfip_client_id",
    "sepa_creditor_id",
    "sepa_iban",
    "sepa_bic",
)


@transaction.atomic
def organisation_update_settings(
    *,
    actor,
    organisation: Organisation,
    values: dict,
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> list[str]:
    """Apply the settings page; returns the names of the fields that changed (audited).
    `logo`: the image bytes of a new logo, already checked as an upload."""
    png = _logo_png(logo) if logo is not None else None
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changes: dict[str, dict] = {}
    for field in SETTINGS_FIELDS:
        if field in values and getattr(organisation, field) != values[field]:
            changes[field] = {
                "before": _audit_value(getattr(organisation, field)),
                "after": _audit_value(values[field]),
            }
            setattr(organisation, field, values[field])
    old_logo = organisation.logo.name
    if not changes and png is None and not (remove_logo and old_logo):
        return []
    organisation.full_clean()  # before any file is written
    if png is not None:
        organisation.logo.save("logo.png", ContentFile(png), save=False)
    elif remove_logo:
        organisation.logo = ""  # type: ignore[assignment]
    if organisation.logo.name != old_logo:
        changes["logo"] = {"before": old_logo, "after": organisation.logo.name}
        if old_logo:
            storage = organisation.logo.storage
            transaction.on_commit(lambda: storage.delete(old_logo))
    organisation.save(update_fields=[*changes, "updated_at"])
    audit_log(
        organisation=organisation,
        actor=actor,
        action="organisation.settings_changed",
        target=organisation,
        data=changes,
    )
    return list(changes)


def _audit_value(value):
    """A setting as the activity log (JSON) keeps it: amounts as text."""
    return str(value) if isinstance(value, Decimal) else value


def _logo_png(data: bytes) -> bytes:
    if len(data) > LOGO_MAX_BYTES:
        raise DomainError(_logo_limits_message(), field="logo")
    # Pixel limits and bounded decoding are families.uploads.check_upload's, already passed.
    with Image.open(io.BytesIO(data)) as image:
        fitted = image.convert("RGBA") if image.mode not in ("RGB", "RGBA", "L", "LA") else image
        fitted.thumbnail(LOGO_BOX)
        output = io.BytesIO()
        fitted.save(output, "PNG", optimize=True)
    return output.getvalue()


def _logo_limits_message() -> str:
    return _(
        "This logo is too large: send a PNG or JPEG image of at most %(mb)s MB. It is shown "
        "at most %(width)s × %(height)s pixels."
    ) % {
        "mb": LOGO_MAX_BYTES // (1024 * 1024),
        "width": LOGO_BOX[0],
        "height": LOGO_BOX[1],
    }
