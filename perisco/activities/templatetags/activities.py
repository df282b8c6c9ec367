"""How the engine's verdicts read on a calendar: a short mark and a full sentence (the
state is never shown by colour alone)."""

from django import template
from django.utils import formats
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from perisco.activities.rules import END_OF_DAY, PARIS, Reason, Verdict

register = template.Library()

MARKS = {
    Reason.OK: "○",
    Reason.OPEN_BY_STAFF: "○",
    Reason.CLOSED: "F",
    Reason.NOT_AN_OPENING_DAY: "",
    Reason.OUTSIDE_PERIOD: "",
    Reason.PUBLIC_HOLIDAY: "JF",
    Reason.SCHOOL_HOLIDAYS: "V",
    Reason.OUTSIDE_HOLIDAYS: "",
    Reason.NOT_ENROLLED: "–",
    Reason.ALREADY_BOOKED: "✓",
    Reason.NOT_BOOKED: "",
    Reason.PAST_DEADLINE: "⌛",
    Reason.BEYOND_HORIZON: "…",
    Reason.EXCLUSIVE: "≠",
    Reason.MISSING_DEPENDENCY: "+",
    Reason.FULL: "C",
}


@register.filter
def long_day(day) -> str:
    """ "mercredi 25 novembre" (French writes weekdays in lower case mid-sentence)."""
    text = formats.date_format(day, "l j F")
    return text[:1].lower() + text[1:] if get_language().startswith("fr") else text


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
    return MARKS.get(verdict.reason, "")


@register.filter
def reason_mark(reason) -> str:
    return MARKS.get(reason, "")


@register.filter
def verdict_state(verdict: Verdict) -> str:
    return str(verdict.reason)


def _reason_texts():
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
    }


@register.filter
def reason_text(reason) -> str:
    return str(_reason_texts().get(reason, reason))


@register.filter
def verdict_text(verdict: Verdict) -> str:
    reason = verdict.reason
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
def child_age(child, day) -> str:
    age = child.age_on(day)
    return ngettext("%(age)d year old", "%(age)d years old", age) % {"age": age}
