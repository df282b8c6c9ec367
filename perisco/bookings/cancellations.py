"""The service cancels a facility's days (a teacher strike, a school trip): the days close
(an `activities.Closure`, so nobody books them again), every live booking on them is
cancelled — never billed — and each family gets one e-mail naming its children and days."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from perisco.accounts.models import User
from perisco.accounts.permissions import Permission, has_permission
from perisco.activities.calendars import holidays_for
from perisco.activities.models import Activity, Closure, Facility
from perisco.activities.templatetags.activities import long_day
from perisco.bookings.models import Booking, BookingChange, PlaceCounter
from perisco.bookings.states import HOLDING, LIVE, State, check_transition
from perisco.core.audit import audit_log
from perisco.core.errors import DomainError
from perisco.families.models import Child, Family
from perisco.families.services import family_email

# The longest range cancelled at once (a strike or a trip lasts days, not months).
MAX_DAYS = 31


@dataclass
class CancellationReport:
    closure: Closure
    cancelled: int  # bookings
    families: int
    emailed: int  # e-mails queued (0 for a family nobody can be written to)


def _check(
    facility: Facility, activity: Activity | None, start: date, end: date, reason: str, today: date
) -> None:
    if not reason:
        raise DomainError(
            _("Say why the days are cancelled: the families will read it."), field="reason"
        )
    if end < start:
        raise DomainError(_("The last day comes before the first."), field="end")
    if (end - start).days >= MAX_DAYS:
        raise DomainError(_("At most %(days)s days at once.") % {"days": MAX_DAYS}, field="end")
    if start < today:
        raise DomainError(
            _("%(day)s is past: cancel from today on.") % {"day": long_day(start)}, field="start"
        )
    if activity is not None and activity.facility_id != facility.pk:
        raise DomainError(_("This activity is not one of this facility's."), field="activity")
    school = holidays_for(facility.organisation, start, end).school
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    in_holidays = [d for d in days if d in school]
    if in_holidays and len(in_holidays) < len(days):
        raise DomainError(
            _(
                "These days span the school holidays (%(name)s from %(day)s): cancel the days "
                "before and after them separately."
            )
            % {"name": school[in_holidays[0]], "day": long_day(in_holidays[0])},
            field="end",
        )


def cancellation_preview(*, facility: Facility, activity: Activity | None, start: date, end: date):
    """The live bookings the cancellation would cancel: (bookings, families)."""
    bookings = _bookings(facility, activity, start, end)
    return bookings.count(), bookings.values("family_id").distinct().count()


def _bookings(facility: Facility, activity: Activity | None, start: date, end: date):
    bookings = Booking.objects.filter(day__gte=start, day__lte=end, state__in=sorted(LIVE))
    if activity is not None:
        return bookings.filter(activity=activity)
    return bookings.filter(activity__facility=facility)


@transaction.atomic
def days_cancel(
    *,
    actor: User,
    facility: Facility,
    activity: Activity | None,
    start: date,
    end: date,
    reason: str,
    now: datetime | None = None,
) -> CancellationReport:
    """Close the facility (or one of its activities) from `start` to `end` and cancel
    every live booking on those days, the waiting lists included; nothing is billed and
    no waiting child is promoted (the days are closed). One e-mail per family."""
    if not has_permission(actor, Permission.MANAGE_BOOKINGS):
        raise DomainError(_("Only the childhood service can cancel days."))
    now = now or timezone.now()
    reason = reason.strip()
    _check(facility, activity, start, end, reason, timezone.localdate(now))
    closure = Closure.objects.create(
        organisation_id=facility.organisation_id,
        facility=facility if activity is None else None,
        activity=activity,
        start=start,
        end=end,
        label=reason[:150],
    )
    found = _bookings(facility, activity, start, end)
    # The action's locking order: children, then bookings, then counters.
    list(
        Child.objects.select_for_update(of=("self",))
        .filter(pk__in=found.values("child_id"))
        .order_by("pk")
    )
    bookings = list(
        found.select_for_update(of=("self",))
        .select_related("child", "unit")
        .order_by("day", "unit__position", "child__first_name", "pk")
    )
    freed: dict[tuple[int, date, int], list[int]] = defaultdict(lambda: [0, 0])
    history = []
    for booking in bookings:
        check_transition(booking.state, State.CANCELLED)
        history.append(
            BookingChange.of(booking, at=now, actor=actor, state=State.CANCELLED, reason=reason)
        )
        key = (booking.unit_id, booking.day, booking.group)
        freed[key][0 if booking.state in HOLDING else 1] += 1
        booking.state, booking.updated_at = State.CANCELLED, now
    Booking.objects.bulk_update(bookings, ["state", "updated_at"])
    BookingChange.objects.bulk_create(history)
    counters = PlaceCounter.objects.select_for_update().filter(
        unit_id__in={k[0] for k in freed}, day__gte=start, day__lte=end
    )
    # Locked in the action's order; then one UPDATE per distinct change, not per counter.
    by_change: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, unit_id, day, group in counters.order_by("unit_id", "day", "group").values_list(
        "pk", "unit_id", "day", "group"
    ):
        if (unit_id, day, group) in freed:
            by_change[tuple(freed[(unit_id, day, group)])].append(pk)  # type: ignore[index]
    for (taken, waiting), ids in by_change.items():
        PlaceCounter.objects.filter(pk__in=ids).update(
            taken=F("taken") - taken, waiting=F("waiting") - waiting
        )
    by_family: dict[int, list[Booking]] = defaultdict(list)
    for booking in bookings:
        by_family[booking.family_id].append(booking)
    emailed = 0
    for family in Family.objects.filter(pk__in=list(by_family)).order_by("pk"):
        emailed += family_email(
            family=family,
            template="days_cancelled",
            context={"reason": reason, "bookings": by_family[family.pk]},
        )
    audit_log(
        organisation=facility.organisation,
        actor=actor,
        action="bookings.days_cancelled",
        target=closure,
        data={
            "facility": facility.name,
            "activity": activity.name if activity else "",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "reason": reason,
            "cancelled": len(bookings),
        },
    )
    return CancellationReport(closure, len(bookings), len(by_family), emailed)
