"""The family's booking calendar: a month (or a week on a phone) per child, each open day
a checkbox; "Save" books what was ticked and cancels what was unticked, as one action."""

from collections import Counter
from datetime import date, timedelta

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.activities.selectors import month_bounds
from perisco.activities.templatetags.activities import long_day
from perisco.billing.selectors import overdue_hold
from perisco.bookings.forms import AbsenceForm
from perisco.bookings.selectors import absences_to_justify, family_booking_month
from perisco.bookings.services import (
    ActionReport,
    Change,
    Op,
    Refusal,
    UnknownTarget,
    absence_attach_document,
    absence_declare,
    bookings_apply,
    typical_weeks_book,
    weekdays_book,
)
from perisco.bookings.texts import results_summary
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.models import DocumentKind
from perisco.families.selectors import access_child, access_family, family_children
from perisco.families.services import document_upload
from perisco.web.access import require_permission
from perisco.web.params import month_param, neighbour_months

WEEK = "semaine"
# Refused days listed one by one in the report; beyond, a count.
REPORT_LINES = 20


class BadCell(ValueError):
    pass


def _place(source) -> dict:
    """Which month or week is shown: ?mois=YYYY-MM, or ?vue=semaine&jour=YYYY-MM-DD."""
    year, month = month_param(source.get("mois", ""))
    week = source.get("vue") == WEEK
    try:
        day = date.fromisoformat(source.get("jour", ""))
    except ValueError:
        today = timezone.localdate()
        day = today if (today.year, today.month) == (year, month) else date(year, month, 1)
        if week and day == today:
            # At the weekend the week ending is over: show the one families can still book.
            day = _bookable_week_day(today)
            year, month = day.year, day.month
    else:
        if not week:
            day = date(year, month, 1)
        year, month = day.year, day.month
        if abs(day.year - timezone.localdate().year) > 10:
            day = timezone.localdate()
            year, month = day.year, day.month
    return {"year": year, "month": month, "week": week, "day": day}


def _bookable_week_day(today: date) -> date:
    """Today, or next Monday on a Saturday or Sunday."""
    if today.weekday() >= 5:
        return today + timedelta(days=7 - today.weekday())
    return today


def _query(place: dict) -> str:
    if place["week"]:
        return "?" + urlencode({"vue": WEEK, "jour": place["day"].isoformat()})
    return "?" + urlencode({"mois": f"{place['year']}-{place['month']:02d}"})


def _context(family, place: dict) -> dict:
    now = timezone.now()
    year, month, day = place["year"], place["month"], place["day"]
    span = None
    if place["week"]:
        monday = day - timedelta(days=day.weekday())
        span = (monday, monday + timedelta(days=6))
    view = family_booking_month(family, year, month, now, span=span)
    previous, following = neighbour_months(year, month)
    context = {
        "month": view,
        "place": place,
        "previous": previous,
        "following": following,
        "children": [c.child for c in view.children],
    }
    if span:
        context.update(
            week_start=span[0],
            week_end=span[1],
            previous_week=span[0] - timedelta(days=7),
            next_week=span[0] + timedelta(days=7),
        )
    else:
        today = timezone.localdate()
        context["week_day"] = (
            _bookable_week_day(today)
            if (today.year, today.month) == (year, month)
            else date(year, month, 1)
        )
    return context


@require_permission(Permission.USE_PORTAL)
def calendar(request: HttpRequest) -> HttpResponse:
    """GET: the calendar. POST: book what was ticked and cancel what was unticked since
    the page was drawn (the hidden list `avant`), never what the family did not touch."""
    family = access_family(request.user)
    source = request.POST if request.method == "POST" else request.GET
    place = _place(source)
    if request.method == "POST":
        _save(request, family)
        if not request.htmx:
            return redirect(org_reverse(request.organisation, "portal:calendar") + _query(place))
    template = "portal/calendar.html"
    if request.htmx:
        template += "#calendar"
    context = _context(family, place)
    # Held back for unpaid invoices: said before the family ticks anything, with the way
    # to pay (no query while the organisation sets no threshold).
    if request.organisation.unpaid_block_threshold is not None:
        context["unpaid_hold"] = overdue_hold(family)
    return render(request, template, context)


