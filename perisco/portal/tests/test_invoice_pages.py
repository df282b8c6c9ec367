"""The family's "Invoices" page, its pay buttons, the page the browser comes back to from
the payment page, and the provider's notification address (eopayment's dummy backend)."""

import re
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from eopayment import dummy

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import Payment
from perisco.billing.payments import payment_record
from perisco.billing.tests.factories import issued_invoice
from perisco.billing.tests.test_card import dummy_answer
from perisco.bookings.tests.conftest import canteen  # noqa: F401 (a fixture)
from perisco.families.models import Guardian
from perisco.families.tests.factories import guardian_user

D = Decimal
INVOICES = "/demo/famille/factures/"
PAY = "/demo/famille/factures/payer/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client):
    client.cookies["perisco_language"] = "en"
    return client


@pytest.fixture
def invoices(family):
    """September overdue (20 € of 30 € left), October not yet due, August paid."""
    august = issued_invoice(family, "12.00", month=date(2026, 8, 1), issue_date=date(2026, 9, 2))
    september = issued_invoice(family, "30.00", month=date(2026, 9, 1), due_date=date(2026, 10, 17))
    october = issued_invoice(family, "40.50", month=date(2026, 10, 1), due_date=date(2099, 11, 17))
    payment_record(  # the oldest first: August's 12 €, then 10 € of September
        actor=UserFactory(organisation=family.organisation, role=Role.FINANCE),
        family=family,
        method=Payment.Method.CHEQUE,
        amount=D("22.00"),
        received_on=date(2026, 10, 1),
    )
    return august, september, october


def pay(client, data):
    response = client.post(PAY, data)
    assert response.status_code == 302
    return response["Location"]


def other_familys_invoice(organisation):
    family = Guardian.objects.get(user=guardian_user(organisation)).family
    return issued_invoice(family, "99.00", month=date(2026, 9, 1))


# --- The page ---


def test_the_page_shows_what_is_left_to_pay_and_every_invoice(en, parent, invoices):
    august, september, october = invoices
    html = en.get(INVOICES).text
    unpaid = html.split('id="a-payer"')[1].split('id="all-title"')[0]
    assert f"Invoice {september.number}" in unpaid and f"Invoice {october.number}" in unpaid
    assert august.number not in unpaid
    assert "20.00 €" in unpaid and "40.50 €" in unpaid
    assert "Total to pay: 60.50 €" in unpaid
    assert unpaid.count("Overdue") == 1  # September only
    # A button per invoice and one for everything; all post to the pay address.
    assert re.findall(r'name="facture" value="(\d+)"', unpaid) == [
        str(september.pk),
        str(october.pk),
    ]
    assert "Pay everything by card (60.50 €)" in unpaid
    everything = html.split('id="all-title"')[1]
    for invoice in invoices:
        assert invoice.number in everything
    assert everything.count("Paid<") == 1 and "Partly paid" in everything
    assert "Unpaid<" in everything
    assert "Balance owed" in html and "60.50 €" in html


def test_another_familys_invoices_never_show(client, parent, organisation, invoices):
    theirs = other_familys_invoice(organisation)
    assert theirs.number not in client.get(INVOICES).text


def test_the_page_allows_the_payment_page_as_a_form_target(client, parent, invoices):
    policy = client.get(INVOICES)["Content-Security-Policy"]
    form_action = re.search(r"form-action ([^;]+)", policy).group(1)
    assert "'self'" in form_action and "https://dummy-payment.entrouvert.com" in form_action


def test_without_online_payment_there_is_no_pay_button(settings, en, parent, invoices):
    settings.PAYMENT_BACKEND = "payfip_ws"  # and no PayFiP client number
    html = en.get(INVOICES).text
    assert 'name="facture"' not in html and PAY not in html
    assert "Online payment is not available" in html
    location = pay(en, {})
    assert location == INVOICES
    assert not Payment.objects.filter(method=Payment.Method.CARD).exists()


