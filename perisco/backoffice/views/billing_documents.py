"""Staff: the PDF of an invoice (a draft under review too, marked as such) and of a credit
note. Rendering lives in perisco.billing.documents."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from perisco.accounts.permissions import Permission
from perisco.billing.documents import credit_note_pdf_response, invoice_pdf_response
from perisco.billing.models import CreditNote, Invoice
from perisco.web.access import require_permission


@require_permission(Permission.MANAGE_BILLING)
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("organisation"), pk=pk)
    return invoice_pdf_response(invoice)


@require_permission(Permission.MANAGE_BILLING)
def credit_note_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(CreditNote.objects.select_related("invoice"), pk=pk)
    return credit_note_pdf_response(note)
