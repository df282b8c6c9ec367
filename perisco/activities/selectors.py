"""Reads for activities: the rule engine's inputs, loaded in a fixed number of queries."""

import calendar as month_calendar
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, timedelta
from typing import Any

import django
from django.db.models import CharField, DateField, F, IntegerField, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from perisco.activities import catalogue_cache
from perisco.activities.calendars import holidays_for
from perisco.activities.models import (
    Activity,
    ActivityType,
    AgeGroupCapacity,
    CapacityOverride,
    Closure,
    DayOverride,
    Enrollment,
    EnrollmentStatus,
    Facility,
    Period,
    RequestWindow,
    Unit,
)
from perisco.activities.rules import (
    ActivityCalendar,
    AgeGroup,
    ChildContext,
    Counts,
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
from perisco.core.models import Organisation, School
from perisco.core.scoping import current_organisation_id
from perisco.families.models import Child, Family
from perisco.families.selectors import requests_window_start


def days_between(start: date, end: date) -> list[date]:
    """Every day from `start` to `end`, both included."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@dataclass(frozen=True)
class Catalogue:
    """The engine's view of some activities over a window of dates."""

    activities: dict[int, Activity]
    units: dict[int, Unit]
    rules: dict[int, UnitRules]
    calendars: dict[int, ActivityCalendar]
    # Why an activity is closed on a day, for people: the closure's label, or the reason
    # staff gave when closing the day.
    closure_labels: dict[int, dict[date, str]]
    # What pages drew from this catalogue (calendar cells), kept with it while it is
    # current: the next family's page reuses them.
    drawn: dict = field(default_factory=dict, compare=False, repr=False)


def _catalogue_shape() -> str:
    """What a cached catalogue is made of: a new release that changes it reads none that
    an older one left in the shared cache."""
    parts = [django.__version__]
    for kind in (Catalogue, UnitRules, ActivityCalendar, AgeGroup, PeriodSpan):
        parts.append(",".join(f.name for f in dataclass_fields(kind)))
    for model in (Activity, Unit, Facility, Period, DayOverride):
        parts.append(",".join(f.attname for f in model._meta.concrete_fields))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


CATALOGUE_SHAPE = _catalogue_shape()


def catalogue_for(activity_ids: Iterable[int], start: date, end: date) -> Catalogue:
    """Rules and calendars of the activities over [start, end], from the cache when the
    organisation's catalogue has not changed since (see `activities.catalogue_cache`);
    else eight queries, whatever the number of activities, units or days."""
    ids = tuple(sorted(set(activity_ids)))
    return catalogue_cache.cached(
        current_organisation_id(),
        ids,
        start,
        end,
        lambda: _catalogue_load(ids, start, end),
        shape=CATALOGUE_SHAPE,
    )


def _catalogue_load(activity_ids: Iterable[int], start: date, end: date) -> Catalogue:
    in_window = Q(date__gte=start, date__lte=end)
    activities = {
        a.pk: a
        for a in Activity.objects.filter(pk__in=list(activity_ids))
        .select_related("facility")
        .prefetch_related(
            "periods",
            Prefetch("day_overrides", queryset=DayOverride.objects.filter(in_window)),
            "units",
        )
    }
    unit_ids = [u.pk for a in activities.values() for u in a.units.all()]
    links, groups, places_on = _unit_links(unit_ids, start, end)
    facility_ids = {a.facility_id for a in activities.values()}
    closures = Closure.objects.filter(start__lte=end, end__gte=start).filter(
        Q(activity__in=list(activities))
        | Q(facility__in=facility_ids, activity__isnull=True)
        | Q(facility__isnull=True, activity__isnull=True)
    )
    closed: dict[int, set[date]] = defaultdict(set)
    labels: dict[int, dict[date, str]] = defaultdict(dict)
    for closure in closures:
        days = set(days_between(max(closure.start, start), min(closure.end, end)))
        for activity in activities.values():
            if closure.activity_id in (None, activity.pk) and closure.facility_id in (
                None,
                activity.facility_id,
            ):
                closed[activity.pk] |= days
                labels[activity.pk].update(dict.fromkeys(days, closure.label))
    on_request: dict[int, set[date]] = defaultdict(set)
    for window in RequestWindow.objects.filter(
        unit__in=unit_ids,
        published_at__isnull=True,
        period__start__lte=end,
        period__end__gte=start,
    ).select_related("period"):
        period = window.period
        on_request[window.unit_id] |= set(
            days_between(max(period.start, start), min(period.end, end))
        )
    calendars, rules, units = {}, {}, {}
    for activity in activities.values():
        overrides = list(activity.day_overrides.all())
        labels[activity.pk].update(
            {o.date: o.reason for o in overrides if not o.is_open and o.reason}
        )
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
                capacity_by_date=places_on[unit.pk],
                age_groups=tuple(groups[unit.pk]),
                exclusive_with=frozenset(links[("x", unit.pk)]),
                requires=frozenset(links[("r", unit.pk)]),
                requires_enrollment=activity.requires_enrollment,
                on_request=frozenset(on_request.get(unit.pk, ())),
            )
    return Catalogue(activities, units, rules, calendars, dict(labels))


