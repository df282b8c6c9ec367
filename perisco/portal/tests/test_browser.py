"""Family pages in Chromium at phone and desktop widths, with axe-core."""

import re

import pytest
from playwright.sync_api import expect

from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory, SchoolFactory
from perisco.families.models import BankAccount, ChildContact, FamilyQuotient, Guardian
from perisco.families.requests import request_submit
from perisco.families.tests.factories import ChildFactory, guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def parent(transactional_db):
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    user = guardian_user(org, first_name="Jeanne")
    family = Guardian.objects.get(user=user).family
    school = SchoolFactory(organisation=org, name="École Jules Ferry")
    for name in ("Louise", "Tao", "Noa"):
        child = ChildFactory(
            organisation=org,
            first_name=name,
            school=school,
            school_class="CE1",
            families=[family],
            has_pai=name == "Tao",
        )
        ChildContact.objects.create(
            organisation=org,
            child=child,
            first_name="Odile",
            last_name="Martin",
            relationship="grand-mère",
            phone="06 11 22 33 44",
        )
    from datetime import date

    FamilyQuotient.objects.create(
        organisation=org, family=family, value=640, valid_from=date(2026, 1, 1)
    )
    BankAccount.objects.create(
        organisation=org, family=family, holder="Jeanne Dupont", iban="FR7630006000011234567890189"
    )
    request_submit(
        actor=user, family=family, kind="guardian", values={"mobile_phone": "06 99 88 77 66"}
    )
    return user


def child_pk(user):
    return Guardian.objects.get(user=user).family.children.order_by("first_name").first().pk


@pytest.mark.parametrize("width", WIDTHS)
def test_the_family_pages_are_accessible(page, live_server, parent, width):
    sign_in_browser(page, live_server, parent)
    pk = child_pk(parent)
    for name, path in [
        ("family home", "/demo/famille/"),
        ("certification", "/demo/famille/attestation/"),
        ("my family", "/demo/famille/ma-famille/"),
        ("guardian request", "/demo/famille/ma-famille/demande/guardian/"),
        ("fiscal request", "/demo/famille/ma-famille/demande/fiscal/"),
        ("my children", "/demo/famille/enfants/"),
        ("child", f"/demo/famille/enfants/{pk}/"),
        ("health request", f"/demo/famille/enfants/{pk}/demande/health/"),
        ("contacts request", f"/demo/famille/enfants/{pk}/demande/contacts/"),
        ("new child", "/demo/famille/enfants/nouveau/"),
        ("my requests", "/demo/famille/demandes/?periode=tout"),
        ("documents", "/demo/famille/documents/"),
    ]:
        check_page(page, live_server.url + path, name=name, width=width)


def test_a_family_asks_for_a_change_on_a_phone(page, live_server, parent):
    sign_in_browser(page, live_server, parent)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/demo/famille/enfants/{child_pk(parent)}/")
    page.get_by_role("link", name="Demander une modification (Santé et régime alimentaire)").click()
    page.get_by_label("Allergies").fill("Kiwi")
    page.get_by_label("Sans porc").check()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page).to_have_url(re.compile(r"/demo/famille/demandes/$"))
    expect(page.get_by_role("status")).to_contain_text("transmise au service enfance")
    expect(page.get_by_text("Kiwi")).to_be_visible()


def test_a_family_is_told_why_two_diets_cannot_go_together(page, live_server, parent):
    sign_in_browser(page, live_server, parent)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/demo/famille/enfants/{child_pk(parent)}/demande/health/")
    diets = page.get_by_role("group", name="Régime alimentaire")
    expect(diets).to_contain_text("«\u00a0Végétarien\u00a0» exclut la viande et le poisson")
    diets.get_by_label("Sans porc").check()
    diets.get_by_label("Végétarien").check()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("group", name="Régime alimentaire")).to_contain_text(
        "Cochez un seul choix parmi «\u00a0Sans porc\u00a0», «\u00a0Sans viande\u00a0» "
        "et «\u00a0Végétarien\u00a0»"
    )
