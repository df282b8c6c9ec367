"""What a family reads about each day of an action: what happened, and what to do next."""

from collections import Counter
from collections.abc import Iterable

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from perisco.activities.rules import Reason
from perisco.activities.templatetags.activities import long_day, when
from perisco.bookings.services import DayOutcome, DecisionReport, Refusal, Result
from perisco.bookings.states import State


def _ordinal(n: int) -> str:
    if (get_language() or "").startswith("fr"):
        return "1er" if n == 1 else f"{n}e"
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def outcome_sentence(outcome: DayOutcome) -> str:
    result, reason = outcome.result, outcome.reason
    if result == Result.BOOKED:
        return _("Booked.")
    if result == Result.REQUESTED:
        return _("Requested: the childhood service will confirm it.")
    if result == Result.WAITING:
        return _(
            "Full: on the waiting list (%(position)s). We will write to you if a place frees up."
        ) % {"position": _ordinal(outcome.position or 1)}
    if result == Result.CANCELLED:
        return _("Cancelled.")
    if result == Result.CANCEL_REQUESTED:
        return _("Cancellation requested: the childhood service will confirm it.")
    if result == Result.LEFT_WAITING_LIST:
        return _("Taken off the waiting list.")
    if result == Result.WITHDRAWN:
        return _("Request withdrawn.")
    return _refusal_sentence(outcome, reason)


def _refusal_sentence(outcome: DayOutcome, reason: str) -> str:
    cancelling = outcome.change.op == "cancel"
    if reason == Reason.PAST_DEADLINE:
        text = _("Too late: it could be changed until %(when)s.") % {"when": when(outcome.deadline)}
        if cancelling:
            text += " " + _("Declare an absence instead.")
        return text
    if reason == Reason.BEYOND_HORIZON and outcome.opens_at:
        return _("Not open yet: booking opens on %(day)s.") % {"day": long_day(outcome.opens_at)}
    if reason == Reason.EXCLUSIVE:
        return _("Not possible with “%(other)s” the same day.") % {"other": outcome.other_unit_name}
    if reason == Reason.MISSING_DEPENDENCY:
        return _("Only on days with “%(other)s”: book it too.") % {"other": outcome.other_unit_name}
    if reason == Refusal.REQUIRED_BY:
        return _("“%(other)s” that day needs it: cancel both together.") % {
            "other": outcome.other_unit_name
        }
    if reason == Refusal.BLOCKED:
        return outcome.message
    texts: dict[str, str] = {
        Reason.CLOSED: _("Closed that day."),
        Reason.NOT_AN_OPENING_DAY: _("Not an opening day."),
        Reason.OUTSIDE_PERIOD: _("Not an opening day."),
        Reason.PUBLIC_HOLIDAY: _("Public holiday."),
        Reason.SCHOOL_HOLIDAYS: _("School holidays."),
        Reason.OUTSIDE_HOLIDAYS: _("Open only in the school holidays."),
        Reason.NOT_ENROLLED: _("No validated enrollment in this activity for that day."),
        Reason.ALREADY_BOOKED: _("Already booked."),
        Reason.ON_REQUEST: _(
            "This day's places are given by a draw: ask for it in “Holiday requests” while "
            "requests are open."
        ),
        Reason.NOT_BOOKED: _("Nothing booked to cancel."),
        Refusal.DUPLICATE: _("Asked twice in the same action: counted once."),
        Refusal.OTHER_HOUSEHOLD: _("Booked by the other household: only they can change it."),
        Refusal.ALREADY_WAITING: _("Already on the waiting list."),
        Refusal.CANCEL_ALREADY_REQUESTED: _("Cancellation already requested."),
        Refusal.ATTENDANCE_RECORDED: _("Attendance is already recorded for that day."),
    }
    return str(texts.get(reason, _("Not possible.")))