def _unit_links(unit_ids: list[int], start: date, end: date):
    """The units' exclusivities and dependencies (one query for both tables), and their
    age groups and places changed on a day (one query for both)."""
    links: dict[tuple[str, int], set[int]] = defaultdict(set)
    groups: dict[int, list[AgeGroup]] = defaultdict(list)
    overrides: dict[int, dict[date, int]] = defaultdict(dict)
    if not unit_ids:
        return links, groups, overrides
    exclusive = Unit.exclusive_with.through.objects.filter(from_unit_id__in=unit_ids).values_list(
        Value("x", output_field=CharField()), "from_unit_id", "to_unit_id"
    )
    requires_table: Any = Unit.requires.through
    requires = requires_table.objects.filter(from_unit_id__in=unit_ids).values_list(
        Value("r", output_field=CharField()), "from_unit_id", "to_unit_id"
    )
    for kind, unit_id, other in exclusive.union(requires, all=True):
        links[(kind, unit_id)].add(other)
    by_age = (
        AgeGroupCapacity.objects.filter(unit_id__in=unit_ids)
        .order_by()
        .values_list(
            "unit_id", "pk", "min_age", "max_age", "capacity", Value(None, output_field=DateField())
        )
    )
    by_day = (
        CapacityOverride.objects.filter(unit_id__in=unit_ids, date__gte=start, date__lte=end)
        .order_by()
        .values_list(
            "unit_id",
            Value(0, output_field=IntegerField()),
            Value(0, output_field=IntegerField()),
            Value(0, output_field=IntegerField()),
            "capacity",
            "date",
        )
    )
    for unit_id, pk, min_age, max_age, capacity, day in by_age.union(by_day, all=True):
        if day is None:
            groups[unit_id].append(AgeGroup(pk, min_age, max_age, capacity))
        else:
            overrides[unit_id][day] = capacity
    for unit_groups in groups.values():
        unit_groups.sort(key=lambda g: (g.min_age, g.key))
    return links, groups, overrides


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, month_calendar.monthrange(year, month)[1])


