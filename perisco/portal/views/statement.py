""" "Relevé de compte": the family's invoices, credit notes and payments with a running
balance, and the PDFs of its invoices and credit notes. Rules live in perisco.billing."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from perisco.accounts.permissions import Permission
from perisco.billing.documents import credit_note_pdf_response, invoice_pdf_response
from perisco.billing.models import CreditNote, Invoice
from perisco.billing.selectors import family_statement
from perisco.core.money import ZERO
from perisco.families.selectors import access_family
from perisco.web.access import require_permission


@require_permission(Permission.USE_PORTAL)
def statement(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    entries = family_statement(family)
    balance = entries[-1].balance if entries else ZERO
    return render(
        request,
        "portal/statement.html",
        {
            # Newest first, as a bank statement read on a phone; the balance shown
            # without its sign (a credit is said in words).
            "rows": [(entry, abs(entry.balance)) for entry in reversed(entries)],
            "balance": balance,
            "credit": -balance if balance < 0 else ZERO,
        },
    )


@require_permission(Permission.USE_PORTAL)
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The family's own issued invoices only; anything else is a 404."""
    family = access_family(request.user)
    invoice = get_object_or_404(
        Invoice.objects.select_related("organisation"),
        pk=pk,
        family=family,
        state=Invoice.State.ISSUED,
    )
    return invoice_pdf_response(invoice)


@require_permission(Permission.USE_PORTAL)
def credit_note_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    family = access_family(request.user)
    note = get_object_or_404(CreditNote.objects.select_related("invoice"), pk=pk, family=family)
    return credit_note_pdf_response(note)