def decision_summary(report: DecisionReport, *, accept: bool) -> str:
    """What staff read after deciding: "3 bookings confirmed, 1 already decided by someone
    else"."""
    after = Counter(b.state for b in report.decided)
    parts = []
    if accept:
        if n := after[State.CONFIRMED]:
            parts.append(ngettext("%(n)d booking confirmed", "%(n)d bookings confirmed", n))
        if m := after[State.CANCELLED]:
            parts.append(ngettext("%(m)d cancellation accepted", "%(m)d cancellations accepted", m))
    else:
        if n := after[State.REFUSED]:
            parts.append(ngettext("%(n)d booking refused", "%(n)d bookings refused", n))
        if m := after[State.CONFIRMED]:
            parts.append(
                ngettext(
                    "%(m)d cancellation refused (the booking stands)",
                    "%(m)d cancellations refused (the bookings stand)",
                    m,
                )
            )
    if s := report.skipped:
        parts.append(
            ngettext("%(s)d already decided by someone else", "%(s)d already decided by others", s)
        )
    if not parts:
        return _("Nothing was decided.")
    values = {"n": after[State.REFUSED if not accept else State.CONFIRMED], "s": report.skipped}
    values["m"] = after[State.CANCELLED if accept else State.CONFIRMED]
    return ", ".join(p % values for p in parts) + "."


def results_summary(results: Iterable[str]) -> str:
    """ "3 days booked, 1 refused": what an action did, from its outcomes' results (a
    report just made, or one kept in `BookingAction.report`)."""
    counts = Counter(str(r) for r in results)
    cancelled = counts[Result.CANCELLED] + counts[Result.WITHDRAWN]
    parts = [
        (
            counts[Result.BOOKED],
            ngettext("%(n)s day booked", "%(n)s days booked", counts[Result.BOOKED]),
        ),
        (
            counts[Result.REQUESTED],
            ngettext(
                "%(n)s day requested from the service",
                "%(n)s days requested from the service",
                counts[Result.REQUESTED],
            ),
        ),
        (
            counts[Result.WAITING],
            ngettext(
                "%(n)s on the waiting list", "%(n)s on the waiting list", counts[Result.WAITING]
            ),
        ),
        (cancelled, ngettext("%(n)s day cancelled", "%(n)s days cancelled", cancelled)),
        (
            counts[Result.CANCEL_REQUESTED],
            ngettext(
                "%(n)s cancellation requested",
                "%(n)s cancellations requested",
                counts[Result.CANCEL_REQUESTED],
            ),
        ),
        (
            counts[Result.LEFT_WAITING_LIST],
            ngettext(
                "%(n)s waiting list left",
                "%(n)s waiting lists left",
                counts[Result.LEFT_WAITING_LIST],
            ),
        ),
        (
            counts[Result.REFUSED],
            ngettext("%(n)s refused", "%(n)s refused", counts[Result.REFUSED]),
        ),
    ]
    text = ", ".join(words % {"n": n} for n, words in parts if n)
    return text[:1].upper() + text[1:] if text else _("Nothing changed.")


def typical_week_summary(report) -> str:
    """For staff after an enrollment: what its typical week booked."""
    if report is None:
        return ""
    done, refused = len(report.done), len(report.refused)
    text = ngettext(
        "%(count)s day booked from the typical week.",
        "%(count)s days booked from the typical week.",
        done,
    ) % {"count": done}
    if refused:
        text += " " + ngettext(
            "%(count)s could not be (deadline passed, full or closed): see the family's bookings.",
            "%(count)s could not be (deadline passed, full or closed): see the family's bookings.",
            refused,
        ) % {"count": refused}
    return text


def typical_week_total(booked: int) -> str:
    """For staff after a whole-class enrollment."""
    return ngettext(
        "%(count)s day booked from the typical week in all.",
        "%(count)s days booked from the typical week in all.",
        booked,
    ) % {"count": booked}


def cancellation_summary(report) -> str:
    """What a cancellation of days did, and whether the families were really told."""
    text = ngettext(
        "%(n)s booking cancelled",
        "%(n)s bookings cancelled",
        report.cancelled,
    ) % {"n": report.cancelled}
    told = ngettext(
        "%(n)s e-mail queued for the families.",
        "%(n)s e-mails queued for the families.",
        report.emailed,
    ) % {"n": report.emailed}
    if not report.emailed:
        told = _("No family could be e-mailed (no guardian with a login that accepts e-mails).")
    if not report.cancelled:
        return _("The days are closed; no booking was on them.")
    return _("%(done)s; %(told)s") % {"done": text, "told": told}
