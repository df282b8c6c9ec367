"""E-mail "your invoice is available": to the guardians who accept e-mails, once per run."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.models import User
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import BillingRun, Invoice
from perisco.billing.notices import invoices_announce, invoices_announce_task
from perisco.billing.tests.factories import issued_invoice
from perisco.core.models import AuditEntry
from perisco.core.scoping import scopes_disabled
from perisco.families.models import Guardian
from perisco.families.tests.factories import FamilyFactory, GuardianFactory, guardian_user
from perisco.messaging.models import OutgoingEmail

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 10, 2, 9, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db


def family_with_login(organisation, **guardian):
    return Guardian.objects.get(user=guardian_user(organisation, **guardian)).family


def one_run(*invoices: Invoice) -> BillingRun:
    """The invoices made by the factory, gathered in the first one's run."""
    run = invoices[0].run
    Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(run=run)
    return run


def announced(run) -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(template="invoice_available").order_by("recipient"))


def test_each_family_is_told_through_its_guardians_with_a_login_consent_or_not(organisation):
    """An invoice is sent as the law wants it, even to a guardian who refused e-mails."""
    family = family_with_login(organisation, email="jeanne@example.test")
    # A second guardian with a login who refused e-mails.
    refusing = GuardianFactory(
        family=family, rank=2, email="refuse@example.test", consent_email=False
    )
    refusing.user = UserFactory(organisation=organisation, email="refuse@example.test")
    refusing.save(update_fields=["user"])
    nobody = FamilyFactory(organisation=organisation)  # its guardian has no login
    GuardianFactory(family=nobody, email="nologin@example.test")
    run = one_run(
        issued_invoice(family, "42.50", previous_balance="7.50"), issued_invoice(nobody, "10.00")
    )

    assert invoices_announce(run.pk, now=NOW) == 2

    email, refused = announced(run)
    assert (email.recipient, refused.recipient) == ("jeanne@example.test", "refuse@example.test")
    invoice = Invoice.objects.get(family=family)
    assert invoice.number in email.body_text
    assert "42,50" in email.body_text  # the total
    assert "50,00" in email.body_text  # amount due: previous balance + total
    assert "17 octobre 2026" in email.body_text  # the due date
    assert "http://testserver/demo/famille/factures/" in email.body_text
    run.refresh_from_db()
    assert run.summary["announced_at"] == NOW.isoformat()
    assert run.summary["announced"] == 2
    entry = AuditEntry.objects.get(action="billing.invoices_announced")
    assert entry.data == {"families": 2, "emails": 2}


def test_an_email_in_english_reads_as_such(organisation):
    family = family_with_login(organisation)
    User.objects.filter(guardian__family=family).update(language="en")
    run = one_run(issued_invoice(family, "42.50"))
    invoices_announce(run.pk, now=NOW)
    [email] = announced(run)
    assert email.subject == "Your invoice for September 2026 is available"
    assert "Amount due, with what was left to pay before it: 42.50 €, by 17 October 2026." in (
        email.body_text
    )


def test_a_family_in_credit_is_told_it_has_nothing_to_pay(organisation):
    family = family_with_login(organisation)
    User.objects.filter(guardian__family=family).update(language="en")
    run = one_run(issued_invoice(family, "42.50", previous_balance="-60.00"))
    invoices_announce(run.pk, now=NOW)
    [email] = announced(run)
    assert "Your credit covers it: you have nothing to pay." in email.body_text
    assert "Amount due" not in email.body_text


def test_announcing_twice_emails_once(organisation):
    run = one_run(issued_invoice(family_with_login(organisation), "42.50"))
    assert invoices_announce(run.pk, now=NOW) == 1
    assert invoices_announce(run.pk, now=NOW) == 0
    assert len(announced(run)) == 1
    assert AuditEntry.objects.filter(action="billing.invoices_announced").count() == 1


def test_a_run_not_issued_is_not_announced(organisation):
    run = one_run(issued_invoice(family_with_login(organisation), "42.50"))
    BillingRun.objects.filter(pk=run.pk).update(state=BillingRun.State.ISSUING)
    assert invoices_announce(run.pk, now=NOW) == 0
    assert announced(run) == []


def test_the_queries_grow_by_a_fixed_number_per_family(organisation):
    def run_of(n):
        invoices = [issued_invoice(family_with_login(organisation), "10.00") for _ in range(n)]
        return one_run(*invoices)

    one, four = run_of(1), run_of(4)
    with CaptureQueriesContext(connection) as first:
        invoices_announce(one.pk, now=NOW)
    with CaptureQueriesContext(connection) as second:
        invoices_announce(four.pk, now=NOW)
    per_family = (len(second) - len(first)) / 3
    assert per_family == int(per_family) and per_family <= 3  # recipients, the e-mail row


@pytest.mark.real_scopes
def test_the_task_enters_the_scope_and_delivers_after_commit(
    organisation, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        run = one_run(issued_invoice(family_with_login(organisation), "42.50"))
    with django_capture_on_commit_callbacks(execute=True):
        invoices_announce_task.enqueue(organisation.pk, run.pk)
    assert len(mail.outbox) == 1
    assert "2026-000001" in mail.outbox[0].body


def test_issuing_a_run_enqueues_the_announcement_after_commit(
    organisation, django_capture_on_commit_callbacks
):
    from perisco.billing.runs import _announce  # what `run_issue` leaves for after commit

    run = one_run(issued_invoice(family_with_login(organisation), "42.50"))
    with django_capture_on_commit_callbacks(execute=True):
        _announce(organisation.pk, run.pk)
    assert len(announced(run)) == 1
    run.refresh_from_db()
    assert run.summary["announced"] == 1
