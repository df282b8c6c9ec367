"""The provider's notification and the family's browser bringing the same answer at the
same moment, several times: the payment is confirmed and allocated once (the family's
row lock in `payment_confirm`, PostgreSQL)."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from perisco.billing.card import card_payment_notified, card_payment_start
from perisco.billing.models import Allocation, Payment
from perisco.billing.payments import family_balance
from perisco.billing.tests.factories import issued_invoice
from perisco.billing.tests.test_card import dummy_answer
from perisco.core.models import AuditEntry
from perisco.core.scoping import organisation_scope
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import guardian_user

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_answers_arriving_together_confirm_the_payment_once():
    organisation = OrganisationFactory()
    parent = guardian_user(organisation)
    family = Guardian.objects.get(user=parent).family
    invoices = [
        issued_invoice(family, "30.00", month=date(2026, 9, 1)),
        issued_invoice(family, "12.50", month=date(2026, 10, 1)),
    ]
    payment, _url = card_payment_start(
        actor=parent, family=family, return_url="http://x/", notify_url="http://x/"
    )
    answer = dummy_answer(payment)
    count = 6
    barrier, errors = threading.Barrier(count), []

    def notify():
        try:
            barrier.wait(timeout=10)
            with organisation_scope(organisation):
                card_payment_notified(
                    organisation=organisation, reference=payment.reference, data=answer
                )
        except Exception as error:  # reported by the assertions
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=notify) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with organisation_scope(organisation):
        payment.refresh_from_db()
        assert payment.state == Payment.State.CONFIRMED
        assert payment.settled == Decimal("42.50")
        assert Allocation.objects.filter(payment=payment).count() == len(invoices)
        for invoice in invoices:
            invoice.refresh_from_db()
            assert invoice.settled == invoice.total
        assert family_balance(family) == Decimal("0.00")
    confirmed = AuditEntry.objects.with_scopes_disabled().filter(action="billing.payment_confirmed")
    assert confirmed.count() == 1
