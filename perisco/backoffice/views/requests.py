"""Staff: the queue of families' requests, one by one or in bulk, and which kinds are
accepted without a look."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.backoffice.telling import families_not_told, family_told
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.forms import RefuseForm
from perisco.families.models import ChangeRequest, RequestKind, RequestKindSetting, RequestStatus
from perisco.families.requests import (
    OutdatedRequest,
    outdated_fields,
    request_accept,
    request_refuse,
    requests_accept_many,
)
from perisco.families.selectors import change_lines, request_queue
from perisco.families.services import request_settings_update
from perisco.web.access import require_permission
from perisco.web.params import same_site_path

PAGE_SIZE = 30


@require_permission(Permission.VIEW_FAMILIES)
def queue(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("type", "")
    if kind not in RequestKind.values:
        kind = ""
    status = request.GET.get("statut", RequestStatus.PENDING)
    if status not in RequestStatus.values:
        status = ""
    search = request.GET.get("q", "").strip()
    page = Paginator(request_queue(kind=kind, status=status, search=search), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(r, change_lines(r)) for r in page]
    return render(
        request,
        "backoffice/requests.html",
        {
            "page": page,
            "rows": rows,
            "kind": kind,
            "status": status,
            "search": search,
            "kinds": RequestKind,
            "statuses": RequestStatus,
        },
    )


@require_POST
@require_permission(Permission.MANAGE_FAMILIES)
def queue_accept(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("requests") if i.isdigit()]
    chosen = list(ChangeRequest.objects.filter(pk__in=ids).order_by("created_at", "pk"))
    if not chosen:
        messages.error(request, _("Tick the requests to accept first."))
    else:
        report = requests_accept_many(actor=request.user, requests=chosen)
        if report.accepted:
            messages.success(
                request,
                ngettext(
                    "%(n)d request accepted.", "%(n)d requests accepted.", len(report.accepted)
                )
                % {"n": len(report.accepted)},
            )
            untold = families_not_told(
                len({r.family_id for r in report.accepted if not r.family_emailed})
            )
            if untold:
                messages.warning(request, untold)
        for skipped, reason in report.skipped:
            messages.warning(request, f"{skipped} ({skipped.family}) : {reason}")
    return redirect(
        same_site_path(request, request.POST.get("next", ""))
        or org_reverse(request.organisation, "backoffice:requests")
    )


@require_permission(Permission.VIEW_FAMILIES)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(
        ChangeRequest.objects.select_related(
            "family", "child", "created_by", "decided_by", "superseded_by"
        ),
        pk=pk,
    )
    return render(
        request,
        "backoffice/request.html",
        {
            "change": change,
            "lines": change_lines(change, reveal=True),
            "outdated": outdated_fields(change) if change.is_pending else [],
            "refuse_form": RefuseForm(),
            "supersedes": change.supersedes.all(),
            "documents": change.documents.all(),
        },
    )


@require_POST
@require_permission(Permission.MANAGE_FAMILIES)
def request_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(ChangeRequest, pk=pk)
    try:
        change = request_accept(
            actor=request.user,
            request=change,
            confirm_outdated=request.POST.get("confirm_outdated") == "1",
        )
    except OutdatedRequest as error:
        messages.warning(request, error.message)
        return redirect(org_reverse(request.organisation, "backoffice:request", pk=pk))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            " ".join(
                (_("Request accepted: the file is updated."), family_told(change.family_emailed))
            ),
        )
    return redirect(org_reverse(request.organisation, "backoffice:requests"))


@require_POST
@require_permission(Permission.MANAGE_FAMILIES)
def request_refuse_view(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(ChangeRequest, pk=pk)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the request is refused: the family will read it."))
        return redirect(org_reverse(request.organisation, "backoffice:request", pk=pk))
    try:
        change = request_refuse(
            actor=request.user, request=change, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, " ".join((_("Request refused."), _refusal_told(change.family_emailed)))
        )
    return redirect(org_reverse(request.organisation, "backoffice:requests"))


def _refusal_told(emailed: int) -> str:
    if emailed:
        return _("The family is told the reason by e-mail.")
    return family_told(0)


@require_permission(Permission.MANAGE_FAMILIES)
def request_settings(request: HttpRequest) -> HttpResponse:
    kinds = [k for k in RequestKind if k != RequestKind.REGISTRATION]
    current = set(
        RequestKindSetting.objects.filter(auto_accept=True).values_list("kind", flat=True)
    )
    if request.method == "POST":
        request_settings_update(
            actor=request.user,
            organisation=request.organisation,
            auto_accept={k for k in request.POST.getlist("auto_accept") if k in RequestKind.values},
        )
        messages.success(request, _("Settings saved."))
        return redirect(org_reverse(request.organisation, "backoffice:request_settings"))
    return render(request, "backoffice/request_settings.html", {"kinds": kinds, "auto": current})
