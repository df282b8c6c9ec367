"""Finance's direct-debit pages: preview and make a file, download it, mark it debited,
record the bank's rejections."""

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import DirectDebitBatch, Payment
from perisco.billing.sepa import debit_batch_create, earliest_collection_date
from perisco.billing.tests.factories import issued_invoice
from perisco.billing.tests.test_sepa import ICS, with_mandate
from perisco.conftest import sign_in
from perisco.core.urls import org_reverse
from perisco.families.models import Guardian
from perisco.families.tests.factories import FamilyFactory, guardian_user

D = Decimal
pytestmark = pytest.mark.django_db

DEBITS = "/demo/gestion/facturation/prelevements/"


def set_creditor(organisation):
    organisation.sepa_creditor_id = ICS
    organisation.sepa_iban = "FR7630006000011234567890189"
    organisation.sepa_bic = "AGRIFRPP"
    organisation.save()
    return organisation


@pytest.fixture
def creditor(organisation):
    return set_creditor(organisation)


@pytest.fixture
def finance(client, organisation):
    user = UserFactory(organisation=organisation, role=Role.FINANCE)
    sign_in(client, user)
    client.cookies["perisco_language"] = "en"
    return user


def family_with_mandate(organisation, *, reference="RUM-1", email=True):
    if email:
        family = Guardian.objects.get(user=guardian_user(organisation)).family
    else:
        family = FamilyFactory(organisation=organisation)
    with_mandate(family, reference=reference)
    return family


def past_batch(finance, *, days_ago=20):
    """A file made `days_ago` days ago, collected since."""
    now = timezone.now() - timedelta(days=days_ago)
    return debit_batch_create(
        actor=finance,
        collection_date=earliest_collection_date(timezone.localdate(now)),
        now=now,
    )


def page_text(response) -> str:
    return unescape(response.content.decode())


def test_the_preview_shows_what_would_be_debited_then_the_file_is_made(client, creditor, finance):
    issued_invoice(family_with_mandate(creditor), "30.00")
    issued_invoice(family_with_mandate(creditor, reference="RUM-2"), "12.50")
    day = earliest_collection_date(timezone.localdate())

    preview = client.get(DEBITS, {"collection_date": day.isoformat()})

    plan = preview.context["plan"]
    assert (plan.count, plan.total) == (2, D("42.50"))
    assert "Make the file: 2 debits, 42.50 €" in page_text(preview)
    assert not DirectDebitBatch.objects.exists()  # a preview makes nothing

    response = client.post(
        DEBITS,
        {"collection_date": day.isoformat(), "expected_count": "2", "expected_total": "42.50"},
        follow=True,
    )

    batch = DirectDebitBatch.objects.get()
    assert response.redirect_chain[-1][0] == org_reverse(
        creditor, "backoffice:debit_batch", pk=batch.pk
    )
    assert (batch.count, batch.total, batch.collection_date) == (2, D("42.50"), day)
    assert "The direct-debit file is made: 2 debits, 42.50 €." in page_text(response)


def test_a_file_whose_figures_changed_since_the_preview_is_not_made(client, creditor, finance):
    family = family_with_mandate(creditor)
    issued_invoice(family, "30.00")
    day = earliest_collection_date(timezone.localdate())

    response = client.post(
        DEBITS,
        {"collection_date": day.isoformat(), "expected_count": "1", "expected_total": "10.00"},
    )

    assert response.status_code == 200
    assert "changed since the preview (1 for 30.00 € now)" in page_text(response)
    assert response.context["plan"].total == D("30.00")  # the new figures, to confirm
    assert not DirectDebitBatch.objects.exists()


def test_a_collection_date_too_close_is_refused_on_its_field(client, creditor, finance):
    issued_invoice(family_with_mandate(creditor), "30.00")
    today = timezone.localdate()

    response = client.post(DEBITS, {"collection_date": today.isoformat()})

    assert response.context["form"].has_error("collection_date")
    assert response.context["plan"] is None
    assert not DirectDebitBatch.objects.exists()


