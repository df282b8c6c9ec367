"""The booking-rule engine: may this child have this unit on this day, and until when can
that change?

Pure: no database, no clock. Callers pass the rules (`UnitRules`, `ActivityCalendar`), what
they know of the child (`ChildContext`), the calendars of public and school holidays
(`Holidays`), the day's places taken, and `now`. `activities.selectors.family_month` loads
all of that for a family's month in a fixed number of queries and asks this module for
every cell.

API:
    deadline_for(rule, day, holidays)  -> aware datetime: the change must come before it
    opening(calendar, day, holidays)    -> None if open, else the Reason it is closed
    can_book(...), can_cancel(...)      -> Verdict(allowed, reason, deadline, ...)
    typical_week_slots(...)             -> [(unit, day, Verdict)] asked by a typical week

Deadlines are computed on local dates and wall-clock times, then made aware in
Europe/Paris (never by subtracting 24-hour spans in UTC), so 09:00 stays 09:00 on the days
the clocks change.
"""

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
# "Until the end of that day": the last instant of the day, so a deadline never falls
# after the day it is counted back to.
END_OF_DAY = time.max


class CountedIn(StrEnum):
    CALENDAR = "calendar"  # every day counts (seed 003: 8 days before)
    WORKING = "working"  # Monday to Friday, public holidays excluded (seed 000)


class Season(StrEnum):
    SCHOOL_TIME = "school_time"  # closed during school holidays (canteen, after-school care)
    HOLIDAYS = "holidays"  # open only during school holidays (holiday leisure centre)
    ALL_YEAR = "all_year"


class Reason(StrEnum):
    OK = "ok"
    OPEN_BY_STAFF = "open_by_staff"  # a day staff opened although it would be closed
    CLOSED = "closed"  # a closure, or a day staff closed
    NOT_AN_OPENING_DAY = "not_an_opening_day"  # weekday the period does not open
    OUTSIDE_PERIOD = "outside_period"
    PUBLIC_HOLIDAY = "public_holiday"
    SCHOOL_HOLIDAYS = "school_holidays"  # school-time activity during the holidays
    OUTSIDE_HOLIDAYS = "outside_holidays"  # holiday activity during school time
    NOT_ENROLLED = "not_enrolled"
    ALREADY_BOOKED = "already_booked"
    NOT_BOOKED = "not_booked"
    PAST_DEADLINE = "past_deadline"
    BEYOND_HORIZON = "beyond_horizon"
    EXCLUSIVE = "exclusive"  # another unit the child has that day excludes this one
    MISSING_DEPENDENCY = "missing_dependency"  # needs another unit the same day
    ON_REQUEST = "on_request"  # a holiday session's day given by a draw, not first come
    FULL = "full"


CLOSED_REASONS = frozenset(
    {
        Reason.CLOSED,
        Reason.NOT_AN_OPENING_DAY,
        Reason.OUTSIDE_PERIOD,
        Reason.PUBLIC_HOLIDAY,
        Reason.SCHOOL_HOLIDAYS,
        Reason.OUTSIDE_HOLIDAYS,
    }
)


@dataclass(frozen=True, slots=True)
class Deadline:
    """`days` before the day, counted in calendar or working days, before `cutoff` local
    time on that day (END_OF_DAY: all that day)."""

    days: int
    counted_in: CountedIn = CountedIn.WORKING
    cutoff: time = time(9, 0)

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError("a deadline counts back zero or more days")


@dataclass(frozen=True, slots=True)
class Holidays:
    """Public holidays of the organisation's region and school holidays of its zone, over
    the dates the question needs (names only for people)."""

    public: Mapping[date, str] = field(default_factory=dict)
    school: Mapping[date, str] = field(default_factory=dict)


def last_day_to_act(rule: Deadline, day: date, public_holidays: Container[date]) -> date:
    """The last date on which a change to `day` may be made."""
    if rule.counted_in == CountedIn.CALENDAR or rule.days == 0:
        return day - timedelta(days=rule.days)
    last, remaining = day, rule.days
    while remaining:
        last -= timedelta(days=1)
        if last.weekday() < 5 and last not in public_holidays:
            remaining -= 1
    return last


