"""Demo bookings: the typical weeks booked from November 2026 to January 2027, a full
Wednesday with a waiting list, absences (one excused, one to review), a request awaiting
staff in the holiday centre (manual confirmation), November's attendance taken and closed, a
teachers' strike at one school, the February holidays given by a draw (requests open).
Dates around today are relative to the day the demo is seeded, so the demo guardian can
book and cancel next week's days right after `make run`. Everything goes through the
services, as a family or staff would."""

import uuid
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from perisco.accounts.models import User
from perisco.activities.calendars import holidays_for
from perisco.activities.models import (
    Activity,
    CapacityOverride,
    Confirmation,
    Enrollment,
    EnrollmentStatus,
    Facility,
    Period,
    Unit,
)
from perisco.activities.selectors import typical_week_preview
from perisco.activities.services import enrollment_request, enrollment_validate
from perisco.bookings.allocation import (
    place_requests_set,
    request_window_bonus_set,
    request_window_create,
)
from perisco.bookings.attendance import MarkInput, attendance_marks_record, attendance_sheet_close
from perisco.bookings.cancellations import days_cancel
from perisco.bookings.feeds import calendar_feed_get, calendar_feed_renew
from perisco.bookings.lottery import DEFAULT_WEIGHTS
from perisco.bookings.models import Booking, BookingAction
from perisco.bookings.services import (
    Change,
    Op,
    absence_declare,
    absence_review,
    bookings_apply,
)
from perisco.bookings.states import State
from perisco.core.errors import DomainError
from perisco.families.models import Family, FamilyStatus, Guardian
from perisco.families.services import (
    certification_year,
    family_certify,
    guardian_reminders_set,
)

FIRST_DAY = date(2026, 11, 2)
LAST_DAY = date(2027, 1, 31)
HISTORY = "Réservations reprises de l'ancien portail"


def demo_bookings(organisation, manager: User) -> None:
    if Booking.objects.exists():
        return
    now = timezone.now()
    today = timezone.localdate(now)
    parent = Family.objects.filter(guardians__email__startswith="parent@").first()
    _certify(parent)
    _typical_weeks(manager)
    _full_wednesday(manager, parent, today)
    _holiday_request(manager, parent)
    _absences(manager, parent, today)
    _next_week_free(parent, today)
    _strike_day(manager, today)
    agent = User.all_objects.filter(
        organisation=organisation, email__startswith="animation@"
    ).first()
    demo_attendance(agent, today)
    _holiday_draw(manager, parent, now)


def _certify(parent: Family | None) -> None:
    """Active families certified their file for the year (but one, whose home page still
    asks for it); booking needs it."""
    families = list(Family.objects.filter(status=FamilyStatus.ACTIVE).order_by("pk"))
    year = certification_year(timezone.localdate())
    for family in families[:-1]:
        guardian = family.guardians.filter(user__isnull=False).first()
        family_certify(
            actor=guardian.user if guardian else None,
            family=family,
            school_year=year,
            file_up_to_date=True,
            rules_accepted=True,
            data_processing_acknowledged=True,
        )


def _typical_weeks(manager: User) -> None:
    enrollments = Enrollment.objects.filter(status=EnrollmentStatus.VALIDATED).select_related(
        "family", "child"
    )
    for enrollment in enrollments:
        if not enrollment.typical_week:
            continue
        slots = [
            (unit, day)
            for unit, day, _verdict in typical_week_preview(
                enrollment, timezone.now(), start=FIRST_DAY, end=LAST_DAY
            )
        ]
        if slots:
            bookings_apply(
                actor=manager,
                family=enrollment.family,
                changes=[Change(enrollment.child_id, unit.pk, day) for unit, day in slots],
                source=BookingAction.Source.TYPICAL_WEEK,
                override_reason=HISTORY,
            )


def _first_weekday(weekday: int, after: date) -> date:
    return after + timedelta(days=(weekday - after.weekday()) % 7 or 7)


