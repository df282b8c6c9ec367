"""Finance's pages (invoices, payments, credit notes, aged debt) in Chromium, with axe-core,
at phone and desktop widths."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import BillingRun, Invoice, InvoiceLine, Payment
from perisco.billing.payments import credit_note_create, payment_record
from perisco.billing.tests.factories import issued_invoice
from perisco.core.tests.browser import PHONE, WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.tests.factories import FamilyFactory, GuardianFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture
def setting(transactional_db):
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    finance = UserFactory(organisation=org, role=Role.FINANCE)
    dupont = FamilyFactory(organisation=org, name="DUPONT-LEFÈVRE DE LA TOUR", number="900101")
    GuardianFactory(family=dupont, first_name="Jeanne")
    martin = FamilyFactory(organisation=org, name="MARTIN", number="900202")
    september = issued_invoice(dupont, "48.60", month=date(2026, 9, 1), due_date=date(2026, 10, 17))
    issued_invoice(dupont, "52.20", month=date(2026, 10, 1), previous_balance="18.60")
    issued_invoice(martin, "12.00", month=date(2026, 9, 1), due_date=date(2026, 7, 1))
    payment_record(
        actor=finance,
        family=dupont,
        method=Payment.Method.CHEQUE,
        amount=D("30.00"),
        received_on=date(2026, 10, 10),
        note="Chèque n° 1234567",
    )
    credit_note_create(
        actor=finance, invoice=september, amount=D("3.60"), reason="Repas non servi (grève)"
    )
    run = BillingRun.objects.create(
        organisation=org, month=date(2026, 11, 1), state=BillingRun.State.DRAFT
    )
    draft = Invoice.objects.create(
        organisation=org,
        run=run,
        family=martin,
        month=date(2026, 11, 1),
        total=D("15.00"),
        family_number=martin.number,
        recipient="Famille MARTIN\n3 place de la Mairie\n64000 Pau",
        sender=org.name,
    )
    for position, (child, unit) in enumerate(
        [("Léa MARTIN", "Restauration scolaire — Repas"), ("Hugo MARTIN", "Garderie — Soir")]
    ):
        InvoiceLine.objects.create(
            invoice=draft,
            child_name=child,
            unit_name=unit,
            label="QF 401–700",
            unit_price=D("2.50"),
            quantity=3,
            reduction=D("10") if position else D("0"),
            amount=D("7.50"),
            days=["2026-11-02", "2026-11-03", "2026-11-05"],
            position=position,
        )
    return finance, dupont, september, draft


@pytest.mark.parametrize("width", WIDTHS)
def test_the_finance_pages_are_accessible(page, live_server, setting, width):
    finance, dupont, september, draft = setting
    sign_in_browser(page, live_server, finance)
    base = f"{live_server.url}/demo/gestion/facturation"
    for name, url in [
        ("invoices", f"{base}/factures/"),
        ("invoices overdue", f"{base}/factures/?filtre=overdue"),
        ("invoice", f"{base}/factures/{september.pk}/"),
        ("invoice draft", f"{base}/factures/{draft.pk}/"),
        ("payments", f"{base}/paiements/"),
        ("payment search", f"{base}/paiements/nouveau/?q=dupont"),
        ("payment form", f"{base}/paiements/nouveau/?famille={dupont.pk}"),
        ("credit notes", f"{base}/avoirs/"),
        ("aged debt", f"{base}/balance-agee/"),
        ("family account", f"{live_server.url}/demo/gestion/familles/{dupont.pk}/"),
    ]:
        check_page(page, url, name=name, width=width)


def test_finance_records_a_cheque_on_a_phone_with_a_decimal_comma(page, live_server, setting):
    finance, _dupont, _september, _draft = setting
    sign_in_browser(page, live_server, finance)
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.goto(f"{live_server.url}/demo/gestion/facturation/paiements/nouveau/")
    page.locator("#q").fill("lefevre")
    page.locator("#q").press("Enter")
    page.get_by_role("link", name="DUPONT-LEFÈVRE").click()
    page.locator("#id_method_1").check()  # cheque
    page.locator("#id_amount").fill("70,00")
    page.locator("#id_note").fill("Chèque n° 7654321")
    page.locator("form.form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DUPONT-LEFÈVRE")
    payment = Payment.objects.get(note="Chèque n° 7654321")
    assert payment.amount == D("70.00") and payment.state == Payment.State.CONFIRMED
