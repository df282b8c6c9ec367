"""The "Relevé de compte" in Chromium, with axe-core, on a phone and a desktop."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import Payment
from perisco.billing.payments import credit_note_create, payment_record
from perisco.billing.tests.documents_data import typical_invoice
from perisco.billing.tests.factories import issued_invoice
from perisco.core.tests.browser import PHONE, WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def parent(transactional_db):
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    user = guardian_user(org, first_name="Jeanne")
    family = Guardian.objects.get(user=user).family
    finance = UserFactory(organisation=org, role=Role.FINANCE)
    september = typical_invoice(family, previous_balance="0.00")
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CHEQUE,
        amount=Decimal("40.00"),
        received_on=date(2026, 10, 12),
    )
    credit_note_create(
        actor=finance, invoice=september, amount=Decimal("2.40"), reason="Repas du 8 non servi"
    )
    issued_invoice(family, "38.40", month=date(2026, 10, 1))
    return user


@pytest.mark.parametrize("width", WIDTHS)
def test_the_statement_is_accessible(page, live_server, parent, width):
    sign_in_browser(page, live_server, parent)
    check_page(
        page, live_server.url + "/demo/famille/releve-de-compte/", name="statement", width=width
    )


def test_the_invoice_pdf_is_reached_with_the_keyboard_on_a_phone(page, live_server, parent):
    sign_in_browser(page, live_server, parent)
    page.set_viewport_size({"width": PHONE, "height": 800})
    page.goto(live_server.url + "/demo/famille/releve-de-compte/")
    expect(page.locator("#balance")).to_contain_text("42,56")  # 46.56 + 38.40 - 40 - 2.40
    link = page.locator('a[href$="/facture.pdf"]').last  # the oldest line: September's
    link.focus()
    expect(link).to_be_focused()
    box = link.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE
    with page.expect_response(lambda r: r.url.endswith("facture.pdf")) as answer:
        page.evaluate("url => fetch(url)", link.get_attribute("href"))
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "application/pdf"
