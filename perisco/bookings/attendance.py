"""Attendance ("pointage", seed 000): the agents mark the children of a unit's day, on a
tablet or a phone, possibly offline and then in one batch; closing the day turns the marks
into the bookings' outcomes (SPEC §5), which billing reads. Writes only: the sheet as the
agents see it is read by `selectors.attendance_sheet`."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from perisco.accounts.models import User
from perisco.accounts.permissions import Permission, has_permission
from perisco.activities.calendars import holidays_for
from perisco.activities.models import Enrollment, EnrollmentStatus, Unit
from perisco.activities.rules import Reason, can_book, opening
from perisco.activities.selectors import catalogue_for
from perisco.activities.templatetags.activities import long_day
from perisco.bookings.models import (
    AttendanceMark,
    AttendanceSheet,
    Booking,
    BookingChange,
    PlaceCounter,
)
from perisco.bookings.states import HOLDING, LIVE, Outcome, State, check_outcome, check_transition
from perisco.core.audit import audit_log
from perisco.core.errors import DomainError
from perisco.families.models import Child, FamilyChild

# Marks in one batch: a whole canteen sent at once after a lost connection fits.
MAX_MARKS = 500
# Marks made by a device whose clock runs ahead are taken as made when received.
_CLOCK_SLACK_SECONDS = 300


class MarkResult(StrEnum):
    RECORDED = "recorded"
    ALREADY_RECEIVED = "already_received"  # sent again after a lost connection: kept once
    REFUSED = "refused"


@dataclass(frozen=True)
class MarkInput:
    client_id: UUID
    child_id: int
    status: str
    made_at: datetime
    arrival: time | None = None
    departure: time | None = None


@dataclass
class MarkOutcome:
    client_id: UUID
    child_id: int
    result: MarkResult
    message: str = ""  # why it was refused
    # A child marked present without a booking: what the rules would have said (the mark
    # stands; the service sees it on the sheet and in billing).
    objection: str = ""


def _require(actor: User, permission: Permission) -> None:
    if not has_permission(actor, permission):
        raise DomainError(_("Your role does not allow this."))


def _open_sheet(unit: Unit, day: date, now: datetime) -> AttendanceSheet:
    """The unit's sheet for the day, locked (batches of one sheet queue), refused when the
    day has not come or the unit does not open that day."""
    if day > timezone.localdate(now):
        raise DomainError(
            _("%(day)s has not come yet: attendance is taken on the day.") % {"day": long_day(day)}
        )
    catalogue = catalogue_for([unit.activity_id], day, day)
    why = opening(
        catalogue.calendars[unit.activity_id], day, holidays_for(unit.organisation, day, day)
    )
    if why is not None:
        raise DomainError(
            _("%(unit)s does not open on %(day)s: there is no attendance to take.")
            % {"unit": unit.name, "day": long_day(day)}
        )
    sheet, _created = AttendanceSheet.objects.get_or_create(
        organisation_id=unit.organisation_id, unit=unit, day=day
    )
    return AttendanceSheet.objects.select_for_update().get(pk=sheet.pk)


def _facility_children(unit: Unit, day: date, child_ids: set[int]) -> set[int]:
    """Of these children, those enrolled that day in an activity of the unit's facility."""
    return set(
        Enrollment.objects.filter(
            child_id__in=child_ids,
            activity__facility_id=unit.activity.facility_id,
            status=EnrollmentStatus.VALIDATED,
            start__lte=day,
            end__gte=day,
        ).values_list("child_id", flat=True)
    )