def _full_wednesday(manager: User, parent: Family | None, today: date) -> None:
    """The Wednesday leisure centre's lunch is full on a Wednesday two weeks ahead: the
    last children asked wait, first come first served."""
    wednesday_activity = Activity.objects.filter(name="ALSH mercredi").first()
    if wednesday_activity is None:
        return
    pending = Enrollment.objects.filter(
        activity=wednesday_activity, status=EnrollmentStatus.PENDING
    ).exclude(family=parent)
    for enrollment in pending:
        enrollment_validate(actor=manager, enrollment=enrollment)
    day = _first_weekday(2, today + timedelta(days=9))
    units = {u.name: u for u in wednesday_activity.units.all()}
    lunch, morning = units["Repas"], units["Matin"]
    enrolled = list(
        Enrollment.objects.filter(
            activity=wednesday_activity,
            status=EnrollmentStatus.VALIDATED,
            start__lte=day,
            end__gte=day,
        ).select_related("family", "child")
    )
    if len(enrolled) < 3:
        return
    CapacityOverride.objects.create(
        organisation=wednesday_activity.organisation,
        unit=lunch,
        date=day,
        capacity=len(enrolled) - 2,
    )
    for enrollment in enrolled:
        guardian = enrollment.family.guardians.filter(user__isnull=False).first()
        bookings_apply(
            actor=guardian.user if guardian and guardian.user else manager,
            family=enrollment.family,
            changes=[
                Change(enrollment.child_id, morning.pk, day),
                Change(enrollment.child_id, lunch.pk, day),
            ],
            source=(
                BookingAction.Source.FAMILY
                if guardian and guardian.user
                else BookingAction.Source.STAFF
            ),
        )


def _holiday_request(manager: User, parent: Family | None) -> None:
    """The holiday centre confirms by hand: the demo family's request for two days of the
    Christmas holidays awaits the service."""
    holidays = Activity.objects.filter(name="ALSH vacances").first()
    if holidays is None or parent is None:
        return
    holidays.confirmation = Confirmation.MANUAL
    holidays.save(update_fields=["confirmation"])
    session = Period.objects.filter(activity=holidays, name__startswith="Vacances de Noël").first()
    child = parent.children.order_by("-birth_date").first()
    if session is None or child is None:
        return
    enrollment_request(actor=manager, family=parent, child=child, period=session, by_staff=True)
    unit = Unit.objects.get(activity=holidays, name="Journée")
    guardian = parent.guardians.get(rank=1)
    bookings_apply(
        actor=guardian.user or manager,
        family=parent,
        changes=[
            Change(child.pk, unit.pk, date(2026, 12, 21)),
            Change(child.pk, unit.pk, date(2026, 12, 22)),
        ],
    )


def _absences(manager: User, parent: Family | None, today: date) -> None:
    """Last week the demo family's youngest was ill (excused on a certificate); another
    family's child missed a meal, billed until the service reviews it."""
    past = [
        b
        for b in Booking.objects.filter(day__lt=today, day__gte=today - timedelta(days=10))
        .select_related("family", "child")
        .order_by("-day", "family_id")
    ]
    excused = next((b for b in past if parent and b.family_id == parent.pk), None)
    billed = next((b for b in past if not parent or b.family_id != parent.pk), None)
    for booking, reason, note in (
        (excused, "illness", "Gastro-entérite, certificat médical remis à l'accueil."),
        (billed, "family", ""),
    ):
        if booking is None:
            continue
        guardian = booking.family.guardians.filter(user__isnull=False).first()
        report = absence_declare(
            actor=guardian.user if guardian and guardian.user else manager,
            family=booking.family,
            child=booking.child,
            days=[booking.day],
            reason=reason,
            note=note,
        )
        if booking is excused and report.billed:
            absence_review(actor=manager, absence=report.absence, excuse=True)


def _next_week_free(parent: Family | None, today: date) -> None:
    """The demo family cancelled next Friday's meals: free days to book again, and booked
    ones to cancel, within the deadlines."""
    if parent is None:
        return
    friday = _first_weekday(4, today + timedelta(days=(7 - today.weekday()) % 7))
    held = Booking.objects.filter(family=parent, day=friday, state="confirmed")
    changes = [Change(b.child_id, b.unit_id, b.day, Op.CANCEL) for b in held]
    guardian = parent.guardians.get(rank=1)
    if changes and guardian.user:
        bookings_apply(actor=guardian.user, family=parent, changes=changes)


def demo_attendance(agent: User | None, today: date) -> None:
    """The past school days of November taken and closed by the facility's agent (a few
    children absent), today's sheets left to fill in."""
    if agent is None:
        return
    end = min(today - timedelta(days=1), date(2026, 11, 30))
    days = (
        Booking.objects.filter(state=State.CONFIRMED, day__gte=FIRST_DAY, day__lte=end)
        .values_list("unit_id", "day")
        .distinct()
        .order_by("day", "unit_id")
    )
    units = {u.pk: u for u in Unit.objects.select_related("activity__facility", "organisation")}
    expected: dict[tuple[int, date], list[int]] = {}
    for unit_id, day, child_id in Booking.objects.filter(
        state=State.CONFIRMED, day__gte=FIRST_DAY, day__lte=end
    ).values_list("unit_id", "day", "child_id"):
        expected.setdefault((unit_id, day), []).append(child_id)
    for unit_id, day in days:
        unit = units[unit_id]
        made = timezone.make_aware(datetime.combine(day, time(12)))
        marks = [
            MarkInput(
                uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{unit_id}:{day}:{child_id}"),
                child_id,
                "absent" if (child_id + day.day) % 11 == 0 else "present",
                made,
            )
            for child_id in expected[(unit_id, day)]
        ]
        evening = timezone.make_aware(datetime.combine(day, time(18)))
        attendance_marks_record(actor=agent, unit=unit, day=day, marks=marks, now=evening)
        attendance_sheet_close(actor=agent, unit=unit, day=day, now=evening)


