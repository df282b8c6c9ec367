"""What each kind of change request changes: the record, its fields, and how a value is
stored in a request (JSON), shown to people, and written back.

One table serves the family's request forms, the staff's direct edits and the requests
queue, so a field is declared once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from perisco.families.models import (
    BankAccount,
    Child,
    ChildContact,
    Diet,
    Family,
    FamilyQuotient,
    Guardian,
    RequestKind,
    mask_iban,
)

GUARDIAN_FIELDS = (
    "civility",
    "first_name",
    "last_name",
    "quality",
    "address",
    "postal_code",
    "city",
    "phone_home",
    "phone_work",
    "mobile_phone",
    "email",
    "profession",
    "employer",
    "employer_address",
    "socio_professional_category",
    "consent_email",
    "consent_sms",
)
CHILD_IDENTITY_FIELDS = ("first_name", "last_name", "birth_date", "sex", "school", "school_class")
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "relationship",
    "phone",
    "can_pick_up",
    "emergency_contact",
)


@dataclass(frozen=True)
class KindSpec:
    kind: RequestKind
    model: type[models.Model]
    fields: tuple[str, ...]
    level: Literal["family", "child"]
    # True when accepting creates a record rather than changing one (new child, new QF).
    creates: bool = False
    # The family-side form may leave these to staff (mandate reference…).
    staff_only_fields: tuple[str, ...] = ()

    def field(self, name: str) -> models.Field:
        return self.model._meta.get_field(name)  # type: ignore[return-value]


SPECS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(RequestKind.GUARDIAN, Guardian, GUARDIAN_FIELDS, "family"),
        KindSpec(RequestKind.SPOUSE, Guardian, GUARDIAN_FIELDS, "family"),
        KindSpec(
            RequestKind.SITUATION,
            Family,
            ("marital_status", "allowance_regime", "allowance_number", "allowance_holder"),
            "family",
        ),
        KindSpec(
            RequestKind.FISCAL,
            FamilyQuotient,
            ("value", "valid_from", "valid_until"),
            "family",
            creates=True,
        ),
        KindSpec(
            RequestKind.BANK,
            BankAccount,
            ("holder", "iban", "bic", "bank_name", "mandate_reference", "mandate_signed_on"),
            "family",
            staff_only_fields=("mandate_reference", "mandate_signed_on"),
        ),
        KindSpec(RequestKind.NEW_CHILD, Child, CHILD_IDENTITY_FIELDS, "child", creates=True),
        KindSpec(RequestKind.CHILD, Child, CHILD_IDENTITY_FIELDS, "child"),
        KindSpec(
            RequestKind.AUTHORISATIONS,
            Child,
            ("image_rights", "leave_alone", "medical_intervention", "outings"),
            "child",
        ),
        KindSpec(
            RequestKind.HEALTH,
            Child,
            (
                "diets",
                "allergies",
                "treatments",
                "vaccinations_up_to_date",
                "last_dtp_vaccination",
                "doctor_name",
                "doctor_phone",
                "has_pai",
                "pai_details",
                "health_notes",
            ),
            "child",
        ),
        KindSpec(
            RequestKind.COMPLEMENTARY,
            Child,
            ("glasses", "hearing_aid", "dental_appliance", "other_needs"),
            "child",
        ),
        KindSpec(RequestKind.CONTACTS, ChildContact, ("contacts",), "child"),
        KindSpec(RequestKind.PHOTO, Child, ("photo",), "child"),
        KindSpec(RequestKind.REGISTRATION, Family, ("status",), "family"),
    )
}

FAMILY_FORM_KINDS = (
    RequestKind.GUARDIAN,
    RequestKind.SPOUSE,
    RequestKind.SITUATION,
    RequestKind.FISCAL,
    RequestKind.BANK,
)
CHILD_FORM_KINDS = (
    RequestKind.CHILD,
    RequestKind.AUTHORISATIONS,
    RequestKind.HEALTH,
    RequestKind.COMPLEMENTARY,
    RequestKind.CONTACTS,
    RequestKind.PHOTO,
)


def current_object(spec: KindSpec, family: Family, child: Child | None) -> models.Model | None:
    """The record a request of this kind changes today (None if it would be created)."""
    kind = spec.kind
    if spec.creates:
        return None
    if kind in (RequestKind.GUARDIAN, RequestKind.SPOUSE):
        rank = 1 if kind == RequestKind.GUARDIAN else 2
        return Guardian.objects.filter(family=family, rank=rank).first()
    if kind in (RequestKind.SITUATION, RequestKind.REGISTRATION):
        return family
    if kind == RequestKind.BANK:
        return BankAccount.objects.filter(family=family).first()
    return child


# --- Values: Python <-> JSON <-> what people read ------------------------------------


def to_json(field: models.Field | None, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.ForeignKey):
        return value.pk if isinstance(value, models.Model) else value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_json(field: models.Field, value: Any) -> Any:
    if value is None or isinstance(field, (models.ForeignKey, models.JSONField)):
        return value
    return field.to_python(value)


def snapshot(spec: KindSpec, obj: models.Model | None) -> dict[str, Any]:
    """The current values of the kind's fields, in JSON form."""
    if spec.kind == RequestKind.CONTACTS:
        contacts = obj.contacts.order_by("pk") if obj is not None else []  # type: ignore[attr-defined]
        return {"contacts": [contact_json(c) for c in contacts]}
    if obj is None:
        return {name: None for name in spec.fields}
    values = {}
    for name in spec.fields:
        field = spec.field(name)
        raw = getattr(obj, field.attname)
        values[name] = to_json(field, raw)
    return values


