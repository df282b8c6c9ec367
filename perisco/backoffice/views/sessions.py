"""Staff: holiday sessions given by a draw — open a request window with the priorities,
follow the requests, give a family bonus points, run the draw, check it, publish it. Rules
live in perisco.bookings.allocation."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission, has_permission
from perisco.activities.models import Period, PeriodKind, RequestWindow
from perisco.backoffice.forms import BonusForm, RequestWindowForm
from perisco.bookings.allocation import (
    allocation_publish_ask,
    allocation_run,
    request_window_bonus_set,
    request_window_change,
    request_window_create,
    window_overview,
)
from perisco.bookings.lottery import DEFAULT_WEIGHTS
from perisco.bookings.models import PlaceRequest
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.models import Family
from perisco.web.access import require_permission


def _window_url(request: HttpRequest, window: RequestWindow) -> str:
    return org_reverse(request.organisation, "backoffice:request_window", pk=window.pk)


@require_permission(Permission.VIEW_FAMILIES)
def sessions(request: HttpRequest) -> HttpResponse:
    """The holiday sessions still to come, each with its request window or none."""
    today = timezone.localdate()
    periods = list(
        Period.objects.filter(kind=PeriodKind.HOLIDAY_SESSION, end__gte=today)
        .select_related("activity__facility", "request_window__unit")
        .order_by("start", "activity__name")
    )
    return render(
        request,
        "backoffice/sessions.html",
        {"periods": periods, "now": timezone.now(), "section": "sessions"},
    )


def _window_form(request: HttpRequest, period: Period, window: RequestWindow | None):
    units = list(period.activity.units.order_by("position", "name"))
    if window is None:
        weights = {**DEFAULT_WEIGHTS}
        initial = {"siblings_together": True, **{str(k): v for k, v in weights.items()}}
    else:
        initial = {
            "unit": window.unit_id,
            "opens_at": timezone.localtime(window.opens_at),
            "closes_at": timezone.localtime(window.closes_at),
            "siblings_together": window.siblings_together,
            **{k: window.weights.get(k, 0) for k in ("resident", "working", "refused_last_time")},
        }
    form = RequestWindowForm(request.POST or None, units=units, initial=initial)
    if window is not None:
        form.fields["unit"].disabled = True  # the requests were made for this unit
    return form


@require_permission(Permission.MANAGE_BOOKINGS)
def window_new(request: HttpRequest, period_pk: int) -> HttpResponse:
    period = get_object_or_404(
        Period.objects.select_related("activity"), pk=period_pk, kind=PeriodKind.HOLIDAY_SESSION
    )
    if RequestWindow.objects.filter(period=period).exists():
        return redirect(_window_url(request, period.request_window))
    form = _window_form(request, period, None)
    if request.method == "POST" and form.is_valid():
        try:
            window = request_window_create(
                actor=request.user,
                period=period,
                unit=period.activity.units.get(pk=form.cleaned_data["unit"]),
                **form.window(),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("The request window is set: families ask for days while it is open."),
            )
            return redirect(_window_url(request, window))
    return render(
        request,
        "backoffice/request_window_form.html",
        {"form": form, "period": period, "section": "sessions"},
    )


def _window(pk: int) -> RequestWindow:
    return get_object_or_404(
        RequestWindow.objects.select_related(
            "period__activity__facility", "unit", "drawn_by", "published_by", "organisation"
        ),
        pk=pk,
    )


@require_permission(Permission.VIEW_FAMILIES)
def window_detail(request: HttpRequest, pk: int) -> HttpResponse:
    window = _window(pk)
    form = None
    if window.published_at is None:
        form = _window_form(request, window.period, window)
        if request.method == "POST":
            if not has_permission(request.user, Permission.MANAGE_BOOKINGS):
                raise PermissionDenied
            if form.is_valid():
                try:
                    request_window_change(actor=request.user, window=window, **form.window())
                except DomainError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(request, _("The window and its priorities are saved."))
                    return redirect(_window_url(request, window))
    now = timezone.now()
    overview = window_overview(window)
    return render(
        request,
        "backoffice/request_window.html",
        {
            "window": window,
            "overview": overview,
            "form": form,
            "now": now,
            "is_open": window.is_open(now),
            "closed": now >= window.closes_at,
            "section": "sessions",
            "results": PlaceRequest.Result,
        },
    )


@require_POST
@require_permission(Permission.MANAGE_BOOKINGS)
def window_bonus(request: HttpRequest, pk: int) -> HttpResponse:
    window = _window(pk)
    form = BonusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a number of points from 0 to 20."))
        return redirect(_window_url(request, window))
    family = get_object_or_404(Family, pk=form.cleaned_data["family"])
    try:
        request_window_bonus_set(
            actor=request.user,
            window=window,
            family=family,
            points=form.cleaned_data["points"],
            note=form.cleaned_data["note"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Bonus saved for the %(family)s family.") % {"family": family.name}
            + (" " + _("Run the draw again to see its effect.") if window.drawn_at else ""),
        )
    return redirect(_window_url(request, window) + "#familles")


@require_POST
@require_permission(Permission.MANAGE_BOOKINGS)
def window_run(request: HttpRequest, pk: int) -> HttpResponse:
    window = _window(pk)
    first = window.seed is None
    try:
        result = allocation_run(actor=request.user, window=window)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        given = ngettext("%(count)s place given", "%(count)s places given", len(result.granted)) % {
            "count": len(result.granted)
        }
        waiting = ngettext(
            "%(count)s request on the waiting list",
            "%(count)s requests on the waiting list",
            len(result.waiting),
        ) % {"count": len(result.waiting)}
        again = (
            "" if first else " " + _("Same seed, same draw: only a change of points moves places.")
        )
        messages.success(
            request,
            _("Draw done: %(given)s, %(waiting)s. Check it, then publish it.")
            % {"given": given, "waiting": waiting}
            + again,
        )
    return redirect(_window_url(request, window) + "#tirage")


@require_POST
@require_permission(Permission.MANAGE_BOOKINGS)
def window_publish(request: HttpRequest, pk: int) -> HttpResponse:
    window = _window(pk)
    try:
        allocation_publish_ask(actor=request.user, window=window)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_window_url(request, window))
    window.refresh_from_db()
    done = window.draw.get("published")
    if window.draw.get("publish_error"):
        messages.error(
            request,
            _("Publishing failed, nothing was booked: %(why)s.")
            % {"why": window.draw["publish_error"]},
        )
    elif window.published_at is None or not done:
        messages.info(
            request,
            _(
                "Publication started: the days are being booked and the families told. "
                "This page says when it is done."
            ),
        )
    else:
        messages.success(
            request,
            _(
                "Draw published: %(granted)s days booked, %(waiting)s on the waiting lists. "
                "E-mails sent: %(emailed)s (families whose guardians accept e-mails)."
            )
            % done,
        )
    return redirect(_window_url(request, window))
