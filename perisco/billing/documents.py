"""Invoice and credit-note PDFs (SPEC §6), rendered with WeasyPrint as the child sheet is.

What an invoice says comes from its snapshot (sender, recipient, number, dates, lines,
totals): the family file or the tariffs changing later never change it. An issued invoice's
PDF is rendered once, on first demand, and stored in `Invoice.pdf`; a draft is previewed
by staff and never stored (it may still change). Only "how to pay" reads the present (the
organisation's payment settings, the family's mandate), as of that first rendering.
"""

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from django.core.files.base import ContentFile
from django.db.models import Q
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils import dateformat
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import override
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from perisco.billing.models import CreditNote, Invoice, InvoiceLine
from perisco.core.models import Organisation
from perisco.core.money import ZERO
from perisco.core.urls import org_reverse, site_base_url
from perisco.families.models import BankAccount, mask_iban

# Invoices are French public-accounting documents: always printed in French.
LANGUAGE = "fr"


class _NothingFetched(URLFetcher):
    """The documents hold all they show: nothing is fetched. One instance for the process:
    WeasyPrint's default fetcher, made anew for each document, sets up an HTTPS context
    each time (about a third of an invoice's rendering)."""

    def fetch(self, url, headers=None):
        raise ValueError(f"a billing document fetches nothing ({url[:40]})")


_FETCHER = _NothingFetched()


def _pdf(html: str) -> bytes:
    return HTML(string=html, url_fetcher=_FETCHER).write_pdf()


@dataclass
class UnitGroup:
    unit_name: str
    lines: list[InvoiceLine]


@dataclass
class ChildGroup:
    child_name: str
    units: list[UnitGroup] = field(default_factory=list)


@dataclass(frozen=True)
class HowToPay:
    nothing_to_pay: bool
    direct_debit: str  # the account's masked IBAN when its invoices are debited
    mandate_reference: str
    online_url: str  # the family space's invoices page, when card payment is on
    instructions: str


def compact_days(days: list[str], *, year: int | None = None) -> str:
    """ISO dates as a French reader scans them: "1–4, 8, 10–11 septembre" (runs of
    consecutive days joined; the year only when it is not `year`)."""
    parsed = sorted({date.fromisoformat(d) for d in days})
    parts = []
    for (y, _month), group in groupby(parsed, key=lambda d: (d.year, d.month)):
        in_month = list(group)
        runs: list[list[date]] = []
        for day in in_month:
            if runs and (day - runs[-1][-1]).days == 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        numbers = ", ".join(
            str(run[0].day) if len(run) == 1 else f"{run[0].day}–{run[-1].day}" for run in runs
        )
        month = dateformat.format(in_month[0], "F" if y == year else "F Y")
        parts.append(f"{numbers} {month}")
    return " ; ".join(parts)


def grouped_lines(lines: list[InvoiceLine]) -> list[ChildGroup]:
    """Lines by child (in the invoice's order), then by unit."""
    children: dict[str, ChildGroup] = {}
    for line in lines:
        child = children.setdefault(line.child_name, ChildGroup(line.child_name))
        unit = next((u for u in child.units if u.unit_name == line.unit_name), None)
        if unit is None:
            unit = UnitGroup(line.unit_name, [])
            child.units.append(unit)
        unit.lines.append(line)
    return list(children.values())


def invoices_page_url(organisation: Organisation) -> str:
    """The family space's invoices page (its home until that page exists)."""
    try:
        path = org_reverse(organisation, "portal:invoices")
    except NoReverseMatch:  # pragma: no cover - until the invoices page lands
        path = org_reverse(organisation, "portal:home")
    return site_base_url() + path


def how_to_pay(invoice: Invoice) -> HowToPay:
    """Only what is true: a debit when the family signed a mandate and the organisation
    collects by direct debit, card payment when PayFiP is set up, the desk's instructions."""
    organisation = invoice.organisation
    account = None
    if organisation.sepa_creditor_id:
        account = (
            BankAccount.objects.filter(family_id=invoice.family_id, mandate_signed_on__isnull=False)
            .exclude(mandate_reference="")
            .first()
        )
    return HowToPay(
        nothing_to_pay=invoice.amount_due <= 0,
        direct_debit=mask_iban(account.iban) if account else "",
        mandate_reference=account.mandate_reference if account else "",
        online_url=invoices_page_url(organisation) if organisation.payfip_client_id else "",
        instructions=organisation.payment_instructions.strip(),
    )