def deadline_for(rule: Deadline, day: date, holidays: Holidays) -> datetime:
    """The instant from which a change to `day` is refused (aware, Europe/Paris)."""
    return datetime.combine(last_day_to_act(rule, day, holidays.public), rule.cutoff, PARIS)


# --- Opening -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodSpan:
    start: date
    end: date
    weekdays: frozenset[int]  # 0 = Monday

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class ActivityCalendar:
    activity_id: int
    season: Season
    periods: tuple[PeriodSpan, ...]
    closures: frozenset[date] = frozenset()
    opened_by_staff: frozenset[date] = frozenset()
    closed_by_staff: frozenset[date] = frozenset()


def opening(calendar: ActivityCalendar, day: date, holidays: Holidays) -> Reason | None:
    """None if the activity opens on `day`, else why not. Staff overrides come first."""
    if day in calendar.closed_by_staff:
        return Reason.CLOSED
    if day in calendar.opened_by_staff:
        return None
    period = next((p for p in calendar.periods if p.covers(day)), None)
    if period is None:
        return Reason.OUTSIDE_PERIOD
    if day.weekday() not in period.weekdays:
        return Reason.NOT_AN_OPENING_DAY
    if day in holidays.public:
        return Reason.PUBLIC_HOLIDAY
    if day in calendar.closures:
        return Reason.CLOSED
    school_holiday = day in holidays.school
    if calendar.season == Season.SCHOOL_TIME and school_holiday:
        return Reason.SCHOOL_HOLIDAYS
    if calendar.season == Season.HOLIDAYS and not school_holiday:
        return Reason.OUTSIDE_HOLIDAYS
    return None


# --- Units, children, capacity -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgeGroup:
    key: int
    min_age: int
    max_age: int
    capacity: int

    def includes(self, age: int) -> bool:
        return self.min_age <= age <= self.max_age


@dataclass(frozen=True, slots=True)
class UnitRules:
    unit_id: int
    activity_id: int
    booking: Deadline
    cancellation: Deadline
    horizon_days: int | None = None
    capacity: int | None = None  # None: no limit
    capacity_by_date: Mapping[date, int] = field(default_factory=dict)
    age_groups: tuple[AgeGroup, ...] = ()
    exclusive_with: frozenset[int] = frozenset()
    requires: frozenset[int] = frozenset()
    requires_enrollment: bool = True
    # Days given by a request window's draw until it is published (see RequestWindow).
    on_request: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class ChildContext:
    child_id: int
    birth_date: date
    # Validated enrollments: activity id -> the date ranges they cover.
    enrolled: Mapping[int, tuple[tuple[date, date], ...]] = field(default_factory=dict)
    # The units the child has (booked or asked) on each day.
    units_by_day: Mapping[date, frozenset[int]] = field(default_factory=dict)

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    def is_enrolled(self, activity_id: int, day: date) -> bool:
        return any(start <= day <= end for start, end in self.enrolled.get(activity_id, ()))

    def has(self, unit_id: int, day: date) -> bool:
        return unit_id in self.units_by_day.get(day, frozenset())


# Places taken: (unit id, day, age-group key or None) -> how many.
Counts = Mapping[tuple[int, date, int | None], int]


def places(
    unit: UnitRules, child: ChildContext, day: date, counts: Counts
) -> tuple[int | None, int]:
    """(capacity, taken) for the child's group on that day; capacity None means no limit.

    With age groups, a child counts against the group of their age; a child outside every
    group has no place.
    """
    if unit.age_groups:
        age = child.age_on(day)
        group = next((g for g in unit.age_groups if g.includes(age)), None)
        if group is None:
            return 0, 0
        return group.capacity, counts.get((unit.unit_id, day, group.key), 0)
    capacity = unit.capacity_by_date.get(day, unit.capacity)
    return capacity, counts.get((unit.unit_id, day, None), 0)