def _cells(values) -> set[tuple[int, int, date]]:
    cells = set()
    for value in values:
        for item in value.split():
            parts = item.split(":")
            try:
                if len(parts) != 3:
                    raise ValueError(item)
                cells.add((int(parts[0]), int(parts[1]), date.fromisoformat(parts[2])))
            except ValueError:
                raise BadCell(item[:40]) from None
    return cells


def _save(request: HttpRequest, family) -> None:
    try:
        now_ticked = _cells(request.POST.getlist("c"))
        before = _cells(request.POST.getlist("avant"))
    except BadCell as error:
        messages.error(
            request,
            _(
                "A day of the calendar could not be read (“%(value)s”); nothing was changed. "
                "Reload the calendar and try again."
            )
            % {"value": error.args[0]},
        )
        return
    changes = [Change(*cell, Op.BOOK) for cell in sorted(now_ticked - before)]
    changes += [Change(*cell, Op.CANCEL) for cell in sorted(before - now_ticked)]
    if not changes:
        messages.info(request, _("Nothing changed: tick or untick days, then save."))
        return
    try:
        report = bookings_apply(actor=request.user, family=family, changes=changes)
    except UnknownTarget as error:
        raise Http404(error.message) from None
    except DomainError as error:
        messages.error(request, error.message)
        return
    report_messages(request, report)


def report_messages(request: HttpRequest, report: ActionReport) -> None:
    """What an action did, then each refused day and why (POST/redirect/GET-safe)."""
    summary = results_summary(o.result for o in report.outcomes)
    if report.done:
        messages.success(request, summary)
    else:
        messages.warning(request, summary)
    refused = report.refused
    # A reason that holds for the whole family (file to certify, unpaid invoices) is said
    # once, not once per day.
    family_wide = Counter(o.message for o in refused if o.reason == Refusal.BLOCKED)
    for message, count in family_wide.items():
        messages.warning(
            request,
            ngettext(
                "%(count)s day left unchanged: %(why)s",
                "%(count)s days left unchanged: %(why)s",
                count,
            )
            % {"count": count, "why": message},
        )
    refused = [o for o in refused if o.reason != Refusal.BLOCKED]
    for outcome in refused[:REPORT_LINES]:
        messages.warning(request, _day_line(outcome))
    if len(refused) > REPORT_LINES:
        messages.warning(
            request,
            _("And %(count)s other days refused for the same reasons.")
            % {"count": len(refused) - REPORT_LINES},
        )
    waiting = [o for o in report.done if o.result == "waiting"]
    for outcome in waiting[:REPORT_LINES]:
        messages.info(request, _day_line(outcome))


def _day_line(outcome) -> str:
    return _("%(child)s, %(unit)s, %(day)s: %(why)s") % {
        "child": outcome.child_name,
        "unit": outcome.unit_name,
        "day": long_day(outcome.change.day),
        "why": outcome.sentence,
    }


def _ints(values) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise Http404 from None


def _gesture_children(request: HttpRequest, family) -> list[int]:
    child_id = _ints([request.POST.get("enfant", "")])[0]
    if request.POST.get("tous"):
        return [c.pk for c in family_children(family)]
    return [child_id]


def _gesture(request: HttpRequest, service, **inputs) -> HttpResponse:
    """Run one of the "several days at once" services for the month shown, report, and
    go back to the calendar."""
    family = access_family(request.user)
    place = _place(request.POST)
    start, end = month_bounds(place["year"], place["month"])
    try:
        report = service(
            actor=request.user,
            family=family,
            child_ids=_gesture_children(request, family),
            start=start,
            end=end,
            **inputs,
        )
    except UnknownTarget as error:
        raise Http404(error.message) from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        report_messages(request, report)
    return redirect(org_reverse(request.organisation, "portal:calendar") + _query(place))


