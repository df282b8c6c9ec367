"""Writes on bookings: one action books and cancels many days at once, asking the rule
engine about each with the real places taken and units held.

Locking, so capacity holds and nothing deadlocks (PostgreSQL; SQLite serialises writers):
1. every write to a child's bookings first locks the child's row (children in id order);
2. every write that takes or frees a place then locks the place counters of the days it
   touches, in (unit, day, group) order, and counts from them.
Two families booking overlapping days in opposite orders therefore queue on the same
counters in the same order: one waits, neither deadlocks. A freed place goes to the
waiting list in a transaction of its own after commit (`waiting_list_promote`), which
takes the locks in the same order.

`bookings_apply` takes rule 2 as late as it can: it decides on the counters as read,
writes the bookings, then locks the counters only to check its decisions still hold
(`_recheck`) and to count; if a day filled or freed meanwhile, it rolls back to a
savepoint and decides again with the counters locked first. At an opening, when every
family books the same days, the lock is held for a few queries instead of a whole action.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import partial
from typing import Any

from django.db import models, transaction
from django.db.models import Count, F
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from perisco.accounts.models import User
from perisco.accounts.permissions import Permission, has_permission
from perisco.activities.calendars import holidays_for
from perisco.activities.models import (
    AgeGroupCapacity,
    CapacityOverride,
    Confirmation,
    Enrollment,
    EnrollmentStatus,
    Period,
    Unit,
)
from perisco.activities.rules import (
    ChildContext,
    Reason,
    can_book,
    can_cancel,
    deadline_for,
    opening,
    places,
)
from perisco.activities.selectors import (
    Catalogue,
    catalogue_for,
    days_between,
    typical_week_preview,
)
from perisco.activities.services import (
    BulkEnrollmentReport,
    catalogue_delete,
    catalogue_save,
    enrollment_notify,
    enrollment_request,
    enrollment_validate,
    enrollments_bulk,
)
from perisco.activities.templatetags.activities import long_day
from perisco.bookings.models import (
    Absence,
    AbsenceReason,
    Booking,
    BookingAction,
    BookingChange,
    PlaceCounter,
)
from perisco.bookings.states import (
    HOLDING,
    LIVE,
    Outcome,
    State,
    check_outcome,
    check_transition,
)
from perisco.core.audit import audit_log
from perisco.core.bulk import insert_rows
from perisco.core.errors import DomainError
from perisco.core.scoping import organisation_scope
from perisco.families.models import Child, Document, Family, Guardian, school_year_of
from perisco.families.services import (
    family_booking_block,
    family_email,
    family_email_recipients,
    family_email_to,
    family_sms,
)
from perisco.messaging.services import emails_are_suppressed

logger = logging.getLogger(__name__)

# One action may change at most this many child × unit × day (a school year of a few
# units for a few children fits; a forged body of 100,000 does not).
MAX_CHANGES = 1000


class Op(StrEnum):
    BOOK = "book"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Change:
    child_id: int
    unit_id: int
    day: date
    op: Op = Op.BOOK


class Result(StrEnum):
    """What became of one asked change."""

    BOOKED = "booked"
    REQUESTED = "requested"  # awaiting the service (manual confirmation)
    WAITING = "waiting"  # full: on the waiting list
    CANCELLED = "cancelled"
    CANCEL_REQUESTED = "cancel_requested"
    LEFT_WAITING_LIST = "left_waiting_list"
    WITHDRAWN = "withdrawn"  # a request the service had not decided
    REFUSED = "refused"  # nothing changed; `reason` says why


class Refusal(StrEnum):
    """Reasons of the booking layer, on top of the engine's `Reason`."""

    DUPLICATE = "duplicate"  # the same child, unit and day twice in one action
    OTHER_HOUSEHOLD = "other_household"  # garde alternée: the other household's day
    BLOCKED = "blocked"  # family not validated, or file not certified for the year
    ALREADY_WAITING = "already_waiting"
    CANCEL_ALREADY_REQUESTED = "cancel_already_requested"
    REQUIRED_BY = "required_by"  # another unit held that day needs this one
    ATTENDANCE_RECORDED = "attendance_recorded"


DONE = frozenset(Result) - {Result.REFUSED}


@dataclass(slots=True)
class DayOutcome:
    change: Change
    result: Result
    reason: str = ""
    deadline: datetime | None = None
    opens_at: datetime | None = None
    position: int | None = None  # on the waiting list
    other_unit: int | None = None  # exclusivity, dependency
    message: str = ""  # a sentence from another rule (blocked family)
    # For people: filled in once the action is decided.
    child_name: str = ""
    unit_name: str = ""
    other_unit_name: str = ""

    @property
    def sentence(self) -> str:
        from perisco.bookings.texts import outcome_sentence

        return outcome_sentence(self)

    @property
    def done(self) -> bool:
        return self.result in DONE


@dataclass
class ActionReport:
    outcomes: list[DayOutcome]
    action: BookingAction | None = None

    @property
    def done(self) -> list[DayOutcome]:
        return [o for o in self.outcomes if o.done]

    @property
    def refused(self) -> list[DayOutcome]:
        return [o for o in self.outcomes if not o.done]

    def as_json(self) -> dict:
        """Everything the report's sentences need: the action's e-mail is drawn from it,
        later, by a task."""
        return {
            "outcomes": [
                {
                    "child": o.change.child_id,
                    "unit": o.change.unit_id,
                    "day": o.change.day.isoformat(),
                    "op": str(o.change.op),
                    "result": str(o.result),
                    "reason": o.reason,
                    "position": o.position,
                    "deadline": o.deadline.isoformat() if o.deadline else None,
                    "opens_at": o.opens_at.isoformat() if o.opens_at else None,
                    "other_unit": o.other_unit,
                    "message": o.message,
                    "child_name": o.child_name,
                    "unit_name": o.unit_name,
                    "other_unit_name": o.other_unit_name,
                }
                for o in self.outcomes
            ]
        }

    @classmethod
    def from_json(cls, data: dict) -> "ActionReport":
        def moment(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            [
                DayOutcome(
                    Change(o["child"], o["unit"], date.fromisoformat(o["day"]), Op(o["op"])),
                    Result(o["result"]),
                    o["reason"],
                    deadline=moment(o.get("deadline")),
                    opens_at=moment(o.get("opens_at")),
                    position=o["position"],
                    other_unit=o.get("other_unit"),
                    message=o.get("message", ""),
                    child_name=o.get("child_name", ""),
                    unit_name=o.get("unit_name", ""),
                    other_unit_name=o.get("other_unit_name", ""),
                )
                for o in data.get("outcomes", [])
            ]
        )


class UnknownTarget(DomainError):
    """A child of another family or a unit of another organisation: the face answers 404."""


def changes_over(
    *,
    child_id: int,
    unit_id: int,
    start: date,
    end: date,
    weekdays: Iterable[int],
    op: Op = Op.BOOK,
) -> list[Change]:
    """Every day from `start` to `end` (included) on the given weekdays (0 = Monday) as
    changes of one action; the engine then says, day by day, what it makes of them."""
    wanted = set(weekdays)
    return [
        Change(child_id, unit_id, day, op)
        for day in days_between(start, end)
        if day.weekday() in wanted
    ]