@pytest.mark.parametrize("count", [1, 10])
def test_the_page_needs_the_same_queries_whatever_the_number_of_invoices(
    client, parent, family, count
):
    for month in range(count):
        issued_invoice(family, "10.00", month=date(2025 + month // 12, 1 + month % 12, 1))
    client.get(INVOICES)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INVOICES).status_code == 200
    # 6, and one for this month's estimate (no booking here).
    assert len(queries) <= 7, [q["sql"] for q in queries.captured_queries]


def test_the_home_page_shows_the_balance_and_links_to_paying(en, parent, invoices):
    html = en.get("/demo/famille/").text
    assert "My invoices" in html and "Total to pay: 60.50 €" in html
    assert f'href="{INVOICES}#a-payer"' in html
    assert "Overdue" in html


def test_the_home_page_says_nothing_of_invoices_to_a_new_family(en, parent):
    assert "My invoices" not in en.get("/demo/famille/").text


# --- Paying ---


def test_paying_one_invoice_asks_for_what_it_lacks_whatever_the_browser_says(
    client, parent, invoices
):
    september = invoices[1]
    location = pay(client, {"facture": september.pk, "amount": "0.01", "montant": "1"})
    assert location.startswith(dummy.SERVICE_URL)
    query = parse_qs(urlsplit(location).query)
    assert query["amount"] == ["20.00"]
    payment = Payment.objects.get(method=Payment.Method.CARD)
    assert payment.amount == D("20.00") and list(payment.invoices.all()) == [september]
    assert query["return_url"] == [
        f"http://testserver/demo/famille/factures/paiement/{payment.reference}/"
    ]
    assert query["direct_notification_url"] == [
        f"http://testserver/demo/famille/paiement/{payment.reference}/notification/"
    ]


def test_paying_everything_asks_for_the_total_left(client, parent, invoices):
    location = pay(client, {"amount": "1.00"})
    assert parse_qs(urlsplit(location).query)["amount"] == ["60.50"]


def test_another_familys_invoice_cannot_be_paid(client, parent, organisation, invoices):
    theirs = other_familys_invoice(organisation)
    assert client.post(PAY, {"facture": theirs.pk}).status_code == 404
    assert client.post(PAY, {"facture": "12; drop"}).status_code == 404
    assert not Payment.objects.filter(method=Payment.Method.CARD).exists()


def test_a_paid_invoice_is_not_paid_again(en, parent, invoices):
    august = invoices[0]
    response = en.post(PAY, {"facture": august.pk}, follow=True)
    assert "This invoice is already paid" in response.text
    assert not Payment.objects.filter(method=Payment.Method.CARD).exists()


# --- Coming back from the payment page; the provider's notification ---


def started(client, invoices):
    pay(client, {"facture": invoices[1].pk})
    return Payment.objects.get(method=Payment.Method.CARD)


def return_url(payment):
    return f"/demo/famille/factures/paiement/{payment.reference}/"


def notification_url(payment, slug="demo"):
    return f"/{slug}/famille/paiement/{payment.reference}/notification/"


def test_coming_back_paid_shows_the_payment_received(en, parent, invoices):
    payment = started(en, invoices)
    html = en.get(f"{return_url(payment)}?{dummy_answer(payment)}").text
    assert "Your payment of 20.00 € is received" in html
    assert invoices[1].number in html
    payment.refresh_from_db()
    assert payment.state == Payment.State.CONFIRMED


def test_coming_back_before_the_answer_says_it_is_being_confirmed(en, parent, invoices):
    payment = started(en, invoices)
    assert "is being confirmed" in en.get(return_url(payment)).text
    # A forged answer (no signature) changes nothing and is not believed.
    forged = dummy_answer(payment, signed=False)
    assert "is being confirmed" in en.get(f"{return_url(payment)}?{forged}").text
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING


def test_coming_back_not_paid_says_nothing_was_charged(en, parent, invoices):
    payment = started(en, invoices)
    answer = dummy_answer(payment, paid=False)
    assert "did not go through" in en.get(f"{return_url(payment)}?{answer}").text


def test_another_familys_payment_page_is_404(client, parent, organisation, invoices):
    payment = started(client, invoices)
    client.force_login(guardian_user(organisation))
    assert client.get(return_url(payment)).status_code == 404


def test_the_notification_pays_once_without_a_session(client, parent, invoices):
    payment = started(client, invoices)
    client.logout()
    answer = dummy_answer(payment)
    for _ in range(3):
        response = client.post(
            notification_url(payment), answer, content_type="application/x-www-form-urlencoded"
        )
        assert (response.status_code, response.text) == (200, "OK")
    assert client.get(f"{notification_url(payment)}?{answer}").status_code == 200
    invoices[1].refresh_from_db()
    assert invoices[1].settled == D("30.00")


def test_refused_notifications_are_400_or_403(client, parent, organisation, invoices):
    payment = started(client, invoices)
    client.logout()
    form = "application/x-www-form-urlencoded"
    forged = dummy_answer(payment, signed=False)
    assert client.post(notification_url(payment), forged, content_type=form).status_code == 403
    wrong = dummy_answer(payment, amount="0.01")
    assert client.post(notification_url(payment), wrong, content_type=form).status_code == 400
    unknown = f"/demo/famille/paiement/{'0' * 30}/notification/"
    assert client.post(unknown, dummy_answer(payment), content_type=form).status_code == 400
    # Another organisation's address does not know the payment.
    from perisco.core.tests.factories import OrganisationFactory

    OrganisationFactory(slug="val")
    elsewhere = notification_url(payment, slug="val")
    assert client.post(elsewhere, dummy_answer(payment), content_type=form).status_code == 400
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING


def test_notifications_are_rate_limited(settings, client, parent, invoices):
    settings.PERISCO_RATE_LIMITS = {
        **settings.PERISCO_RATE_LIMITS,
        "card_notification_reference": (3, 3600),
        "card_notification_refused_client": (2, 3600),
    }
    payment = started(client, invoices)
    client.logout()
    answer = dummy_answer(payment)
    statuses = [client.get(f"{notification_url(payment)}?{answer}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    unknown = f"/demo/famille/paiement/{'1' * 30}/notification/"
    refused = [client.get(f"{unknown}?x={i}").status_code for i in range(3)]
    assert refused == [400, 400, 429]


def test_the_month_so_far_is_estimated_and_said_not_to_be_an_invoice(
    en,
    parent,
    family,
    child,
    canteen,  # noqa: F811 (the fixture imported above)
):
    import time_machine

    from perisco.billing.models import Tariff
    from perisco.billing.tests.test_runs import book, november
    from perisco.bookings.states import Outcome, State
    from perisco.bookings.tests.conftest import NOW

    Tariff.objects.create(
        organisation=canteen.organisation, unit=canteen, valid_from=date(2026, 9, 1), price=3
    )
    days = november(5)
    for day in days[:4]:
        book(child, family, canteen, day, State.CONFIRMED, Outcome.PRESENT)
    book(child, family, canteen, days[4], State.CONFIRMED, Outcome.ABSENT_EXCUSED)
    book(child, family, canteen, date(2026, 11, 30))  # after today: not yet
    with time_machine.travel(NOW, tick=False):
        en.force_login(parent)
        page = en.get(INVOICES).content.decode()
    assert "November 2026 so far: an estimate" in page
    assert "<strong>12.00 €</strong>" in page and "This is not an invoice" in page
