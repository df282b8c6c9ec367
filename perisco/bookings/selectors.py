"""Reads on bookings: what a family holds in a month, how full an activity is."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from perisco.activities.calendars import holidays_for
from perisco.activities.models import Activity, Enrollment, EnrollmentStatus, Unit
from perisco.activities.rules import CLOSED_REASONS, Reason, Verdict, can_cancel, opening
from perisco.activities.selectors import (
    ChildMonth,
    FamilyMonth,
    UnitRow,
    catalogue_for,
    days_between,
    family_month,
    month_bounds,
)
from perisco.bookings.models import (
    Absence,
    AttendanceMark,
    AttendanceSheet,
    Booking,
    BookingAction,
    PlaceCounter,
)
from perisco.bookings.states import HOLDING, LIVE, Outcome, State
from perisco.families.models import Child, Family
from perisco.families.selectors import child_care_cards


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
    days = days_between(start, end)
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


def waiting_from(day: date) -> QuerySet[Booking]:
    """Bookings on a waiting list for `day` or later."""
    return Booking.objects.filter(state=State.WAITING, day__gte=day)


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
    """Absences past the deadline awaiting staff, oldest first, with their days."""
    return (
        Absence.objects.filter(review=Absence.Review.TO_REVIEW)
        .select_related("child", "family", "document")
        .prefetch_related(
            Prefetch(
                "bookings",
                queryset=Booking.objects.select_related("unit").order_by("day", "unit__position"),
            )
        )
        .order_by("declared_at", "pk")
    )


def occupancy_cell(unit: Unit, day: date) -> OccupancyCell:
    """Booked / places / waiting of one unit's day, counted as the grid counts them."""
    row = next(
        r for r in activity_occupancy(unit.activity, day.year, day.month) if r.unit_id == unit.pk
    )
    return next(c for c in row.cells if c.day == day)


def units_for_family(family: Family) -> QuerySet[Unit]:
    """Units of the activities a child of the family has a validated enrollment in: what
    staff may book for it."""
    return (
        Unit.objects.filter(
            activity__enrollments__child__families=family,
            activity__enrollments__status=EnrollmentStatus.VALIDATED,
        )
        .select_related("activity")
        .distinct()
        .order_by("activity__name", "position", "name")
    )


# --- A family's booking calendar ------------------------------------------------------

# What a cell shows, beyond the engine's reasons (activities.rules.Reason): the booking.
OTHER_HOUSEHOLD = "other_household"


@dataclass(frozen=True, slots=True)
class BookingCell:
    """One child × unit × day of the family's calendar."""

    day: date
    unit_id: int
    verdict: Verdict  # may it be booked now (and why not)
    booking: Booking | None  # the live booking, else the last refused or cancelled one
    mine: bool  # booked by this household (garde alternée: the other's is not editable)
    state: str  # a booking state or outcome, OTHER_HOUSEHOLD, or the verdict's reason
    editable: bool  # a checkbox: book when ticked, cancel when unticked
    checked: bool  # this household holds it (or waits for it)
    # Until when it can change: the cancellation deadline of a held day, the booking
    # deadline of an open one.
    deadline: datetime | None = None

    @property
    def value(self) -> str:
        """The checkbox's value: "child:unit:YYYY-MM-DD" (the child is the row's)."""
        return f"{self.unit_id}:{self.day.isoformat()}"


@dataclass(frozen=True)
class BookingRow:
    row: UnitRow
    cells: list[BookingCell]


@dataclass(frozen=True)
class BookingChildMonth:
    child_month: ChildMonth
    rows: list[BookingRow]

    @property
    def child(self):
        return self.child_month.child

    @property
    def by_day(self) -> list[tuple[date, list[tuple[BookingRow, BookingCell]]]]:
        """Day by day, each row's cell (the week view reads the grid turned)."""
        days = [cell.day for cell in self.rows[0].cells] if self.rows else []
        return [(day, [(row, row.cells[i]) for row in self.rows]) for i, day in enumerate(days)]

    @property
    def units(self) -> list[tuple[int, str]]:
        return [(r.row.unit.pk, f"{r.row.activity.name} – {r.row.unit.name}") for r in self.rows]

    @property
    def weekdays(self) -> list[int]:
        """The weekdays some unit of the child opens on this month (for "every Monday")."""
        return sorted(
            {
                c.day.weekday()
                for r in self.rows
                for c in r.cells
                if c.verdict.reason not in CLOSED_REASONS
            }
        )