@dataclass
class _Working:
    """What one action knows, kept up to date as it goes."""

    family: Family
    catalogue: Catalogue
    children: dict[int, Child]
    contexts: dict[int, ChildContext]
    live: dict[tuple[int, int, date], Booking]
    counters: dict[tuple[int, date, int], PlaceCounter]
    waiting: Counter = field(default_factory=Counter)  # joined the list, per counter key
    left: Counter = field(default_factory=Counter)  # left it
    created: list[Booking] = field(default_factory=list)
    updated: dict[int, Booking] = field(default_factory=dict)
    history: list[tuple[Booking, str, str, str]] = field(default_factory=list)
    freed: set[tuple[int, date, int]] = field(default_factory=set)
    # The places were decided by staff already (a published draw): no request to confirm.
    decided: bool = False

    def held(self, child_id: int, day: date) -> set[int]:
        units = self.contexts[child_id].units_by_day
        return units.setdefault(day, set())  # type: ignore[attr-defined, return-value]

    def __post_init__(self) -> None:
        # The engine's view of the places taken, kept in step with the locked counters.
        self.counts = {(u, d, g or None): c.taken for (u, d, g), c in self.counters.items()}

    def take(self, key: tuple[int, date, int], places: int) -> None:
        counter = self.counters[key]
        counter.taken += places
        self.counts[(key[0], key[1], key[2] or None)] = counter.taken


def _span(changes: Sequence[Change]) -> tuple[date, date]:
    days = [c.day for c in changes]
    return min(days), max(days)


def _load_children(family: Family, child_ids: set[int]) -> dict[int, Child]:
    # Rule 1 of the locking order. `of` keeps the lock off the household link rows.
    children = {
        c.pk: c
        for c in Child.objects.select_for_update(of=("self",))
        .filter(pk__in=child_ids, families=family)
        .order_by("pk")
    }
    if set(children) != child_ids:
        raise UnknownTarget(_("This child is not in your family file."))
    return children


def _load_catalogue(family: Family, unit_ids: set[int], start: date, end: date) -> Catalogue:
    # The organisation again, on top of the scope: a forged id never reaches another town.
    activity_ids = set(
        Unit.objects.filter(pk__in=unit_ids, organisation_id=family.organisation_id).values_list(
            "activity_id", flat=True
        )
    )
    catalogue = catalogue_for(activity_ids, start, end)
    if not unit_ids <= set(catalogue.units):
        raise UnknownTarget(_("This activity does not exist."))
    return catalogue


def _contexts(children: dict[int, Child], live: Iterable[Booking], start: date, end: date):
    enrolled: dict[int, dict[int, list[tuple[date, date]]]] = defaultdict(lambda: defaultdict(list))
    for e in Enrollment.objects.filter(
        child_id__in=list(children),
        status=EnrollmentStatus.VALIDATED,
        start__lte=end,
        end__gte=start,
    ).only("child_id", "activity_id", "start", "end"):
        enrolled[e.child_id][e.activity_id].append((e.start, e.end))
    held: dict[int, dict[date, set[int]]] = defaultdict(lambda: defaultdict(set))
    for booking in live:
        if booking.state in HOLDING:
            held[booking.child_id][booking.day].add(booking.unit_id)
    return {
        pk: ChildContext(
            child_id=pk,
            birth_date=child.birth_date,
            enrolled={a: tuple(spans) for a, spans in enrolled[pk].items()},
            # Mutable on purpose: the action updates it as it books and cancels.
            units_by_day=dict(held[pk]),  # type: ignore[arg-type]
        )
        for pk, child in children.items()
    }


def _lock_counters(
    keys: set[tuple[int, date, int]], *, lock: bool = True
) -> dict[tuple[int, date, int], PlaceCounter]:
    """Rule 2 of the locking order: create the missing counters, then lock them all in
    (unit, day, group) order (`lock=False`: read them only, for `_recheck`)."""
    if not keys:
        return {}
    units = {k[0] for k in keys}
    days = {k[1] for k in keys}

    def read() -> dict[tuple[int, date, int], PlaceCounter]:
        found = PlaceCounter.objects.filter(unit_id__in=units, day__in=days)
        if lock:
            found = found.select_for_update().order_by("unit_id", "day", "group")
        return {
            (c.unit_id, c.day, c.group): c for c in found if (c.unit_id, c.day, c.group) in keys
        }

    counters = read()
    missing = keys - set(counters)
    if missing:  # the first booking of a day: its counter is made, then read again
        organisation_id = Unit.objects.filter(pk=next(iter(keys))[0]).values_list(
            "organisation_id", flat=True
        )[0]
        PlaceCounter.objects.bulk_create(
            [
                PlaceCounter(organisation_id=organisation_id, unit_id=u, day=d, group=g)
                for u, d, g in missing
            ],
            ignore_conflicts=True,
        )
        counters = read()
    for counter in counters.values():
        counter.taken_when_locked = counter.taken  # type: ignore[attr-defined]
        counter.waiting_when_locked = counter.waiting  # type: ignore[attr-defined]
    return counters


class _Stale(Exception):
    """Places were taken or freed since the action read the counters, and that changes
    one of its decisions."""


def _capacity(catalogue: Catalogue, key: tuple[int, date, int]) -> int | None:
    unit_id, day, group = key
    rules = catalogue.rules[unit_id]
    if rules.age_groups:
        return next((g.capacity for g in rules.age_groups if g.key == group), 0)
    return rules.capacity_by_date.get(day, rules.capacity)


def _recheck(w: "_Working") -> None:
    """Lock the counters the action decided on (rule 2's order) and check its decisions
    against what they hold now: every place it took still fits, and every day it put on
    the waiting list is still full. Raises `_Stale` otherwise."""
    locked = {
        (c.unit_id, c.day, c.group): (c.taken, c.waiting)
        for c in PlaceCounter.objects.select_for_update()
        .filter(pk__in=[c.pk for c in w.counters.values()])
        .order_by("unit_id", "day", "group")
    }
    for key, counter in w.counters.items():
        read = counter.taken_when_locked  # type: ignore[attr-defined]
        taken, waiting = locked[key]
        # The list as it is now: the positions of the children this action adds.
        counter.waiting_when_locked = waiting  # type: ignore[attr-defined]
        if taken == read:
            continue
        mine = counter.taken - read
        capacity = _capacity(w.catalogue, key)
        if capacity is not None:
            if mine > 0 and taken + mine > capacity:
                raise _Stale
            if w.waiting[key] and taken + mine < capacity:
                raise _Stale


def _save_counters(counters: Iterable[PlaceCounter]) -> None:
    """One UPDATE per distinct change (+1 on every day of a month: one query), instead of
    a CASE per row; `taken` and `waiting` move by what the caller changed since locking."""
    by_delta: dict[tuple[int, int], list[int]] = defaultdict(list)
    for counter in counters:
        delta = counter.taken - counter.taken_when_locked  # type: ignore[attr-defined]
        queued = counter.waiting - counter.waiting_when_locked  # type: ignore[attr-defined]
        if delta or queued:
            by_delta[(delta, queued)].append(counter.pk)
    for (delta, queued), ids in by_delta.items():
        PlaceCounter.objects.filter(pk__in=ids).update(
            taken=F("taken") + delta, waiting=F("waiting") + queued
        )


def _counter_key(catalogue: Catalogue, child: ChildContext, unit_id: int, day: date):
    group = None
    rules = catalogue.rules[unit_id]
    if rules.age_groups:
        age = child.age_on(day)
        group = next((g.key for g in rules.age_groups if g.includes(age)), None)
    return (unit_id, day, group or 0)


