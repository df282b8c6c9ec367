"""Self-registration in Chromium at 375 px: every step accessible, the whole way through."""

import re

import pytest
from playwright.sync_api import expect

from perisco.core.tests.browser import check_page
from perisco.core.tests.factories import OrganisationFactory, SchoolFactory
from perisco.families.models import Family

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_family_registers_on_a_phone(page, live_server, transactional_db):
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    SchoolFactory(organisation=org, name="École Jules Ferry")
    base = f"{live_server.url}/demo/inscription"
    check_page(page, f"{base}/1/", name="registration 1", width=375)
    page.get_by_label("Civilité").first.select_option("mme")
    page.locator("#id_g1-first_name").fill("Amina")
    page.locator("#id_g1-last_name").fill("Benali")
    page.locator("#id_g1-quality").select_option("mother")
    page.locator("#id_g1-email").fill("amina@example.test")
    page.locator("#id_g1-mobile_phone").fill("0612345678")
    page.get_by_role("button", name="Suivant").click()
    expect(page).to_have_url(re.compile(r"/inscription/2/$"))
    check_page(page, page.url, name="registration 2", width=375)
    page.get_by_label("Adresse").fill("5 rue du Stade")
    page.get_by_label("Code postal").fill("64110")
    page.get_by_label("Ville").fill("Démo")
    page.get_by_role("button", name="Suivant").click()
    check_page(page, page.url, name="registration 3", width=375)
    page.get_by_label("Prénom").fill("Yanis")
    page.get_by_label("Nom", exact=True).fill("Benali")
    page.get_by_label("Date de naissance").fill("2019-06-02")
    page.get_by_label("Sexe").select_option("M")
    page.get_by_label("École").select_option(label="École Jules Ferry")
    page.get_by_role("button", name="Suivant").click()
    check_page(page, page.url, name="registration 4", width=375)
    page.get_by_label(re.compile("J'accepte le règlement")).check()
    page.get_by_role("button", name="Envoyer mon inscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez vos e-mails")
    assert Family.objects.get().children.get().first_name == "Yanis"