# --- A family's month ----------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    activity: Activity
    pending: bool  # enrollment awaiting validation (seed 003's question mark)
    cells: list[tuple[date, Verdict]]
    # Why the activity is closed on some days (closure label, staff's reason).
    notes: dict[date, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChildMonth:
    child: Child
    rows: list[UnitRow]

    def closures(self) -> list[tuple[date, str, str]]:
        """(day, activity, reason) of the days a closure shuts one of the child's activities."""
        seen = {
            (day, row.activity.name, row.notes[day])
            for row in self.rows
            for day, verdict in row.cells
            if verdict.reason == Reason.CLOSED and day in row.notes
        }
        return sorted(seen)


@dataclass(frozen=True)
class FamilyMonth:
    start: date
    end: date
    days: list[date]
    children: list[ChildMonth]
    holidays: Holidays
    # The rules the verdicts came from (for callers asking the engine more, e.g. until
    # when a booked day can be cancelled).
    catalogue: Catalogue | None = None
    contexts: dict[int, ChildContext] = field(default_factory=dict)


def family_month(
    family: Family,
    year: int,
    month: int,
    now: datetime,
    *,
    held: Mapping[int, Mapping[date, frozenset[int]]] | None = None,
    counts: Counts | None = None,
    span: tuple[date, date] | None = None,
) -> FamilyMonth:
    """Every child × unit × day of a month with the engine's verdict, in a fixed number of
    queries (children, enrollments, then the catalogue).

    `held` (child id -> day -> units the child holds) and `counts` (places taken) are the
    bookings' side, which this app does not read: without them every day looks free and
    unbooked. `span` shows other days than the month's (a week)."""
    start, end = span or month_bounds(year, month)
    held = held or {}
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
    days = days_between(start, end)
    result = []
    contexts: dict[int, ChildContext] = {}
    # Brothers and sisters enrolled alike, holding the same units, get the same verdicts:
    # each is asked of the engine once per page.
    verdicts: dict[tuple, Verdict] = {}
    counts = counts or {}
    for child in children:
        child_id = child.pk
        mine = [e for e in enrollments if e.child_id == child_id]
        enrolled: dict[int, list[tuple[date, date]]] = defaultdict(list)
        for enrollment in mine:
            if enrollment.status == EnrollmentStatus.VALIDATED:
                enrolled[enrollment.activity_id].append((enrollment.start, enrollment.end))
        context = ChildContext(
            child_id=child_id,
            birth_date=child.birth_date,
            enrolled={k: tuple(v) for k, v in enrolled.items()},
            units_by_day=held.get(child_id, {}),
        )
        contexts[child_id] = context
        units_by_day = context.units_by_day
        rows = []
        seen: set[int] = set()
        for enrollment in mine:
            activity_id = enrollment.activity_id
            if activity_id in seen:
                continue
            seen.add(activity_id)
            activity = catalogue.activities[activity_id]
            calendar = catalogue.calendars[activity_id]
            spans = context.enrolled.get(activity_id, ())
            for unit in activity.units.all():
                rules = catalogue.rules[unit.pk]
                age = child.birth_date if rules.age_groups else None
                cells = []
                for day in days:
                    key = (unit.pk, day, spans, units_by_day.get(day), age)
                    verdict = verdicts.get(key)
                    if verdict is None:
                        verdict = verdicts[key] = can_book(
                            unit=rules,
                            calendar=calendar,
                            child=context,
                            day=day,
                            now=now,
                            holidays=holidays,
                            counts=counts,
                        )
                    cells.append((day, verdict))
                rows.append(
                    UnitRow(
                        unit,
                        activity,
                        enrollment.status == EnrollmentStatus.PENDING,
                        cells,
                        catalogue.closure_labels.get(activity_id, {}),
                    )
                )
        result.append(ChildMonth(child, rows))
    return FamilyMonth(start, end, days, result, holidays, catalogue, contexts)


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
    days = days_between(start, end)
    return OpeningMonth(start, days, {d: opening(calendar, d, holidays) for d in days}, holidays)


def closures_to_come(today: date, activity: Activity | None = None) -> QuerySet[Closure]:
    """Closures ending today or later; for one activity, those that close it (its own,
    its facility's and the organisation's)."""
    closures = Closure.objects.select_related("facility", "activity").filter(end__gte=today)
    if activity is not None:
        closures = closures.filter(
            Q(activity=activity)
            | Q(activity__isnull=True, facility=activity.facility_id)
            | Q(activity__isnull=True, facility__isnull=True)
        )
    return closures


def activity_list() -> QuerySet[Activity]:
    return Activity.objects.select_related("facility", "activity_type").prefetch_related(
        "periods", "units"
    )


def periods_open_for_enrollment(today: date, child: Child | None = None) -> QuerySet[Period]:
    """Periods not over yet of active activities; for a child, only those open to them
    (a school's activities are for its pupils)."""
    periods = Period.objects.filter(end__gte=today, activity__is_active=True).select_related(
        "activity__facility", "activity__activity_type"
    )
    if child is not None:
        periods = periods.filter(
            Q(activity__facility__school__isnull=True)
            | Q(activity__facility__school=child.school_id)
        )
    return periods


@dataclass(frozen=True)
class EnrollmentChoice:
    """The chained choices of a new enrollment (facility → type → activity → period, seed
    003): the options at each step and what is chosen. A step with a single option picks
    it, so a family never has to choose among one."""

    facilities: list[Facility]
    facility: Facility | None
    activity_types: list[ActivityType]
    activity_type: ActivityType | None
    activities: list[Activity]
    activity: Activity | None
    periods: list[Period]
    period: Period | None


def _pick(options: list, chosen_pk: str | int | None):
    chosen = next((o for o in options if str(o.pk) == str(chosen_pk)), None)
    if chosen is None and len(options) == 1:
        return options[0]
    return chosen


def _distinct(items) -> list:
    return list({item.pk: item for item in items}.values())


def enrollment_choice(
    *, today: date, child: Child | None, chosen: dict[str, str | int | None]
) -> EnrollmentChoice:
    """`chosen` holds the pks asked for ("facility", "activity_type", "activity",
    "period"); one that is not an option (a stale choice after the facility changed) is
    ignored. With a child, only the activities open to them: a school's activities are
    for its pupils. One query."""
    periods = list(
        periods_open_for_enrollment(today).order_by(
            "activity__facility__name", "activity__name", "start"
        )
    )
    if child is not None:
        periods = [p for p in periods if p.activity.facility.school_id in (None, child.school_id)]
    facilities = _distinct(p.activity.facility for p in periods)
    facility = _pick(facilities, chosen.get("facility"))
    periods = [p for p in periods if facility and p.activity.facility_id == facility.pk]
    types = sorted(_distinct(p.activity.activity_type for p in periods), key=lambda t: t.name)
    activity_type = _pick(types, chosen.get("activity_type")) if facility else None
    periods = [
        p for p in periods if activity_type and p.activity.activity_type_id == activity_type.pk
    ]
    activities = _distinct(p.activity for p in periods)
    activity = _pick(activities, chosen.get("activity")) if activity_type else None
    periods = [p for p in periods if activity and p.activity_id == activity.pk]
    period = _pick(periods, chosen.get("period")) if activity else None
    return EnrollmentChoice(
        facilities, facility, types, activity_type, activities, activity, periods, period
    )


def typical_week_preview(
    enrollment: Enrollment, now: datetime, start: date | None = None, end: date | None = None
) -> list[tuple[Unit, date, Verdict]]:
    """What the typical week of an enrollment asks for from `start` (default: today) to
    `end` (default: the enrollment's end), day by day, and whether each can still be
    booked now (for staff deciding, and for the booking service, which asks the engine
    again with the places taken)."""
    first = max(enrollment.start, start or timezone.localdate(now))
    last = min(enrollment.end, end or enrollment.end)
    if last < first:
        return []
    catalogue = catalogue_for([enrollment.activity_id], first, last)
    holidays = holidays_for(enrollment.organisation, first, last)
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
        start=first,
        end=last,
        now=now,
        holidays=holidays,
        counts={},
    )
    return [(catalogue.units[unit_id], day, verdict) for unit_id, day, verdict in slots]