def bookings_apply(
    *,
    actor: User,
    family: Family,
    changes: Sequence[Change],
    now: datetime | None = None,
    source: str = BookingAction.Source.FAMILY,
    override_reason: str = "",
    notify: bool = True,
) -> ActionReport:
    """Book and cancel many days for a family's children in one transaction.

    Each change gets an outcome with its reason; the accepted ones are stored even when
    others are refused. `override_reason` (staff only) lifts the deadlines and the
    horizon, and is recorded; every other rule still holds.
    """
    if not changes:
        raise DomainError(_("Choose at least one day."))
    if len(changes) > MAX_CHANGES:
        raise DomainError(
            _(
                "You asked for %(count)s changes at once; the most is %(max)s. "
                "Book a shorter period at a time."
            )
            % {"count": len(changes), "max": MAX_CHANGES}
        )
    override_reason = override_reason.strip()
    if override_reason and not has_permission(actor, Permission.MANAGE_BOOKINGS):
        raise DomainError(_("Only the childhood service can change a day past its deadline."))
    now = now or timezone.now()
    args = (actor, family, changes, now, source, override_reason, notify)
    try:
        # Decide on the counters as read, lock them only to check and save: under an
        # opening rush every family books the same days, and the lock is held for a few
        # queries instead of the whole action. One transaction (a savepoint inside the
        # caller's), rolled back whole when stale.
        with transaction.atomic():
            return _apply(*args, locked=False)
    except _Stale:
        # A decision changed meanwhile (the day filled up): decide again under the locks.
        with transaction.atomic():
            return _apply(*args, locked=True)


def _apply(actor, family, changes, now, source, override_reason, notify, *, locked: bool):
    start, end = _span(changes)
    children = _load_children(family, {c.child_id for c in changes})
    catalogue = _load_catalogue(family, {c.unit_id for c in changes}, start, end)
    holidays = holidays_for(family.organisation, start, end)
    blocks = {
        year: family_booking_block(family, date(year, 9, 1))
        for year in {school_year_of(c.day) for c in changes}
    }
    live = list(
        Booking.objects.filter(
            child_id__in=list(children), day__gte=start, day__lte=end, state__in=sorted(LIVE)
        )
    )
    contexts = _contexts(children, live, start, end)
    by_key = {(b.child_id, b.unit_id, b.day): b for b in live}
    keys = set()
    for change in changes:
        keys.add(_counter_key(catalogue, contexts[change.child_id], change.unit_id, change.day))
        existing = by_key.get((change.child_id, change.unit_id, change.day))
        if existing is not None:
            keys.add((existing.unit_id, existing.day, existing.group))
    w = _Working(
        family=family,
        catalogue=catalogue,
        children=children,
        contexts=contexts,
        live=by_key,
        counters=_lock_counters(keys, lock=locked),
        decided=source == BookingAction.Source.ALLOCATION,
    )
    cancelling = {(c.child_id, c.unit_id, c.day) for c in changes if c.op == Op.CANCEL}
    # Cancellations first (switching units in one action frees the first), then bookings
    # by day, units that need no other first (a dependency booked in the same action).
    order = sorted(
        range(len(changes)),
        key=lambda i: (
            changes[i].op == Op.BOOK,
            changes[i].day,
            bool(catalogue.rules[changes[i].unit_id].requires),
            catalogue.units[changes[i].unit_id].position,
        ),
    )
    outcomes: list[DayOutcome | None] = [None] * len(changes)
    seen: set[tuple[int, int, date]] = set()
    for i in order:
        change = changes[i]
        key = (change.child_id, change.unit_id, change.day)
        if key in seen:
            outcomes[i] = DayOutcome(change, Result.REFUSED, Refusal.DUPLICATE)
            continue
        seen.add(key)
        block = blocks[school_year_of(change.day)]
        if block:
            outcomes[i] = DayOutcome(change, Result.REFUSED, Refusal.BLOCKED, message=block)
        elif change.op == Op.CANCEL:
            outcomes[i] = _cancel(
                w, change, now, holidays, bool(override_reason), cancelling, actor
            )
        else:
            outcomes[i] = _book(w, change, now, holidays, bool(override_reason))
    report = ActionReport([o for o in outcomes if o is not None])
    _name(report, children, catalogue)
    if report.done:
        report.action = _save(w, report, actor, source, override_reason, now, notify)
    return report


def _name(report: ActionReport, children: dict[int, Child], catalogue: Catalogue) -> None:
    others = {o.other_unit for o in report.outcomes if o.other_unit} - set(catalogue.units)
    names = {u.pk: u.name for u in catalogue.units.values()}
    names.update(Unit.objects.filter(pk__in=others).values_list("pk", "name") if others else [])
    for outcome in report.outcomes:
        outcome.child_name = children[outcome.change.child_id].first_name
        outcome.unit_name = names[outcome.change.unit_id]
        outcome.other_unit_name = names.get(outcome.other_unit or 0, "")


def _book(w, change, now, holidays, override) -> DayOutcome:
    existing = w.live.get((change.child_id, change.unit_id, change.day))
    if existing is not None:
        if existing.family_id != w.family.pk:
            return DayOutcome(change, Result.REFUSED, Refusal.OTHER_HOUSEHOLD)
        if existing.state == State.WAITING:
            return DayOutcome(change, Result.REFUSED, Refusal.ALREADY_WAITING)
        return DayOutcome(change, Result.REFUSED, Reason.ALREADY_BOOKED)
    rules = w.catalogue.rules[change.unit_id]
    context = w.contexts[change.child_id]
    verdict = can_book(
        unit=rules,
        calendar=w.catalogue.calendars[rules.activity_id],
        child=context,
        day=change.day,
        now=now,
        holidays=holidays,
        counts=w.counts,
        ignore_deadline=override,
    )
    key = _counter_key(w.catalogue, context, change.unit_id, change.day)
    if verdict.allowed:
        manual = w.catalogue.activities[rules.activity_id].confirmation == Confirmation.MANUAL
        manual = manual and not w.decided
        state = State.REQUESTED if manual else State.CONFIRMED
        result = Result.REQUESTED if manual else Result.BOOKED
        w.take(key, 1)
        w.held(change.child_id, change.day).add(change.unit_id)
    elif verdict.reason == Reason.FULL:
        state, result = State.WAITING, Result.WAITING
    else:
        return DayOutcome(
            change,
            Result.REFUSED,
            verdict.reason,
            deadline=verdict.deadline,
            opens_at=verdict.opens_at,
            other_unit=verdict.other_unit,
        )
    booking = Booking(
        organisation_id=w.family.organisation_id,
        child_id=change.child_id,
        family=w.family,
        activity_id=rules.activity_id,
        unit_id=change.unit_id,
        day=change.day,
        state=state,
        group=key[2],
        requested_at=now,
        updated_at=now,
    )
    w.created.append(booking)
    w.live[(change.child_id, change.unit_id, change.day)] = booking
    w.history.append((booking, "", state, ""))
    position = None
    if state == State.WAITING:
        w.waiting[key] += 1
        position = w.waiting[key]  # made absolute once the earlier ones are counted
    return DayOutcome(change, result, deadline=verdict.deadline, position=position)


