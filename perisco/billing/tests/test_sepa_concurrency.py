"""Two finance officers making the direct-debit file at once, and a rejection recorded while
the file is marked debited: nothing debited or counted twice (PostgreSQL's row locks)."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import DirectDebitBatch, Invoice, Payment
from perisco.billing.payments import family_balance
from perisco.billing.sepa import debit_batch_create, debit_batch_mark_debited, debit_reject
from perisco.billing.tests.factories import issued_invoice
from perisco.billing.tests.test_sepa import AFTER, COLLECTION, ICS, NOW, with_mandate
from perisco.core.errors import DomainError
from perisco.core.scoping import organisation_scope
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.tests.factories import FamilyFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def in_threads(jobs, organisation):
    barrier, results, errors = threading.Barrier(len(jobs)), [None] * len(jobs), []

    def run(index):
        try:
            barrier.wait(timeout=10)
            with organisation_scope(organisation):
                results[index] = jobs[index]()
        except Exception as error:  # reported by the assertions
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.fixture
def setting():
    organisation = OrganisationFactory(
        sepa_creditor_id=ICS, sepa_iban="FR7630006000011234567890189", sepa_bic="AGRIFRPP"
    )
    families = [FamilyFactory(organisation=organisation) for _ in range(5)]
    for index, family in enumerate(families):
        with_mandate(family, reference=f"RUM-{index}")
        issued_invoice(family, "30.00", month=date(2026, 9, 1))
        issued_invoice(family, "12.50", month=date(2026, 10, 1))
    officers = [UserFactory(organisation=organisation, role=Role.FINANCE) for _ in range(2)]
    return organisation, families, officers


def test_two_officers_making_the_file_at_once_debit_each_invoice_once(setting):
    organisation, _families, officers = setting

    def job(officer):
        return lambda: debit_batch_create(actor=officer, collection_date=COLLECTION, now=NOW)

    results, errors = in_threads([job(o) for o in officers], organisation)

    assert len(errors) == 1 and isinstance(errors[0], DomainError)
    assert "rien à prélever" in errors[0].message
    with organisation_scope(organisation):
        assert DirectDebitBatch.objects.count() == 1
        assert Payment.objects.count() == Invoice.objects.count() == 10
        batch = next(r for r in results if r is not None)
        assert (batch.count, batch.total) == (10, Decimal("212.50"))


def test_a_rejection_recorded_while_the_file_is_marked_debited_is_counted_once(setting):
    organisation, families, (finance, colleague) = setting
    with organisation_scope(organisation):
        batch = debit_batch_create(actor=finance, collection_date=COLLECTION, now=NOW)
        rejected = Payment.objects.filter(family=families[0]).order_by("pk").first()

    _results, errors = in_threads(
        [
            lambda: debit_batch_mark_debited(actor=finance, batch=batch, now=AFTER),
            lambda: debit_reject(actor=colleague, payment=rejected, reason="AM04", now=AFTER),
        ],
        organisation,
    )

    assert errors == []
    with organisation_scope(organisation):
        rejected.refresh_from_db()
        assert rejected.state == Payment.State.REJECTED and rejected.settled == 0
        # Whichever came first, the rejected debit does not pay the family's invoice.
        assert family_balance(families[0]) == Decimal("30.00")
        assert all(family_balance(f) == 0 for f in families[1:])
        assert Payment.objects.filter(state=Payment.State.CONFIRMED).count() == 9
