"""How a family's booking calendar reads: per cell a mark (an icon or letters, never a
colour alone), what the tick would do, and a sentence that is the cell's accessible name
("lundi 30 novembre, Repas : réservé – modifiable jusqu'au mercredi 25 novembre à 9 h")."""

import functools
from dataclasses import dataclass

from django import template
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from perisco.activities.rules import Reason
from perisco.activities.templatetags.activities import (
    HATCHED,
    PENDING_MARK,
    calendar_cell,
    long_day,
    verdict_mark,
    when,
)
from perisco.bookings.selectors import OTHER_HOUSEHOLD, BookingCell, BookingMonth
from perisco.bookings.states import Outcome, State
from perisco.core.templatetags.perisco import icon

register = template.Library()

STATE_ICONS = {
    State.CONFIRMED: "check",
    State.REQUESTED: "clock",
    State.WAITING: "list-ordered",
    State.CANCEL_REQUESTED: "undo-2",
    State.REFUSED: "x",
    State.CANCELLED: "ban",
    Outcome.PRESENT: "user-check",
    Outcome.PRESENT_UNBOOKED: "user-check",
    Outcome.ABSENT_EXCUSED: "user-minus",
    Outcome.ABSENT_BILLED: "user-x",
    OTHER_HOUSEHOLD: "users",
}
# Distinct cells kept with a catalogue (a few months of a town's units: ~10 MB at most).
DRAWN_CELLS = 20_000
# Marks of a ticked or unticked cell before "Save" (CSS shows the one that applies).
TO_BOOK, TO_CANCEL = "plus", "minus"


def _state_words() -> dict[str, str]:
    return _words(get_language())


@functools.lru_cache(maxsize=16)
def _words(language: str) -> dict[str, str]:
    return {
        State.CONFIRMED: pgettext("cell", "booked"),
        State.REQUESTED: _("requested, awaiting the childhood service"),
        State.WAITING: _("on the waiting list"),
        State.CANCEL_REQUESTED: _("cancellation requested, awaiting the childhood service"),
        State.REFUSED: pgettext("cell", "refused"),
        State.CANCELLED: pgettext("cell", "cancelled"),
        Outcome.PRESENT: pgettext("cell", "present"),
        Outcome.PRESENT_UNBOOKED: _("present without booking"),
        Outcome.ABSENT_EXCUSED: _("absent, excused (not billed)"),
        Outcome.ABSENT_BILLED: _("absent, billed"),
        OTHER_HOUSEHOLD: _("booked by the other household (only they can change it)"),
    }


@dataclass(frozen=True)
class CellView:
    mark: str  # as drawn now
    toggled: str  # after a tick (editable cells): to be booked, or to be cancelled
    state: str  # CSS modifier
    text: str  # the accessible name


def _mark(cell: BookingCell) -> str:
    if cell.state in STATE_ICONS:
        return icon(STATE_ICONS[cell.state])
    return verdict_mark(cell.verdict)


@functools.lru_cache(maxsize=16)
def _phrases(language: str) -> dict[str, str]:
    return {
        "place": _("%(day)s, %(unit)s"),
        "sentence": _("%(place)s: %(state)s"),
        "free": _("not booked"),
        "full": _("full: ticking puts the child on the waiting list"),
        "absence": _("it could be cancelled until %(when)s: declare an absence instead"),
    }


@register.simple_tag
def booking_cell(row, cell: BookingCell, holidays=None) -> CellView:
    language = get_language()
    words, phrases = _words(language), _phrases(language)
    place = phrases["place"] % {"day": _long_day(cell.day, language), "unit": row.unit.name}
    if cell.booking is None or cell.state not in words:
        # No booking: the engine's sentence (closed and why, past deadline, full…).
        if cell.verdict.allowed:
            state = phrases["free"]
        elif cell.verdict.reason == Reason.FULL:
            state = phrases["full"]
        else:
            closed = calendar_cell(row, cell.day, cell.verdict, holidays)
            text = phrases["sentence"] % {
                "place": place,
                "state": closed.text[:1].lower() + closed.text[1:],
            }
            return CellView(closed.mark, "", closed.state, text)
    else:
        state = words[cell.state]
        if cell.state == State.REFUSED and cell.booking.refusal_reason:
            state += " (" + cell.booking.refusal_reason + ")"
        past = cell.verdict.reason == Reason.PAST_DEADLINE and cell.deadline
        if cell.checked and not cell.editable and cell.state == State.CONFIRMED and past:
            state += " – " + phrases["absence"] % {"when": when(cell.deadline)}
    text = phrases["sentence"] % {"place": place, "state": state}
    if cell.editable and cell.deadline:
        text += " – " + _until(cell.deadline, language)
    toggled = icon(TO_CANCEL if cell.checked else TO_BOOK) if cell.editable else ""
    css = cell.state if cell.state in words else cell.verdict.reason
    return CellView(_mark(cell), toggled, str(css), text)


# The same days and deadlines come back in every row: their words are made once.
@functools.lru_cache(maxsize=4096)
def _long_day(day, language: str) -> str:
    return long_day(day)


@functools.lru_cache(maxsize=4096)
def _until(deadline, language: str) -> str:
    return _("can be changed until %(when)s") % {"when": when(deadline)}