@transaction.atomic
def attendance_marks_record(
    *,
    actor: User,
    unit: Unit,
    day: date,
    marks: Sequence[MarkInput],
    now: datetime | None = None,
) -> list[MarkOutcome]:
    """Record a batch of marks on a unit's day (one tap, or all the marks a device kept
    while offline). A mark already received (same `client_id`) is not counted again; a
    mark the rules refuse says why, and the others are still recorded."""
    _require(actor, Permission.TAKE_ATTENDANCE)
    now = now or timezone.now()
    if len(marks) > MAX_MARKS:
        raise DomainError(
            _("%(count)s marks at once; the most is %(max)s. Send them in several times.")
            % {"count": len(marks), "max": MAX_MARKS}
        )
    sheet = _open_sheet(unit, day, now)
    if sheet.closed:
        raise DomainError(
            _("The sheet of %(day)s is closed: a manager can still correct it.")
            % {"day": long_day(day)}
        )
    child_ids = {m.child_id for m in marks}
    # The organisation again, on top of the scope: a forged id never reaches another town.
    known = set(
        Child.objects.filter(pk__in=child_ids, organisation_id=unit.organisation_id).values_list(
            "pk", flat=True
        )
    )
    here = _facility_children(unit, day, known)
    received = set(
        AttendanceMark.objects.filter(
            organisation_id=unit.organisation_id, client_id__in=[m.client_id for m in marks]
        ).values_list("client_id", flat=True)
    )
    booked = set(
        Booking.objects.filter(unit=unit, day=day, state=State.CONFIRMED).values_list(
            "child_id", flat=True
        )
    )
    outcomes, rows = [], []
    for mark in marks:
        outcome = MarkOutcome(mark.client_id, mark.child_id, MarkResult.RECORDED)
        outcomes.append(outcome)
        if mark.client_id in received:
            outcome.result = MarkResult.ALREADY_RECEIVED
            continue
        refusal = _refusal(mark, known, here)
        if refusal:
            outcome.result, outcome.message = MarkResult.REFUSED, refusal
            continue
        received.add(mark.client_id)
        if mark.status == AttendanceMark.Status.PRESENT and mark.child_id not in booked:
            outcome.objection = _objection(unit, day, mark.child_id, now)
        rows.append(
            AttendanceMark(
                organisation_id=unit.organisation_id,
                client_id=mark.client_id,
                sheet=sheet,
                child_id=mark.child_id,
                status=mark.status,
                arrival=mark.arrival,
                departure=mark.departure,
                made_at=min(mark.made_at, now + timedelta(seconds=_CLOCK_SLACK_SECONDS)),
                received_at=now,
                actor=actor,
            )
        )
    AttendanceMark.objects.bulk_create(rows)
    return outcomes


def _refusal(mark: MarkInput, known: set[int], here: set[int]) -> str:
    if mark.child_id not in known:
        return _("This child is not known here.")
    if mark.child_id not in here:
        return _("This child is not enrolled in an activity of this facility on that day.")
    if mark.status not in AttendanceMark.Status.values:
        return _("A mark is “present” or “absent”.")
    if mark.status == AttendanceMark.Status.ABSENT and (mark.arrival or mark.departure):
        return _("An absent child has no arrival or departure time.")
    if mark.arrival and mark.departure and mark.departure <= mark.arrival:
        return _("The departure time must come after the arrival time.")
    return ""


def _objection(unit: Unit, day: date, child_id: int, now: datetime) -> str:
    """What the booking rules say of this child on this unit's day, deadline apart."""
    from perisco.bookings.services import _contexts  # the action's view of a child

    child = Child.objects.get(pk=child_id)
    live = Booking.objects.filter(child_id=child_id, day=day, state__in=sorted(LIVE))
    context = _contexts({child_id: child}, live, day, day)[child_id]
    catalogue = catalogue_for([unit.activity_id], day, day)
    counts = {
        (c.unit_id, c.day, c.group or None): c.taken
        for c in PlaceCounter.objects.filter(unit=unit, day=day)
    }
    verdict = can_book(
        unit=catalogue.rules[unit.pk],
        calendar=catalogue.calendars[unit.activity_id],
        child=context,
        day=day,
        now=now,
        holidays=holidays_for(unit.organisation, day, day),
        counts=counts,
        ignore_deadline=True,
    )
    reasons = {
        Reason.NOT_ENROLLED: _("not enrolled in this activity"),
        Reason.FULL: _("the unit was full"),
        Reason.EXCLUSIVE: _("booked on a unit that excludes this one"),
        Reason.MISSING_DEPENDENCY: _("without the unit this one needs"),
    }
    if verdict.reason in reasons:
        return _("Not booked (%(why)s): marked present without booking.") % {
            "why": reasons[Reason(verdict.reason)]
        }
    return _("Not booked: marked present without booking.")


