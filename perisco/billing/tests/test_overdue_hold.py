"""Bookings held back while a family's overdue invoices exceed the organisation's
threshold (off by default)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from perisco.billing.tests.factories import issued_invoice
from perisco.bookings.services import Change, Refusal, bookings_apply
from perisco.bookings.tests.conftest import MON_30, NOW
from perisco.core.models import Organisation

pytestmark = pytest.mark.django_db


def overdue(family, total):
    # Issued 2 October, due 17 October: overdue on 23 November.
    return issued_invoice(family, total, month=date(2026, 9, 1))


def set_threshold(organisation, value):
    Organisation.objects.filter(pk=organisation.pk).update(unpaid_block_threshold=value)
    organisation.refresh_from_db()


def book(parent, family, child, canteen):
    return bookings_apply(
        actor=parent, family=family, changes=[Change(child.pk, canteen.pk, MON_30)], now=NOW
    )


def test_no_threshold_no_hold(parent, family, child, canteen):
    overdue(family, "500.00")
    assert book(parent, family, child, canteen).done


def test_an_overdue_amount_above_the_threshold_holds_bookings_back_with_the_reason(
    parent, family, child, canteen
):
    set_threshold(family.organisation, Decimal("50.00"))
    overdue(family, "50.00")
    assert book(parent, family, child, canteen).done  # at the threshold: still allowed
    overdue(family, "12.50")
    report = book(parent, family, child, canteen)
    (outcome,) = report.outcomes
    assert outcome.reason == Refusal.BLOCKED and "62,50" in outcome.sentence


def test_an_invoice_not_yet_due_does_not_count(parent, family, child, canteen):
    set_threshold(family.organisation, Decimal("0.00"))
    issued_invoice(family, "80.00", month=date(2026, 11, 1))  # due 17 December
    assert book(parent, family, child, canteen).done


def test_the_calendar_says_bookings_are_held_back_and_links_to_paying(
    client, parent, family, child, canteen
):
    import time_machine

    from perisco.conftest import sign_in

    set_threshold(family.organisation, Decimal("10.00"))
    overdue(family, "25.00")
    with time_machine.travel(NOW, tick=False):
        sign_in(client, parent)
        page = client.get("/demo/famille/calendrier/?mois=2026-11").content.decode()
    assert "25,00 €" in page and 'href="/demo/famille/factures/"' in page


def test_booking_a_held_back_family_says_the_reason_once_not_once_per_day(
    client, parent, family, child, canteen
):
    import time_machine

    from perisco.conftest import sign_in

    set_threshold(family.organisation, Decimal("10.00"))
    overdue(family, "25.00")
    days = [MON_30 + timedelta(days=n) for n in range(3)]
    with time_machine.travel(NOW, tick=False):
        sign_in(client, parent)
        page = client.post(
            "/demo/famille/calendrier/?mois=2026-11",
            {"c": [f"{child.pk}:{canteen.pk}:{d.isoformat()}" for d in days]},
            follow=True,
        ).content.decode()
    assert page.count("25,00 €") == 2  # the calendar's notice, and the report once
    assert "3 jours non modifiés : Les réservations sont suspendues" in page
