"""A family file's change history (django-simple-history), as people read it: who changed
what, when, from what to what."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from perisco.families.kinds import display_value, related_label
from perisco.families.models import (
    BankAccount,
    Child,
    ChildContact,
    Family,
    FamilyQuotient,
    Guardian,
)

IGNORED = {
    "id",
    "organisation",
    "family",
    "child",
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "created_at",
    "search_text",
}


@dataclass(frozen=True)
class HistoryLine:
    when: datetime
    who: str
    what: str
    kind: str  # "+" created, "~" changed, "-" deleted
    changes: list[tuple[str, str, str]]
    reason: str


def _related_labels(
    sources: list[tuple[type[models.Model], list[Any]]],
) -> dict[tuple[type[models.Model], str], dict[Any, str]]:
    """The names of the records the history points to (a login, a school, a photo), one
    query per linked model: (model, field name) → {pk: name}."""
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    links: list[tuple[type[models.Model], models.ForeignKey]] = []
    for model, records in sources:
        for field in _fields(model):
            if isinstance(field, models.ForeignKey):
                links.append((model, field))
                wanted[field.related_model].update(  # type: ignore[index]
                    getattr(r, field.attname) for r in records
                )
    names = {
        related: {
            obj.pk: related_label(obj)
            for obj in related._default_manager.filter(pk__in=ids - {None})
        }
        for related, ids in wanted.items()
    }
    return {(model, field.name): names[field.related_model] for model, field in links}  # type: ignore[index]


def _fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in IGNORED]


def _reason(stored: str) -> str:
    """Reasons are stored as codes ("request #12", "direct edit") and read in the reader's
    language."""
    if stored.startswith("request #"):
        return _("request no. %(number)s") % {"number": stored.removeprefix("request #")}
    if stored == "direct edit":
        return _("changed directly by staff")
    return stored


def family_history(family: Family, *, limit: int = 30) -> list[HistoryLine]:
    """The latest changes to the family, its guardians, quotients, bank details, children
    and their authorised persons; a fixed number of queries whatever the family's size."""
    child_ids = list(family.children.values_list("pk", flat=True))
    sources: list[tuple[type[models.Model], Any]] = [
        (Family, Family.history.filter(id=family.pk)),  # type: ignore[attr-defined]
        (Guardian, Guardian.history.filter(family_id=family.pk)),  # type: ignore[attr-defined]
        (FamilyQuotient, FamilyQuotient.history.filter(family_id=family.pk)),  # type: ignore[attr-defined]
        (BankAccount, BankAccount.history.filter(family_id=family.pk)),  # type: ignore[attr-defined]
        (Child, Child.history.filter(id__in=child_ids)),  # type: ignore[attr-defined]
        (ChildContact, ChildContact.history.filter(child_id__in=child_ids)),  # type: ignore[attr-defined]
    ]
    loaded = [
        (model, list(records.select_related("history_user").order_by("id", "history_date")))
        for model, records in sources
    ]
    related = _related_labels(loaded)
    lines: list[HistoryLine] = []
    for model, records in loaded:
        previous: dict[int, Any] = {}
        fields = _fields(model)
        for record in records:
            before = previous.get(record.id)
            changes = []
            for field in fields:
                new = getattr(record, field.attname)
                old = getattr(before, field.attname) if before is not None else None
                if record.history_type == "~" and old == new:
                    continue
                if record.history_type in "+~" and (before is not None or new not in (None, "")):
                    label = str(field.verbose_name)
                    names = related.get((model, field.name))
                    changes.append(
                        (
                            label[:1].upper() + label[1:],
                            display_value(field, old, related=names) if before is not None else "—",
                            display_value(field, new, related=names),
                        )
                    )
            previous[record.id] = record
            if record.history_type == "~" and not changes:
                continue
            user = record.history_user
            lines.append(
                HistoryLine(
                    when=record.history_date,
                    who=(user.get_full_name() or user.email) if user else "",
                    what=f"{str(model._meta.verbose_name).capitalize()} · {record.instance}",
                    kind=record.history_type,
                    changes=changes if record.history_type != "-" else [],
                    reason=_reason(record.history_change_reason or ""),
                )
            )
    lines.sort(key=lambda line: line.when, reverse=True)
    return lines[:limit]