@dataclass(frozen=True)
class BookingMonth:
    month: FamilyMonth
    children: list[BookingChildMonth]
    # The cells' HTML by what it depends on, filled while drawing; kept with the
    # catalogue, so that the next page (of any family) reuses it.
    drawn: dict = field(default_factory=dict)

    @property
    def days(self) -> list[date]:
        return self.month.days

    @property
    def checked(self) -> str:
        """The cells ticked when the page was drawn: the server changes only what the
        family toggled since."""
        return " ".join(
            f"{c.child.pk}:{cell.value}"
            for c in self.children
            for r in c.rows
            for cell in r.cells
            if cell.editable and cell.checked
        )


def family_booking_month(
    family: Family, year: int, month: int, now: datetime, *, span: tuple[date, date] | None = None
) -> BookingMonth:
    """The family's calendar with its bookings: each cell's booking, whether it can be
    booked (with the real places taken and units held) and, for a held day, whether and
    until when it can be cancelled. A fixed number of queries (the month's, plus the
    bookings and the place counters)."""
    start, end = span or month_bounds(year, month)
    bookings = list(
        Booking.objects.filter(child__families=family, day__gte=start, day__lte=end).order_by(
            "updated_at", "pk"
        )
    )
    live = [b for b in bookings if b.state in LIVE]
    activities = Enrollment.objects.filter(
        child__families=family, start__lte=end, end__gte=start
    ).values("activity_id")
    counts = {
        (unit_id, day, group or None): taken
        for unit_id, day, group, taken in PlaceCounter.objects.filter(
            unit__activity__in=activities, day__gte=start, day__lte=end
        ).values_list("unit_id", "day", "group", "taken")
    }
    view = family_month(
        family, year, month, now, held=held_units(live), counts=counts, span=(start, end)
    )
    # The live booking of a cell wins; else the last refused or cancelled one says why
    # the day is free again.
    by_cell: dict[tuple[int, int, date], Booking] = {}
    for booking in bookings:
        key = (booking.child_id, booking.unit_id, booking.day)
        if booking.state in LIVE or key not in by_cell or by_cell[key].state not in LIVE:
            by_cell[key] = booking
    catalogue = view.catalogue
    children = []
    family_id = family.pk
    for child_month in view.children:
        child_id = child_month.child.pk
        context = view.contexts[child_id]
        rows = []
        for row in child_month.rows:
            unit_id = row.unit.pk
            rules = catalogue.rules[unit_id] if catalogue else None
            cells = [
                _cell(
                    by_cell.get((child_id, unit_id, day)),
                    family_id,
                    rules,
                    context,
                    unit_id,
                    day,
                    verdict,
                    now,
                    view,
                )
                for day, verdict in row.cells
            ]
            rows.append(BookingRow(row, cells))
        children.append(BookingChildMonth(child_month, rows))
    return BookingMonth(view, children, catalogue.drawn if catalogue else {})


# --- The family's home page ----------------------------------------------------------

HOME_DAYS = 28  # how far the home page looks ahead
HOME_NEXT = 3  # booked days shown per child


@dataclass(frozen=True)
class NextDay:
    day: date
    units: list[str]  # "Cantine – Repas", in the calendar's order
    waiting: bool  # some of them await the service's answer


@dataclass(frozen=True)
class NextDeadline:
    activity: str
    week: date  # its Monday
    deadline: datetime  # from this instant, the week's free days can no longer be booked


@dataclass(frozen=True)
class FamilyHome:
    next_days: dict[int, list[NextDay]]  # by child: its household's next booked days
    deadlines: list[NextDeadline]  # the soonest first, one per activity


