"""Staff open an invoice's PDF (a draft under review too, never stored) and a credit
note's; billing staff only, their organisation's only."""

from decimal import Decimal

import pytest

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import Invoice
from perisco.billing.payments import credit_note_create
from perisco.billing.tests.documents_data import typical_invoice
from perisco.conftest import sign_in
from perisco.core.urls import org_reverse
from perisco.families.tests.factories import FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client, organisation):
    return sign_in(client, UserFactory(organisation=organisation, role=Role.FINANCE))


def url(organisation, name, pk):
    return org_reverse(organisation, f"backoffice:{name}", pk=pk)


def test_finance_previews_a_draft_without_storing_it(finance, organisation):
    draft = typical_invoice(FamilyFactory(organisation=organisation), issue=False)
    response = finance.get(url(organisation, "invoice_pdf", draft.pk))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == (
        f'inline; filename="facture-brouillon-{draft.pk}.pdf"'
    )
    assert not Invoice.objects.get(pk=draft.pk).pdf


def test_finance_opens_an_issued_invoice_and_its_credit_note(finance, organisation):
    invoice = typical_invoice(FamilyFactory(organisation=organisation))
    response = finance.get(url(organisation, "invoice_pdf", invoice.pk))
    assert response["Content-Disposition"] == 'inline; filename="facture-2026-000001.pdf"'
    assert Invoice.objects.get(pk=invoice.pk).pdf
    note = credit_note_create(
        actor=UserFactory(organisation=organisation, role=Role.FINANCE),
        invoice=invoice,
        amount=Decimal("2.00"),
        reason="Erreur",
    )
    response = finance.get(url(organisation, "credit_note_pdf", note.pk))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


def test_another_organisations_invoice_is_404(finance, organisation, other_organisation):
    theirs = typical_invoice(FamilyFactory(organisation=other_organisation))
    assert finance.get(url(organisation, "invoice_pdf", theirs.pk)).status_code == 404


@pytest.mark.parametrize("role", [Role.AGENT, Role.GUARDIAN])
def test_only_billing_staff_open_them(client, organisation, role):
    invoice = typical_invoice(FamilyFactory(organisation=organisation))
    sign_in(client, UserFactory(organisation=organisation, role=role))
    assert client.get(url(organisation, "invoice_pdf", invoice.pk)).status_code == 403
