"""Finance's direct-debit pages in Chromium at phone and desktop widths, with axe-core."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import DirectDebitBatch, Payment
from perisco.billing.sepa import debit_batch_create, earliest_collection_date
from perisco.billing.tests.factories import issued_invoice
from perisco.billing.tests.test_sepa import ICS, with_mandate
from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting(transactional_db):
    """A file collected last month (three debits) and invoices left for the next one."""
    org = OrganisationFactory(
        slug="demo",
        name="Ville de Démo",
        sepa_creditor_id=ICS,
        sepa_iban="FR7630006000011234567890189",
        sepa_bic="AGRIFRPP",
    )
    finance = UserFactory(organisation=org, role=Role.FINANCE)
    families = []
    for index, name in enumerate(("MARTIN", "BERNARD-LÉVÊQUE", "DUPONT")):
        family = Guardian.objects.get(user=guardian_user(org, last_name=name)).family
        family.name = name
        family.save(update_fields=["name"])
        with_mandate(family, reference=f"RUM-2026-{index:04d}")
        issued_invoice(family, f"{30 + index * 7}.40")
        families.append(family)
    now = timezone.now() - timedelta(days=30)
    batch = debit_batch_create(
        actor=finance, collection_date=earliest_collection_date(timezone.localdate(now)), now=now
    )
    for family in families:
        issued_invoice(family, "12.00", month=timezone.localdate().replace(day=1))
    return org, finance, batch


@pytest.mark.parametrize("width", WIDTHS)
def test_the_debit_pages_are_accessible(page, live_server, setting, width):
    _org, finance, batch = setting
    sign_in_browser(page, live_server, finance)
    base = f"{live_server.url}/demo/gestion/facturation/prelevements/"
    day = earliest_collection_date(timezone.localdate())
    check_page(page, base, name="direct debits", width=width)
    check_page(
        page, f"{base}?collection_date={day.isoformat()}", name="direct debit preview", width=width
    )
    check_page(page, f"{base}{batch.pk}/", name="direct debit file", width=width)


def test_finance_makes_a_file_from_the_preview_then_records_a_rejection(page, live_server, setting):
    _org, finance, batch = setting
    sign_in_browser(page, live_server, finance)
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(f"{live_server.url}/demo/gestion/facturation/prelevements/")

    page.locator("#id_collection_date").fill(
        earliest_collection_date(timezone.localdate()).isoformat()
    )
    page.locator("#id_collection_date").press("Enter")
    page.locator("section[aria-labelledby=new-file] form[method=post] button").click()

    expect(page.locator(".notice--success")).to_be_visible()
    made = DirectDebitBatch.objects.exclude(pk=batch.pk).get()
    assert made.count == 3
    path = f"/demo/gestion/facturation/prelevements/{made.pk}/"
    assert page.url == f"{live_server.url}{path}"
    expect(page.locator("a[download]")).to_have_attribute("href", f"{path}fichier.xml")

    page.goto(f"{live_server.url}/demo/gestion/facturation/prelevements/{batch.pk}/")
    payment = batch.payments.order_by("pk").first()
    page.locator(f"#reason-{payment.pk}").fill("AM04 provision insuffisante")
    page.locator(f"#debit-{payment.pk} button[type=submit]").click()

    expect(page.locator(".notice--success")).to_be_visible()
    expect(page.locator(f"#debit-{payment.pk}")).to_contain_text("AM04 provision insuffisante")
    payment.refresh_from_db()
    assert payment.state == Payment.State.REJECTED