@dataclass
class CloseReport:
    sheet: AttendanceSheet
    outcomes: dict[str, int] = field(default_factory=dict)  # outcome -> bookings


def _last_marks(sheet: AttendanceSheet) -> dict[int, AttendanceMark]:
    marks: dict[int, AttendanceMark] = {}
    for mark in AttendanceMark.objects.filter(sheet=sheet).order_by("made_at", "pk"):
        marks[mark.child_id] = mark  # the last made wins
    return marks


@transaction.atomic
def attendance_sheet_close(
    *, actor: User, unit: Unit, day: date, now: datetime | None = None
) -> CloseReport:
    """Close a unit's day: each booked child's last mark becomes the booking's outcome
    (present; absent: billed, unless the family's absence was excused), and each child
    marked present without a booking gets one, "present without booking". Every expected
    child must be marked first, except those whose absence the family declared."""
    _require(actor, Permission.TAKE_ATTENDANCE)
    now = now or timezone.now()
    sheet = _open_sheet(unit, day, now)
    if sheet.closed:
        raise DomainError(_("The sheet of %(day)s is already closed.") % {"day": long_day(day)})
    marks = _last_marks(sheet)
    expected = list(
        Booking.objects.select_for_update()
        .filter(unit=unit, day=day, state=State.CONFIRMED)
        .select_related("child")
        .order_by("child__last_name", "child__first_name")
    )
    unmarked = [b.child for b in expected if b.child_id not in marks and not b.outcome]
    if unmarked:
        names = ", ".join(f"{c.first_name} {c.last_name}" for c in unmarked[:10])
        raise DomainError(
            ngettext(
                "%(count)s child is not marked yet (%(names)s): mark them, then close the day.",
                "%(count)s children are not marked yet (%(names)s): mark them, then close the day.",
                len(unmarked),
            )
            % {"count": len(unmarked), "names": names}
        )
    report = CloseReport(sheet)
    changed, history = [], []
    for booking in expected:
        mark = marks.get(booking.child_id)
        if mark is None:
            target = booking.outcome  # the family's declared absence stands
        elif mark.status == AttendanceMark.Status.PRESENT:
            target = Outcome.PRESENT
        elif booking.outcome == Outcome.ABSENT_EXCUSED:
            target = Outcome.ABSENT_EXCUSED
        else:
            target = Outcome.ABSENT_BILLED
        report.outcomes[target] = report.outcomes.get(target, 0) + 1
        if target != booking.outcome:
            history.append(_outcome(booking, target, actor=actor, now=now, reason="attendance"))
            changed.append(booking)
    BookingChange.objects.bulk_create(history)
    Booking.objects.bulk_update(changed, ["outcome", "updated_at"])
    booked = {b.child_id for b in expected}
    walk_ins = [
        m for c, m in marks.items() if c not in booked and m.status == AttendanceMark.Status.PRESENT
    ]
    for mark in walk_ins:
        _present_unbooked(unit, day, mark, actor=actor, now=now)
    if walk_ins:
        report.outcomes[Outcome.PRESENT_UNBOOKED] = len(walk_ins)
    sheet.closed_at, sheet.closed_by = now, actor
    sheet.save(update_fields=["closed_at", "closed_by"])
    audit_log(
        organisation=unit.organisation,
        actor=actor,
        action="attendance.closed",
        target=sheet,
        data={"unit": unit.name, "day": day.isoformat(), **report.outcomes},
    )
    return report


def _outcome(booking: Booking, outcome: str, *, actor, now: datetime, reason: str) -> BookingChange:
    """Set a booking's outcome; returns the change to keep (the caller saves both)."""
    check_outcome(booking.state, outcome)
    change = BookingChange.of(booking, at=now, actor=actor, outcome=outcome, reason=reason)
    booking.outcome, booking.updated_at = outcome, now
    return change


