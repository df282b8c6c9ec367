from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.forms import DocumentUploadForm
from perisco.families.models import Document
from perisco.families.selectors import access_family, family_children
from perisco.families.services import document_delete, document_upload
from perisco.web.access import require_permission


@require_permission(Permission.USE_PORTAL)
def documents(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    children = family_children(family)
    form = DocumentUploadForm(request.POST or None, request.FILES or None, children=children)
    if request.method == "POST" and form.is_valid():
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
            form.add_error("file", error.message)
        else:
            messages.success(request, _("Your document has been sent to the childhood service."))
            return redirect(org_reverse(request.organisation, "portal:documents"))
    return render(
        request,
        "portal/documents.html",
        {
            "form": form,
            "documents": Document.objects.filter(family=family).select_related("child"),
            "published": Document.objects.filter(is_published=True),
        },
    )


@require_POST
@require_permission(Permission.USE_PORTAL)
def document_remove(request: HttpRequest, pk: int) -> HttpResponse:
    family = access_family(request.user)
    document = get_object_or_404(Document, pk=pk, family=family)
    try:
        document_delete(actor=request.user, document=document)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The document is deleted."))
    return redirect(org_reverse(request.organisation, "portal:documents"))