def enrollment_queue(*, status: str = EnrollmentStatus.PENDING, activity_id: int | None = None):
    enrollments = (
        Enrollment.objects.select_related("child", "family", "activity", "period")
        .prefetch_related("activity__units")
        .order_by("created_at", "pk")
    )
    if status:
        enrollments = enrollments.filter(status=status)
    if activity_id:
        enrollments = enrollments.filter(activity_id=activity_id)
    return enrollments


def family_enrollments(family: Family) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(family=family)
        .select_related("child", "activity__facility", "period")
        .prefetch_related("activity__units")
        .order_by("child__first_name", "-start")
    )


def school_classes(school_id: int | None = None) -> list[tuple[School, list[str]]]:
    """The classes the children's files give, by school (one school's if `school_id`)."""
    rows = Child.objects.exclude(school__isnull=True).exclude(school_class="")
    if school_id is not None:
        rows = rows.filter(school_id=school_id)
    by_school: dict[int, set[str]] = defaultdict(set)
    for pk, school_class in rows.values_list("school_id", "school_class"):
        by_school[pk].add(school_class.strip().upper())
    schools = School.objects.filter(pk__in=list(by_school)).order_by("name")
    return [(school, sorted(by_school[school.pk], key=_class_order)) for school in schools]


# French classes from the youngest: nursery (PS, MS, GS), then elementary (CP … CM2).
CLASS_ORDER = ["TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]


def _class_order(name: str) -> tuple[int, str]:
    return (CLASS_ORDER.index(name) if name in CLASS_ORDER else len(CLASS_ORDER), name)


def family_enrollment_requests(family: Family, *, everything: bool = False):
    """Enrollments the family asked for, for "Mes demandes": the same window as its change
    requests (the last month, or everything). Enrollments made by staff directly were not
    asked for and are listed under "Enrollments" only."""
    enrollments = (
        Enrollment.objects.filter(family=family)
        # Made and validated at once by the same staff member: not a request.
        .exclude(status=EnrollmentStatus.VALIDATED, decided_by=F("requested_by"))
        .select_related("child", "activity__facility", "period")
        .prefetch_related("activity__units")
    )
    if not everything:
        enrollments = enrollments.filter(created_at__gte=requests_window_start())
    return enrollments


def children_of_class(school_id: int, school_class: str) -> QuerySet[Child]:
    children = Child.objects.filter(school_id=school_id).order_by("last_name", "first_name")
    if school_class:
        children = children.filter(school_class__iexact=school_class.strip())
    return children.prefetch_related("families")