def _present_unbooked(unit: Unit, day: date, mark: AttendanceMark, *, actor, now) -> None:
    """A child who came without a booking: a request or a place on the waiting list is
    confirmed, else a booking is made, with the outcome "present without booking"."""
    booking = (
        Booking.objects.select_for_update()
        .filter(child_id=mark.child_id, unit=unit, day=day, state__in=sorted(LIVE))
        .first()
    )
    if booking is None:
        booking = Booking(
            organisation_id=unit.organisation_id,
            child_id=mark.child_id,
            family_id=_family_of(mark.child_id, unit, day),
            activity_id=unit.activity_id,
            unit=unit,
            day=day,
            state=State.CONFIRMED,
            requested_at=now,
            updated_at=now,
        )
        booking.save()
        before = ""
    else:
        before = booking.state
        check_transition(booking.state, State.CONFIRMED)
        booking.state = State.CONFIRMED
    held_before = before in HOLDING
    BookingChange.of(
        booking,
        at=now,
        actor=actor,
        state=State.CONFIRMED,
        outcome=Outcome.PRESENT_UNBOOKED,
        reason="attendance",
        before_state=before,
    ).save()
    booking.outcome, booking.updated_at = Outcome.PRESENT_UNBOOKED, now
    booking.save(update_fields=["state", "outcome", "updated_at"])
    if not held_before:
        _count_place(booking)


def _family_of(child_id: int, unit: Unit, day: date) -> int:
    """The household that enrolled the child in the activity (garde alternée: the one that
    pays for the activity), else the child's first household."""
    enrolled = (
        Enrollment.objects.filter(
            child_id=child_id, activity_id=unit.activity_id, start__lte=day, end__gte=day
        )
        .values_list("family_id", flat=True)
        .first()
    )
    if enrolled:
        return enrolled
    return (
        FamilyChild.objects.filter(child_id=child_id)
        .order_by("pk")
        .values_list("family_id", flat=True)[0]
    )


def _count_place(booking: Booking) -> None:
    """The place the child used, on the day's counter (past the day, for the record)."""
    counter, _created = PlaceCounter.objects.get_or_create(
        organisation_id=booking.organisation_id,
        unit_id=booking.unit_id,
        day=booking.day,
        group=booking.group,
    )
    PlaceCounter.objects.filter(pk=counter.pk).update(taken=F("taken") + 1)


# Outcomes a manager may set on a closed day.
CORRECTABLE = (Outcome.PRESENT, Outcome.ABSENT_EXCUSED, Outcome.ABSENT_BILLED)


@transaction.atomic
def attendance_correct(
    *, actor: User, booking: Booking, outcome: str, reason: str, now: datetime | None = None
) -> Booking:
    """A manager corrects a closed day's outcome, with a reason kept in the booking's
    history as a correction."""
    _require(actor, Permission.MANAGE_BOOKINGS)
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the day is corrected."), field="reason")
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    sheet = (
        AttendanceSheet.objects.select_for_update()
        .filter(unit_id=booking.unit_id, day=booking.day)
        .first()
    )
    if sheet is None or not sheet.closed:
        raise DomainError(_("This day is not closed yet: change the marks on its sheet."))
    allowed: tuple[Outcome, ...] = CORRECTABLE
    if booking.outcome == Outcome.PRESENT_UNBOOKED:
        allowed = (*CORRECTABLE, Outcome.PRESENT_UNBOOKED)
    if outcome not in allowed:
        raise DomainError(_("This outcome cannot be set here."), field="outcome")
    if outcome == booking.outcome:
        raise DomainError(_("The day already has this outcome."), field="outcome")
    _outcome(
        booking, outcome, actor=actor, now=now, reason=_("Correction: %(why)s") % {"why": reason}
    ).save()
    booking.save(update_fields=["outcome", "updated_at"])
    sheet.corrected_at = now
    sheet.save(update_fields=["corrected_at"])
    audit_log(
        organisation=booking.organisation,
        actor=actor,
        action="attendance.corrected",
        target=booking,
        data={"outcome": outcome, "reason": reason},
    )
    return booking
