""" "Mes demandes": what the family asked, and what became of it."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.models import ChangeRequest, RequestKind
from perisco.families.requests import request_withdraw
from perisco.families.selectors import access_family, change_lines, family_requests
from perisco.web.access import require_permission


@require_permission(Permission.USE_PORTAL)
def request_list(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    kind = request.GET.get("type", "")
    if kind not in RequestKind.values:
        kind = ""
    everything = request.GET.get("periode") == "tout"
    rows = [(r, change_lines(r)) for r in family_requests(family, kind=kind, everything=everything)]
    return render(
        request,
        "portal/requests.html",
        {
            "rows": rows,
            "kind": kind,
            "everything": everything,
            "kinds": [k for k in RequestKind if k != RequestKind.REGISTRATION],
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
