"""Staff: enrollments to validate, direct and whole-class enrollment."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.activities.forms import BulkEnrollmentForm, EnrollmentForm, RefuseEnrollmentForm
from perisco.activities.models import Activity, Enrollment, EnrollmentStatus
from perisco.activities.selectors import (
    children_of_class,
    enrollment_queue,
    periods_open_for_enrollment,
    typical_week_preview,
)
from perisco.activities.services import enrollment_refuse, enrollments_bulk_preview
from perisco.activities.templatetags.activities import long_day
from perisco.backoffice.forms import TypicalWeekReapplyForm
from perisco.backoffice.telling import families_not_told, family_told
from perisco.bookings.services import (
    enrollment_create_and_book,
    enrollment_validate_and_book,
    enrollments_bulk_and_book,
    typical_week_reapply,
)
from perisco.bookings.texts import results_summary, typical_week_summary, typical_week_total
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.models import for_sex
from perisco.families.selectors import access_child, family_for_staff
from perisco.web.access import require_permission

# Refused days listed to staff after applying a typical week; the family's e-mail has all.
MAX_LISTED = 10


@require_permission(Permission.MANAGE_ACTIVITIES)
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("statut", EnrollmentStatus.PENDING)
    if status not in EnrollmentStatus.values:
        status = ""
    activity = request.GET.get("activite", "")
    page = Paginator(
        enrollment_queue(status=status, activity_id=int(activity) if activity.isdigit() else None),
        30,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/enrollments.html",
        {
            "page": page,
            "status": status,
            "statuses": EnrollmentStatus,
            "activity": activity,
            "activities": Activity.objects.all(),
        },
    )


@require_permission(Permission.MANAGE_ACTIVITIES)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("child", "family", "activity", "period"), pk=pk
    )
    slots = typical_week_preview(enrollment, timezone.now())
    return render(
        request,
        "backoffice/enrollment.html",
        {
            "enrollment": enrollment,
            "slots": slots,
            "bookable": sum(1 for _u, _d, verdict in slots if verdict.allowed),
            "refuse_form": RefuseEnrollmentForm(),
            "reapply_form": TypicalWeekReapplyForm(
                enrollment=enrollment, today=timezone.localdate()
            ),
        },
    )


@require_POST
@require_permission(Permission.MANAGE_ACTIVITIES)
def validate(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = get_object_or_404(Enrollment, pk=pk)
    try:
        enrollment, report = enrollment_validate_and_book(actor=request.user, enrollment=enrollment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            " ".join(
                part
                for part in (
                    _("Enrollment validated."),
                    typical_week_summary(report),
                    family_told(enrollment.family_emailed),
                )
                if part
            ),
        )
    return redirect(org_reverse(request.organisation, "backoffice:enrollments"))


@require_POST
@require_permission(Permission.MANAGE_BOOKINGS)
def reapply(request: HttpRequest, pk: int) -> HttpResponse:
    """Book the (changed) typical week from a day, cancelling what it no longer asks for."""
    enrollment = get_object_or_404(Enrollment.objects.select_related("family"), pk=pk)
    form = TypicalWeekReapplyForm(request.POST, enrollment=enrollment, today=timezone.localdate())
    back = redirect(org_reverse(request.organisation, "backoffice:enrollment", pk=pk))
    if not form.is_valid():
        messages.error(request, _("Choose the day from which to apply the typical week."))
        return back
    try:
        report = typical_week_reapply(
            actor=request.user,
            enrollment=enrollment,
            start=form.cleaned_data["start"],
            override_reason=form.cleaned_data["override_reason"],
        )
    except DomainError as error:
        messages.error(request, error.message)
        return back
    summary = results_summary(o.result for o in report.outcomes) + "."
    told = family_told(report.action.family_emailed) if report.action else ""
    level = messages.success if report.done else messages.warning
    level(request, " ".join(p for p in (summary, told) if p))
    refused = report.refused
    if refused:
        lines = [
            f"{long_day(o.change.day)}, {o.unit_name} : {o.sentence}" for o in refused[:MAX_LISTED]
        ]
        if len(refused) > MAX_LISTED:
            lines.append(
                ngettext("and %(n)d more.", "and %(n)d more.", len(refused) - MAX_LISTED)
                % {"n": len(refused) - MAX_LISTED}
            )
        messages.warning(request, _("Not done:") + " " + " · ".join(lines))
    return back


@require_POST
@require_permission(Permission.MANAGE_ACTIVITIES)
def refuse(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = get_object_or_404(Enrollment, pk=pk)
    form = RefuseEnrollmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the enrollment is refused: the family will read it."))
        return redirect(org_reverse(request.organisation, "backoffice:enrollment", pk=pk))
    try:
        enrollment = enrollment_refuse(
            actor=request.user, enrollment=enrollment, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        told = (
            _("The family is told the reason by e-mail.")
            if enrollment.family_emailed
            else family_told(0)
        )
        messages.success(request, " ".join((_("Enrollment refused."), told)))
    return redirect(org_reverse(request.organisation, "backoffice:enrollments"))


@require_permission(Permission.MANAGE_ACTIVITIES)
def enroll_child(request: HttpRequest, pk: int, child_pk: int) -> HttpResponse:
    """Staff enroll one child directly (validated at once)."""
    family = family_for_staff(pk)
    child = access_child(family, child_pk)
    periods = periods_open_for_enrollment(timezone.localdate(), child)
    period = None
    if request.GET.get("periode", "").isdigit():
        period = get_object_or_404(periods, pk=int(request.GET["periode"]))
    form = EnrollmentForm(request.POST or None, period=period) if period else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            enrollment, report = enrollment_create_and_book(
                actor=request.user,
                family=family,
                child=child,
                period=period,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                typical_week=form.typical_week(),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            enrolled = for_sex(
                child.sex,
                girl=pgettext("girl", "%(name)s is enrolled."),
                boy=pgettext("boy", "%(name)s is enrolled."),
                unknown=_("%(name)s is enrolled."),
            ) % {"name": child.first_name}
            summary = typical_week_summary(report)
            messages.success(
                request,
                " ".join(
                    p for p in (enrolled, summary, family_told(enrollment.family_emailed)) if p
                ),
            )
            return redirect(org_reverse(request.organisation, "backoffice:family", pk=family.pk))
    return render(
        request,
        "backoffice/enroll_child.html",
        {"family": family, "child": child, "periods": periods, "period": period, "form": form},
    )


@require_permission(Permission.MANAGE_ACTIVITIES)
def bulk(request: HttpRequest) -> HttpResponse:
    """Enroll a whole class: preview the children (and why some would be left out), then
    confirm. Choosing the activity reloads the classes (htmx, or "See the children")."""
    if request.htmx and request.headers.get("HX-Trigger-Name") == "period":
        # The activity changed: offer its classes, without errors for the class not chosen.
        form = BulkEnrollmentForm(initial={"period": request.GET.get("period", "")})
    else:
        form = BulkEnrollmentForm(request.POST or request.GET or None)
    form.fields["period"].widget.attrs.update(
        {
            "hx-get": org_reverse(request.organisation, "backoffice:enrollments_bulk"),
            "hx-target": "#chooser",
            "hx-sync": "this:replace",
        }
    )
    preview, period = None, None
    if form.is_bound and form.is_valid():
        period = form.cleaned_data["period"]
        children = list(
            children_of_class(form.cleaned_data["school_id"], form.cleaned_data["school_class"])
        )
        if request.method == "POST":
            result = enrollments_bulk_and_book(
                actor=request.user,
                period=period,
                children=children,
                typical_week=form.typical_week(),
            )
            report = result.enrollments
            booked = sum(len(r.done) for r in result.bookings.values() if r is not None)
            messages.success(
                request,
                " ".join(
                    (
                        ngettext(
                            "%(n)d child enrolled in %(activity)s.",
                            "%(n)d children enrolled in %(activity)s.",
                            len(report.enrolled),
                        )
                        % {"n": len(report.enrolled), "activity": period.activity.name},
                        *([typical_week_total(booked)] if any(result.bookings.values()) else []),
                    )
                ),
            )
            untold = families_not_told(
                len({e.family_id for e in report.enrolled if not e.family_emailed})
            )
            if untold:
                messages.warning(request, untold)
            for child, reason in report.skipped:
                messages.warning(request, f"{child} : {reason}")
            for enrollment in report.enrolled:
                booking = result.bookings.get(enrollment.pk)
                if booking is not None and booking.refused:
                    messages.warning(
                        request, f"{enrollment.child} : {typical_week_summary(booking)}"
                    )
            return redirect(
                org_reverse(request.organisation, "backoffice:enrollments") + "?statut=validated"
            )
        preview = enrollments_bulk_preview(period=period, children=children)
    template = "backoffice/enroll_bulk.html"
    if request.htmx:
        template += "#chooser"
    return render(
        request,
        template,
        {
            "form": form,
            "preview": preview,
            "period": period,
            "to_enroll": sum(1 for _child, reason in preview or () if not reason),
        },
    )
