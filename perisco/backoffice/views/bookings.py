"""Staff: the bookings queue, occupancy per activity and month, waiting lists, booking for
a family, a child's booking history, absences to review. Rules live in perisco.bookings."""

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.activities.models import Activity, Facility, Unit
from perisco.backoffice.forms import BookingDecisionForm, DaysCancelForm, FamilyBookingForm
from perisco.bookings.cancellations import cancellation_preview, days_cancel
from perisco.bookings.models import Absence, Booking, BookingAction
from perisco.bookings.selectors import (
    absences_to_review,
    activity_occupancy,
    booking_queue,
    child_booking_history,
    occupancy_cell,
    units_for_family,
    waiting_list,
)
from perisco.bookings.services import (
    Op,
    UnknownTarget,
    absence_review,
    bookings_apply,
    bookings_decide,
    changes_over,
    waiting_list_offer,
)
from perisco.bookings.texts import cancellation_summary, decision_summary
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.selectors import access_child, family_children, family_for_staff
from perisco.web.access import require_permission
from perisco.web.params import day_param, month_param, neighbour_months

PAGE_SIZE = 50


@require_permission(Permission.VIEW_FAMILIES)
def queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(booking_queue(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/bookings_queue.html",
        {"page": page, "form": BookingDecisionForm()},
    )


@require_POST
@require_permission(Permission.MANAGE_BOOKINGS)
def decide(request: HttpRequest) -> HttpResponse:
    form = BookingDecisionForm(request.POST)
    asked = [int(i) for i in request.POST.getlist("bookings") if i.isdigit()]
    # Ids of another organisation are dropped here (the manager is scoped), so the report
    # counts as "decided by someone else" only this town's bookings.
    ids = list(Booking.objects.filter(pk__in=asked).values_list("pk", flat=True))
    back = redirect(org_reverse(request.organisation, "backoffice:bookings"))
    if not ids:
        messages.error(request, _("Tick the bookings to decide first."))
        return back
    if not form.is_valid():
        messages.error(request, _("Choose to accept or to refuse."))
        return back
    accept = form.cleaned_data["decision"] == "accept"
    try:
        report = bookings_decide(
            actor=request.user,
            booking_ids=ids,
            accept=accept,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        level = messages.success if report.decided else messages.warning
        level(request, decision_summary(report, accept=accept))
    return back


@require_permission(Permission.VIEW_FAMILIES)
def occupancy_index(request: HttpRequest) -> HttpResponse:
    activities = Activity.objects.select_related("facility").order_by("name")
    return render(request, "backoffice/occupancy_index.html", {"activities": activities})


@require_permission(Permission.VIEW_FAMILIES)
def occupancy(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(Activity.objects.select_related("facility"), pk=pk)
    year, month = month_param(request.GET.get("mois", ""))
    start = date(year, month, 1)
    previous, following = neighbour_months(year, month)
    rows = activity_occupancy(activity, year, month)
    return render(
        request,
        "backoffice/occupancy.html",
        {
            "activity": activity,
            "start": start,
            "days": [c.day for c in rows[0].cells] if rows else [],
            "rows": rows,
            "previous": previous,
            "following": following,
        },
    )


@require_permission(Permission.VIEW_FAMILIES)
def unit_waiting_list(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    unit = get_object_or_404(Unit.objects.select_related("activity"), pk=pk)
    the_day = day_param(day)
    return render(
        request,
        "backoffice/waiting_list.html",
        {
            "unit": unit,
            "day": the_day,
            "cell": occupancy_cell(unit, the_day),
            "waiting": list(waiting_list(unit.pk, the_day)),
        },
    )


@require_POST
@require_permission(Permission.MANAGE_BOOKINGS)
def offer(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(Booking.objects.select_related("child"), pk=pk)
    try:
        waiting_list_offer(actor=request.user, booking=booking)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s has the place: the family is told by e-mail.")
            % {"name": booking.child.first_name},
        )
    return redirect(
        org_reverse(
            request.organisation,
            "backoffice:waiting_list",
            pk=booking.unit_id,
            day=booking.day.isoformat(),
        )
    )


@require_permission(Permission.MANAGE_BOOKINGS)
def family_bookings(request: HttpRequest, pk: int) -> HttpResponse:
    family = family_for_staff(pk)
    form = FamilyBookingForm(
        request.POST or None,
        children=family_children(family),
        units=units_for_family(family),
    )
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = changes_over(
            child_id=data["child"],
            unit_id=data["unit"],
            start=data["start"],
            end=data["end"],
            weekdays=data["weekdays"],
            op=Op(data["op"]),
        )
        if not changes:
            form.add_error("weekdays", _("No day of the range falls on these weekdays."))
        else:
            try:
                report = bookings_apply(
                    actor=request.user,
                    family=family,
                    changes=changes,
                    source=BookingAction.Source.STAFF,
                    override_reason=data["override_reason"],
                )
            except UnknownTarget:
                raise Http404 from None
            except DomainError as error:
                form.add_error(None, error.message)
    return render(
        request,
        "backoffice/family_bookings.html",
        {"family": family, "form": form, "report": report},
    )


@require_permission(Permission.VIEW_FAMILIES)
def child_history(request: HttpRequest, pk: int, child_pk: int) -> HttpResponse:
    family = family_for_staff(pk)
    child = access_child(family, child_pk)
    page = Paginator(child_booking_history(child.pk), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/child_bookings.html",
        {"family": family, "child": child, "page": page},
    )


@require_permission(Permission.VIEW_FAMILIES)
def absences(request: HttpRequest) -> HttpResponse:
    page = Paginator(absences_to_review(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "backoffice/absences.html", {"page": page})


@require_POST
@require_permission(Permission.MANAGE_BOOKINGS)
def absence_decide(request: HttpRequest, pk: int) -> HttpResponse:
    absence = get_object_or_404(Absence.objects.select_related("child"), pk=pk)
    excuse = request.POST.get("decision") == "excuse"
    try:
        absence_review(actor=request.user, absence=absence, excuse=excuse)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            (
                _("Absence of %(name)s excused: its days are not billed.")
                if excuse
                else _("Absence of %(name)s kept billed.")
            )
            % {"name": absence.child.first_name},
        )
    return redirect(org_reverse(request.organisation, "backoffice:absences"))


@require_permission(Permission.MANAGE_BOOKINGS)
def days_cancel_view(request: HttpRequest) -> HttpResponse:
    """Cancel a facility's days (strike, school trip): first what it would cancel, then,
    confirmed, the cancellation and the families' e-mails."""
    facilities = list(Facility.objects.order_by("name"))
    activities = list(Activity.objects.select_related("facility").order_by("name"))
    form = DaysCancelForm(request.POST or None, facilities=facilities, activities=activities)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        facility = next(f for f in facilities if f.pk == data["facility"])
        activity = next((a for a in activities if a.pk == data["activity"]), None)
        target = {
            "facility": facility,
            "activity": activity,
            "start": data["start"],
            "end": data["end"],
        }
        if "confirmer" in request.POST:
            try:
                report = days_cancel(actor=request.user, reason=data["reason"], **target)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, cancellation_summary(report))
                return redirect(org_reverse(request.organisation, "backoffice:bookings"))
        else:
            preview = cancellation_preview(**target)
    return render(request, "backoffice/days_cancel.html", {"form": form, "preview": preview})