def family_home(family: Family, now: datetime) -> FamilyHome:
    """What the home page says of bookings, read from the calendar of the next HOME_DAYS
    days (so the same rules and the same queries, whatever the number of children): each
    child's next booked days, and for each activity the first week that still has days to
    book, with the instant its first booking deadline passes."""
    today = timezone.localdate(now)
    span = (today, today + timedelta(days=HOME_DAYS - 1))
    month = family_booking_month(family, today.year, today.month, now, span=span)
    next_days: dict[int, list[NextDay]] = {}
    # By activity (its id and name): week -> the first booking deadline in it.
    weeks: dict[tuple[int, str], dict[date, datetime]] = defaultdict(dict)
    for child in month.children:
        booked: dict[date, list[tuple[str, bool]]] = defaultdict(list)
        for row in child.rows:
            label = f"{row.row.activity.name} – {row.row.unit.name}"
            for cell in row.cells:
                if cell.mine and cell.checked:
                    booked[cell.day].append((label, cell.state in (State.REQUESTED, State.WAITING)))
                elif cell.editable and cell.deadline is not None and cell.deadline > now:
                    by_week = weeks[row.row.activity.pk, row.row.activity.name]
                    week = cell.day - timedelta(days=cell.day.weekday())
                    if week not in by_week or cell.deadline < by_week[week]:
                        by_week[week] = cell.deadline
        next_days[child.child.pk] = [
            NextDay(day, [label for label, _w in units], any(w for _l, w in units))
            for day, units in sorted(booked.items())[:HOME_NEXT]
        ]
    deadlines = [
        NextDeadline(name, *min(by_week.items())) for (_pk, name), by_week in weeks.items()
    ]
    return FamilyHome(next_days, sorted(deadlines, key=lambda d: (d.deadline, d.activity)))


def _cell(booking, family_id, rules, context, unit_id, day, verdict, now, view) -> BookingCell:
    if booking is None or booking.state not in LIVE:
        state = str(verdict.reason)
        if booking is not None and verdict.reason not in CLOSED_REASONS:
            state = booking.state  # refused or cancelled: free again, said as such
        bookable = verdict.allowed or verdict.reason == Reason.FULL
        deadline = verdict.deadline if bookable else None
        return BookingCell(day, unit_id, verdict, booking, True, state, bookable, False, deadline)
    if booking.family_id != family_id:
        return BookingCell(day, unit_id, verdict, booking, False, OTHER_HOUSEHOLD, False, False)
    state = booking.outcome or booking.state
    if booking.outcome or booking.state == State.CANCEL_REQUESTED:
        return BookingCell(day, unit_id, verdict, booking, True, state, False, True)
    if booking.state in (State.WAITING, State.REQUESTED):
        # Leaving the list or withdrawing a request is possible until the day.
        return BookingCell(day, unit_id, verdict, booking, True, state, True, True)
    cancel = can_cancel(unit=rules, child=context, day=day, now=now, holidays=view.holidays)
    if cancel.allowed:
        return BookingCell(day, unit_id, verdict, booking, True, state, True, True, cancel.deadline)
    return BookingCell(day, unit_id, cancel, booking, True, state, False, True, cancel.deadline)


def absences_to_justify(family: Family, child_id: int) -> QuerySet[Absence]:
    """A child's absences with days billed and no justification yet: the family may still
    send one, for staff to review."""
    return Absence.objects.filter(
        family=family, child_id=child_id, review=Absence.Review.TO_REVIEW, document__isnull=True
    ).prefetch_related("bookings__unit")


def family_booking_actions(family: Family, *, since: datetime | None = None):
    """The family's booking actions for "Mes demandes", newest first."""
    actions = BookingAction.objects.filter(family=family).select_related("actor")
    if since is not None:
        actions = actions.filter(created_at__gte=since)
    return actions


# --- Attendance (agents) --------------------------------------------------------------


@dataclass(frozen=True)
class SheetBooking:
    pk: int
    outcome: str

    @property
    def outcome_label(self) -> str:
        return str(Outcome(self.outcome).label)


@dataclass
class SheetRow:
    child: Child  # with what the agents need (families.selectors.child_care_cards)
    booking: SheetBooking | None  # the confirmed booking, None for a child who came without
    mark: AttendanceMark | None  # the last mark made

    @property
    def status(self) -> str:
        return self.mark.status if self.mark else ""