STRIKE = "Grève des enseignants"


def _strike_day(manager: User, today: date) -> None:
    """A teachers' strike announced at one school, a Thursday two weeks or more ahead: the
    service cancelled its days there (the families' e-mails are not sent in the demo)."""
    facility = Facility.objects.filter(name__contains="Jules Ferry").first()
    if facility is None:
        return
    holidays = holidays_for(facility.organisation, today, LAST_DAY).school
    day = _first_weekday(3, today + timedelta(days=13))
    while day in holidays:
        day += timedelta(days=7)
    if day <= LAST_DAY:
        days_cancel(
            actor=manager,
            facility=facility,
            activity=None,
            start=day,
            end=day,
            reason=f"{STRIKE} ({facility.name})",
        )


def demo_reminders_and_calendar_feed(organisation) -> None:
    """The demo guardian asked for booking reminders and has a calendar address for their
    phone (both on "My account"); kept as they are on a re-run, so the address stays."""
    guardian = (
        Guardian.objects.filter(
            organisation=organisation, user__email__startswith="parent@", user__isnull=False
        )
        .select_related("user")
        .first()
    )
    if guardian is None or guardian.user is None:
        return
    guardian_reminders_set(actor=guardian.user, guardian=guardian, enabled=True)
    if calendar_feed_get(guardian) is None:
        calendar_feed_renew(actor=guardian.user, guardian=guardian)


def _holiday_draw(manager: User, parent: Family | None, now: datetime) -> None:
    """The February 2027 holidays open with a request window instead of a race: open since
    a week, closing in ten days; 8 places a day the first week (the centre shares its rooms)
    and about 60 days asked for 40 places, the demo family's among them; one family has a
    staff bonus. The draw is run by the manager once the window closes."""
    holidays = Activity.objects.filter(name="ALSH vacances").first()
    session = Period.objects.filter(activity=holidays, name__startswith="Vacances d'hiver").first()
    if holidays is None or session is None:
        return
    unit = Unit.objects.get(activity=holidays, name="Journée")
    organisation = holidays.organisation
    first_week = [date(2027, 2, 15) + timedelta(days=n) for n in range(5)]
    for day in first_week:
        CapacityOverride.objects.create(organisation=organisation, unit=unit, date=day, capacity=8)
    window = request_window_create(
        actor=manager,
        period=session,
        unit=unit,
        opens_at=timezone.make_aware(
            datetime.combine(timezone.localdate(now) - timedelta(days=7), time(9))
        ),
        closes_at=timezone.make_aware(
            datetime.combine(timezone.localdate(now) + timedelta(days=10), time(12))
        ),
        weights=DEFAULT_WEIGHTS,
    )
    families = list(
        Family.objects.filter(status=FamilyStatus.ACTIVE)
        .order_by("pk")
        .prefetch_related("children")
    )
    if parent is not None:  # the demo family first, so its requests are certain
        families.sort(key=lambda family: family.pk != parent.pk)
    asked = 0
    for index, family in enumerate(families):
        guardian = family.guardians.filter(user__isnull=False).first()
        wanted = set()
        for child in family.children.all():
            try:
                enrollment_request(
                    actor=manager, family=family, child=child, period=session, by_staff=True
                )
            except DomainError:
                continue  # too young or too old for the centre
            # Two to four days each, as families ask: most want the start of the week.
            days = first_week[index % 2 : index % 2 + 2 + index % 3]
            wanted |= {(child.pk, day) for day in days}
        if not wanted or asked >= 60:
            continue
        place_requests_set(
            actor=guardian.user if guardian and guardian.user else manager,
            family=family,
            window=window,
            wanted=wanted,
            now=now,
        )
        asked += len(wanted)
    if len(families) > 3:
        request_window_bonus_set(
            actor=manager,
            window=window,
            family=families[3],
            points=3,
            note="Situation suivie par le CCAS",
        )