def _cancel(w, change, now, holidays, override, cancelling, actor) -> DayOutcome:
    booking = w.live.get((change.child_id, change.unit_id, change.day))
    if booking is None:
        return DayOutcome(change, Result.REFUSED, Reason.NOT_BOOKED)
    if booking.family_id != w.family.pk:
        return DayOutcome(change, Result.REFUSED, Refusal.OTHER_HOUSEHOLD)
    if booking.state == State.WAITING:
        _move(w, booking, State.CANCELLED, now)
        w.left[(booking.unit_id, booking.day, booking.group)] += 1
        return DayOutcome(change, Result.LEFT_WAITING_LIST)
    if booking.state == State.CANCEL_REQUESTED:
        return DayOutcome(change, Result.REFUSED, Refusal.CANCEL_ALREADY_REQUESTED)
    if booking.outcome != Outcome.NONE:
        return DayOutcome(change, Result.REFUSED, Refusal.ATTENDANCE_RECORDED)
    rules = w.catalogue.rules[change.unit_id]
    context = w.contexts[change.child_id]
    verdict = can_cancel(
        unit=rules,
        child=context,
        day=change.day,
        now=now,
        holidays=holidays,
        ignore_deadline=override,
    )
    if booking.state == State.CONFIRMED and not verdict.allowed:
        return DayOutcome(change, Result.REFUSED, verdict.reason, deadline=verdict.deadline)
    held = w.held(change.child_id, change.day)
    for other in sorted(held - {change.unit_id}):
        other_rules = w.catalogue.rules.get(other)
        needs = other_rules.requires if other_rules else _requires(other)
        if change.unit_id in needs and (change.child_id, other, change.day) not in cancelling:
            return DayOutcome(change, Result.REFUSED, Refusal.REQUIRED_BY, other_unit=other)
    if booking.state == State.REQUESTED:
        result = Result.WITHDRAWN
    else:
        manual = w.catalogue.activities[rules.activity_id].confirmation == Confirmation.MANUAL
        if manual and not has_permission(actor, Permission.MANAGE_BOOKINGS):
            _move(w, booking, State.CANCEL_REQUESTED, now)
            return DayOutcome(change, Result.CANCEL_REQUESTED, deadline=verdict.deadline)
        result = Result.CANCELLED
    _move(w, booking, State.CANCELLED, now)
    key = (booking.unit_id, booking.day, booking.group)
    w.take(key, -1)
    w.freed.add(key)
    held.discard(change.unit_id)
    return DayOutcome(change, result, deadline=verdict.deadline)


def _requires(unit_id: int) -> frozenset[int]:
    # A unit of another activity held that day (outside the action's catalogue): rare.
    return frozenset(Unit.objects.filter(required_by=unit_id).values_list("pk", flat=True))


def _move(w: _Working, booking: Booking, state: str, now: datetime) -> None:
    check_transition(booking.state, state)
    w.history.append((booking, booking.state, state, ""))
    booking.state = state
    booking.updated_at = now
    if booking.pk is not None:
        w.updated[booking.pk] = booking
    if state not in LIVE:
        w.live.pop((booking.child_id, booking.unit_id, booking.day), None)


def _change_state(
    booking: Booking, state: str, *, actor, now: datetime, reason: str = "", on_behalf=True
) -> None:
    """Move one booking outside an action (staff decisions, the waiting list), keeping the
    change; the caller saves the booking."""
    check_transition(booking.state, state)
    BookingChange.of(
        booking, at=now, actor=actor, state=state, reason=reason, on_behalf=on_behalf
    ).save()
    booking.state, booking.updated_at = state, now


# The columns an action writes: insert_rows, no model instance per history row.
_BOOKING_FIELDS = (
    "organisation_id", "child_id", "family_id", "activity_id", "unit_id", "day", "state",
    "outcome", "group", "requested_at", "updated_at", "refusal_reason",
)  # fmt: skip
_CHANGE_FIELDS = (
    "organisation_id", "booking_id", "action_id", "at", "actor_id", "on_behalf",
    "before_state", "after_state", "before_outcome", "after_outcome", "reason",
)  # fmt: skip


def _save(w: _Working, report, actor, source, override_reason, now, notify) -> BookingAction:
    """Write the action; the counters are locked last (`_recheck`), for the few queries
    that check the decisions and count the places."""
    action = BookingAction.objects.create(
        organisation_id=w.family.organisation_id,
        family=w.family,
        actor=actor,
        source=source,
        created_at=now,
        override_reason=override_reason,
    )
    # Updates first: a cancelled day frees the unique (child, unit, day) for a new row.
    Booking.objects.bulk_update(list(w.updated.values()), ["state", "updated_at"])
    created = [b for b in w.created if b.state in LIVE]
    ids = insert_rows(
        Booking,
        _BOOKING_FIELDS,
        [tuple(getattr(b, name) for name in _BOOKING_FIELDS) for b in created],
    )
    for booking, pk in zip(created, ids, strict=True):
        booking.pk = pk
        booking._state.adding = False
    org_id, actor_id = w.family.organisation_id, actor.pk if actor else None
    on_behalf = source == BookingAction.Source.STAFF
    insert_rows(
        BookingChange,
        _CHANGE_FIELDS,
        [
            (
                org_id,
                booking.pk,
                action.pk,
                now,
                actor_id,
                on_behalf,
                before,
                after,
                "",
                "",
                override_reason,
            )
            for booking, before, after, _reason in w.history
            if booking.pk is not None
        ],
    )
    audit_log(
        organisation=w.family.organisation,
        actor=actor,
        action="bookings.changed",
        target=w.family,
        data={
            "action": action.pk,
            "done": len(report.done),
            "refused": len(report.refused),
            **({"override_reason": override_reason} if override_reason else {}),
        },
    )
    if notify:
        # Drawn by a task once committed (from the report kept below, with its waiting
        # list positions): neither the locks nor the family wait for it.
        guardians = [] if emails_are_suppressed() else family_email_recipients(w.family)
        action.family_emailed = len(guardians)
        if guardians:
            transaction.on_commit(
                partial(
                    booking_action_email_task.enqueue,
                    w.family.organisation_id,
                    action.pk,
                    [g.pk for g in guardians],
                )
            )
    _recheck(w)
    _absolute_positions(w, report)
    for key, counter in w.counters.items():
        counter.waiting = counter.waiting_when_locked + w.waiting[key] - w.left[key]  # type: ignore[attr-defined]
    _save_counters(w.counters.values())
    action.report = report.as_json()
    action.save(update_fields=["report"])
    _promote_after_commit(w.family.organisation_id, w.freed)
    return action


def _absolute_positions(w: _Working, report: ActionReport) -> None:
    """Turn "n-th added by this action" into the place on the list: after the children
    already on it (the locked counter's count, less those this action took off)."""
    for outcome in report.outcomes:
        if outcome.result == Result.WAITING:
            context = w.contexts[outcome.change.child_id]
            key = _counter_key(w.catalogue, context, outcome.change.unit_id, outcome.change.day)
            ahead = w.counters[key].waiting_when_locked - w.left[key]  # type: ignore[attr-defined]
            outcome.position = ahead + (outcome.position or 0)


def _promote_after_commit(organisation_id: int, freed: set[tuple[int, date, int]]) -> None:
    if not freed:
        return
    units = {k[0] for k in freed}
    days = {k[1] for k in freed}
    waiting = set(
        Booking.objects.filter(unit_id__in=units, day__in=days, state=State.WAITING).values_list(
            "unit_id", "day", "group"
        )
    )
    for unit_id, day, group in sorted(freed & waiting):
        transaction.on_commit(
            partial(promote_task.enqueue, organisation_id, unit_id, day.isoformat(), group)
        )


# --- Places raised by staff -----------------------------------------------------------

# What sets a unit's places, and the fields that say how many.
_PLACE_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Unit: ("capacity",),
    CapacityOverride: ("unit_id", "date", "capacity"),
    AgeGroupCapacity: ("unit_id", "min_age", "max_age", "capacity"),
}


def _places_before(instance: models.Model) -> dict[str, Any] | None:
    if instance.pk is None:
        return None
    fields = _PLACE_FIELDS[type(instance)]
    return type(instance)._default_manager.filter(pk=instance.pk).values(*fields).first()