def _td(row, cell: BookingCell, child_pk: int, month: BookingMonth, language: str) -> str:
    """The whole <td> of a cell: a checkbox covering it when it can change. A page has
    ~750 cells but few distinct ones (brothers and sisters enrolled alike, the same days
    for every family of a school): each distinct cell's words and HTML are made once while
    the catalogue is current (`month.drawn` lives with it), and an editable cell only adds
    its checkbox's value. The key holds everything the words depend on beyond the
    catalogue (unit names, closure labels)."""
    booking = cell.booking
    day = cell.day
    key = (
        language,
        month.month.holidays.public.get(day),
        cell.unit_id,
        row.pending,
        day,
        cell.verdict,
        cell.state,
        cell.editable,
        cell.checked,
        cell.deadline,
        booking.refusal_reason if booking is not None else "",
    )
    html: tuple[str, str] | None = month.drawn.get(key)
    if html is None:
        view = booking_cell(row, cell, month.month.holidays)
        text = escape(view.text)
        if not cell.editable:
            html = (
                f'<td class="cell cell--{escape(view.state)}" title="{text}">'
                f'<span aria-hidden="true">{view.mark}</span>'
                f'<span class="visually-hidden">{text}</span></td>',
                "",
            )
        else:  # the checkbox's value goes between the two halves
            html = (
                f'<td class="cell cell--{escape(view.state)} cell--edit '
                f'cell--{"on" if cell.checked else "off"}"><label class="cell-tap" '
                f'title="{text}"><input type="checkbox" class="cell-check" name="c" value="',
                f'"{" checked" if cell.checked else ""}>'
                f'<span class="cell-now" aria-hidden="true">{view.mark}</span>'
                f'<span class="cell-toggled" aria-hidden="true">{view.toggled}</span>'
                f'<span class="visually-hidden">{text}</span></label></td>',
            )
        if len(month.drawn) > DRAWN_CELLS:
            month.drawn.clear()
        month.drawn[key] = html
    if cell.editable:
        return f"{html[0]}{child_pk}:{cell.value}{html[1]}"
    return html[0]


@register.simple_tag
def booking_td(row, cell: BookingCell, child, month: BookingMonth) -> str:
    """One cell (the week view, a row per day)."""
    return mark_safe(_td(row, cell, child.pk, month, get_language()))  # noqa: S308 (escaped in _td)


@register.simple_tag
def booking_tds(booking_row, child, month: BookingMonth) -> str:
    """A unit's cells of the month, in one tag (a template loop per cell costs more than
    the cell)."""
    row = booking_row.row
    child_pk, language = child.pk, get_language()
    cells = (_td(row, cell, child_pk, month, language) for cell in booking_row.cells)
    return mark_safe("".join(cells))  # noqa: S308 (escaped in _td)


@register.simple_tag
def calendar_head(month: BookingMonth) -> str:
    """The days' header cells of a month, made once for all the children."""
    key = ("head", get_language(), month.days[0], month.days[-1])
    html = month.drawn.get(key)
    if html is None:
        html = month.drawn[key] = "".join(
            f'<th scope="col" class="calendar__day'
            f'{" calendar__weekend" if day.weekday() > 4 else ""}">'
            f'<abbr title="{escape(_long_day(day, get_language()))}">'
            f"{escape(formats.date_format(day, 'D')[:2])}<br>{day.day}</abbr></th>"
            for day in month.days
        )
    return mark_safe(html)  # noqa: S308 (escaped above)


@dataclass(frozen=True)
class LegendEntry:
    mark: str
    state: str
    text: str


@register.simple_tag
def booking_legend(month: BookingMonth) -> list[LegendEntry]:
    """Every mark the page may draw, with its word: the booking states and outcomes of
    SPEC §5, what a tick does, then the engine's reasons the month's cells use."""
    words = _state_words()
    entries = [
        LegendEntry(icon(STATE_ICONS[state]), str(state), words[state])
        for state in STATE_ICONS
        if state != Outcome.PRESENT_UNBOOKED
    ]
    entries += [
        LegendEntry(icon(TO_BOOK), "to_book", _("ticked: booked when you save")),
        LegendEntry(icon(TO_CANCEL), "to_cancel", _("unticked: cancelled when you save")),
    ]
    seen = set()
    for child in month.children:
        for row in child.rows:
            for cell in row.cells:
                reason = cell.verdict.reason
                if row.row.pending and reason == Reason.NOT_ENROLLED:
                    if "pending" not in seen:
                        seen.add("pending")
                        entries.append(
                            LegendEntry(
                                PENDING_MARK, "pending", _("enrollment awaiting validation")
                            )
                        )
                    continue
                if cell.state in STATE_ICONS or reason in seen:
                    continue
                seen.add(reason)
                mark = verdict_mark(cell.verdict)
                if reason in HATCHED:
                    text = _("not an opening day of the activity")
                elif cell.verdict.allowed:
                    text = _("open: can be booked (until the time shown)")
                elif reason == Reason.BEYOND_HORIZON:
                    text = _("booking not open yet")
                else:
                    text = calendar_cell(row.row, cell.day, cell.verdict).text
                    if reason == Reason.CLOSED:
                        text = _("Closed")
                entries.append(LegendEntry(mark, str(reason), text))
    for reason, letters, word in (
        (Reason.CLOSED, "F", _("Closed")),
        (Reason.PUBLIC_HOLIDAY, "JF", _("Public holiday")),
        (Reason.SCHOOL_HOLIDAYS, "V", _("School holidays")),
        (Reason.PAST_DEADLINE, icon("hourglass"), _("Past the deadline")),
    ):
        if reason not in seen:
            entries.append(LegendEntry(letters, str(reason), word))
    return [LegendEntry(e.mark, e.state, e.text[:1].upper() + e.text[1:]) for e in entries]


@register.filter
def weekday_name(weekday: int) -> str:
    """0 -> "Monday" ("lundi")."""
    from django.utils.dates import WEEKDAYS

    return str(WEEKDAYS[weekday])