def invoice_html(invoice: Invoice, *, language: str = LANGUAGE) -> str:
    lines = list(invoice.lines.all())
    for line in lines:
        line.days_text = compact_days(line.days, year=invoice.month.year)  # type: ignore[attr-defined]
        line.count = abs(line.quantity)  # type: ignore[attr-defined]  # signed apart
    with override(language):
        return render_to_string(
            "billing/invoice.html",
            {
                "invoice": invoice,
                "draft": invoice.state != Invoice.State.ISSUED,
                "children": grouped_lines(lines),
                "sender": invoice.sender.splitlines(),
                "recipient": invoice.recipient.splitlines(),
                "pay": how_to_pay(invoice),
                "credit": -invoice.amount_due if invoice.amount_due < 0 else ZERO,
                "footer": css_string(
                    f"{invoice.sender.partition(chr(10))[0]} · "
                    + (
                        _("Invoice %(number)s") % {"number": invoice.number}
                        if invoice.number
                        else _("Draft invoice")
                    )
                ),
            },
        )


def css_string(text: str) -> str:
    """`text` inside a CSS string ("…" in a @page margin box): every character that could
    end the string or the <style> element escaped the CSS way (a hex code and a space)."""
    safe = "".join(
        c if c.isalnum() or c in " .,-–—/()·:" else f"\\{ord(c):x} " for c in " ".join(text.split())
    )
    return mark_safe(safe)  # noqa: S308 (escaped above)


def invoice_pdf_render(invoice: Invoice) -> bytes:
    return _pdf(invoice_html(invoice))


def _stored_name(invoice: Invoice) -> str:
    return f"invoices/{invoice.organisation_id}/{invoice.year}/facture-{invoice.number}.pdf"


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a PDF. Issued: rendered once and stored, then always that file
    (two first requests at once both render, one file is kept). A draft: rendered each
    time, never stored."""
    if invoice.state != Invoice.State.ISSUED:
        return invoice_pdf_render(invoice)
    storage = invoice.pdf.storage
    stored = invoice.pdf.name or ""
    if stored and storage.exists(stored):
        return _read(storage, stored)
    content = invoice_pdf_render(invoice)
    name = storage.save(_stored_name(invoice), ContentFile(content))
    # Claimed with a conditional UPDATE (the invoice's other fields never change); a file
    # recorded but lost from the storage is replaced.
    claimed = (
        Invoice.objects.filter(pk=invoice.pk)
        .filter(Q(pdf="") | Q(pdf__isnull=True) | Q(pdf=stored))
        .update(pdf=name)
    )
    if not claimed:  # another request stored it meanwhile: serve that one
        storage.delete(name)
        invoice.refresh_from_db(fields=["pdf"])
        return _read(storage, invoice.pdf.name or "")
    invoice.pdf.name = name
    return content


def _read(storage, name: str) -> bytes:
    with storage.open(name, "rb") as handle:
        return handle.read()


def credit_note_html(note: CreditNote, *, language: str = LANGUAGE) -> str:
    invoice = note.invoice
    with override(language):
        return render_to_string(
            "billing/credit_note.html",
            {
                "note": note,
                "invoice": invoice,
                "sender": invoice.sender.splitlines(),
                "recipient": invoice.recipient.splitlines(),
                "footer": css_string(
                    f"{invoice.sender.partition(chr(10))[0]} · "
                    + _("Credit note %(number)s") % {"number": note.number}
                ),
            },
        )


def credit_note_pdf(note: CreditNote) -> bytes:
    """A credit note is a few lines: rendered on demand, not stored."""
    return _pdf(credit_note_html(note))


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    name = f"facture-{invoice.number}" if invoice.number else f"facture-brouillon-{invoice.pk}"
    return pdf_response(invoice_pdf(invoice), f"{name}.pdf")


def credit_note_pdf_response(note: CreditNote) -> HttpResponse:
    return pdf_response(credit_note_pdf(note), f"avoir-{note.number}.pdf")
