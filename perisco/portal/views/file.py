"""The family's file: "Ma famille", "Mes enfants", and the forms that send requests."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from perisco.accounts.permissions import Permission
from perisco.activities.selectors import family_enrollments
from perisco.billing.selectors import child_prices
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.forms import kind_form, kind_form_values
from perisco.families.kinds import (
    CHILD_FORM_KINDS,
    FAMILY_FORM_KINDS,
    SPECS,
    current_object,
    snapshot,
)
from perisco.families.models import BankAccount, RequestKind, RequestStatus, mask_iban
from perisco.families.requests import request_submit
from perisco.families.selectors import (
    access_child,
    access_family,
    family_children,
    kind_is_auto_accepted,
    pending_kinds,
)
from perisco.families.sheets import child_sheet_response
from perisco.web.access import require_permission


@require_permission(Permission.USE_PORTAL)
def family_file(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    guardians = {g.rank: g for g in family.guardians.all()}
    bank = BankAccount.objects.filter(family=family).first()
    return render(
        request,
        "portal/family.html",
        {
            "family": family,
            "guardian": guardians.get(1),
            "spouse": guardians.get(2),
            "quotients": family.quotients.select_related("attestation"),
            "bank": bank,
            "masked_iban": mask_iban(bank.iban) if bank else "",
            "pending": {kind: request for (kind, _child), request in pending_kinds(family).items()},
        },
    )


@require_permission(Permission.USE_PORTAL)
def children(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    today = timezone.localdate()
    return render(
        request,
        "portal/children.html",
        {"children": [(c, c.age_on(today)) for c in family_children(family)], "family": family},
    )


@require_permission(Permission.USE_PORTAL)
def child_detail(request: HttpRequest, pk: int) -> HttpResponse:
    family = access_family(request.user)
    child = access_child(family, pk)
    pending = {kind: r for (kind, child_id), r in pending_kinds(family).items() if child_id == pk}
    prices = child_prices(family, child, timezone.localdate())
    return render(
        request,
        "portal/child.html",
        {
            "family": family,
            "child": child,
            "age": child.age_on(timezone.localdate()),
            "contacts": child.contacts.all(),
            "households": child.families.count(),
            "pending": pending,
            "enrollments": family_enrollments(family).filter(child=child),
            "prices": prices,
            "missing_qf": any(item.price.missing_qf for item in prices),
        },
    )


@require_permission(Permission.USE_PORTAL)
def child_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    family = access_family(request.user)
    child = access_child(family, pk)
    return child_sheet_response(child, complete=request.GET.get("version") == "complete")


def _request_form(request: HttpRequest, kind: str, *, child=None) -> HttpResponse:
    family = access_family(request.user)
    spec = SPECS[kind]
    current = snapshot(spec, current_object(spec, family, child))
    form = kind_form(
        spec, current, staff=False, data=request.POST or None, files=request.FILES or None
    )
    refused = None
    if request.method == "POST" and form.is_valid():
        values, upload = kind_form_values(form)
        try:
            change = request_submit(
                actor=request.user,
                family=family,
                kind=kind,
                values=values,
                child=child,
                upload=upload,
            )
        except DomainError as error:
            refused = error.message
        else:
            if change.status == RequestStatus.ACCEPTED:
                messages.success(request, _("Your change is saved: your file is updated."))
            elif change.family_emailed:
                messages.success(
                    request,
                    _(
                        "Your request has been sent to the childhood service. You will receive "
                        "an e-mail when it is decided; meanwhile it is listed in “My requests”."
                    ),
                )
            else:
                messages.success(
                    request,
                    _(
                        "Your request has been sent to the childhood service. It is listed in "
                        "“My requests”, where you will see its decision."
                    ),
                )
            return redirect(org_reverse(request.organisation, "portal:requests"))
    return render(
        request,
        "portal/request_form.html",
        {
            "form": form,
            "refused": refused,
            "kind_label": spec.kind.label,
            "kind": kind,
            "child": child,
            "creates": spec.creates,
            "applied_at_once": kind_is_auto_accepted(request.organisation, kind),
        },
    )


@require_permission(Permission.USE_PORTAL)
def family_request(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in FAMILY_FORM_KINDS:
        raise Http404
    return _request_form(request, kind)


@require_permission(Permission.USE_PORTAL)
def child_request(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in CHILD_FORM_KINDS:
        raise Http404
    child = access_child(access_family(request.user), pk)
    return _request_form(request, kind, child=child)


@require_permission(Permission.USE_PORTAL)
def new_child(request: HttpRequest) -> HttpResponse:
    return _request_form(request, RequestKind.NEW_CHILD)
