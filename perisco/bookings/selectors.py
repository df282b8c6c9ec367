"""Reads on bookings: what a family holds in a month, how full an activity is."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, QuerySet

from perisco.activities.calendars import holidays_for
from perisco.activities.models import Activity
from perisco.activities.rules import Reason, opening
from perisco.activities.selectors import catalogue_for, month_bounds
from perisco.bookings.models import Absence, Booking, PlaceCounter
from perisco.bookings.states import HOLDING, LIVE, State
from perisco.families.models import Family


def family_bookings(family: Family, start: date, end: date) -> QuerySet[Booking]:
    """The live bookings of a family's children between two days, whichever household
    made them (garde alternée: the other household's days show, not editable)."""
    return Booking.objects.filter(
        child__families=family, day__gte=start, day__lte=end, state__in=sorted(LIVE)
    )


def held_units(bookings: list[Booking]) -> dict[int, dict[date, frozenset[int]]]:
    """child id -> day -> the units the child holds (for exclusivity and dependency)."""
    held: dict[int, dict[date, set[int]]] = defaultdict(lambda: defaultdict(set))
    for booking in bookings:
        if booking.state in HOLDING:
            held[booking.child_id][booking.day].add(booking.unit_id)
    return {c: {d: frozenset(u) for d, u in days.items()} for c, days in held.items()}


def places_taken(unit_ids: list[int], start: date, end: date) -> dict:
    """(unit, day, age group or None) -> places taken, as the engine counts them."""
    return {
        (c.unit_id, c.day, c.group or None): c.taken
        for c in PlaceCounter.objects.filter(unit_id__in=unit_ids, day__gte=start, day__lte=end)
    }


# --- Occupancy (staff) ---------------------------------------------------------------


@dataclass(frozen=True)
class OccupancyCell:
    day: date
    closed: Reason | None
    taken: int
    capacity: int | None  # None: no limit
    waiting: int

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.taken >= self.capacity


@dataclass(frozen=True)
class OccupancyRow:
    unit_id: int
    name: str
    cells: list[OccupancyCell]


def activity_occupancy(activity: Activity, year: int, month: int) -> list[OccupancyRow]:
    """Booked / places / waiting per unit and day of a month, in a fixed number of
    queries (the catalogue, the counters, the waiting lists)."""
    start, end = month_bounds(year, month)
    catalogue = catalogue_for([activity.pk], start, end)
    holidays = holidays_for(activity.organisation, start, end)
    calendar = catalogue.calendars[activity.pk]
    unit_ids = [u.pk for u in activity_units(catalogue, activity.pk)]
    taken: Counter = Counter()
    for counter in PlaceCounter.objects.filter(unit_id__in=unit_ids, day__gte=start, day__lte=end):
        taken[(counter.unit_id, counter.day)] += counter.taken
    waiting: Counter = Counter()
    for row in (
        Booking.objects.filter(
            unit_id__in=unit_ids, day__gte=start, day__lte=end, state=State.WAITING
        )
        .values("unit_id", "day")
        .annotate(n=Count("pk"))
    ):
        waiting[(row["unit_id"], row["day"])] = row["n"]
    days = [date.fromordinal(n) for n in range(start.toordinal(), end.toordinal() + 1)]
    rows = []
    for unit in activity_units(catalogue, activity.pk):
        rules = catalogue.rules[unit.pk]
        cells = []
        for day in days:
            if rules.age_groups:
                capacity: int | None = sum(g.capacity for g in rules.age_groups)
            else:
                capacity = rules.capacity_by_date.get(day, rules.capacity)
            cells.append(
                OccupancyCell(
                    day,
                    opening(calendar, day, holidays),
                    taken[(unit.pk, day)],
                    capacity,
                    waiting[(unit.pk, day)],
                )
            )
        rows.append(OccupancyRow(unit.pk, unit.name, cells))
    return rows


def activity_units(catalogue, activity_id: int) -> list:
    return sorted(
        (u for u in catalogue.units.values() if u.activity_id == activity_id),
        key=lambda u: (u.position, u.name),
    )


def waiting_list(unit_id: int, day: date) -> QuerySet[Booking]:
    """The waiting list of a unit's day, first first."""
    return (
        Booking.objects.filter(unit_id=unit_id, day=day, state=State.WAITING)
        .select_related("child", "family")
        .order_by("group", "requested_at", "pk")
    )


def booking_queue() -> QuerySet[Booking]:
    """Requested bookings and cancellation requests awaiting staff, oldest first."""
    return (
        Booking.objects.filter(state__in=(State.REQUESTED, State.CANCEL_REQUESTED))
        .select_related("child", "family", "unit", "activity")
        .order_by("updated_at", "pk")
    )


def child_booking_history(child_id: int) -> QuerySet:
    from perisco.bookings.models import BookingChange

    return (
        BookingChange.objects.filter(booking__child_id=child_id)
        .select_related("booking__unit", "booking__activity", "actor", "action")
        .order_by("-at", "-pk")
    )


def absences_to_review() -> QuerySet[Absence]:
    return (
        Absence.objects.filter(review=Absence.Review.TO_REVIEW)
        .select_related("child", "family", "document")
        .order_by("declared_at", "pk")
    )