# --- Verdicts ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    reason: Reason
    # Until when the change can still be made (None when the day is closed).
    deadline: datetime | None = None
    # Beyond the horizon: from when it can be made.
    opens_at: datetime | None = None
    # The other unit involved (exclusivity, dependency).
    other_unit: int | None = None
    # Full but the waiting list is open.
    waiting_list: bool = False


def can_book(
    *,
    unit: UnitRules,
    calendar: ActivityCalendar,
    child: ChildContext,
    day: date,
    now: datetime,
    holidays: Holidays,
    counts: Counts,
    ignore_deadline: bool = False,
) -> Verdict:
    """`ignore_deadline`: staff acting for a family past the deadline or horizon (or
    publishing a draw), with a reason recorded by the caller; every other rule still
    holds."""
    closed = opening(calendar, day, holidays)
    if closed is not None:
        return Verdict(False, closed)
    if unit.requires_enrollment and not child.is_enrolled(unit.activity_id, day):
        return Verdict(False, Reason.NOT_ENROLLED)
    deadline = deadline_for(unit.booking, day, holidays)
    if child.has(unit.unit_id, day):
        return Verdict(False, Reason.ALREADY_BOOKED, deadline)
    if day in unit.on_request and not ignore_deadline:
        # No race for these days: families ask during the window, the draw decides.
        return Verdict(False, Reason.ON_REQUEST, deadline)
    if now >= deadline and not ignore_deadline:
        return Verdict(False, Reason.PAST_DEADLINE, deadline)
    if unit.horizon_days is not None and not ignore_deadline:
        first_day = day - timedelta(days=unit.horizon_days)
        if now.astimezone(PARIS).date() < first_day:
            opens = datetime.combine(first_day, time(0), PARIS)
            return Verdict(False, Reason.BEYOND_HORIZON, deadline, opens_at=opens)
    for other in unit.exclusive_with:
        if child.has(other, day):
            return Verdict(False, Reason.EXCLUSIVE, deadline, other_unit=other)
    for other in unit.requires:
        if not child.has(other, day):
            return Verdict(False, Reason.MISSING_DEPENDENCY, deadline, other_unit=other)
    capacity, taken = places(unit, child, day, counts)
    if capacity is not None and taken >= capacity:
        return Verdict(False, Reason.FULL, deadline, waiting_list=True)
    return Verdict(True, Reason.OK, deadline)


def can_cancel(
    *,
    unit: UnitRules,
    child: ChildContext,
    day: date,
    now: datetime,
    holidays: Holidays,
    ignore_deadline: bool = False,
) -> Verdict:
    """Cancelling before the cancellation deadline is free; after it the booking stays
    (and is billed unless staff excuse the absence)."""
    deadline = deadline_for(unit.cancellation, day, holidays)
    if not child.has(unit.unit_id, day):
        return Verdict(False, Reason.NOT_BOOKED, deadline)
    if now >= deadline and not ignore_deadline:
        return Verdict(False, Reason.PAST_DEADLINE, deadline)
    return Verdict(True, Reason.OK, deadline)


def typical_week_slots(
    *,
    typical_week: Mapping[int, Iterable[int]],
    units: Mapping[int, UnitRules],
    calendars: Mapping[int, ActivityCalendar],
    child: ChildContext,
    start: date,
    end: date,
    now: datetime,
    holidays: Holidays,
    counts: Counts,
) -> list[tuple[int, date, Verdict]]:
    """The (unit, day) pairs a typical week asks for between `start` and `end`, each with
    whether it can be booked now; closed days are left out."""
    slots = []
    day = start
    while day <= end:
        for unit_id in sorted(typical_week.get(day.weekday(), ())):
            unit = units[unit_id]
            verdict = can_book(
                unit=unit,
                calendar=calendars[unit.activity_id],
                child=child,
                day=day,
                now=now,
                holidays=holidays,
                counts=counts,
            )
            if verdict.reason not in CLOSED_REASONS:
                slots.append((unit_id, day, verdict))
        day += timedelta(days=1)
    return slots
