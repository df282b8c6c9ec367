"""Staff: attendance ("pointage") on a tablet or a phone — the day's sheets, a sheet's
children with one tap for present or absent (a plain form, or marks kept in the browser
while offline and sent as JSON), closing the day, a manager's correction. Rules live in
perisco.bookings.attendance."""

import json
import uuid
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission, has_permission
from perisco.activities.models import Unit
from perisco.activities.templatetags.activities import long_day
from perisco.bookings.attendance import (
    CORRECTABLE,
    MAX_MARKS,
    MarkInput,
    MarkResult,
    attendance_correct,
    attendance_marks_record,
    attendance_sheet_close,
)
from perisco.bookings.models import AttendanceMark, Booking
from perisco.bookings.selectors import attendance_day, attendance_sheet
from perisco.bookings.states import Outcome
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.web.access import require_permission
from perisco.web.params import day_param

PRESENT, ABSENT = AttendanceMark.Status.PRESENT, AttendanceMark.Status.ABSENT


def _unit(pk: int) -> Unit:
    return get_object_or_404(Unit.objects.select_related("activity__facility"), pk=pk)


def _sheet_url(request: HttpRequest, unit: Unit, day: date) -> str:
    return org_reverse(
        request.organisation, "backoffice:attendance_sheet", unit_pk=unit.pk, day=day.isoformat()
    )


@require_permission(Permission.TAKE_ATTENDANCE)
def day_sheets(request: HttpRequest) -> HttpResponse:
    """The units open on a day (today unless ?jour=), facility by facility."""
    today = timezone.localdate()
    try:
        day = date.fromisoformat(request.GET.get("jour", ""))
    except ValueError:
        day = today
    if abs((day - today).days) > 400:
        day = today
    summaries = attendance_day(day)
    facilities: dict[str, list] = {}
    for summary in summaries:
        facilities.setdefault(summary.unit.activity.facility.name, []).append(summary)
    return render(
        request,
        "backoffice/attendance_day.html",
        {
            "day": day,
            "today": today,
            "facilities": facilities,
            "previous": day - timedelta(days=1),
            "following": day + timedelta(days=1),
        },
    )


@require_permission(Permission.TAKE_ATTENDANCE)
def sheet(request: HttpRequest, unit_pk: int, day: str) -> HttpResponse:
    """GET: the sheet. POST (without JavaScript): one mark, or every expected child not
    marked yet as present ("all present")."""
    unit, the_day = _unit(unit_pk), day_param(day)
    if request.method == "POST":
        _post_marks(request, unit, the_day)
        return redirect(_sheet_url(request, unit, the_day))
    view = attendance_sheet(unit, the_day)
    return render(
        request,
        "backoffice/attendance_sheet.html",
        {
            "view": view,
            "unit": unit,
            "day": the_day,
            "future": the_day > timezone.localdate(),
            "can_correct": has_permission(request.user, Permission.MANAGE_BOOKINGS),
            "outcomes": [(o.value, o.label) for o in CORRECTABLE],
            "new_id": uuid.uuid4,
            "max_marks": MAX_MARKS,
        },
    )


def _time(value: str) -> time | None:
    try:
        return time.fromisoformat(value) if value else None
    except ValueError:
        return None


def _post_marks(request: HttpRequest, unit: Unit, day: date) -> None:
    now = timezone.now()
    if request.POST.get("tous"):
        view = attendance_sheet(unit, day)
        marks = [MarkInput(uuid.uuid4(), row.child.pk, PRESENT, now) for row in view.unmarked]
        if not marks:
            messages.info(request, _("Every expected child is already marked."))
            return
    else:
        try:
            marks = [
                MarkInput(
                    uuid.UUID(request.POST.get("id", "")),
                    int(request.POST.get("enfant", "")),
                    request.POST.get("statut", ""),
                    now,
                    _time(request.POST.get("arrivee", "")),
                    _time(request.POST.get("depart", "")),
                )
            ]
        except ValueError:
            messages.error(request, _("Choose a child first."))
            return
    try:
        results = attendance_marks_record(actor=request.user, unit=unit, day=day, marks=marks)
    except DomainError as error:
        messages.error(request, error.message)
        return
    _result_messages(request, results)


def _result_messages(request: HttpRequest, results) -> None:
    recorded = [r for r in results if r.result == MarkResult.RECORDED]
    if recorded:
        messages.success(
            request,
            ngettext("%(n)d mark recorded.", "%(n)d marks recorded.", len(recorded))
            % {"n": len(recorded)},
        )
    for result in results:
        if result.result == MarkResult.REFUSED:
            messages.error(request, result.message)
        elif result.objection:
            messages.warning(request, result.objection)


@require_POST
@require_permission(Permission.TAKE_ATTENDANCE)
def marks_json(request: HttpRequest, unit_pk: int, day: str) -> JsonResponse:
    """The marks a browser kept (maybe offline), as JSON: {"marks": [{"id", "child",
    "status", "made_at", "arrival", "departure"}]}. Each comes back with its result; one
    already received is acknowledged again, never counted twice."""
    unit, the_day = _unit(unit_pk), day_param(day)
    try:
        payload = json.loads(request.body)
        items = payload["marks"]
        if not isinstance(items, list):
            raise TypeError
        marks = [_mark_input(item) for item in items]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": _("The marks could not be read.")}, status=400)
    try:
        results = attendance_marks_record(actor=request.user, unit=unit, day=the_day, marks=marks)
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=409)
    return JsonResponse(
        {
            "results": [
                {
                    "id": str(r.client_id),
                    "result": str(r.result),
                    "message": r.message,
                    "objection": r.objection,
                }
                for r in results
            ]
        }
    )


def _mark_input(item: dict) -> MarkInput:
    made_at = datetime.fromisoformat(str(item["made_at"]))
    if timezone.is_naive(made_at):
        raise ValueError(made_at)
    return MarkInput(
        uuid.UUID(str(item["id"])),
        int(item["child"]),
        str(item["status"]),
        made_at,
        _time(str(item.get("arrival") or "")),
        _time(str(item.get("departure") or "")),
    )


@require_POST
@require_permission(Permission.TAKE_ATTENDANCE)
def close(request: HttpRequest, unit_pk: int, day: str) -> HttpResponse:
    unit, the_day = _unit(unit_pk), day_param(day)
    try:
        report = attendance_sheet_close(actor=request.user, unit=unit, day=the_day)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        counts = ", ".join(
            _("%(outcome)s: %(n)s") % {"outcome": Outcome(outcome).label, "n": n}
            for outcome, n in report.outcomes.items()
        )
        messages.success(
            request,
            _("The day of %(day)s is closed: %(counts)s.")
            % {"day": long_day(the_day), "counts": counts or _("no child")},
        )
    return redirect(_sheet_url(request, unit, the_day))


@require_POST
@require_permission(Permission.MANAGE_BOOKINGS)
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(Booking.objects.select_related("unit", "child"), pk=pk)
    try:
        attendance_correct(
            actor=request.user,
            booking=booking,
            outcome=request.POST.get("resultat", ""),
            reason=request.POST.get("motif", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The day of %(name)s is corrected; the correction is kept in the history.")
            % {"name": booking.child.first_name},
        )
    return redirect(_sheet_url(request, booking.unit, booking.day))