@require_POST
@require_permission(Permission.USE_PORTAL)
def book_weekdays(request: HttpRequest) -> HttpResponse:
    """ "Every Monday and Thursday of this month for the canteen" (and the same for all
    my children): one action."""
    return _gesture(
        request,
        weekdays_book,
        unit_id=_ints([request.POST.get("unite", "")])[0],
        weekdays=[w for w in _ints(request.POST.getlist("jours")) if 0 <= w <= 6],
    )


@require_POST
@require_permission(Permission.USE_PORTAL)
def book_typical_week(request: HttpRequest) -> HttpResponse:
    """ "Apply my typical week to this month" (for one child or all): one action."""
    return _gesture(request, typical_weeks_book)


@require_permission(Permission.USE_PORTAL)
def absence(request: HttpRequest, child_pk: int) -> HttpResponse:
    """Declare an absence: before the cancellation deadline the days are cancelled; after
    it they stay billed until the service excuses them on a justification."""
    family = access_family(request.user)
    child = access_child(family, child_pk)
    if request.method == "POST" and "absence" in request.POST:
        return _justify(request, family, child)
    form = AbsenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                document = None
                if data["file"]:
                    document = document_upload(
                        actor=request.user,
                        organisation=request.organisation,
                        upload=data["file"],
                        kind=DocumentKind.ABSENCE,
                        family=family,
                        child=child,
                    )
                report = absence_declare(
                    actor=request.user,
                    family=family,
                    child=child,
                    days=form.days(),
                    reason=data["reason"],
                    note=data["note"],
                    document=document,
                )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            _absence_messages(request, report, child)
            place = {"year": data["first"].year, "month": data["first"].month, "week": False}
            return redirect(org_reverse(request.organisation, "portal:calendar") + _query(place))
    return render(
        request,
        "portal/absence.html",
        {"form": form, "child": child, "to_justify": absences_to_justify(family, child.pk)},
    )


def _justify(request: HttpRequest, family, child) -> HttpResponse:
    """A justification sent after the absence: the service reviews it."""
    absence = (
        absences_to_justify(family, child.pk).filter(pk=_ints([request.POST["absence"]])[0]).first()
    )
    upload = request.FILES.get("justificatif")
    if absence is None:
        raise Http404
    if upload is None:
        messages.error(request, _("Choose the file of the justification."))
    else:
        try:
            with transaction.atomic():
                document = document_upload(
                    actor=request.user,
                    organisation=request.organisation,
                    upload=upload,
                    kind=DocumentKind.ABSENCE,
                    family=family,
                    child=child,
                )
                absence_attach_document(actor=request.user, absence=absence, document=document)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("The justification is sent: the childhood service will review the absence."),
            )
    return redirect(org_reverse(request.organisation, "portal:absence", child_pk=child.pk))


def _absence_messages(request: HttpRequest, report, child) -> None:
    messages.success(
        request, _("The absence of %(name)s is declared.") % {"name": child.first_name}
    )
    if report.cancelled:
        days = ", ".join(f"{long_day(o.change.day)} ({o.unit_name})" for o in report.cancelled)
        messages.success(
            request, _("Cancelled, not billed (before the deadline): %(days)s.") % {"days": days}
        )
    if report.billed:
        days = ", ".join(f"{long_day(b.day)} ({b.unit.name})" for b in report.billed)
        if report.absence.document_id:
            text = _(
                "Past the cancellation deadline, these days stay billed until the childhood "
                "service reviews your justification: %(days)s."
            )
        else:
            text = _(
                "Past the cancellation deadline, these days stay billed unless the childhood "
                "service excuses them on a justification (a medical certificate, for "
                "instance), which you can still send from “Declare an absence” on the "
                "calendar: %(days)s."
            )
        messages.warning(request, text % {"days": days})
