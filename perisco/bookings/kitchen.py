"""Kitchen counts: how many meals each school's kitchen prepares each day, by diet.

A meal is a booking held on a unit that includes one (`Unit.includes_meal`: the canteen's
lunch, the leisure centre's lunch or full day). A day's figure is provisional until every
deadline to book or cancel that day has passed, final after it (seed 000: "mieux anticiper
la fréquentation"). Counts come from one grouped query, whatever the number of children.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from perisco.activities.calendars import holidays_for
from perisco.activities.models import Unit
from perisco.activities.rules import deadline_for
from perisco.activities.selectors import days_between
from perisco.bookings.models import Booking
from perisco.bookings.states import HOLDING, State
from perisco.families.models import NESTED_DIETS, Diet

# A held booking is a meal to prepare, except one the family asked for and staff have not
# decided yet: it is shown apart, the kitchen decides how to plan for it.
MEAL_STATES = HOLDING - {State.REQUESTED}

STANDARD = "standard"
# The columns of every count, in this order. A child falls in exactly one: a packed meal
# (PAI) is brought by the family, else the strictest of the nested diets, else standard.
MEAL_KINDS: tuple[tuple[str, object], ...] = (
    (STANDARD, _("Standard")),
    (Diet.NO_PORK.value, Diet.NO_PORK.label),
    (Diet.NO_MEAT.value, Diet.NO_MEAT.label),
    (Diet.VEGETARIAN.value, Diet.VEGETARIAN.label),
    (Diet.PACKED_MEAL.value, Diet.PACKED_MEAL.label),
)
KIND_KEYS = tuple(key for key, _label in MEAL_KINDS)


def meal_kind(diets: list[str] | None) -> str:
    """The one column a child's meal is counted in."""
    diets = diets or []
    if Diet.PACKED_MEAL in diets:
        return Diet.PACKED_MEAL.value
    for diet in reversed(NESTED_DIETS):  # the strictest first
        if diet in diets:
            return diet.value
    return STANDARD


@dataclass
class MealCount:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KIND_KEYS, 0))
    requested: int = 0  # asked by the family, awaiting staff: not in the counts

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def to_cook(self) -> int:
        return self.total - self.counts[Diet.PACKED_MEAL.value]

    @property
    def values(self) -> list[int]:
        return [self.counts[key] for key in KIND_KEYS]

    @property
    def cells(self) -> list[tuple[object, int]]:
        """(column label, count), in the columns' order."""
        return [(label, self.counts[key]) for key, label in MEAL_KINDS]

    def add(self, other: "MealCount") -> None:
        for key in KIND_KEYS:
            self.counts[key] += other.counts[key]
        self.requested += other.requested


@dataclass
class SiteCount:
    """One school (or a facility without a school, such as a leisure centre) on a day."""

    name: str
    meals: MealCount
    final: bool
    deadline: datetime  # the last moment a family may still change that day


@dataclass
class KitchenDay:
    day: date
    sites: list[SiteCount]

    @property
    def final(self) -> bool:
        return all(site.final for site in self.sites)

    @property
    def deadline(self) -> datetime | None:
        return max((site.deadline for site in self.sites), default=None)

    @property
    def total(self) -> MealCount:
        total = MealCount()
        for site in self.sites:
            total.add(site.meals)
        return total


def _site(unit: Unit) -> tuple[tuple[str, int], str]:
    facility = unit.activity.facility
    if facility.school is not None:
        return ("school", facility.school.pk), facility.school.name
    return ("facility", facility.pk), facility.name


def kitchen_counts(start: date, end: date, *, now: datetime) -> list[KitchenDay]:
    """Meals per site and diet for each day of [start, end] on which a meal unit is open
    or booked. Two queries, whatever the number of children, schools or days."""
    units = list(
        Unit.objects.filter(includes_meal=True).select_related(
            "activity__facility__school", "organisation"
        )
    )
    if not units:
        return []
    holidays = holidays_for(units[0].organisation, start, end)
    by_unit = {unit.pk: unit for unit in units}
    rows = (
        Booking.objects.filter(
            unit__in=list(by_unit),
            day__gte=start,
            day__lte=end,
            state__in=MEAL_STATES | {State.REQUESTED},
        )
        .values("day", "unit_id", "state", "child__diets")
        .annotate(n=Count("pk"))
        .order_by()
    )
    meals: dict[date, dict[tuple, MealCount]] = defaultdict(lambda: defaultdict(MealCount))
    deadlines: dict[tuple[date, tuple], datetime] = {}
    names: dict[tuple, str] = {}
    for row in rows:
        unit = by_unit[row["unit_id"]]
        key, names[key] = _site(unit)
        count = meals[row["day"]][key]
        if row["state"] == State.REQUESTED:
            count.requested += row["n"]
        else:
            count.counts[meal_kind(row["child__diets"])] += row["n"]
        activity = unit.activity
        deadline = max(
            deadline_for(activity.booking_deadline, row["day"], holidays),
            deadline_for(activity.cancellation_deadline, row["day"], holidays),
        )
        deadlines[row["day"], key] = max(deadline, deadlines.get((row["day"], key), deadline))
    days = []
    for day in days_between(start, end):
        if day not in meals:
            continue
        sites = [
            SiteCount(
                names[key],
                count,
                final=now >= deadlines[day, key],
                deadline=deadlines[day, key],
            )
            for key, count in meals[day].items()
        ]
        days.append(KitchenDay(day, sorted(sites, key=lambda site: site.name)))
    return days
