"""Staff: forms and information the organisation publishes for families."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.forms import PublishedDocumentForm
from perisco.families.models import Document
from perisco.families.services import document_delete, document_upload
from perisco.web.access import require_permission


@require_permission(Permission.MANAGE_FAMILIES)
def published_documents(request: HttpRequest) -> HttpResponse:
    form = PublishedDocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            document_upload(
                actor=request.user,
                organisation=request.organisation,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                published=True,
                public=form.cleaned_data["public"],
            )
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            messages.success(request, _("The document is published."))
            return redirect(org_reverse(request.organisation, "backoffice:documents"))
    return render(
        request,
        "backoffice/documents.html",
        {"form": form, "documents": Document.objects.filter(is_published=True)},
    )


@require_POST
@require_permission(Permission.MANAGE_FAMILIES)
def published_document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document, pk=pk, is_published=True)
    try:
        document_delete(actor=request.user, document=document)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The document is no longer published."))
    return redirect(org_reverse(request.organisation, "backoffice:documents"))
