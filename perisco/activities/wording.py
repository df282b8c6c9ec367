"""Enrollments and units said in words, the same for families and staff: the typical week
("Lundi, mardi, jeudi : repas") and what each unit is (times, what it covers, what it
cannot go with, what it needs). Pure: names and times in, sentences out."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time

from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from perisco.activities.models import WEEKDAYS


def _in_sentence(label: str) -> str:
    """French writes weekdays and common nouns in lower case mid-sentence ("lundi",
    "repas"); a name in capitals ("ALSH") stays as it is."""
    if not (get_language() or "").startswith("fr") or label[1:2].isupper():
        return label
    return label[:1].lower() + label[1:]


def _join(items: list[str], *, alternatives: bool = False) -> str:
    """ "a", "a and b", "a, b and c" (or "a or b") in the language of the page."""
    if len(items) < 2:
        return "".join(items)
    parts = {"first": ", ".join(items[:-1]), "last": items[-1]}
    if alternatives:
        return _("%(first)s or %(last)s") % parts
    return _("%(first)s and %(last)s") % parts


def typical_week_text(
    typical_week: Mapping[int, Iterable[int]], unit_names: Mapping[int, str]
) -> str:
    """ "Lundi, mardi, jeudi : repas ; mercredi : journée" — days asking for the same units
    grouped, in the order of the week and of the units; "" for no typical week."""
    order = list(unit_names)
    groups: dict[tuple[int, ...], list[int]] = {}
    for day in sorted(typical_week):
        units = tuple(sorted((u for u in typical_week[day] if u in unit_names), key=order.index))
        if units:
            groups.setdefault(units, []).append(day)
    day_names = dict(WEEKDAYS)
    parts = [
        _("%(days)s: %(units)s")
        % {
            "days": ", ".join(_in_sentence(str(day_names[d])) for d in days),
            "units": _join([_in_sentence(unit_names[u]) for u in units]),
        }
        for units, days in groups.items()
    ]
    text = _("; ").join(parts)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class UnitFacts:
    """What the explanation of a unit needs (from `activities.models.Unit`)."""

    pk: int
    name: str
    start: time | None
    end: time | None
    exclusive_with: tuple[int, ...] = ()
    requires: tuple[int, ...] = ()


def _hour(moment: time) -> str:
    return f"{moment.hour} h" if not moment.minute else f"{moment.hour} h {moment.minute:02d}"


def unit_explanations(units: list[UnitFacts]) -> list[tuple[str, str]]:
    """(unit name, sentence) for each unit: its times, the other units whose times it
    covers (a "Journée" is the morning, meal and afternoon in one), those it cannot be
    booked with on the same day, those it needs the same day."""
    by_pk = {u.pk: u for u in units}
    result = []
    for unit in units:
        sentences = []
        if unit.start and unit.end:
            sentences.append(
                pgettext("hours", "from %(start)s to %(end)s")
                % {"start": _hour(unit.start), "end": _hour(unit.end)}
            )
            covered = [
                other.name
                for other in units
                if other.pk != unit.pk
                and other.start
                and other.end
                and unit.start <= other.start
                and other.end <= unit.end
            ]
            if len(covered) > 1:
                sentences.append(_("the times of %(units)s together") % {"units": _join(covered)})
        excluded = [by_pk[pk].name for pk in unit.exclusive_with if pk in by_pk]
        if excluded:
            sentences.append(
                _("not on the same day as %(units)s")
                % {"units": _join(excluded, alternatives=True)}
            )
        needed = [by_pk[pk].name for pk in unit.requires if pk in by_pk]
        if needed:
            sentences.append(_("only on a day with %(units)s too") % {"units": _join(needed)})
        if sentences:
            result.append((unit.name, _join_clauses(sentences)))
    return result


def _join_clauses(clauses: list[str]) -> str:
    text = ", ".join(clauses)
    return text[:1].upper() + text[1:] + "."


def unit_facts(units: Iterable) -> list[UnitFacts]:
    """`UnitFacts` of model units (their exclusivity and dependency prefetched)."""
    return [
        UnitFacts(
            pk=u.pk,
            name=u.name,
            start=u.start_time,
            end=u.end_time,
            exclusive_with=tuple(o.pk for o in u.exclusive_with.all()),
            requires=tuple(o.pk for o in u.requires.all()),
        )
        for u in units
    ]
