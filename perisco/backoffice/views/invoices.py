"""Staff (finance): invoices — search and filters, an invoice with its lines, what settled
it and its credit notes, a credit note given on it; credit notes; reminders of overdue
invoices; the aged debt. Reads in perisco.billing.selectors, writes in
perisco.billing.payments."""

import csv
from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.billing.models import Invoice
from perisco.billing.payments import (
    UNPAID_REMINDER_DAYS,
    credit_note_create,
    unpaid_reminders_send,
)
from perisco.billing.selectors import (
    AGE_BANDS,
    INVOICE_FILTERS,
    aged_debt,
    credit_note_list,
    invoice_detail,
    invoice_list,
    invoice_list_totals,
)
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.models import Family
from perisco.web.access import require_permission

PAGE_SIZE = 50

INVOICE_FILTER_LABELS = {
    "all": gettext_lazy("All invoices"),
    "unpaid": gettext_lazy("Not fully paid"),
    "overdue": gettext_lazy("Overdue (due date passed)"),
}
AGE_BAND_LABELS = {
    "not_due": gettext_lazy("Not yet due"),
    "1_30": gettext_lazy("1 to 30 days late"),
    "31_60": gettext_lazy("31 to 60 days late"),
    "61_90": gettext_lazy("61 to 90 days late"),
    "over_90": gettext_lazy("More than 90 days late"),
}


def _month(value: str) -> date | None:
    """ "2026-11" -> its first day; anything else: no month filter."""
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def _family(request: HttpRequest) -> Family | None:
    """?famille=<pk>: a family of this organisation (another's is a 404), or None."""
    value = request.GET.get("famille", "")
    return get_object_or_404(Family, pk=value) if value.isdigit() else None


@require_permission(Permission.MANAGE_BILLING)
def invoices(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    which = request.GET.get("filtre", "all")
    if which not in INVOICE_FILTERS:
        which = "all"
    month = _month(request.GET.get("mois", ""))
    family = _family(request)
    listed = invoice_list(
        search=search, which=which, month=month, family_id=family.pk if family else None
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "totals": invoice_list_totals(listed),
        "search": search,
        "which": which,
        "filters": INVOICE_FILTER_LABELS.items(),
        "month": month,
        "months": Invoice.objects.filter(state=Invoice.State.ISSUED).dates(
            "month", "month", order="DESC"
        ),
        "family": family,
        "today": timezone.localdate(),
        "reminder_days": UNPAID_REMINDER_DAYS,
        "section": "invoices",
    }
    if request.htmx:
        return render(request, "backoffice/invoices.html#results", context)
    return render(request, "backoffice/invoices.html", context)


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (€)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        localize=True,  # "12,50" as French staff type it
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@require_permission(Permission.MANAGE_BILLING)
def invoice(request: HttpRequest, pk: int) -> HttpResponse:
    detail = invoice_detail(pk)
    form = CreditNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            note = credit_note_create(
                actor=request.user,
                invoice=detail.invoice,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            if error.field not in form.fields:  # a draft: the page has no form to show it
                messages.error(request, error.message)
                return redirect(org_reverse(request.organisation, "backoffice:invoice", pk=pk))
            form.add_error(error.field, error.message)
        else:
            messages.success(
                request,
                _("Credit note %(number)s of %(amount)s € issued on invoice %(invoice)s.")
                % {
                    "number": note.number,
                    "amount": number_format(note.amount, 2),
                    "invoice": detail.invoice.number,
                },
            )
            return redirect(org_reverse(request.organisation, "backoffice:invoice", pk=pk))
    for _child, lines in detail.children:
        for line in lines:
            line.day_list = [date.fromisoformat(day) for day in line.days]  # type: ignore[attr-defined]
    return render(
        request,
        "backoffice/invoice.html",
        {
            "detail": detail,
            "invoice": detail.invoice,
            "form": form,
            "today": timezone.localdate(),
            "section": "invoices",
        },
    )


@require_permission(Permission.MANAGE_BILLING)
def credit_notes(request: HttpRequest) -> HttpResponse:
    family = _family(request)
    page = Paginator(credit_note_list(family_id=family.pk if family else None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "backoffice/credit_notes.html",
        {"page": page, "family": family, "section": "credit_notes"},
    )


@require_POST
@require_permission(Permission.MANAGE_BILLING)
def unpaid_reminders(request: HttpRequest) -> HttpResponse:
    families, emails = unpaid_reminders_send(actor=request.user)
    messages.success(
        request,
        ngettext(
            "Reminders e-mailed to %(families)s family",
            "Reminders e-mailed to %(families)s families",
            families,
        )
        % {"families": families}
        + " "
        + ngettext("(%(emails)s e-mail).", "(%(emails)s e-mails).", emails) % {"emails": emails}
        + " "
        + _(
            "A family is reminded at most once every %(days)s days, and only its guardians "
            "who accept e-mails are written to."
        )
        % {"days": UNPAID_REMINDER_DAYS},
    )
    url = org_reverse(request.organisation, "backoffice:invoices")
    return redirect(f"{url}?{urlencode({'filtre': 'overdue'})}")


@require_permission(Permission.MANAGE_BILLING)
def aged_debt_page(request: HttpRequest) -> HttpResponse:
    debt = aged_debt()
    labels = [AGE_BAND_LABELS[key] for key, _first, _last in AGE_BANDS]
    return render(
        request,
        "backoffice/aged_debt.html",
        {
            "debt": debt,
            "bands": [
                (AGE_BAND_LABELS[key], amount)
                for (key, _first, _last), amount in zip(AGE_BANDS, debt.bands, strict=True)
            ],
            "band_labels": labels,
            "families": [(row, list(zip(labels, row.bands, strict=True))) for row in debt.families],
            "section": "aged_debt",
        },
    )


def _safe(value: str) -> str:
    """A name a spreadsheet would run as a formula ("=HYPERLINK(…)") kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@require_permission(Permission.MANAGE_BILLING)
def aged_debt_csv(request: HttpRequest) -> HttpResponse:
    """Every family that owes something, by age of the debt."""
    debt = aged_debt(top=None)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="balance-agee-{debt.today}.csv"'
    # The BOM and semicolons are what a French spreadsheet opens without asking.
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            _("Family"),
            _("Number"),
            *[str(AGE_BAND_LABELS[key]) for key, _first, _last in AGE_BANDS],
            _("Total"),
        ]
    )
    for row in debt.families:
        writer.writerow(
            [
                _safe(row.name),
                _safe(row.number),
                *[number_format(amount, 2) for amount in row.bands],
                number_format(row.total, 2),
            ]
        )
    return response
