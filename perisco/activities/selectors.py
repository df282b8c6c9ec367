"""Reads for activities: the rule engine's inputs, loaded in a fixed number of queries."""

import calendar as month_calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from perisco.activities.calendars import holidays_for
from perisco.activities.models import (
    Activity,
    CapacityOverride,
    Closure,
    DayOverride,
    Enrollment,
    EnrollmentStatus,
    Period,
    Unit,
)
from perisco.activities.rules import (
    ActivityCalendar,
    AgeGroup,
    ChildContext,
    Holidays,
    PeriodSpan,
    Reason,
    Season,
    UnitRules,
    Verdict,
    can_book,
    opening,
    typical_week_slots,
)
from perisco.core.models import Organisation
from perisco.families.models import Child, Family


def _dates(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@dataclass(frozen=True)
class Catalogue:
    """The engine's view of some activities over a window of dates."""

    activities: dict[int, Activity]
    units: dict[int, Unit]
    rules: dict[int, UnitRules]
    calendars: dict[int, ActivityCalendar]


def catalogue_for(activity_ids: Iterable[int], start: date, end: date) -> Catalogue:
    """Rules and calendars of the activities over [start, end]: eight queries, whatever
    the number of activities, units or days."""
    in_window = Q(date__gte=start, date__lte=end)
    activities = {
        a.pk: a
        for a in Activity.objects.filter(pk__in=list(activity_ids))
        .select_related("facility")
        .prefetch_related(
            "periods",
            Prefetch("day_overrides", queryset=DayOverride.objects.filter(in_window)),
            Prefetch(
                "units",
                queryset=Unit.objects.prefetch_related(
                    "exclusive_with",
                    "requires",
                    "age_groups",
                    Prefetch(
                        "capacity_overrides", queryset=CapacityOverride.objects.filter(in_window)
                    ),
                ),
            ),
        )
    }
    facility_ids = {a.facility_id for a in activities.values()}
    closures = Closure.objects.filter(start__lte=end, end__gte=start).filter(
        Q(activity__in=list(activities))
        | Q(facility__in=facility_ids, activity__isnull=True)
        | Q(facility__isnull=True, activity__isnull=True)
    )
    closed: dict[int, set[date]] = defaultdict(set)
    for closure in closures:
        days = set(_dates(max(closure.start, start), min(closure.end, end)))
        for activity in activities.values():
            if closure.activity_id in (None, activity.pk) and closure.facility_id in (
                None,
                activity.facility_id,
            ):
                closed[activity.pk] |= days
    calendars, rules, units = {}, {}, {}
    for activity in activities.values():
        overrides = list(activity.day_overrides.all())
        calendars[activity.pk] = ActivityCalendar(
            activity_id=activity.pk,
            season=Season(activity.season),
            periods=tuple(
                PeriodSpan(p.start, p.end, frozenset(p.weekdays)) for p in activity.periods.all()
            ),
            closures=frozenset(closed[activity.pk]),
            opened_by_staff=frozenset(o.date for o in overrides if o.is_open),
            closed_by_staff=frozenset(o.date for o in overrides if not o.is_open),
        )
        for unit in activity.units.all():
            units[unit.pk] = unit
            rules[unit.pk] = UnitRules(
                unit_id=unit.pk,
                activity_id=activity.pk,
                booking=activity.booking_deadline,
                cancellation=activity.cancellation_deadline,
                horizon_days=activity.horizon_days,
                capacity=unit.capacity,
                capacity_by_date={o.date: o.capacity for o in unit.capacity_overrides.all()},
                age_groups=tuple(
                    AgeGroup(g.pk, g.min_age, g.max_age, g.capacity) for g in unit.age_groups.all()
                ),
                exclusive_with=frozenset(u.pk for u in unit.exclusive_with.all()),
                requires=frozenset(u.pk for u in unit.requires.all()),
                requires_enrollment=activity.requires_enrollment,
            )
    return Catalogue(activities, units, rules, calendars)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, month_calendar.monthrange(year, month)[1])


# --- A family's month ----------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    activity: Activity
    pending: bool  # enrollment awaiting validation (seed 003's question mark)
    cells: list[tuple[date, Verdict]]


@dataclass(frozen=True)
class ChildMonth:
    child: Child
    rows: list[UnitRow]


@dataclass(frozen=True)
class FamilyMonth:
    start: date
    end: date
    days: list[date]
    children: list[ChildMonth]
    holidays: Holidays


