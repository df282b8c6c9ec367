"""Staff: the families list, a family's whole file, direct edits, documents, history."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission, has_permission
from perisco.activities.models import Enrollment
from perisco.backoffice.forms import FamilyCreateForm
from perisco.billing.selectors import family_account
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.forms import DocumentUploadForm, kind_form, kind_form_values
from perisco.families.history import family_history
from perisco.families.kinds import (
    CHILD_FORM_KINDS,
    FAMILY_FORM_KINDS,
    SPECS,
    current_object,
    snapshot,
)
from perisco.families.models import (
    BankAccount,
    ChangeRequest,
    Document,
    FamilyStatus,
    RequestKind,
    RequestStatus,
)
from perisco.families.requests import file_edit
from perisco.families.selectors import (
    access_child,
    family_children,
    family_for_staff,
    family_list,
)
from perisco.families.services import document_upload, family_create_with_guardian
from perisco.families.sheets import child_sheet_response
from perisco.inbox.selectors import family_thread_list
from perisco.messaging.selectors import family_emails
from perisco.messaging.services import KEEP_FINISHED_FOR
from perisco.web.access import require_permission

PAGE_SIZE = 25


@require_permission(Permission.VIEW_FAMILIES)
def families(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("statut", "")
    if status not in FamilyStatus.values:
        status = ""
    page = Paginator(family_list(search=search, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "search": search, "status": status, "statuses": FamilyStatus}
    if request.htmx:
        return render(request, "backoffice/families.html#results", context)
    return render(request, "backoffice/families.html", context)


@require_permission(Permission.MANAGE_FAMILIES)
def family_create(request: HttpRequest) -> HttpResponse:
    form = FamilyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        family = family_create_with_guardian(
            actor=request.user, organisation=request.organisation, guardian=form.cleaned_data
        )
        messages.success(request, _("The file of family %(name)s is created.") % {"name": family})
        return redirect(org_reverse(request.organisation, "backoffice:family", pk=family.pk))
    return render(request, "backoffice/family_create.html", {"form": form})


@require_permission(Permission.VIEW_FAMILIES)
def family_detail(request: HttpRequest, pk: int) -> HttpResponse:
    family = family_for_staff(pk)
    guardians = {g.rank: g for g in family.guardians.all()}
    today = timezone.localdate()
    children = [
        (child, child.age_on(today), child.contacts.all())
        for child in family_children(family).prefetch_related(
            "contacts",
            Prefetch(
                "enrollments",
                queryset=Enrollment.objects.select_related("activity")
                .prefetch_related("activity__units")
                .filter(family=family),
            ),
        )
    ]
    return render(
        request,
        "backoffice/family.html",
        {
            "family": family,
            "guardian": guardians.get(1),
            "spouse": guardians.get(2),
            "bank": BankAccount.objects.filter(family=family).first(),
            "children": children,
            "pending_requests": ChangeRequest.objects.filter(
                family=family, status=RequestStatus.PENDING
            ).select_related("child"),
            "documents": Document.objects.filter(family=family).select_related("child"),
            "upload_form": DocumentUploadForm(children=family_children(family)),
            "history": family_history(family, limit=30),
            "emails": family_emails(family.pk),
            "threads": (
                family_thread_list(family)
                if has_permission(request.user, Permission.MANAGE_MESSAGES)
                else []
            ),
            "emails_kept_days": KEEP_FINISHED_FOR.days,
            "can_edit": has_permission(request.user, Permission.MANAGE_FAMILIES),
            "account": (
                family_account(family)
                if has_permission(request.user, Permission.MANAGE_BILLING)
                else None
            ),
        },
    )


@require_permission(Permission.MANAGE_FAMILIES)
def family_edit(
    request: HttpRequest, pk: int, kind: str, child_pk: int | None = None
) -> HttpResponse:
    """A direct edit by staff: applied at once and recorded in the history."""
    allowed = FAMILY_FORM_KINDS if child_pk is None else (*CHILD_FORM_KINDS,)
    if kind not in allowed and not (kind == RequestKind.NEW_CHILD and child_pk is None):
        raise Http404
    family = family_for_staff(pk)
    child = access_child(family, child_pk) if child_pk is not None else None
    spec = SPECS[kind]
    current = snapshot(spec, current_object(spec, family, child))
    form = kind_form(
        spec, current, staff=True, data=request.POST or None, files=request.FILES or None
    )
    refused = None
    if request.method == "POST" and form.is_valid():
        values, upload = kind_form_values(form)
        try:
            file_edit(
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
            messages.success(request, _("The file is updated."))
            return redirect(org_reverse(request.organisation, "backoffice:family", pk=family.pk))
    return render(
        request,
        "backoffice/family_edit.html",
        {
            "form": form,
            "refused": refused,
            "family": family,
            "child": child,
            "kind_label": spec.kind.label,
            "kind": kind,
        },
    )


@require_permission(Permission.VIEW_FAMILIES)
def child_sheet(request: HttpRequest, pk: int, child_pk: int) -> HttpResponse:
    child = access_child(family_for_staff(pk), child_pk)
    return child_sheet_response(child, complete=request.GET.get("version") == "complete")


@require_POST
@require_permission(Permission.MANAGE_FAMILIES)
def family_document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    family = family_for_staff(pk)
    form = DocumentUploadForm(request.POST, request.FILES, children=family_children(family))
    if form.is_valid():
        try:
            document_upload(
                actor=request.user,
                organisation=request.organisation,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                family=family,
                child=form.cleaned_data["child"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The document is added to the file."))
    else:
        messages.error(request, _("Choose a kind and a file to add a document."))
    return redirect(org_reverse(request.organisation, "backoffice:family", pk=family.pk))
