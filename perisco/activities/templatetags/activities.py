"""How the engine's verdicts read on a calendar: a short mark and a full sentence (the
state is never shown by colour alone)."""

import functools
from dataclasses import dataclass

from django import template
from django.utils import formats
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from perisco.activities.rules import END_OF_DAY, PARIS, Reason, Verdict
from perisco.activities.wording import typical_week_text
from perisco.core.templatetags.perisco import icon

register = template.Library()

# A state reads as an icon of the set (never a glyph that depends on the system's fonts) or
# as letters; the cell's sentence is its accessible name.
ICONS = {
    Reason.OK: "circle",
    Reason.OPEN_BY_STAFF: "circle",
    Reason.ALREADY_BOOKED: "check",
    Reason.PAST_DEADLINE: "hourglass",
    Reason.BEYOND_HORIZON: "ellipsis",
    Reason.EXCLUSIVE: "equal-not",
    Reason.ON_REQUEST: "dices",
}
LETTERS = {
    Reason.CLOSED: "F",
    Reason.PUBLIC_HOLIDAY: "JF",
    Reason.SCHOOL_HOLIDAYS: "V",
    Reason.NOT_ENROLLED: "–",
    Reason.MISSING_DEPENDENCY: "+",
    Reason.FULL: "C",
}


@register.filter
def long_day(day) -> str:
    """ "mercredi 25 novembre", "lundi 1er février" (French writes weekdays in lower case
    mid-sentence, and the first of the month as an ordinal)."""
    if not get_language().startswith("fr"):
        return formats.date_format(day, "l j F")
    text = formats.date_format(day, "l j F")
    return text[:1].lower() + text[1:] if day.day != 1 else text[:1].lower() + _first(text[1:])


@register.filter
def day_month(day) -> str:
    """ "7 décembre", "1er février": a day of a month without its weekday."""
    text = formats.date_format(day, "j F")
    return _first(text) if day.day == 1 and get_language().startswith("fr") else text


def _first(text: str) -> str:
    return text.replace(" 1 ", " 1er ", 1) if not text.startswith("1 ") else "1er " + text[2:]


@register.filter(name="when")
def when(moment) -> str:
    """ "mercredi 25 novembre à 9 h", or "jeudi 26 novembre inclus" for a whole day."""
    local = moment.astimezone(PARIS)
    day = long_day(local)
    if local.time() == END_OF_DAY:
        return _("%(day)s included") % {"day": day}
    hour = f"{local.hour} h" if local.minute == 0 else f"{local.hour} h {local.minute:02d}"
    return _("%(day)s at %(hour)s") % {"day": day, "hour": hour}


@register.filter
def verdict_mark(verdict: Verdict) -> str:
    return reason_mark(verdict.reason)


@register.filter
def reason_mark(reason) -> str:
    if reason in ICONS:
        return icon(ICONS[reason])
    return LETTERS.get(reason, "")


@register.filter
def verdict_state(verdict: Verdict) -> str:
    return str(verdict.reason)


def _reason_texts() -> dict:
    return _reason_texts_in(get_language())


@functools.lru_cache(maxsize=16)
def _reason_texts_in(language: str) -> dict:
    return {
        Reason.CLOSED: _("Closed"),
        Reason.NOT_AN_OPENING_DAY: _("Not an opening day"),
        Reason.OUTSIDE_PERIOD: _("Outside the period"),
        Reason.PUBLIC_HOLIDAY: _("Public holiday"),
        Reason.SCHOOL_HOLIDAYS: _("School holidays"),
        Reason.OUTSIDE_HOLIDAYS: _("Open only in the school holidays"),
        Reason.NOT_ENROLLED: _("Not enrolled"),
        Reason.ALREADY_BOOKED: _("Booked"),
        Reason.PAST_DEADLINE: _("Past the deadline"),
        Reason.FULL: _("Full: waiting list"),
        Reason.EXCLUSIVE: _("Cannot be combined with another unit that day"),
        Reason.MISSING_DEPENDENCY: _("Only with another unit that day"),
        Reason.ON_REQUEST: _("Places given by a draw: ask for the day in “Holiday requests”"),
    }


@register.filter
def reason_text(reason) -> str:
    return str(_reason_texts().get(reason, reason))