def family_month(family: Family, year: int, month: int, now: datetime) -> FamilyMonth:
    """Every child × unit × day of a month with the engine's verdict, in a fixed number of
    queries (children, enrollments, then the catalogue)."""
    start, end = month_bounds(year, month)
    children = list(family.children.order_by("birth_date"))
    enrollments = list(
        Enrollment.objects.filter(
            child__in=children,
            start__lte=end,
            end__gte=start,
            status__in=(EnrollmentStatus.PENDING, EnrollmentStatus.VALIDATED),
        ).order_by("activity__name")
    )
    catalogue = catalogue_for({e.activity_id for e in enrollments}, start, end)
    holidays = holidays_for(family.organisation, start, end)
    days = _dates(start, end)
    result = []
    for child in children:
        mine = [e for e in enrollments if e.child_id == child.pk]
        enrolled: dict[int, list[tuple[date, date]]] = defaultdict(list)
        for enrollment in mine:
            if enrollment.status == EnrollmentStatus.VALIDATED:
                enrolled[enrollment.activity_id].append((enrollment.start, enrollment.end))
        context = ChildContext(
            child_id=child.pk,
            birth_date=child.birth_date,
            enrolled={k: tuple(v) for k, v in enrolled.items()},
        )
        rows = []
        seen: set[int] = set()
        for enrollment in mine:
            if enrollment.activity_id in seen:
                continue
            seen.add(enrollment.activity_id)
            activity = catalogue.activities[enrollment.activity_id]
            for unit in activity.units.all():
                cells = [
                    (
                        day,
                        can_book(
                            unit=catalogue.rules[unit.pk],
                            calendar=catalogue.calendars[activity.pk],
                            child=context,
                            day=day,
                            now=now,
                            holidays=holidays,
                            counts={},
                        ),
                    )
                    for day in days
                ]
                rows.append(
                    UnitRow(unit, activity, enrollment.status == EnrollmentStatus.PENDING, cells)
                )
        result.append(ChildMonth(child, rows))
    return FamilyMonth(start, end, days, result, holidays)


@dataclass(frozen=True)
class OpeningMonth:
    start: date
    days: list[date]
    opening: dict[date, Reason | None]
    holidays: Holidays

    @property
    def previous(self) -> str:
        before = self.start - timedelta(days=1)
        return f"{before.year}-{before.month:02d}"

    @property
    def next(self) -> str:
        after = self.days[-1] + timedelta(days=1)
        return f"{after.year}-{after.month:02d}"


def activity_opening_month(
    activity: Activity, organisation: Organisation, year: int, month: int
) -> OpeningMonth:
    """Which days of a month an activity opens, and why not on the others (for staff)."""
    start, end = month_bounds(year, month)
    calendar = catalogue_for([activity.pk], start, end).calendars[activity.pk]
    holidays = holidays_for(organisation, start, end)
    days = _dates(start, end)
    return OpeningMonth(start, days, {d: opening(calendar, d, holidays) for d in days}, holidays)


def activity_list() -> QuerySet[Activity]:
    return Activity.objects.select_related("facility", "activity_type").prefetch_related(
        "periods", "units"
    )


def periods_open_for_enrollment(today: date) -> QuerySet[Period]:
    return Period.objects.filter(end__gte=today, activity__is_active=True).select_related(
        "activity__facility", "activity__activity_type"
    )


def typical_week_preview(
    enrollment: Enrollment, now: datetime, start: date | None = None
) -> list[tuple[Unit, date, Verdict]]:
    """What the typical week of an enrollment asks for from `start` (default: today), day
    by day, and whether each can still be booked now (for staff deciding, and for the
    booking service, which asks the engine again with the places taken)."""
    catalogue = catalogue_for([enrollment.activity_id], enrollment.start, enrollment.end)
    holidays = holidays_for(enrollment.organisation, enrollment.start, enrollment.end)
    child = ChildContext(
        child_id=enrollment.child_id,
        birth_date=enrollment.child.birth_date,
        enrolled={enrollment.activity_id: ((enrollment.start, enrollment.end),)},
    )
    slots = typical_week_slots(
        typical_week=enrollment.typical_units(),
        units=catalogue.rules,
        calendars=catalogue.calendars,
        child=child,
        start=max(enrollment.start, start or timezone.localdate(now)),
        end=enrollment.end,
        now=now,
        holidays=holidays,
        counts={},
    )
    return [(catalogue.units[unit_id], day, verdict) for unit_id, day, verdict in slots]


def enrollment_queue(*, status: str = EnrollmentStatus.PENDING, activity_id: int | None = None):
    enrollments = Enrollment.objects.select_related(
        "child", "family", "activity", "period"
    ).order_by("created_at", "pk")
    if status:
        enrollments = enrollments.filter(status=status)
    if activity_id:
        enrollments = enrollments.filter(activity_id=activity_id)
    return enrollments


def family_enrollments(family: Family) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(family=family)
        .select_related("child", "activity__facility", "period")
        .order_by("child__first_name", "-start")
    )


def children_of_class(school_id: int, school_class: str) -> QuerySet[Child]:
    children = Child.objects.filter(school_id=school_id).order_by("last_name", "first_name")
    if school_class:
        children = children.filter(school_class__iexact=school_class.strip())
    return children.prefetch_related("families")
