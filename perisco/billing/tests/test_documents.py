"""Invoice and credit-note PDFs: what they say comes from the invoice's snapshot; an issued
invoice's PDF is rendered once and stored, a draft's never."""

import re
from datetime import date
from decimal import Decimal
from html import unescape
from unittest import mock

import pytest

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing import documents
from perisco.billing.documents import (
    compact_days,
    credit_note_html,
    credit_note_pdf,
    invoice_html,
    invoice_pdf,
)
from perisco.billing.models import Invoice
from perisco.billing.payments import credit_note_create
from perisco.billing.tests.documents_data import typical_invoice
from perisco.families.models import BankAccount
from perisco.families.tests.factories import FamilyFactory

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def family(organisation):
    return FamilyFactory(organisation=organisation, name="DUPONT")


def text(html: str) -> str:
    """The words of the document, tags and runs of spaces gone."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.split("</style>", 1)[1]).split())


def test_the_invoice_says_its_number_lines_totals_previous_balance_and_due_date(family):
    invoice = typical_invoice(family)
    page = text(invoice_html(invoice))
    assert invoice.number == "2026-000001"
    assert "2026-000001" in page
    assert "Ville de Démo" in page and "SIRET 21640445700017" in page  # the sender
    assert "Jeanne Dupont 12 rue des Lilas 64000 Pau" in page  # the recipient
    assert family.number in page
    # Grouped by child: Louise's two lines, then Tao's.
    assert page.index("Louise DUPONT") < page.index("Garderie — Soir") < page.index("Tao DUPONT")
    for amount in ("19,20 €", "14,40 €", "15,12 €", "-2,16 €", "2,40 €", "0,90 €"):
        assert amount in page
    assert "QF 401–700" in page
    # Days listed compactly; the adjustment's month named with its year when it differs.
    assert "1–4, 8, 10–11, 15 septembre" in page
    assert "30 juin" in page
    assert "46,56 €" in page  # the total
    assert "12,50 €" in page  # the previous balance
    assert "59,06 €" in page  # amount due: previous balance + total
    assert "17/10/2026" in page and "02/10/2026" in page  # due and issue dates


def test_the_lines_say_the_rule_reduction_surcharge_share_and_unit(family):
    invoice = typical_invoice(family)
    # Printed in French; rendered in English here to read the words (the msgids).
    page = text(invoice_html(invoice, language="en"))
    assert "Same price for every family" in page  # the "flat" rule of the childcare
    assert "+1.50 € each, present without booking" in page
    assert "-10 % (sibling)" in page  # Tao's reduction
    assert "6 half-hours" in page and "8 days" in page and "−1 day " in unescape(page)
    assert page.count("Adjustment of a past month") == 1


def test_a_missing_quotient_and_a_late_cancellation_share_are_said(family):
    invoice = typical_invoice(family, issue=False)
    line = invoice.lines.get(position=0)
    line.missing_qf, line.share, line.label = True, D("50"), "QF > 1500"
    line.save()
    page = text(invoice_html(invoice, language="en"))
    assert "Highest price: no valid quotient familial on file." in page
    assert "QF > 1500" not in page
    assert "50 % billed (late cancellation)" in page


def test_how_to_pay_says_only_what_is_true(family, organisation):
    invoice = typical_invoice(family)
    html = invoice_html(invoice)
    assert 'id="pay-debit"' not in html and 'id="pay-online"' not in html
    assert 'id="pay-instructions"' not in html

    organisation.payment_instructions = "Chèque à l'ordre du Trésor public, en mairie."
    organisation.payfip_client_id = "123456"
    organisation.save()
    BankAccount.objects.create(
        organisation=organisation,
        family=family,
        holder="Jeanne Dupont",
        iban="FR1420041010050500013M02606",
        mandate_reference="RUM-000001",
        mandate_signed_on=date(2026, 1, 15),
    )
    invoice = Invoice.objects.get(pk=invoice.pk)
    html = invoice_html(invoice)
    assert 'id="pay-online"' in html and "/demo/famille/" in html
    assert "Chèque à l&#x27;ordre du Trésor public" in html
    # A mandate, but the organisation does not collect by direct debit: not said.
    assert 'id="pay-debit"' not in html
    organisation.sepa_creditor_id = "FR72ZZZ123456"
    organisation.save()
    html = invoice_html(Invoice.objects.get(pk=invoice.pk))
    assert 'id="pay-debit"' in html and "RUM-000001" in html
    assert "0500013" not in html  # the IBAN masked


def test_an_invoice_covered_by_credit_says_there_is_nothing_to_pay(family):
    invoice = typical_invoice(family, previous_balance="-50.00")
    page = text(invoice_html(invoice))
    assert 'id="amount-due">0,00 €' in invoice_html(invoice)
    assert "3,44 €" in page  # the credit left: 50.00 - 46.56


def test_the_pdf_is_rendered_once_and_stored_with_its_number(family):
    invoice = typical_invoice(family)
    with mock.patch.object(
        documents, "invoice_pdf_render", wraps=documents.invoice_pdf_render
    ) as render:
        first = invoice_pdf(invoice)
        again = invoice_pdf(Invoice.objects.get(pk=invoice.pk))
    assert first.startswith(b"%PDF-")
    assert again == first
    assert render.call_count == 1
    stored = Invoice.objects.get(pk=invoice.pk).pdf
    assert stored.name.endswith("facture-2026-000001.pdf")
    with stored.open("rb") as handle:
        assert handle.read() == first


def test_a_pdf_rendered_meanwhile_by_another_request_is_kept(family):
    invoice = typical_invoice(family)
    stale = Invoice.objects.get(pk=invoice.pk)  # read before the other request stored it
    first = invoice_pdf(invoice)
    with mock.patch.object(documents, "invoice_pdf_render", return_value=b"%PDF-other"):
        assert invoice_pdf(stale) in (first, b"%PDF-other")
    # Either way one file is recorded and it is the one served from now on.
    stored = Invoice.objects.get(pk=invoice.pk).pdf
    with stored.open("rb") as handle:
        assert invoice_pdf(Invoice.objects.get(pk=invoice.pk)) == handle.read()


def test_a_draft_is_rendered_marked_as_such_and_never_stored(family):
    invoice = typical_invoice(family, issue=False)
    html = invoice_html(invoice)
    assert 'id="draft-mark"' in html and 'id="number"' not in html
    assert invoice_pdf(invoice).startswith(b"%PDF-")
    assert invoice_pdf(invoice).startswith(b"%PDF-")
    assert not Invoice.objects.get(pk=invoice.pk).pdf


def test_the_credit_note_says_its_number_invoice_reason_and_amount(family, organisation):
    invoice = typical_invoice(family)
    finance = UserFactory(organisation=organisation, role=Role.FINANCE)
    note = credit_note_create(
        actor=finance, invoice=invoice, amount=D("4.80"), reason="Sortie annulée le 8"
    )
    page = text(credit_note_html(note))
    assert note.number in page and invoice.number in page
    assert "Sortie annulée le 8" in page and "4,80 €" in page
    assert credit_note_pdf(note).startswith(b"%PDF-")


def test_the_footer_text_cannot_break_out_of_its_css_string(family):
    invoice = typical_invoice(family, issue=False)
    Invoice.objects.filter(pk=invoice.pk).update(sender='Ville "de" </style><b>x\\')
    html = invoice_html(Invoice.objects.get(pk=invoice.pk))
    style = html.split("</style>", 1)[0]
    assert "<b>" not in style and '"de"' not in style


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (["2026-09-01"], "1 septembre"),
        (["2026-09-03", "2026-09-01", "2026-09-02"], "1–3 septembre"),
        (["2026-09-30", "2026-10-01", "2026-10-05"], "30 septembre ; 1, 5 octobre"),
        (["2025-12-18"], "18 décembre 2025"),
    ],
)
def test_days_are_listed_compactly(days, expected):
    from django.utils.translation import override

    with override("fr"):
        assert compact_days(days, year=2026) == expected