def _lists_given_places(
    instance: models.Model, before: dict[str, Any] | None
) -> tuple[int, set[date] | None] | None:
    """(unit id, only these days or None for every coming day) whose waiting lists may
    now have places; None when the places did not grow."""
    if isinstance(instance, Unit):
        old = before["capacity"] if before else None
        grew = (
            before is not None
            and old is not None
            and (instance.capacity is None or instance.capacity > old)
        )
        return (instance.pk, None) if grew else None
    if isinstance(instance, CapacityOverride):
        # A day's places, or the unit's again on the day it no longer overrides.
        days = {instance.date} | ({before["date"]} if before else set())
        return (instance.unit_id, days)
    if isinstance(instance, AgeGroupCapacity):
        # Groups share out the unit's places by age: a group added, removed or moved may
        # give a child one.
        same = before is not None and (
            before["unit_id"] == instance.unit_id
            and (before["min_age"], before["max_age"]) == (instance.min_age, instance.max_age)
            and instance.capacity <= before["capacity"]
        )
        return None if same else (instance.unit_id, None)
    return None


def _promote_unit_after_commit(
    organisation_id: int, unit_id: int, days: set[date] | None, now: datetime
) -> None:
    """The waiting lists of the unit's coming days (from today) get their places right
    after commit, each list in its own transaction, as after a cancellation."""
    waiting = Booking.objects.filter(
        unit_id=unit_id, state=State.WAITING, day__gte=timezone.localdate(now)
    )
    if days is not None:
        waiting = waiting.filter(day__in=days)
    _promote_after_commit(organisation_id, set(waiting.values_list("unit_id", "day", "group")))


@transaction.atomic
def places_save(
    *,
    actor: User,
    instance: models.Model,
    many: dict[str, list[Any]] | None = None,
    now: datetime | None = None,
) -> models.Model:
    """Save a unit, an age group or a day's capacity (`catalogue_save`); when it gives more
    places, the waiting lists of the coming days get them at once, not at the next run of
    `promote_waiting_lists`."""
    before = _places_before(instance)
    instance = catalogue_save(actor=actor, instance=instance, many=many)
    given = _lists_given_places(instance, before)
    if given is not None:
        _promote_unit_after_commit(
            instance.organisation_id,  # type: ignore[attr-defined]
            *given,
            now or timezone.now(),
        )
    return instance


@transaction.atomic
def places_delete(*, actor: User, instance: models.Model, now: datetime | None = None) -> None:
    """Delete a unit, an age group or a day's capacity (`catalogue_delete`); the places it
    held back go to the waiting lists at once."""
    given = None if isinstance(instance, Unit) else _lists_given_places(instance, None)
    organisation_id = instance.organisation_id  # type: ignore[attr-defined]
    catalogue_delete(actor=actor, instance=instance)
    if given is not None:
        _promote_unit_after_commit(organisation_id, *given, now or timezone.now())


# --- Waiting list --------------------------------------------------------------------


@task()
def booking_action_email_task(
    organisation_id: int, action_id: int, guardian_ids: list[int]
) -> None:
    """The e-mail of one action (seed 004), to the guardians counted when it was made."""
    with organisation_scope(organisation_id):
        action = BookingAction.objects.select_related("family__organisation").get(pk=action_id)
        report = ActionReport.from_json(action.report)
        report.action = action
        family_email_to(
            family=action.family,
            guardians=list(Guardian.objects.filter(pk__in=guardian_ids).select_related("user")),
            template="booking_action",
            context={"report": report, "action": action},
        )


@task()
def promote_task(organisation_id: int, unit_id: int, day: str, group: int) -> None:
    with organisation_scope(organisation_id):
        waiting_list_promote(unit_id=unit_id, day=date.fromisoformat(day), group=group)


def waiting_list_promote(
    *, unit_id: int, day: date, group: int, now: datetime | None = None
) -> list[Booking]:
    """Give freed places of a unit's day to the waiting list, first come first served.

    Confirmed at once when the activity confirms automatically and the deadline has not
    passed; otherwise offered to staff (requested). Each family is told by e-mail. Each
    candidate is its own transaction, locking as every writer does (child, then counter).
    """
    now = now or timezone.now()
    promoted: list[Booking] = []
    while True:
        candidate = (
            Booking.objects.filter(unit_id=unit_id, day=day, group=group, state=State.WAITING)
            .order_by("requested_at", "pk")
            .first()
        )
        if candidate is None or day < timezone.localdate(now):
            return promoted
        outcome = _promote_one(candidate.pk, now)
        if outcome is None:
            return promoted  # no place left
        if outcome.state in HOLDING:
            promoted.append(outcome)


