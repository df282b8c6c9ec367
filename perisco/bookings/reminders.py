"""Booking reminders (SPEC §5, opt-in): "Léa n'a aucune réservation la semaine du
7 décembre ; clôture mercredi 2 décembre à 9 h".

Guardians ask for them on "My account" (`Guardian.booking_reminders`). The periodic
command `send_booking_reminders` looks, for each organisation, at next week (Monday to
Sunday after the current one): a child is reminded of when one of its days there is open,
in an activity the child is enrolled in, not booked (no live booking of the child in that
activity that day, by either household), still bookable, and its booking deadline comes
within the organisation's notice (`Organisation.reminder_notice_hours`). An enrollment
with a typical week expects the child on its weekdays only: a child who goes to morning
care on Mondays is not reminded every week of the other days. Each opted-in
guardian gets one e-mail per week naming the family's children concerned, the days left and
the earliest deadline; a `ReminderSent` row per guardian, child and week keeps it from
being sent again, so the command may run every hour. A new week is a new reminder.

The days of next week only: a day whose deadline passes before its week becomes "next
week" (a deadline more than about nine days ahead) is not reminded.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from perisco.activities.calendars import holidays_for
from perisco.activities.models import Enrollment, EnrollmentStatus
from perisco.activities.rules import deadline_for, opening
from perisco.activities.selectors import catalogue_for, days_between
from perisco.activities.templatetags.activities import day_month, long_day, when
from perisco.bookings.models import Booking, ReminderSent
from perisco.bookings.states import LIVE
from perisco.core.models import Organisation
from perisco.families.models import (
    FamilyCertification,
    FamilyChild,
    FamilyStatus,
    Guardian,
    school_year_of,
)
from perisco.messaging.services import email_send

# An enrollment's first and last days, and the weekdays of its typical week (None: it has
# none, every opening day counts).
Span = tuple[date, date, frozenset[int] | None]


def week_label(week: date) -> str:
    """ "7 décembre": the Monday that names a week."""
    return day_month(week)


@dataclass(frozen=True)
class ChildReminder:
    """What one child still lacks next week."""

    child_id: int
    first_name: str
    week: date  # its Monday
    deadline: datetime  # the earliest booking deadline of the days left
    # (activity name, days not booked) for a child with some days booked that week; empty
    # when the child has no booking at all that week.
    unbooked: tuple[tuple[str, tuple[date, ...]], ...] = ()

    @property
    def sentence(self) -> str:
        """In the language active when the e-mail is drawn (the recipient's)."""
        parts = {
            "child": self.first_name,
            "week": week_label(self.week),
            "deadline": when(self.deadline),
        }
        if not self.unbooked:
            return (
                _("%(child)s has no booking in the week of %(week)s; booking closes %(deadline)s.")
                % parts
            )
        days = ", ".join(
            _("%(activity)s (%(days)s)")
            % {"activity": activity, "days": ", ".join(long_day(d) for d in days)}
            for activity, days in self.unbooked
        )
        return _(
            "%(child)s has days not booked yet in the week of %(week)s: %(days)s; booking "
            "closes %(deadline)s."
        ) % {**parts, "days": days}


@dataclass(frozen=True)
class FamilyReminder:
    family_id: int
    guardians: list[Guardian]  # opted in, accepting e-mails, with an active login
    children: list[ChildReminder]


def next_week(now: datetime) -> tuple[date, date]:
    """Monday and Sunday of the week after the current one (local time)."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    return monday, monday + timedelta(days=6)


def reminders_due(*, organisation: Organisation, now: datetime) -> list[FamilyReminder]:
    """The families to remind now and what of, in a fixed number of queries whatever the
    number of families, children and days (the guardians, the children, the enrollments,
    the catalogue — often from the cache — and the week's bookings). Guardians already
    reminded of a child's week are left to the sender to skip."""
    notice = timedelta(hours=organisation.reminder_notice_hours)
    if not notice:
        return []
    start, end = next_week(now)
    guardians = Guardian.objects.filter(
        organisation=organisation,
        booking_reminders=True,
        consent_email=True,
        user__is_active=True,
        family__status=FamilyStatus.ACTIVE,
    )
    by_family: dict[int, list[Guardian]] = defaultdict(list)
    for guardian in guardians.select_related("user").order_by("rank", "pk"):
        by_family[guardian.family_id].append(guardian)
    if not by_family:
        return []
    links = FamilyChild.objects.filter(family__in=guardians.values("family_id"))
    children_of: dict[int, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    for link in links.select_related("child").order_by("child__birth_date", "child_id"):
        children_of[link.family_id].append(link.child_id)
        names[link.child_id] = link.child.first_name
    child_ids = links.values("child_id")
    # child -> activity -> (first day, last day, the typical week's weekdays or None).
    enrolled: dict[int, dict[int, list[Span]]] = defaultdict(lambda: defaultdict(list))
    for child_id, activity_id, first, last, typical_week in Enrollment.objects.filter(
        child__in=child_ids,
        status=EnrollmentStatus.VALIDATED,
        start__lte=end,
        end__gte=start,
        activity__is_active=True,
    ).values_list("child_id", "activity_id", "start", "end", "typical_week"):
        weekdays = frozenset(int(d) for d, units in (typical_week or {}).items() if units)
        enrolled[child_id][activity_id].append((first, last, weekdays or None))
    if not enrolled:
        return []
    booked: dict[int, set[tuple[int, date]]] = defaultdict(set)
    for child_id, activity_id, day in Booking.objects.filter(
        child__in=child_ids, day__gte=start, day__lte=end, state__in=sorted(LIVE)
    ).values_list("child_id", "activity_id", "day"):
        booked[child_id].add((activity_id, day))
    catalogue = catalogue_for({a for spans in enrolled.values() for a in spans}, start, end)
    with_units = {unit.activity_id for unit in catalogue.units.values()}
    # Days no unit of the activity can be booked on the calendar (a holiday session's days
    # given by a draw not yet published): nothing to remind.
    units_of: dict[int, list[int]] = defaultdict(list)
    for unit in catalogue.units.values():
        units_of[unit.activity_id].append(unit.pk)
    holidays = holidays_for(organisation, start, end)
    today = timezone.localdate(now)
    days = days_between(start, end)

    def child_reminder(child_id: int) -> ChildReminder | None:
        left: dict[int, list[date]] = defaultdict(list)
        deadlines = []
        for activity_id, spans in enrolled[child_id].items():
            activity = catalogue.activities.get(activity_id)
            if activity is None or activity_id not in with_units:
                continue
            calendar = catalogue.calendars[activity_id]
            for day in days:
                if (activity_id, day) in booked[child_id]:
                    continue
                if not any(
                    first <= day <= last and (weekdays is None or day.weekday() in weekdays)
                    for first, last, weekdays in spans
                ):
                    continue  # not enrolled that day, or not one of its typical week
                if opening(calendar, day, holidays) is not None:
                    continue
                if all(day in catalogue.rules[u].on_request for u in units_of[activity_id]):
                    continue
                horizon = activity.horizon_days
                if horizon is not None and today < day - timedelta(days=horizon):
                    continue  # booking not open yet
                deadline = deadline_for(activity.booking_deadline, day, holidays)
                if deadline <= now:
                    continue
                left[activity_id].append(day)
                deadlines.append(deadline)
        if not deadlines or min(deadlines) - now > notice:
            return None
        unbooked: tuple = ()
        if booked[child_id]:
            unbooked = tuple(
                (catalogue.activities[a].name, tuple(d))
                for a, d in sorted(
                    left.items(), key=lambda item: catalogue.activities[item[0]].name
                )
            )
        return ChildReminder(child_id, names[child_id], start, min(deadlines), unbooked)

    # A family that has not certified its file for the year cannot book (the calendar
    # says so on its home page): a reminder would send it to a refusal.
    certified = set(
        FamilyCertification.objects.filter(
            family__in=list(by_family), school_year=school_year_of(start)
        ).values_list("family_id", flat=True)
    )
    result = []
    for family_id, family_guardians in by_family.items():
        if family_id not in certified:
            continue
        reminders = [r for c in children_of[family_id] if (r := child_reminder(c)) is not None]
        if reminders:
            result.append(FamilyReminder(family_id, family_guardians, reminders))
    return result


@dataclass(frozen=True)
class ReminderRun:
    emails: int  # queued
    skipped: int  # guardian × child already reminded of that week


def booking_reminders_send(
    *, organisation: Organisation, now: datetime | None = None
) -> ReminderRun:
    """E-mail each guardian due a reminder, once per child and week. Each guardian's
    e-mail and its `ReminderSent` rows are written in one transaction: if another run
    got there first, the unique constraint refuses the rows and the e-mail goes with them."""
    now = now or timezone.now()
    due = reminders_due(organisation=organisation, now=now)
    if not due:
        return ReminderRun(0, 0)
    week, _sunday = next_week(now)
    sent = set(
        ReminderSent.objects.filter(organisation=organisation, week=week).values_list(
            "guardian_id", "child_id"
        )
    )
    emails = skipped = 0
    for family in due:
        for guardian in family.guardians:
            children = [c for c in family.children if (guardian.pk, c.child_id) not in sent]
            skipped += len(family.children) - len(children)
            if children and _send(organisation, guardian, children, now):
                emails += 1
    return ReminderRun(emails, skipped)


def _send(
    organisation: Organisation, guardian: Guardian, children: list[ChildReminder], now: datetime
) -> bool:
    user = guardian.user
    assert user is not None  # guardians with a login only (reminders_due)
    try:
        with transaction.atomic():
            ReminderSent.objects.bulk_create(
                ReminderSent(
                    organisation=organisation,
                    guardian=guardian,
                    child_id=child.child_id,
                    week=child.week,
                    deadline=child.deadline,
                    sent_at=now,
                )
                for child in children
            )
            email = email_send(
                organisation=organisation,
                to=user.email,
                template="booking_reminder",
                context={"guardian": guardian, "reminders": children, "week": children[0].week},
                language=user.language,
                family_id=guardian.family_id,
            )
    except IntegrityError:
        return False  # another run reminded this guardian meanwhile
    return email is not None
