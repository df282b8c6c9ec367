"""Manual payments, allocation to the oldest unpaid invoices, credit, credit notes."""

from datetime import date
from decimal import Decimal

import pytest

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import Allocation, Payment
from perisco.billing.payments import (
    credit_note_create,
    family_balance,
    payment_confirm,
    payment_record,
    payment_unallocate,
)
from perisco.billing.tests.factories import issued_invoice
from perisco.core.errors import DomainError
from perisco.families.tests.factories import FamilyFactory

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def family(organisation):
    return FamilyFactory(organisation=organisation)


def refresh(*objects):
    for o in objects:
        o.refresh_from_db()


def test_a_payment_settles_the_oldest_invoices_first_and_keeps_the_rest_as_credit(family, finance):
    september = issued_invoice(family, "30.00", month=date(2026, 9, 1))
    october = issued_invoice(family, "40.00", month=date(2026, 10, 1))
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CHEQUE,
        amount=D("50.00"),
        received_on=date(2026, 11, 2),
    )
    refresh(september, october)
    assert (september.settled, october.settled) == (D("30.00"), D("20.00"))
    assert family_balance(family) == D("20.00")
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CASH,
        amount=D("30.00"),
        received_on=date(2026, 11, 2),
    )
    refresh(october)
    assert october.settled == D("40.00") and family_balance(family) == D("-10.00")
    # The credit is spent on the next invoice when it comes.
    november = issued_invoice(family, "25.00", month=date(2026, 11, 1))
    from perisco.billing.payments import allocate

    allocate(family)
    refresh(november)
    assert november.settled == D("10.00")


def test_confirming_a_payment_twice_allocates_it_once(family, finance):
    invoice = issued_invoice(family, "30.00")
    payment = Payment.objects.create(
        organisation=family.organisation,
        family=family,
        method=Payment.Method.CARD,
        amount=D("30.00"),
        reference="abc",
    )
    assert payment_confirm(payment) is True
    for _ in range(5):
        assert payment_confirm(payment) is False
    refresh(invoice)
    assert invoice.settled == D("30.00") and Allocation.objects.count() == 1


def test_a_rejected_payment_reopens_the_invoices_it_paid(family, finance):
    invoice = issued_invoice(family, "30.00")
    payment = payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.TRANSFER,
        amount=D("30.00"),
        received_on=date(2026, 11, 2),
    )
    payment_unallocate(payment)
    refresh(invoice)
    assert invoice.settled == D("0.00")


@pytest.mark.parametrize("amount", [D("0"), D("-5.00"), D("1.005")])
def test_a_payment_needs_a_positive_amount_in_cents(family, finance, amount):
    with pytest.raises(DomainError):
        payment_record(
            actor=finance,
            family=family,
            method=Payment.Method.CASH,
            amount=amount,
            received_on=date(2026, 11, 2),
        )
    assert not Payment.objects.exists()


def test_a_credit_note_settles_its_invoice_and_is_numbered_in_its_own_sequence(family, finance):
    first = issued_invoice(family, "30.00", month=date(2026, 9, 1))
    second = issued_invoice(family, "40.00", month=date(2026, 10, 1))
    note = credit_note_create(actor=finance, invoice=second, amount=D("10.00"), reason="Grève")
    again = credit_note_create(actor=finance, invoice=second, amount=D("5.00"), reason="Erreur")
    refresh(first, second)
    assert (note.number, again.number)[0].startswith("AV-")
    assert again.sequence == note.sequence + 1
    assert (first.settled, second.settled) == (D("0.00"), D("15.00"))
    assert family_balance(family) == D("55.00")
    with pytest.raises(DomainError, match="25"):
        credit_note_create(actor=finance, invoice=second, amount=D("30.00"), reason="Trop")


def test_only_finance_and_managers_record_payments(family, organisation):
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    with pytest.raises(DomainError):
        payment_record(
            actor=agent,
            family=family,
            method=Payment.Method.CASH,
            amount=D("5.00"),
            received_on=date(2026, 11, 2),
        )


def test_the_family_gets_a_receipt_once_saying_what_is_left(organisation, finance):
    from perisco.families.models import Guardian
    from perisco.families.tests.factories import guardian_user
    from perisco.messaging.models import OutgoingEmail

    family = Guardian.objects.get(user=guardian_user(organisation, email="j@example.test")).family
    issued_invoice(family, "30.00")
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CHEQUE,
        amount=D("20.00"),
        received_on=date(2026, 10, 5),
    )
    [email] = OutgoingEmail.objects.filter(template="payment_received")
    assert email.recipient == "j@example.test"
    assert email.subject == "Paiement de 20,00 € reçu"
    assert "20,00 € (chèque, 5 octobre 2026, référence" in email.body_text
    assert "Reste à payer sur votre compte : 10,00 €." in email.body_text
    assert "/demo/famille/factures/" in email.body_text

    card = Payment.objects.create(
        organisation=organisation,
        family=family,
        method=Payment.Method.CARD,
        amount=D("15.00"),
        reference="card-1",
    )
    payment_confirm(card)
    payment_confirm(card)  # the provider's notification replayed: no second receipt
    receipts = OutgoingEmail.objects.filter(template="payment_received").order_by("created_at")
    assert receipts.count() == 2
    assert "Votre compte est créditeur de 5,00 €" in receipts.last().body_text

    debit = Payment.objects.create(
        organisation=organisation,
        family=family,
        method=Payment.Method.DIRECT_DEBIT,
        amount=D("1.00"),
        reference="sdd-1",
    )
    payment_confirm(debit)
    assert OutgoingEmail.objects.filter(template="payment_received").count() == 2
