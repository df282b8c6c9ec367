"""The family's statement of account: invoices, credit notes, payments received and
rejected, in date order, with a running balance that ends at what the family owes."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import Payment
from perisco.billing.payments import (
    credit_note_create,
    family_balance,
    lock_family,
    new_reference,
    payment_confirm,
    payment_record,
    payment_unallocate,
)
from perisco.billing.selectors import family_statement
from perisco.billing.tests.factories import issued_invoice
from perisco.families.tests.factories import FamilyFactory

D = Decimal
PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS)


@pytest.fixture
def family(organisation):
    return FamilyFactory(organisation=organisation)


@pytest.fixture
def finance(organisation):
    return UserFactory(organisation=organisation, role=Role.FINANCE)


def direct_debit(family, amount, *, received: date) -> Payment:
    payment = Payment.objects.create(
        organisation=family.organisation,
        family=family,
        method=Payment.Method.DIRECT_DEBIT,
        amount=D(amount),
        reference=new_reference(),
        received_on=received,
    )
    with transaction.atomic():
        payment_confirm(payment, now=at(received))
    return payment


def reject(payment: Payment, *, on: date, reason="AM04 provision insuffisante") -> None:
    """As the bank's rejection does (`billing.sepa.debit_reject`), without its e-mail."""
    with transaction.atomic():
        lock_family(payment.family_id)
        payment_unallocate(payment)
        Payment.objects.filter(pk=payment.pk).update(
            state=Payment.State.REJECTED, rejected_at=at(on), rejection_reason=reason
        )


def test_the_running_balance_goes_through_each_entry_and_ends_at_the_family_balance(
    family, finance
):
    september = issued_invoice(family, "30.00", month=date(2026, 9, 1))  # issued 2 October
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CHEQUE,
        amount=D("20.00"),
        received_on=date(2026, 10, 10),
        now=at(date(2026, 10, 10)),
    )
    october = issued_invoice(family, "40.00", month=date(2026, 10, 1))  # issued 2 November
    note = credit_note_create(
        actor=finance, invoice=october, amount=D("5.00"), reason="Grève", now=at(date(2026, 11, 5))
    )
    debit = direct_debit(family, "45.00", received=date(2026, 11, 20))
    reject(debit, on=date(2026, 11, 25))
    # Not money received: a card payment abandoned, one still pending.
    for state in (Payment.State.FAILED, Payment.State.PENDING):
        Payment.objects.create(
            organisation=family.organisation,
            family=family,
            method=Payment.Method.CARD,
            amount=D("45.00"),
            reference=new_reference(),
            state=state,
        )

    entries = family_statement(family)

    assert [(e.day, e.kind, e.debit, e.credit, e.balance) for e in entries] == [
        (date(2026, 10, 2), "invoice", D("30.00"), D("0"), D("30.00")),
        (date(2026, 10, 10), "payment", D("0"), D("20.00"), D("10.00")),
        (date(2026, 11, 2), "invoice", D("40.00"), D("0"), D("50.00")),
        (date(2026, 11, 5), "credit_note", D("0"), D("5.00"), D("45.00")),
        (date(2026, 11, 20), "payment", D("0"), D("45.00"), D("0.00")),
        (date(2026, 11, 25), "rejection", D("45.00"), D("0"), D("45.00")),
    ]
    assert entries[-1].balance == family_balance(family) == D("45.00")
    assert entries[0].invoice == september and entries[3].credit_note == note
    assert entries[4].payment == entries[5].payment == debit


def test_an_overpayment_ends_in_credit(family, finance):
    issued_invoice(family, "30.00")
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.TRANSFER,
        amount=D("50.00"),
        received_on=date(2026, 10, 3),
        now=at(date(2026, 10, 3)),
    )
    entries = family_statement(family)
    assert entries[-1].balance == family_balance(family) == D("-20.00")


def test_a_payment_rejected_the_day_it_was_received_comes_before_its_rejection(family):
    issued_invoice(family, "30.00")
    debit = direct_debit(family, "30.00", received=date(2026, 10, 20))
    reject(debit, on=date(2026, 10, 20))
    kinds = [e.kind for e in family_statement(family)]
    assert kinds == ["invoice", "payment", "rejection"]


def test_an_invoice_and_a_payment_of_the_same_day_keep_a_true_balance(family, finance):
    issued_invoice(family, "30.00")
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CASH,
        amount=D("30.00"),
        received_on=date(2026, 10, 2),
        now=at(date(2026, 10, 2)),
    )
    assert [e.balance for e in family_statement(family)] == [D("30.00"), D("0.00")]


def test_only_the_familys_own_entries_and_no_draft(family, organisation):
    issued_invoice(family, "30.00")
    issued_invoice(FamilyFactory(organisation=organisation), "99.00")
    assert [e.debit for e in family_statement(family)] == [D("30.00")]
    assert family_statement(FamilyFactory(organisation=organisation)) == []


def test_the_statement_reads_in_three_queries_whatever_its_length(
    family, finance, django_assert_num_queries
):
    for month in range(1, 7):
        invoice = issued_invoice(family, "30.00", month=date(2026, month, 1))
        credit_note_create(actor=finance, invoice=invoice, amount=D("1.00"), reason="Erreur")
        payment_record(
            actor=finance,
            family=family,
            method=Payment.Method.CHEQUE,
            amount=D("10.00"),
            received_on=date(2026, month, 20),
            now=at(date(2026, 11, 1)),
        )
    with django_assert_num_queries(3):
        entries = family_statement(family)
        [e.credit_note.invoice.number for e in entries if e.credit_note]
    assert len(entries) == 18
    assert entries[-1].balance == family_balance(family)
