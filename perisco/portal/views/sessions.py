"""The family's holiday requests: the sessions given by a draw, a tick per child and day
while requests are open, the answer day by day once the draw is published. Rules live in
perisco.bookings.allocation."""

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from perisco.accounts.permissions import Permission
from perisco.activities.models import RequestWindow
from perisco.activities.templatetags.activities import long_day
from perisco.bookings.allocation import family_windows, place_requests_set
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.selectors import access_family
from perisco.web.access import require_permission


def _wanted(values: list[str]) -> set[tuple[int, date]]:
    """ "12:2027-02-15" per ticked box; anything else is ignored as a forged box."""
    wanted = set()
    for value in values[:500]:
        child, _sep, day = value.partition(":")
        try:
            wanted.add((int(child), date.fromisoformat(day)))
        except ValueError:
            continue
    return wanted


@require_permission(Permission.USE_PORTAL)
def holiday_requests(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    now = timezone.now()
    if request.method == "POST":
        pk = request.POST.get("fenetre", "")
        window = get_object_or_404(RequestWindow, pk=int(pk) if pk.isdigit() else 0)
        try:
            report = place_requests_set(
                actor=request.user,
                family=family,
                window=window,
                wanted=_wanted(request.POST.getlist("jour")),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            text = ngettext(
                "Your request is saved: %(count)s day asked for. The draw gives the places "
                "after the window closes; the order of requests makes no difference.",
                "Your request is saved: %(count)s days asked for. The draw gives the places "
                "after the window closes; the order of requests makes no difference.",
                len(report.asked),
            ) % {"count": len(report.asked)}
            if report.refused:
                text += " " + _("Not asked: %(days)s.") % {
                    "days": "; ".join(
                        f"{child.first_name}, {long_day(day)} ({why})"
                        for child, day, why in report.refused[:10]
                    )
                }
            messages.success(request, text)
        return redirect(org_reverse(request.organisation, "portal:holiday_requests"))
    return render(
        request,
        "portal/holiday_requests.html",
        {"windows": family_windows(family, now), "now": now},
    )