@transaction.atomic
def _promote_one(booking_id: int, now: datetime) -> Booking | None:
    booking = Booking.objects.select_related("family__organisation").get(pk=booking_id)
    Child.objects.select_for_update(of=("self",)).filter(pk=booking.child_id).first()
    counter = _lock_counters({(booking.unit_id, booking.day, booking.group)})[
        (booking.unit_id, booking.day, booking.group)
    ]
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("family__organisation", "child")
        .get(pk=booking_id)
    )
    if booking.state != State.WAITING:
        return booking  # decided meanwhile: the caller looks at the next one
    first = (
        Booking.objects.filter(
            unit_id=booking.unit_id, day=booking.day, group=booking.group, state=State.WAITING
        )
        .order_by("requested_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if first != booking.pk:
        return booking  # someone joined ahead (staff reordering): the caller starts again
    catalogue = catalogue_for([booking.activity_id], booking.day, booking.day)
    holidays = holidays_for(booking.family.organisation, booking.day, booking.day)
    live = list(
        Booking.objects.filter(
            child_id=booking.child_id, day=booking.day, state__in=sorted(HOLDING)
        )
    )
    context = _contexts({booking.child_id: booking.child}, live, booking.day, booking.day)[
        booking.child_id
    ]
    rules = catalogue.rules[booking.unit_id]
    verdict = can_book(
        unit=rules,
        calendar=catalogue.calendars[booking.activity_id],
        child=context,
        day=booking.day,
        now=now,
        holidays=holidays,
        counts={(booking.unit_id, booking.day, booking.group or None): counter.taken},
    )
    if verdict.reason == Reason.FULL:
        return None
    manual = catalogue.activities[booking.activity_id].confirmation == Confirmation.MANUAL
    if verdict.allowed and not manual:
        state, template = State.CONFIRMED, "waiting_list_confirmed"
    elif verdict.allowed or verdict.reason == Reason.PAST_DEADLINE:
        state, template = State.REQUESTED, "waiting_list_offered"
    else:
        # The day can no longer be had (closed since, or the child now has a unit that
        # excludes it): it leaves the list, and the family is told why.
        state, template = State.REFUSED, "waiting_list_refused"
    reason = ""
    if state == State.REFUSED:
        reason = _("This day can no longer be booked for this child.")
        booking.refusal_reason = reason
    else:
        counter.taken += 1
    counter.waiting = max(counter.waiting - 1, 0)
    counter.save(update_fields=["taken", "waiting"])
    _change_state(booking, state, actor=None, now=now, reason=reason, on_behalf=False)
    booking.save(update_fields=["state", "updated_at", "refusal_reason"])
    audit_log(
        organisation=booking.family.organisation,
        actor=None,
        action=(
            "bookings.waiting_list_promoted"
            if state == State.CONFIRMED
            else "bookings.waiting_list_to_staff"
            if state == State.REQUESTED
            else "bookings.waiting_list_dropped"
        ),
        target=booking,
    )
    family_email(family=booking.family, template=template, context={"booking": booking})
    if state != State.REFUSED:  # a place freed up: worth a text to who accepts them
        family_sms(family=booking.family, text=lambda: _place_text(booking, state))
    return booking


def _place_text(booking: Booking, state: str) -> str:
    values = {
        "child": booking.child.first_name,
        "day": long_day(booking.day),
        "unit": f"{booking.activity.name} – {booking.unit.name}",
    }
    if state == State.CONFIRMED:
        return (
            _("A place freed up: %(child)s is booked on %(day)s (%(unit)s). See your family space.")
            % values
        )
    return (
        _(
            "A place freed up for %(child)s on %(day)s (%(unit)s): the childhood service "
            "confirms it soon. See your family space."
        )
        % values
    )


def place_counters_rebuild(*, unit_ids: Iterable[int] | None = None) -> int:
    """Recount every counter (places taken, children waiting) from the bookings (after an
    import, or to check): returns how many counters were wrong."""
    bookings = Booking.objects.filter(state__in=sorted(HOLDING | {State.WAITING}))
    counters = PlaceCounter.objects.all()
    if unit_ids is not None:
        bookings = bookings.filter(unit_id__in=list(unit_ids))
        counters = counters.filter(unit_id__in=list(unit_ids))
    actual: dict[tuple[int, date, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in bookings.values("unit_id", "day", "group", "state").annotate(n=Count("pk")):
        key = (row["unit_id"], row["day"], row["group"])
        actual[key][1 if row["state"] == State.WAITING else 0] += row["n"]
    wrong = 0
    with transaction.atomic():
        existing = {(c.unit_id, c.day, c.group): c for c in counters.select_for_update()}
        for key, counter in existing.items():
            taken, waiting = actual.get(key, (0, 0))
            if (counter.taken, counter.waiting) != (taken, waiting):
                counter.taken, counter.waiting = taken, waiting
                counter.save(update_fields=["taken", "waiting"])
                wrong += 1
        organisation_of = dict(
            Unit.objects.filter(pk__in={k[0] for k in actual}).values_list("pk", "organisation_id")
        )
        missing = [
            PlaceCounter(
                organisation_id=organisation_of[u], unit_id=u, day=d, group=g, taken=t, waiting=n
            )
            for (u, d, g), (t, n) in actual.items()
            if (u, d, g) not in existing
        ]
        PlaceCounter.objects.bulk_create(missing)
    return wrong + len(missing)


# --- Typical week --------------------------------------------------------------------


def typical_week_apply(
    *,
    actor: User,
    enrollment: Enrollment,
    start: date | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> ActionReport | None:
    """Book an enrollment's typical week on every open day from `start` (default: today)
    to the enrollment's end, through the same rules as any action: days it cannot book
    (deadline passed, full → waiting list…) are in the report the family and staff read.
    None when the typical week asks for nothing."""
    now = now or timezone.now()
    slots = typical_week_preview(enrollment, now, start=start)
    if not slots:
        return None
    changes = [Change(enrollment.child_id, unit.pk, day) for unit, day, _verdict in slots]
    return bookings_apply(
        actor=actor,
        family=enrollment.family,
        changes=changes[:MAX_CHANGES],
        now=now,
        source=BookingAction.Source.TYPICAL_WEEK,
        notify=notify,
    )


@transaction.atomic
def typical_week_reapply(
    *,
    actor: User,
    enrollment: Enrollment,
    start: date,
    now: datetime | None = None,
    override_reason: str = "",
) -> ActionReport:
    """Staff apply an enrollment's (changed) typical week from `start` to its end, as one
    action: the days it asks for that are not booked are booked, and the child's bookings
    of the activity it no longer asks for are cancelled. Deadlines hold unless staff give
    an `override_reason`; the report and the family's one e-mail say what was refused."""
    if not has_permission(actor, Permission.MANAGE_BOOKINGS):
        raise DomainError(_("Only the childhood service can change a family's bookings."))
    if enrollment.status != EnrollmentStatus.VALIDATED:
        raise DomainError(_("Only a validated enrollment books days."))
    if not enrollment.start <= start <= enrollment.end:
        raise DomainError(
            _("Choose a day within the enrollment (%(start)s – %(end)s).")
            % {
                "start": enrollment.start.strftime("%d/%m/%Y"),
                "end": enrollment.end.strftime("%d/%m/%Y"),
            },
            field="start",
        )
    now = now or timezone.now()
    wanted = {
        (unit.pk, day) for unit, day, _verdict in typical_week_preview(enrollment, now, start)
    }
    live = list(
        Booking.objects.filter(
            child_id=enrollment.child_id,
            activity_id=enrollment.activity_id,
            day__gte=start,
            day__lte=enrollment.end,
            state__in=sorted(LIVE),
        ).values_list("unit_id", "day", "family_id", "state")
    )
    held = {(unit_id, day) for unit_id, day, _family, _state in live}
    changes = [
        Change(enrollment.child_id, unit_id, day, Op.CANCEL)
        for unit_id, day, family_id, state in live
        # The other household's days are theirs; a cancellation asked is already on its way.
        if (unit_id, day) not in wanted
        and family_id == enrollment.family_id
        and state != State.CANCEL_REQUESTED
    ] + [Change(enrollment.child_id, unit_id, day) for unit_id, day in wanted - held]
    if not changes:
        raise DomainError(
            _("Nothing to change: the bookings already follow the typical week from this day.")
        )
    changes.sort(key=lambda c: (c.day, c.unit_id))
    return bookings_apply(
        actor=actor,
        family=enrollment.family,
        changes=changes,
        now=now,
        source=BookingAction.Source.STAFF,
        override_reason=override_reason,
    )


# --- Absences ------------------------------------------------------------------------

MAX_ABSENCE_DAYS = 62


@dataclass
class AbsenceReport:
    absence: Absence
    cancelled: list[DayOutcome]  # before the cancellation deadline: a plain cancellation
    billed: list[Booking]  # after it: absent billed until staff excuse it


@transaction.atomic
def absence_declare(
    *,
    actor: User,
    family: Family,
    child: Child,
    days: Sequence[date],
    reason: str,
    note: str = "",
    document: Document | None = None,
    now: datetime | None = None,
) -> AbsenceReport:
    """A family says a child will not come on some days (every unit it booked those days).

    Before the cancellation deadline a day is cancelled (not billed, the place goes to the
    waiting list); after it the booking stays and is marked absent billed, for staff to
    excuse on a justification (seed 000).
    """
    if reason not in AbsenceReason.values:
        raise DomainError(_("Choose a reason for the absence."), field="reason")
    note = note.strip()
    if reason == AbsenceReason.OTHER and not note:
        raise DomainError(_("Say what the reason is."), field="note")
    days = sorted(set(days))
    if not days:
        raise DomainError(_("Choose at least one day."))
    if len(days) > MAX_ABSENCE_DAYS:
        raise DomainError(
            _("An absence covers at most %(max)s days: declare a long one in several times.")
            % {"max": MAX_ABSENCE_DAYS}
        )
    now = now or timezone.now()
    _load_children(family, {child.pk})
    bookings = list(
        Booking.objects.select_for_update(of=("self",))
        .filter(child=child, family=family, day__in=days, state__in=sorted(LIVE))
        .select_related("activity")
        .order_by("day", "unit_id")
    )
    if not bookings:
        raise DomainError(_("Nothing is booked for this child on these days."))
    holidays = holidays_for(family.organisation, days[0], days[-1])
    to_cancel, to_bill = [], []
    for booking in bookings:
        deadline = deadline_for(booking.activity.cancellation_deadline, booking.day, holidays)
        if booking.state in (State.WAITING, State.REQUESTED) or now < deadline:
            to_cancel.append(booking)
        elif booking.state == State.CONFIRMED and booking.outcome in (
            Outcome.NONE,
            Outcome.ABSENT_BILLED,
        ):
            to_bill.append(booking)
    if not to_cancel and not to_bill:
        raise DomainError(_("These days cannot be declared absent (attendance already recorded)."))
    absence = Absence.objects.create(
        organisation=family.organisation,
        family=family,
        child=child,
        reason=reason,
        note=note,
        document=document,
        declared_by=actor,
        declared_at=now,
        review=Absence.Review.TO_REVIEW if to_bill else Absence.Review.NONE,
    )
    cancelled: list[DayOutcome] = []
    if to_cancel:
        report = bookings_apply(
            actor=actor,
            family=family,
            changes=[Change(child.pk, b.unit_id, b.day, Op.CANCEL) for b in to_cancel],
            now=now,
            notify=False,
        )
        cancelled = report.done
        Booking.objects.filter(pk__in=[b.pk for b in to_cancel]).update(absence=absence)
    for booking in to_bill:
        _set_outcome(booking, Outcome.ABSENT_BILLED, actor=actor, now=now, reason=reason)
        booking.absence = absence
    Booking.objects.bulk_update(to_bill, ["outcome", "absence", "updated_at"])
    audit_log(
        organisation=family.organisation,
        actor=actor,
        action="absence.declared",
        target=absence,
        data={"cancelled": len(cancelled), "billed": len(to_bill)},
    )
    family_email(
        family=family,
        template="absence_declared",
        context={"absence": absence, "cancelled": cancelled, "billed": to_bill},
    )
    return AbsenceReport(absence, cancelled, to_bill)


def _set_outcome(booking: Booking, outcome: str, *, actor, now: datetime, reason: str = "") -> None:
    check_outcome(booking.state, outcome)
    BookingChange.of(
        booking,
        at=now,
        actor=actor,
        outcome=outcome,
        reason=reason,
        on_behalf=has_permission(actor, Permission.VIEW_BACKOFFICE),
    ).save()
    booking.outcome = outcome
    booking.updated_at = now


@transaction.atomic
def absence_review(
    *, actor: User, absence: Absence, excuse: bool, now: datetime | None = None
) -> Absence:
    """Staff excuse an absence on its justification (its days are not billed) or keep it
    billed. Deciding again changes the decision."""
    now = now or timezone.now()
    absence = Absence.objects.select_for_update().get(pk=absence.pk)
    if absence.review == Absence.Review.NONE:
        raise DomainError(_("This absence has nothing to review: its days were cancelled in time."))
    target = Outcome.ABSENT_EXCUSED if excuse else Outcome.ABSENT_BILLED
    bookings = list(
        Booking.objects.select_for_update().filter(absence=absence, state=State.CONFIRMED)
    )
    changed = [b for b in bookings if b.outcome != target]
    for booking in changed:
        _set_outcome(booking, target, actor=actor, now=now)
    Booking.objects.bulk_update(changed, ["outcome", "updated_at"])
    absence.review = Absence.Review.EXCUSED if excuse else Absence.Review.KEPT
    absence.reviewed_by, absence.reviewed_at = actor, now
    absence.save(update_fields=["review", "reviewed_by", "reviewed_at"])
    audit_log(
        organisation=absence.organisation,
        actor=actor,
        action="absence.excused" if excuse else "absence.kept",
        target=absence,
    )
    family_email(
        family=absence.family,
        template="absence_reviewed",
        context={"absence": absence, "bookings": bookings},
    )
    return absence


# --- Staff decisions -----------------------------------------------------------------


@dataclass
class DecisionReport:
    decided: list[Booking] = field(default_factory=list)
    skipped: int = 0  # decided meanwhile by someone else


@transaction.atomic
def bookings_decide(
    *,
    actor: User,
    booking_ids: Sequence[int],
    accept: bool,
    reason: str = "",
    now: datetime | None = None,
) -> DecisionReport:
    """Staff decide requested bookings and cancellation requests, one or many.

    Accepting a request confirms it (its place is already held); refusing it frees the
    place. Accepting a cancellation frees the place; refusing it keeps the booking. A
    refusal needs a reason the family reads. Each family gets one e-mail.
    """
    if not has_permission(actor, Permission.MANAGE_BOOKINGS):
        raise DomainError(_("Only the childhood service can decide bookings."))
    reason = reason.strip()
    if not accept and not reason:
        raise DomainError(_("Say why: the family will read it."), field="reason")
    now = now or timezone.now()
    pending = (State.REQUESTED, State.CANCEL_REQUESTED)
    child_ids = set(
        Booking.objects.filter(pk__in=list(booking_ids), state__in=pending).values_list(
            "child_id", flat=True
        )
    )
    list(Child.objects.select_for_update(of=("self",)).filter(pk__in=child_ids).order_by("pk"))
    bookings = list(
        Booking.objects.filter(pk__in=list(booking_ids), state__in=pending).select_related(
            "family__organisation", "child", "unit", "activity"
        )
    )
    counters = _lock_counters({(b.unit_id, b.day, b.group) for b in bookings})
    report = DecisionReport(skipped=len(set(booking_ids)) - len(bookings))
    freed: set[tuple[int, date, int]] = set()
    by_family: dict[int, list[Booking]] = defaultdict(list)
    for booking in bookings:
        requested = booking.state == State.REQUESTED
        if requested:
            after = State.CONFIRMED if accept else State.REFUSED
        else:
            after = State.CANCELLED if accept else State.CONFIRMED
        if after in (State.REFUSED, State.CANCELLED):
            key = (booking.unit_id, booking.day, booking.group)
            counters[key].taken -= 1
            freed.add(key)
        _change_state(booking, after, actor=actor, now=now, reason=reason)
        if after == State.REFUSED:
            booking.refusal_reason = reason
        report.decided.append(booking)
        by_family[booking.family_id].append(booking)
    Booking.objects.bulk_update(report.decided, ["state", "updated_at", "refusal_reason"])
    _save_counters(counters.values())
    for family_bookings in by_family.values():
        family = family_bookings[0].family
        audit_log(
            organisation=family.organisation,
            actor=actor,
            action="bookings.accepted" if accept else "bookings.refused",
            target=family,
            data={"bookings": [b.pk for b in family_bookings], "reason": reason},
        )
        family_email(
            family=family,
            template="booking_decision",
            context={"bookings": family_bookings, "accept": accept, "reason": reason},
        )
    if bookings:
        _promote_after_commit(bookings[0].organisation_id, freed)
    return report


@transaction.atomic
def waiting_list_offer(*, actor: User, booking: Booking, now: datetime | None = None) -> Booking:
    """Staff give a free place to a child of the waiting list (not necessarily the first:
    a priority they know of). Never beyond the places."""
    if not has_permission(actor, Permission.MANAGE_BOOKINGS):
        raise DomainError(_("Only the childhood service can decide bookings."))
    now = now or timezone.now()
    Child.objects.select_for_update(of=("self",)).filter(pk=booking.child_id).first()
    key = (booking.unit_id, booking.day, booking.group)
    counter = _lock_counters({key})[key]
    booking = Booking.objects.select_related(
        "family__organisation", "child", "unit", "activity"
    ).get(pk=booking.pk)
    if booking.state != State.WAITING:
        raise DomainError(_("This child is no longer on the waiting list."))
    catalogue = catalogue_for([booking.activity_id], booking.day, booking.day)
    rules = catalogue.rules[booking.unit_id]
    context = _contexts(
        {booking.child_id: booking.child},
        Booking.objects.filter(
            child_id=booking.child_id, day=booking.day, state__in=sorted(HOLDING)
        ),
        booking.day,
        booking.day,
    )[booking.child_id]
    capacity, taken = places(
        rules, context, booking.day, {(key[0], key[1], key[2] or None): counter.taken}
    )
    if capacity is not None and taken >= capacity:
        raise DomainError(
            _(
                "No place is free that day (%(taken)s of %(capacity)s taken): raise the places or "
                "cancel another booking first."
            )
            % {"taken": taken, "capacity": capacity}
        )
    _change_state(booking, State.CONFIRMED, actor=actor, now=now)
    booking.save(update_fields=["state", "updated_at"])
    counter.taken += 1
    counter.waiting = max(counter.waiting - 1, 0)
    counter.save(update_fields=["taken", "waiting"])
    audit_log(
        organisation=booking.family.organisation,
        actor=actor,
        action="bookings.waiting_list_offered",
        target=booking,
    )
    family_email(
        family=booking.family, template="waiting_list_confirmed", context={"booking": booking}
    )
    return booking


@transaction.atomic
def absence_attach_document(*, actor: User, absence: Absence, document: Document) -> Absence:
    """A justification sent after the absence was declared: staff review it again."""
    absence = Absence.objects.select_for_update().get(pk=absence.pk)
    if document.family_id != absence.family_id:
        raise UnknownTarget(_("This document is not in your family file."))
    absence.document = document
    fields = ["document"]
    if absence.review != Absence.Review.NONE:
        absence.review = Absence.Review.TO_REVIEW
        fields.append("review")
    absence.save(update_fields=fields)
    audit_log(
        organisation=absence.organisation, actor=actor, action="absence.justified", target=absence
    )
    return absence


# --- Several days in one gesture (the family calendar's helpers) ---------------------


def _enrolled_children(family: Family, child_ids: Iterable[int], start: date, end: date):
    """child id -> activity id -> validated enrollments over [start, end]; a child of
    another family is refused whole."""
    wanted = set(child_ids)
    children = set(
        Child.objects.filter(pk__in=wanted, families=family).values_list("pk", flat=True)
    )
    if children != wanted:
        raise UnknownTarget(_("This child is not in your family file."))
    enrolled: dict[int, dict[int, list[Enrollment]]] = defaultdict(lambda: defaultdict(list))
    for enrollment in Enrollment.objects.filter(
        child_id__in=children, status=EnrollmentStatus.VALIDATED, start__lte=end, end__gte=start
    ):
        enrolled[enrollment.child_id][enrollment.activity_id].append(enrollment)
    return enrolled


def _open_and_free(
    family: Family, wanted: list[tuple[int, int, date]], start: date, end: date
) -> list[Change]:
    """The asked (child, unit, day) minus the days the activity does not open and the
    days the child already has: what a "book these days" gesture means. The rest (past
    deadline, full…) goes to the engine, which says why in the report."""
    if not wanted:
        return []
    activity_of = dict(
        Unit.objects.filter(
            pk__in={u for _c, u, _d in wanted}, organisation_id=family.organisation_id
        ).values_list("pk", "activity_id")
    )
    catalogue = catalogue_for(set(activity_of.values()), start, end)
    holidays = holidays_for(family.organisation, start, end)
    held = set(
        Booking.objects.filter(
            child_id__in={c for c, _u, _d in wanted},
            day__gte=start,
            day__lte=end,
            state__in=sorted(LIVE),
        ).values_list("child_id", "unit_id", "day")
    )
    return [
        Change(child_id, unit_id, day)
        for child_id, unit_id, day in wanted
        if (child_id, unit_id, day) not in held
        and opening(catalogue.calendars[activity_of[unit_id]], day, holidays) is None
    ]


def weekdays_book(
    *,
    actor: User,
    family: Family,
    child_ids: Sequence[int],
    unit_id: int,
    weekdays: Iterable[int],
    start: date,
    end: date,
    now: datetime | None = None,
) -> ActionReport:
    """ "Every Monday and Thursday of this month" for one child or several, as one action:
    the children enrolled in the unit's activity, the days it opens from today on."""
    now = now or timezone.now()
    weekdays = set(weekdays)
    if not weekdays:
        raise DomainError(_("Choose at least one day of the week."), field="weekdays")
    unit = Unit.objects.filter(pk=unit_id, organisation_id=family.organisation_id).first()
    if unit is None:
        raise UnknownTarget(_("This activity does not exist."))
    start = max(start, timezone.localdate(now))
    enrolled = _enrolled_children(family, child_ids, start, end)
    wanted = [
        (child_id, unit.pk, day)
        for child_id in sorted(enrolled)
        for enrollment in enrolled[child_id].get(unit.activity_id, [])
        for day in days_between(max(start, enrollment.start), min(end, enrollment.end))
        if day.weekday() in weekdays
    ]
    return _apply_gesture(actor, family, wanted, start, end, now)


def typical_weeks_book(
    *,
    actor: User,
    family: Family,
    child_ids: Sequence[int],
    start: date,
    end: date,
    now: datetime | None = None,
) -> ActionReport:
    """ "Apply my typical week to this month": each child's validated enrollments ask for
    their typical week's units, from today on, as one action."""
    now = now or timezone.now()
    start = max(start, timezone.localdate(now))
    enrolled = _enrolled_children(family, child_ids, start, end)
    wanted = []
    for child_id in sorted(enrolled):
        for enrollments in enrolled[child_id].values():
            for enrollment in enrollments:
                typical = enrollment.typical_units()
                for day in days_between(max(start, enrollment.start), min(end, enrollment.end)):
                    for unit_id in sorted(typical.get(day.weekday(), ())):
                        wanted.append((child_id, unit_id, day))
    return _apply_gesture(actor, family, wanted, start, end, now)


def _apply_gesture(actor, family, wanted, start, end, now) -> ActionReport:
    if start > end:
        raise DomainError(_("This month is over: choose a month to come."))
    changes = _open_and_free(family, wanted, start, end)
    if not changes:
        raise DomainError(
            _("Nothing to book: these days are already booked, closed, or not in an enrollment.")
        )
    return bookings_apply(actor=actor, family=family, changes=changes, now=now)


# --- Enrollments that book ------------------------------------------------------------


@transaction.atomic
def enrollment_validate_and_book(
    *, actor: User, enrollment: Enrollment, now: datetime | None = None
) -> tuple[Enrollment, ActionReport | None]:
    """Validate a requested enrollment and book its typical week over its dates (from
    today), in one transaction; the report says which days could not be booked. The
    family gets one e-mail saying both."""
    enrollment = enrollment_validate(actor=actor, enrollment=enrollment, notify=False)
    return enrollment, _book_and_notify(actor, enrollment, now)


@transaction.atomic
def enrollment_create_and_book(
    *, actor: User, now: datetime | None = None, **fields
) -> tuple[Enrollment, ActionReport | None]:
    """Staff enroll a child directly (validated) and book the typical week; one e-mail."""
    enrollment = enrollment_request(actor=actor, by_staff=True, notify=False, **fields)
    return enrollment, _book_and_notify(actor, enrollment, now)


def _book_and_notify(actor: User, enrollment: Enrollment, now: datetime | None):
    report = typical_week_apply(actor=actor, enrollment=enrollment, now=now, notify=False)
    enrollment_notify(enrollment, "enrollment_validated", report=report)
    return report


@dataclass
class BulkBookingReport:
    enrollments: BulkEnrollmentReport
    # Enrollment id -> what its typical week booked (None: it asks for nothing).
    bookings: dict[int, ActionReport | None] = field(default_factory=dict)


def enrollments_bulk_and_book(
    *,
    actor: User,
    period: Period,
    children: list[Child],
    typical_week: dict[int, list[int]] | None = None,
    now: datetime | None = None,
) -> BulkBookingReport:
    """Enroll a whole class, each child on its own transaction, and book each one's
    typical week; each family gets one e-mail for its child."""
    bookings: dict[int, ActionReport | None] = {}

    def enroll(*, by_staff: bool, **fields) -> Enrollment:  # by staff: always, here
        enrollment, report = enrollment_create_and_book(now=now, **fields)
        bookings[enrollment.pk] = report
        return enrollment

    report = enrollments_bulk(
        actor=actor, period=period, children=children, typical_week=typical_week, enroll=enroll
    )
    return BulkBookingReport(report, bookings)