@register.filter
def verdict_text(verdict: Verdict, note: str = "") -> str:
    """The cell's full sentence; `note` says why a closed day is closed (the closure's
    label: "Closed: teachers' training day")."""
    reason = verdict.reason
    if note and reason in (Reason.CLOSED, Reason.PUBLIC_HOLIDAY):
        return _("%(state)s: %(why)s") % {"state": reason_text(reason), "why": note}
    if verdict.allowed:
        return _("Open – can be booked until %(when)s") % {"when": when(verdict.deadline)}
    if reason == Reason.BEYOND_HORIZON and verdict.opens_at:
        return _("Booking opens on %(when)s") % {
            "when": long_day(verdict.opens_at.astimezone(PARIS))
        }
    text = reason_text(reason)
    if reason == Reason.PAST_DEADLINE and verdict.deadline:
        text += " " + _("(it was %(when)s)") % {"when": when(verdict.deadline)}
    return text


@register.filter
def typical_week_words(enrollment) -> str:
    """ "Lundi, mardi, jeudi : repas" (its activity's units prefetched in lists)."""
    names = {unit.pk: unit.name for unit in enrollment.activity.units.all()}
    return typical_week_text(enrollment.typical_units(), names)


@register.filter
def child_age(child, day) -> str:
    age = child.age_on(day)
    return ngettext("%(age)d year old", "%(age)d years old", age) % {"age": age}


PENDING_MARK = "?"
# Reasons that leave the cell blank on a hatched background: the activity does not open.
HATCHED = frozenset({Reason.NOT_AN_OPENING_DAY, Reason.OUTSIDE_PERIOD, Reason.OUTSIDE_HOLIDAYS})


@dataclass(frozen=True)
class Cell:
    mark: str
    state: str  # CSS modifier
    text: str  # full sentence: tooltip and accessible name


def _cell(row, day, verdict: Verdict, holidays=None) -> Cell:
    if row.pending and verdict.reason == Reason.NOT_ENROLLED:
        # Seed 003's question mark: asked, not yet validated.
        return Cell(
            PENDING_MARK,
            "pending",
            _("Enrollment awaiting validation by the childhood service"),
        )
    # Why that day is closed: the closure's label, or the public holiday's name.
    note = row.notes.get(day, "") if verdict.reason == Reason.CLOSED else ""
    if verdict.reason == Reason.MISSING_DEPENDENCY and verdict.other_unit is not None:
        other = next((u for u in row.activity.units.all() if u.pk == verdict.other_unit), None)
        if other is not None:
            text = _("Open – can be booked only with “%(unit)s” the same day, until %(when)s")
            when_ = when(verdict.deadline) if verdict.deadline else ""
            return Cell(
                verdict_mark(verdict),
                verdict_state(verdict),
                text % {"unit": other.name, "when": when_},
            )
    if verdict.reason == Reason.PUBLIC_HOLIDAY and holidays is not None:
        note = holidays.public.get(day, "")
    return Cell(verdict_mark(verdict), verdict_state(verdict), verdict_text(verdict, note))


@register.simple_tag
def calendar_cell(row, day, verdict: Verdict, holidays=None) -> Cell:
    """What a family's calendar shows for one unit on one day."""
    return _cell(row, day, verdict, holidays)


@register.simple_tag
def calendar_legend(month) -> list[Cell]:
    """One entry per mark this month's cells use (the hatched background included), in
    the order of the engine's reasons, so every mark on the page is explained."""
    order = list(Reason)
    used: dict[str, tuple[int, Cell]] = {}
    for child_month in month.children:
        for row in child_month.rows:
            for day, verdict in row.cells:
                cell = _cell(row, day, verdict)
                key = "hatched" if verdict.reason in HATCHED and not cell.mark else cell.mark
                if key and key not in used:
                    rank = order.index(verdict.reason) if cell.mark != PENDING_MARK else 1
                    text = _legend_text(cell, verdict)
                    used[key] = (rank, Cell(cell.mark, cell.state, text[:1].upper() + text[1:]))
    return [cell for _rank, cell in sorted(used.values(), key=lambda item: item[0])]


def _legend_text(cell: Cell, verdict: Verdict) -> str:
    if cell.mark == PENDING_MARK:
        return _("enrollment awaiting validation")
    if verdict.reason in HATCHED:
        return _("not an opening day of the activity")
    if verdict.allowed:
        return _("open: can be booked (until the time shown)")
    if verdict.reason == Reason.BEYOND_HORIZON:
        return _("booking not open yet")
    if verdict.reason == Reason.MISSING_DEPENDENCY:
        return _("open, but only with another unit the same day (named in the cell)")
    return reason_text(verdict.reason)