def test_missing_creditor_settings_are_said_with_a_link_to_the_settings(
    client, organisation, finance
):
    issued_invoice(family_with_mandate(organisation), "30.00")
    day = earliest_collection_date(timezone.localdate())

    response = client.get(DEBITS, {"collection_date": day.isoformat()})
    text = page_text(response)

    assert "Direct debits cannot be made yet" in text
    assert "The SEPA creditor identifier (ICS) is missing or not valid." in text
    assert "An organisation administrator fills them in the settings." in text
    assert 'name="expected_count"' not in text  # no button to make the file
    admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    sign_in(client, admin)
    assert "/demo/gestion/parametres/" in client.get(DEBITS).content.decode()


def test_the_list_shows_each_file_with_its_state_and_totals(client, creditor, finance):
    issued_invoice(family_with_mandate(creditor), "30.00")
    batch = past_batch(finance)

    response = client.get(DEBITS)

    assert list(response.context["page"]) == [batch]
    text = page_text(response)
    assert org_reverse(creditor, "backoffice:debit_batch", pk=batch.pk) in text
    assert "30.00 €" in text and "Exported, awaiting the debit" in text


def test_the_file_downloads_as_an_xml_attachment(client, creditor, finance):
    issued_invoice(family_with_mandate(creditor), "30.00")
    batch = past_batch(finance)

    response = client.get(org_reverse(creditor, "backoffice:debit_batch_xml", pk=batch.pk))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response["Content-Disposition"] == (
        f'attachment; filename="prelevements-{batch.collection_date:%Y-%m-%d}-{batch.pk}.xml"'
    )
    assert response.content.decode() == batch.xml
    assert "pain.008.001.02" in batch.xml


def test_the_detail_lists_each_debit_with_a_reject_form(client, creditor, finance):
    family = family_with_mandate(creditor)
    invoice = issued_invoice(family, "30.00")
    batch = past_batch(finance)
    payment = batch.payments.get()

    response = client.get(org_reverse(creditor, "backoffice:debit_batch", pk=batch.pk))

    text = page_text(response)
    assert invoice.number in text and family.name in text and payment.reference in text
    assert org_reverse(creditor, "backoffice:debit_reject", pk=payment.pk) in text
    assert org_reverse(creditor, "backoffice:debit_batch_debited", pk=batch.pk) in text


def test_marking_debited_from_the_page_pays_the_invoices_once(client, creditor, finance):
    invoice = issued_invoice(family_with_mandate(creditor), "30.00")
    batch = past_batch(finance)
    url = org_reverse(creditor, "backoffice:debit_batch_debited", pk=batch.pk)

    first = client.post(url, follow=True)
    second = client.post(url, follow=True)

    invoice.refresh_from_db()
    assert invoice.settled == D("30.00")
    assert "1 payment recorded, its invoice paid" in page_text(first)
    assert "already marked debited" in page_text(second)
    assert Payment.objects.get().state == Payment.State.CONFIRMED
    assert client.get(url).status_code == 405


def test_a_file_collected_later_has_no_debited_button(client, creditor, finance):
    issued_invoice(family_with_mandate(creditor), "30.00")
    batch = debit_batch_create(
        actor=finance, collection_date=earliest_collection_date(timezone.localdate())
    )
    response = client.get(org_reverse(creditor, "backoffice:debit_batch", pk=batch.pk))
    assert not response.context["can_mark_debited"]
    assert "It can be marked debited from" in page_text(response)


def test_rejecting_a_debit_reopens_the_invoice_and_says_the_family_was_emailed(
    client, creditor, finance, post
):
    invoice = issued_invoice(family_with_mandate(creditor), "30.00")
    batch = past_batch(finance)
    client.post(org_reverse(creditor, "backoffice:debit_batch_debited", pk=batch.pk))
    payment = batch.payments.get()
    mail.outbox.clear()

    response = post(
        org_reverse(creditor, "backoffice:debit_reject", pk=payment.pk),
        {"reason": "AM04 insufficient funds"},
    )

    assert response.status_code == 302
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert invoice.settled == D("0") and payment.state == Payment.State.REJECTED
    assert len(mail.outbox) == 1
    text = page_text(client.get(response["Location"]))
    assert "is recorded as rejected" in text and "The family was told by e-mail." in text
    assert "AM04 insufficient funds" in text


