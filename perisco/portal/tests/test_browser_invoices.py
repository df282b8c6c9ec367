"""The family's invoices and card payment in Chromium, with axe-core: paying an invoice at
375 px through eopayment's dummy backend.

The dummy backend sends the browser to Entr'ouvert's public dummy payment service
(https://dummy-payment.entrouvert.com/), which this machine cannot reach: the test serves
that address itself (Playwright's routing) with a page that does what the service does:
it sends the browser back to the return address with the answer eopayment.dummy reads
(the transaction id, the amount, "signed", "ok"), and the test posts the same answer to
the notification address, server to server."""

import re
import urllib.request
from datetime import date
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from eopayment import dummy
from playwright.sync_api import expect

from perisco.billing.card import card_payment_notified, card_payment_start
from perisco.billing.models import Payment
from perisco.billing.tests.factories import issued_invoice
from perisco.billing.tests.test_card import dummy_answer
from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def parent(transactional_db, settings, live_server):
    # The return and notification addresses given to the provider are the live server's.
    settings.PERISCO_BASE_URL = live_server.url
    org = OrganisationFactory(
        slug="demo",
        name="Ville de Démo",
        payment_instructions="Chèque à l'ordre du Trésor public, à la mairie.",
    )
    user = guardian_user(org, first_name="Jeanne")
    family = Guardian.objects.get(user=user).family
    issued_invoice(family, "30.00", month=date(2026, 9, 1), due_date=date(2026, 10, 17))
    issued_invoice(family, "42.80", month=date(2026, 10, 1), due_date=date(2099, 11, 17))
    return user


def paid_payment(user):
    family = Guardian.objects.get(user=user).family
    payment, _url = card_payment_start(
        actor=user, family=family, return_url="http://x/", notify_url="http://x/"
    )
    return card_payment_notified(
        organisation=family.organisation, reference=payment.reference, data=dummy_answer(payment)
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_invoice_pages_are_accessible(page, live_server, parent, width):
    sign_in_browser(page, live_server, parent)
    for name, path in [
        ("family home with invoices", "/demo/famille/"),
        ("invoices", "/demo/famille/factures/"),
    ]:
        check_page(page, live_server.url + path, name=name, width=width)
    payment = paid_payment(parent)
    check_page(
        page,
        f"{live_server.url}/demo/famille/factures/paiement/{payment.reference}/",
        name="card payment received",
        width=width,
    )


def fake_dummy_service(seen: dict):
    """What https://dummy-payment.entrouvert.com/ does, served by the test."""

    def handle(route):
        query = {k: v[0] for k, v in parse_qs(urlsplit(route.request.url).query).items()}
        seen.update(query)
        answer = urlencode(
            {
                "transaction_id": query["transaction_id"],
                "orderid": query["orderid"],
                "amount": query["amount"],
                "signed": "1",
                "ok": "1",
            }
        )
        seen["answer"] = answer
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            body=(
                '<!doctype html><html lang="fr"><head><title>Paiement factice</title></head>'
                f"<body><main><h1>Paiement factice</h1><p>{query['amount']} €</p>"
                f'<a href="{query["return_url"]}?{answer}">Payer</a></main></body></html>'
            ),
        )

    return handle


def test_a_family_pays_an_invoice_by_card_on_a_phone(browser, live_server, parent):
    # A context that enforces our Content-Security-Policy (the suite's default bypasses it
    # for axe): the pay form's redirect to the provider must be allowed by `form-action`.
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="fr-FR")
    page = context.new_page()
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else 0)
    seen: dict = {}
    page.route(f"{dummy.SERVICE_URL}**", fake_dummy_service(seen))
    sign_in_browser(page, live_server, parent)

    page.goto(f"{live_server.url}/demo/famille/")
    page.locator('a[href$="/demo/famille/factures/#a-payer"]').click()
    expect(page).to_have_url(re.compile(r"/demo/famille/factures/#a-payer$"))
    family = Guardian.objects.get(user=parent).family
    rows = page.locator("#a-payer tbody tr")
    expect(rows).to_have_count(2)
    rows.first.get_by_role("button").click()  # pay September only

    expect(page.get_by_role("heading", name="Paiement factice")).to_be_visible()
    assert not blocked, blocked
    assert seen["amount"] == "30.00"
    payment = Payment.objects.get(family=family, method=Payment.Method.CARD)
    assert seen["orderid"] == payment.reference
    page.get_by_role("link", name="Payer").click()

    expect(page).to_have_url(re.compile(rf"/demo/famille/factures/paiement/{payment.reference}/"))
    expect(page.locator(".notice--success[role=status]")).to_be_visible()
    payment.refresh_from_db()
    assert payment.state == Payment.State.CONFIRMED

    # The provider's own notification comes too, server to server: paid once.
    request = urllib.request.Request(  # noqa: S310 (the live server's http address)
        seen["direct_notification_url"], data=seen["answer"].encode(), method="POST"
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        assert response.status == 200
    payment.refresh_from_db()
    assert payment.settled == payment.amount == 30

    page.locator('main a.button[href$="/demo/famille/factures/"]').click()
    expect(page.locator("#a-payer tbody tr")).to_have_count(1)  # October, left to pay
    expect(page.locator("#a-payer form")).to_have_count(1)
    context.close()
