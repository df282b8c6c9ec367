""" "Mes demandes": what the family asked, and what became of it."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.activities.selectors import family_enrollment_requests
from perisco.bookings.selectors import family_booking_actions
from perisco.bookings.texts import results_summary
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.models import ChangeRequest, RequestKind
from perisco.families.requests import request_withdraw
from perisco.families.selectors import (
    access_family,
    change_lines,
    family_requests,
    requests_window_start,
)
from perisco.web.access import require_permission

# The filter's values for enrollment requests and booking actions, next to the kinds of
# change request.
ENROLLMENT_KIND = "inscription"
BOOKING_KIND = "reservations"


@require_permission(Permission.USE_PORTAL)
def request_list(request: HttpRequest) -> HttpResponse:
    """Change requests and enrollment requests, newest first, with one filter by kind and
    one time window (the last month, or everything)."""
    family = access_family(request.user)
    kind = request.GET.get("type", "")
    if kind not in RequestKind.values and kind not in (ENROLLMENT_KIND, BOOKING_KIND):
        kind = ""
    everything = request.GET.get("periode") == "tout"
    items: list[tuple[str, Any, Any]] = []
    if kind not in (ENROLLMENT_KIND, BOOKING_KIND):
        items += [
            ("request", r, change_lines(r))
            for r in family_requests(family, kind=kind, everything=everything)
        ]
    if kind in ("", ENROLLMENT_KIND):
        items += [
            ("enrollment", e, None)
            for e in family_enrollment_requests(family, everything=everything)
        ]
    if kind in ("", BOOKING_KIND):
        since = None if everything else requests_window_start()
        items += [
            ("booking", a, results_summary(o["result"] for o in a.report.get("outcomes", [])))
            for a in family_booking_actions(family, since=since)
        ]
    items.sort(key=lambda item: (item[1].created_at, item[1].pk), reverse=True)
    return render(
        request,
        "portal/requests.html",
        {
            "items": items,
            "kind": kind,
            "everything": everything,
            "kinds": [k for k in RequestKind if k != RequestKind.REGISTRATION],
            "enrollment_kind": ENROLLMENT_KIND,
            "booking_kind": BOOKING_KIND,
        },
    )


@require_POST
@require_permission(Permission.USE_PORTAL)
def request_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    family = access_family(request.user)
    change = get_object_or_404(ChangeRequest, pk=pk, family=family)
    try:
        request_withdraw(actor=request.user, request=change)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your request is withdrawn."))
    return redirect(org_reverse(request.organisation, "portal:requests"))
