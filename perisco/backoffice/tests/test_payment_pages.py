"""Finance's payment pages: the list and its filters, and a payment recorded at the desk."""

from datetime import date, datetime
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.rules import PARIS
from perisco.billing.models import Allocation, Payment
from perisco.billing.payments import payment_record
from perisco.billing.tests.factories import issued_invoice
from perisco.conftest import sign_in
from perisco.core.urls import org_reverse
from perisco.families.tests.factories import FamilyFactory

pytestmark = pytest.mark.django_db
D = Decimal
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)
SEPTEMBER, OCTOBER = date(2026, 9, 1), date(2026, 10, 1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff(client, finance):
    return sign_in(client, finance)


@pytest.fixture
def en(staff):
    staff.cookies["perisco_language"] = "en"
    return staff


@pytest.fixture
def dupont(organisation):
    return FamilyFactory(organisation=organisation, name="DUPONT", number="900101")


def new_url(organisation, query=""):
    return org_reverse(organisation, "backoffice:payment_new") + query


def form(family, **extra):
    return {
        "family": family.pk,
        "method": "cheque",
        "amount": "45,50",
        "received_on": "2026-12-01",
        "note": "Chèque n° 1234567, Banque Postale",
        **extra,
    }


def test_a_payment_typed_with_a_decimal_comma_pays_the_oldest_invoices_first(
    staff, organisation, dupont
):
    september = issued_invoice(dupont, "30.00", month=SEPTEMBER)
    october = issued_invoice(dupont, "40.00", month=OCTOBER)
    response = staff.post(new_url(organisation, f"?famille={dupont.pk}"), form(dupont))
    assert response.status_code == 302
    assert response.url == org_reverse(organisation, "backoffice:family", pk=dupont.pk)

    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.state, payment.received_on) == (
        D("45.50"),
        "cheque",
        "confirmed",
        date(2026, 12, 1),
    )
    assert payment.note == "Chèque n° 1234567, Banque Postale"
    assert payment.recorded_by.role == Role.FINANCE
    allocations = {a.invoice_id: a.amount for a in Allocation.objects.filter(payment=payment)}
    assert allocations == {september.pk: D("30.00"), october.pk: D("15.50")}
    assert "24,50 €" in unescape(staff.get(response.url).content.decode())  # still owed


def test_the_message_says_which_invoices_the_payment_paid(en, organisation, dupont):
    september = issued_invoice(dupont, "30.00", month=SEPTEMBER)
    october = issued_invoice(dupont, "40.00", month=OCTOBER)
    response = en.post(new_url(organisation), form(dupont, amount="45.50"), follow=True)
    html = unescape(response.content.decode())
    assert (
        f"Payment of 45.50 € recorded for DUPONT. It paid: invoice {september.number} "
        f"(30.00 €), invoice {october.number} (15.50 €)." in html
    )
    assert "kept as the family's credit" not in html
    assert "24.50 € owed" in html  # the account on the family's page


def test_a_payment_larger_than_the_debt_leaves_the_rest_as_credit_and_says_so(
    en, organisation, dupont
):
    invoice = issued_invoice(dupont, "30.00", month=SEPTEMBER)
    response = en.post(
        new_url(organisation), form(dupont, method="cash", amount="50.00"), follow=True
    )
    html = unescape(response.content.decode())
    assert f"It paid: invoice {invoice.number} (30.00 €)." in html
    assert "20.00 € of it is kept as the family's credit" in html
    assert "20.00 € of credit" in html  # the family's account
    payments = unescape(en.get(org_reverse(organisation, "backoffice:payments")).content.decode())
    assert "50.00 €" in payments and "30.00 €" in payments and "20.00 €" in payments


def test_a_payment_in_the_future_is_refused_on_its_field(en, organisation, dupont):
    response = en.post(
        new_url(organisation), form(dupont, amount="45.50", received_on="2026-12-03")
    )
    assert response.status_code == 200
    assert "A payment cannot be received in the future." in response.content.decode()
    assert not Payment.objects.exists()


def test_a_card_payment_cannot_be_recorded_by_hand(staff, organisation, dupont):
    response = staff.post(new_url(organisation), form(dupont, method="card"))
    assert response.status_code == 200 and not Payment.objects.exists()


def test_the_family_is_found_by_name_or_preselected(staff, organisation, dupont):
    FamilyFactory(organisation=organisation, name="MARTIN")
    html = unescape(staff.get(new_url(organisation, "?q=dupon")).content.decode())
    assert f'href="?famille={dupont.pk}"' in html and "MARTIN" not in html
    html = unescape(staff.get(new_url(organisation, f"?famille={dupont.pk}")).content.decode())
    assert f'name="family" value="{dupont.pk}"' in html and "DUPONT" in html
    assert 'name="amount"' in html and 'inputmode="decimal"' in html


def test_another_organisations_family_cannot_be_paid_for(client, organisation, other_organisation):
    sign_in(client, UserFactory(organisation=organisation, role=Role.FINANCE))
    theirs = FamilyFactory(organisation=other_organisation)
    assert client.get(new_url(organisation, f"?famille={theirs.pk}")).status_code == 404
    assert client.post(new_url(organisation), form(theirs)).status_code == 404
    assert not Payment.objects.exists()


def test_payments_are_filtered_by_method_and_state(staff, organisation, dupont, finance):
    for method, amount in (("cash", "11.00"), ("cheque", "22.00")):
        payment_record(
            actor=finance,
            family=dupont,
            method=method,
            amount=D(amount),
            received_on=date(2026, 11, 2),
        )
    Payment.objects.create(
        organisation=organisation,
        family=dupont,
        method=Payment.Method.CARD,
        amount=D("33.00"),
        reference="card-1",
        state=Payment.State.FAILED,
    )
    url = org_reverse(organisation, "backoffice:payments")

    def amounts(query):
        html = staff.get(url + query).content.decode()
        return [a for a in ("11,00 €", "22,00 €", "33,00 €") if a in html]

    assert amounts("") == ["11,00 €", "22,00 €", "33,00 €"]
    assert amounts("?methode=cheque") == ["22,00 €"]
    assert amounts("?etat=failed") == ["33,00 €"]
    assert amounts("?etat=confirmed&methode=cash") == ["11,00 €"]
    assert amounts(f"?famille={dupont.pk}&methode=card") == ["33,00 €"]


def test_a_page_of_payments_costs_the_same_queries_whatever_its_rows(staff, organisation, finance):
    url = org_reverse(organisation, "backoffice:payments")

    def pay(count):
        for _ in range(count):
            payment_record(
                actor=finance,
                family=FamilyFactory(organisation=organisation),
                method="cash",
                amount=D("5.00"),
                received_on=date(2026, 11, 2),
            )

    pay(2)
    with CaptureQueriesContext(connection) as few:
        staff.get(url)
    pay(25)
    with CaptureQueriesContext(connection) as many:
        staff.get(url)
    assert len(many) == len(few)


@pytest.mark.parametrize("name", ["payments", "payment_new"])
def test_agents_do_not_record_payments(client, organisation, dupont, name):
    sign_in(client, UserFactory(organisation=organisation, role=Role.AGENT))
    url = org_reverse(organisation, f"backoffice:{name}")
    assert client.get(url).status_code in (403, 404)
    assert client.post(url, form(dupont)).status_code in (403, 404)
    assert not Payment.objects.exists()
