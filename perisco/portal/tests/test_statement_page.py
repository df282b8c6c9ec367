"""The family's "Relevé de compte" and the PDFs of its invoices and credit notes: its own
only, a fixed number of queries."""

from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import Invoice, Payment
from perisco.billing.payments import credit_note_create, family_balance, payment_record
from perisco.billing.tests.documents_data import typical_invoice
from perisco.billing.tests.factories import issued_invoice
from perisco.families.models import Guardian
from perisco.families.tests.factories import FamilyFactory, guardian_user

D = Decimal
pytestmark = pytest.mark.django_db
STATEMENT = "/demo/famille/releve-de-compte/"


@pytest.fixture
def en(client):
    client.cookies["perisco_language"] = "en"
    return client


@pytest.fixture
def finance(organisation):
    return UserFactory(organisation=organisation, role=Role.FINANCE)


def pay(finance, family, amount, received_on=date(2026, 10, 10)):
    return payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CHEQUE,
        amount=D(amount),
        received_on=received_on,
    )


def test_the_statement_lists_the_entries_with_their_balance_and_pdf_links(en, family, finance):
    invoice = issued_invoice(family, "30.00")
    pay(finance, family, "20.00")
    note = credit_note_create(actor=finance, invoice=invoice, amount=D("2.50"), reason="Grève")

    response = en.get(STATEMENT)

    assert response.status_code == 200
    page = unescape(response.text)
    assert f'href="/demo/famille/factures/{invoice.pk}/facture.pdf"' in page
    assert f'href="/demo/famille/avoirs/{note.pk}/avoir.pdf"' in page
    assert f"Invoice {invoice.number} (September 2026)" in page
    assert f"Credit note {note.number} on invoice {invoice.number}" in page
    assert "Payment received: Cheque" in page
    assert "You owe 7.50 €." in page
    assert family_balance(family) == D("7.50")
    # Newest first: the credit note, the payment, the invoice.
    assert page.index(note.number) < page.index("Payment received") < page.index("(September")


def test_the_balance_is_worded_for_a_credit_and_for_a_settled_account(en, family, finance):
    assert "Nothing on your account yet" in en.get(STATEMENT).text
    assert "Your account is settled: you owe nothing." in unescape(en.get(STATEMENT).text)
    issued_invoice(family, "30.00")
    pay(finance, family, "30.00")
    assert "Your account is settled: you owe nothing." in unescape(en.get(STATEMENT).text)
    pay(finance, family, "12.00")
    page = unescape(en.get(STATEMENT).text)
    assert "You are in credit: 12.00 €." in page
    assert "12.00 € credit" in page  # the running balance of the last line


def test_the_statement_reads_in_a_fixed_number_of_queries(client, family, finance):
    issued_invoice(family, "30.00")
    with CaptureQueriesContext(connection) as few:
        assert client.get(STATEMENT).status_code == 200
    for month in range(1, 7):
        invoice = issued_invoice(family, "30.00", month=date(2026, month, 1))
        credit_note_create(actor=finance, invoice=invoice, amount=D("1.00"), reason="Erreur")
        pay(finance, family, "5.00", received_on=date(2026, month, 20))
    with CaptureQueriesContext(connection) as many:
        assert client.get(STATEMENT).status_code == 200
    assert len(many) == len(few)


def test_the_family_downloads_its_issued_invoice_rendered_once(client, family):
    invoice = typical_invoice(family)
    response = client.get(f"/demo/famille/factures/{invoice.pk}/facture.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="facture-2026-000001.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert Invoice.objects.get(pk=invoice.pk).pdf
    again = client.get(f"/demo/famille/factures/{invoice.pk}/facture.pdf")
    assert again.content == response.content


def test_another_familys_invoice_a_draft_and_another_organisations_are_404(
    client, family, organisation, other_organisation
):
    other = FamilyFactory(organisation=organisation)
    theirs = issued_invoice(other, "30.00")
    draft = typical_invoice(family, issue=False)
    elsewhere = issued_invoice(
        Guardian.objects.get(user=guardian_user(other_organisation)).family, "30.00"
    )
    for invoice in (theirs, draft, elsewhere):
        assert client.get(f"/demo/famille/factures/{invoice.pk}/facture.pdf").status_code == 404
    assert not Invoice.objects.get(pk=draft.pk).pdf


def test_another_familys_credit_note_is_404(client, family, organisation, finance):
    mine = credit_note_create(
        actor=finance, invoice=issued_invoice(family, "30.00"), amount=D("3.00"), reason="x"
    )
    theirs = credit_note_create(
        actor=finance,
        invoice=issued_invoice(FamilyFactory(organisation=organisation), "30.00"),
        amount=D("3.00"),
        reason="x",
    )
    response = client.get(f"/demo/famille/avoirs/{mine.pk}/avoir.pdf")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="avoir-{mine.number}.pdf"'
    assert client.get(f"/demo/famille/avoirs/{theirs.pk}/avoir.pdf").status_code == 404
