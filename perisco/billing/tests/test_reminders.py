"""Reminders of overdue invoices: one e-mail per family at most every 7 days."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.rules import PARIS
from perisco.billing.models import Payment, UnpaidReminder
from perisco.billing.payments import payment_record, unpaid_reminders_send
from perisco.billing.tests.factories import issued_invoice
from perisco.core.errors import DomainError
from perisco.core.models import AuditEntry
from perisco.families.models import Guardian
from perisco.families.tests.factories import FamilyFactory, GuardianFactory, guardian_user

pytestmark = pytest.mark.django_db
D = Decimal
# Wednesday 2 December 2026, 9:00 in Paris; invoices of September are due on 17 October.
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=PARIS)
SEPTEMBER, OCTOBER, NOVEMBER = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture
def family(organisation):
    return Guardian.objects.get(user=guardian_user(organisation)).family


def send(finance, now=NOW, capture=None):
    if capture is None:
        return unpaid_reminders_send(actor=finance, now=now)
    with capture(execute=True):
        return unpaid_reminders_send(actor=finance, now=now)


def test_a_family_with_overdue_invoices_is_emailed_their_list_total_and_how_to_pay(
    organisation, family, finance, django_capture_on_commit_callbacks
):
    organisation.payment_instructions = "Chèques à l'ordre du Trésor public."
    organisation.save()
    september = issued_invoice(family, "30.00", month=SEPTEMBER)
    october = issued_invoice(family, "42.50", month=OCTOBER)  # due 17 November
    issued_invoice(family, "25.00", month=NOVEMBER)  # due 17 December: not overdue yet
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CASH,
        amount=D("10.00"),
        received_on=date(2026, 11, 2),
        now=NOW,
    )

    assert send(finance, capture=django_capture_on_commit_callbacks) == (1, 1)

    reminder = UnpaidReminder.objects.get()
    assert (reminder.family, reminder.amount, reminder.sent_at) == (family, D("62.50"), NOW)
    [email] = mail.outbox
    body = email.body
    assert "62,50 €" in email.subject
    assert september.number in body and october.number in body
    assert "20,00 €" in body and "42,50 €" in body  # what is left on each
    assert "2026-000003" not in body  # November's is not due yet
    assert "Chèques à l'ordre du Trésor public." in body
    assert f"/{organisation.slug}/" in body
    assert AuditEntry.objects.filter(action="billing.unpaid_reminder_sent").count() == 1


def test_a_family_is_reminded_again_only_seven_local_days_later(family, finance):
    issued_invoice(family, "30.00", month=SEPTEMBER)
    assert send(finance) == (1, 1)
    assert send(finance, now=NOW + timedelta(hours=3)) == (0, 0)
    # Six days later, even at night: not yet. The seventh day, early in the morning: again.
    assert send(finance, now=datetime(2026, 12, 8, 23, 59, tzinfo=PARIS)) == (0, 0)
    assert send(finance, now=datetime(2026, 12, 9, 0, 5, tzinfo=PARIS)) == (1, 1)
    assert UnpaidReminder.objects.count() == 2


def test_every_consenting_guardian_is_written_to_once(organisation, family, finance):
    GuardianFactory(family=family, rank=2, user=UserFactory(organisation=organisation))
    GuardianFactory(
        family=family, rank=3, consent_email=False, user=UserFactory(organisation=organisation)
    )
    issued_invoice(family, "30.00", month=SEPTEMBER)
    assert send(finance) == (1, 2)


def test_a_family_that_accepts_no_email_is_not_counted_nor_recorded(family, finance):
    Guardian.objects.filter(family=family).update(consent_email=False)
    issued_invoice(family, "30.00", month=SEPTEMBER)
    assert send(finance) == (0, 0)
    assert not UnpaidReminder.objects.exists()


def test_paid_invoices_and_invoices_not_yet_due_are_not_reminded(family, finance):
    issued_invoice(family, "25.00", month=NOVEMBER)
    paid = issued_invoice(family, "30.00", month=SEPTEMBER)
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CHEQUE,
        amount=paid.total,
        received_on=date(2026, 11, 2),
        now=NOW,
    )
    assert send(finance) == (0, 0)


def test_families_of_another_organisation_are_left_alone(
    organisation, other_organisation, family, finance
):
    other = Guardian.objects.get(user=guardian_user(other_organisation)).family
    issued_invoice(other, "30.00", month=SEPTEMBER)
    assert send(finance) == (0, 0)


def test_only_finance_and_managers_send_reminders(organisation, family):
    issued_invoice(family, "30.00", month=SEPTEMBER)
    with pytest.raises(DomainError):
        unpaid_reminders_send(
            actor=UserFactory(organisation=organisation, role=Role.AGENT), now=NOW
        )
    assert not UnpaidReminder.objects.exists()


@pytest.mark.real_scopes
def test_the_command_reminds_each_organisation_once_a_week(organisation, other_organisation):
    from django_scopes import scopes_disabled

    with scopes_disabled():
        families = [
            Guardian.objects.get(user=guardian_user(org)).family
            for org in (organisation, other_organisation)
        ]
        FamilyFactory(organisation=organisation)  # nothing owed
        for family in families:
            issued_invoice(family, "30.00", month=SEPTEMBER)
    call_command("send_unpaid_reminders", now=NOW.isoformat())
    call_command("send_unpaid_reminders", now=(NOW + timedelta(days=1)).isoformat())
    with scopes_disabled():
        assert sorted(UnpaidReminder.objects.values_list("family_id", flat=True)) == sorted(
            f.pk for f in families
        )


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_button_and_the_command_at_once_remind_a_family_once(organisation):
    """Both runs find the family; the one that gets the family's lock second sees the
    first's reminder and writes nothing (PostgreSQL's row locks)."""
    from perisco.billing.tests.test_run_concurrency import in_threads
    from perisco.core.scoping import organisation_scope

    family = Guardian.objects.get(user=guardian_user(organisation)).family
    issued_invoice(family, "30.00", month=SEPTEMBER)
    finance = UserFactory(organisation=organisation, role=Role.FINANCE)
    results: list[tuple[int, int]] = []

    def work(index):
        with organisation_scope(organisation):
            actor = finance if index % 2 else None
            results.append(unpaid_reminders_send(actor=actor, organisation=organisation, now=NOW))

    assert in_threads(4, work) == []
    assert sorted(results) == [(0, 0), (0, 0), (0, 0), (1, 1)]
    assert UnpaidReminder.objects.count() == 1