def contact_json(contact: ChildContact) -> dict[str, Any]:
    return {name: getattr(contact, name) for name in CONTACT_FIELDS}


def display(spec: KindSpec, name: str, value: Any, *, reveal: bool = False) -> str:
    """A value of a request (JSON form) as people read it: labels for choices, "Oui"/"Non",
    French dates, masked bank numbers unless `reveal`."""
    if value is None or value == "" or value == []:
        return "—"
    if name == "contacts":
        return "; ".join(_contact_text(contact) for contact in value)
    if name == "photo":
        return str(_("new photo"))
    return display_value(spec.field(name), value, reveal=reveal)


def display_value(
    field: models.Field,
    value: Any,
    *,
    reveal: bool = False,
    related: Mapping[Any, str] | None = None,
) -> str:
    """Any stored value of a family-file field as people read it. A foreign key shows the
    related record's name, from `related` (pk → label, loaded by the caller: no query) or
    else from the database."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(field, models.ForeignKey):
        pk = value.pk if isinstance(value, models.Model) else value
        if related is not None:
            return related.get(pk, str(_("(deleted)")))
        obj = field.related_model._default_manager.filter(pk=pk).first()  # type: ignore[union-attr]
        return related_label(obj) if obj is not None else str(_("(deleted)"))
    if field.name == "diets":
        labels = dict(Diet.choices)
        return ", ".join(str(labels.get(v, v)) for v in value)
    if field.name == "iban" and not reveal:
        return mask_iban(value)
    if isinstance(field, models.BooleanField):
        return str(_("Yes") if value else _("No"))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(field, models.DateField):
        return formats.date_format(from_json(field, value), "DATE_FORMAT")
    return str(value)


def related_label(obj: models.Model) -> str:
    """How a linked record is named: a login by its owner's name and e-mail."""
    if isinstance(obj, AbstractBaseUser):
        name = obj.get_full_name()  # type: ignore[attr-defined]
        email = obj.get_username()
        return f"{name} ({email})" if name else email
    return str(obj)


def _contact_text(contact: dict[str, Any]) -> str:
    roles = []
    if contact.get("can_pick_up"):
        roles.append(str(_("pick-up")))
    if contact.get("emergency_contact"):
        roles.append(str(_("emergency")))
    return (
        f"{contact['first_name']} {contact['last_name']} ({contact['relationship']}, "
        f"{contact['phone']}; {', '.join(roles) or '—'})"
    )


def field_label(spec: KindSpec, name: str) -> str:
    if name == "contacts":
        return str(_("Authorised persons"))
    return capfirst(str(spec.field(name).verbose_name))