@dataclass
class SheetView:
    unit: Unit
    day: date
    closed_reason: Reason | None  # the unit does not open that day
    sheet: AttendanceSheet | None
    rows: list[SheetRow]
    addable: list[Child]  # enrolled in the facility that day, neither booked nor marked

    @property
    def unmarked(self) -> list[SheetRow]:
        return [r for r in self.rows if r.mark is None and r.booking and not r.booking.outcome]


def attendance_sheet(unit: Unit, day: date) -> SheetView:
    """A unit's day as the agents see it: the children expected (confirmed bookings) and
    those marked present without one, each with their last mark and what the agents need
    (class, allergies, PAI, diets, who may pick them up), then the children of the facility
    they may add. A fixed number of queries, whatever the number of children; the
    children are chosen by subqueries, not by lists of ids."""
    calendar = catalogue_for([unit.activity_id], day, day).calendars[unit.activity_id]
    closed_reason = opening(calendar, day, holidays_for(unit.organisation, day, day))
    sheet = AttendanceSheet.objects.filter(unit=unit, day=day).first()
    marks: dict[int, AttendanceMark] = {}
    if sheet is not None:
        for mark in AttendanceMark.objects.filter(sheet=sheet).order_by("made_at", "pk"):
            marks[mark.child_id] = mark
    confirmed = Booking.objects.filter(unit=unit, day=day, state=State.CONFIRMED)
    bookings = {
        child_id: SheetBooking(pk, outcome)
        for pk, child_id, outcome in confirmed.values_list("pk", "child_id", "outcome")
    }
    walk_ins = [c for c, m in marks.items() if m.status == AttendanceMark.Status.PRESENT]
    booked = confirmed.values("child_id")
    children = child_care_cards(
        Child.objects.filter(Q(pk__in=booked) | Q(pk__in=walk_ins)).values("pk")
    )
    rows = [SheetRow(c, bookings.get(c.pk), marks.get(c.pk)) for c in children]
    enrolled = (
        Enrollment.objects.filter(
            activity__facility_id=unit.activity.facility_id,
            status=EnrollmentStatus.VALIDATED,
            start__lte=day,
            end__gte=day,
        )
        .exclude(child_id__in=booked)
        .exclude(child_id__in=walk_ins)
        .values("child_id")
    )
    addable = list(
        Child.objects.filter(pk__in=enrolled)
        .only("first_name", "last_name")
        .order_by("last_name", "first_name", "pk")
    )
    return SheetView(unit, day, closed_reason, sheet, rows, addable)


@dataclass(frozen=True)
class SheetSummary:
    unit: Unit
    expected: int
    marked: int
    closed: bool


def attendance_day(day: date) -> list[SheetSummary]:
    """The units open on a day, facility by facility, with how many children are expected
    and marked, and whether the day is closed (the agents' list of sheets)."""
    units = list(
        Unit.objects.select_related("activity__facility").order_by(
            "activity__facility__name", "activity__name", "position", "name"
        )
    )
    if not units:
        return []
    organisation = units[0].organisation
    catalogue = catalogue_for({u.activity_id for u in units}, day, day)
    holidays = holidays_for(organisation, day, day)
    units = [u for u in units if opening(catalogue.calendars[u.activity_id], day, holidays) is None]
    expected = Counter(
        dict(
            Booking.objects.filter(day=day, state=State.CONFIRMED)
            .values("unit_id")
            .annotate(n=Count("pk"))
            .values_list("unit_id", "n")
        )
    )
    marked = Counter(
        dict(
            AttendanceMark.objects.filter(sheet__day=day)
            .values("sheet__unit_id")
            .annotate(n=Count("child_id", distinct=True))
            .values_list("sheet__unit_id", "n")
        )
    )
    closed = set(
        AttendanceSheet.objects.filter(day=day, closed_at__isnull=False).values_list(
            "unit_id", flat=True
        )
    )
    return [SheetSummary(u, expected[u.pk], marked[u.pk], u.pk in closed) for u in units]