def test_rejecting_says_when_no_email_could_be_sent(client, creditor, finance, post):
    issued_invoice(family_with_mandate(creditor, email=False), "30.00")
    batch = past_batch(finance)
    payment = batch.payments.get()

    response = post(
        org_reverse(creditor, "backoffice:debit_reject", pk=payment.pk), {"reason": "AC04"}
    )

    text = page_text(client.get(response["Location"]))
    assert "No e-mail could be sent" in text and "The family was told" not in text
    assert mail.outbox == []


def test_a_rejection_without_a_reason_changes_nothing(client, creditor, finance):
    issued_invoice(family_with_mandate(creditor), "30.00")
    payment = past_batch(finance).payments.get()
    response = client.post(
        org_reverse(creditor, "backoffice:debit_reject", pk=payment.pk),
        {"reason": " "},
        follow=True,
    )
    assert "Give the reason the bank gave" in page_text(response)
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING


def test_another_organisations_files_and_debits_are_a_404(
    client, creditor, finance, other_organisation
):
    set_creditor(other_organisation)
    issued_invoice(family_with_mandate(other_organisation), "30.00")
    their_finance = UserFactory(organisation=other_organisation, role=Role.FINANCE)
    batch = past_batch(their_finance)
    payment = batch.payments.get()

    for name in ("debit_batch", "debit_batch_xml"):
        assert (
            client.get(org_reverse(creditor, f"backoffice:{name}", pk=batch.pk)).status_code == 404
        )
    url = org_reverse(creditor, "backoffice:debit_batch_debited", pk=batch.pk)
    assert client.post(url).status_code == 404
    url = org_reverse(creditor, "backoffice:debit_reject", pk=payment.pk)
    assert client.post(url, {"reason": "AC04"}).status_code == 404
    assert list(client.get(DEBITS).context["page"]) == []
    payment.refresh_from_db()
    batch.refresh_from_db()
    assert payment.state == Payment.State.PENDING and batch.state == "exported"


def test_a_payment_that_is_not_a_direct_debit_is_a_404_on_the_reject_url(client, creditor, finance):
    family = family_with_mandate(creditor)
    issued_invoice(family, "30.00")
    cheque = Payment.objects.create(
        organisation=creditor,
        family=family,
        method=Payment.Method.CHEQUE,
        amount=D("30.00"),
        reference="cheque-1",
    )
    url = org_reverse(creditor, "backoffice:debit_reject", pk=cheque.pk)
    assert client.post(url, {"reason": "AC04"}).status_code == 404


@pytest.mark.parametrize("role", [Role.AGENT, Role.GUARDIAN])
def test_only_finance_managers_and_administrators_open_the_debit_pages(client, creditor, role):
    user = (
        guardian_user(creditor)
        if role == Role.GUARDIAN
        else UserFactory(organisation=creditor, role=role)
    )
    sign_in(client, user)
    assert client.get(DEBITS).status_code == 403


@pytest.mark.parametrize("role", [Role.FINANCE, Role.MANAGER, Role.ORG_ADMIN])
def test_finance_managers_and_administrators_open_the_debit_pages(client, creditor, role):
    sign_in(client, UserFactory(organisation=creditor, role=role))
    assert client.get(DEBITS).status_code == 200


@pytest.mark.parametrize("families", [3, 30])
def test_the_detail_needs_the_same_queries_whatever_the_number_of_debits(
    client, creditor, finance, families
):
    for index in range(families):
        issued_invoice(family_with_mandate(creditor, reference=f"RUM-{index}"), "10.00")
    batch = past_batch(finance)
    url = org_reverse(creditor, "backoffice:debit_batch", pk=batch.pk)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= 14, [q["sql"] for q in queries]
