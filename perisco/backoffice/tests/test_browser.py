"""Staff pages in Chromium at phone and desktop widths, with axe-core."""

import pytest
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.core.audit import audit_log
from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.tests.factories import FamilyFactory, GuardianFactory, guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin(transactional_db):
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    for index in range(30):
        GuardianFactory(family=FamilyFactory(organisation=org), last_name=f"Famille{index:02d}")
    guardian_user(org)
    UserFactory(organisation=org, role=Role.AGENT, password=False)
    user = UserFactory(organisation=org, role=Role.ORG_ADMIN)
    audit_log(organisation=org, actor=user, action="user.invited")
    return user


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("dashboard", "/demo/gestion/"),
        ("staff", "/demo/gestion/personnel/"),
        ("family accounts", "/demo/gestion/comptes-familles/"),
        ("settings", "/demo/gestion/parametres/"),
        ("activity log", "/demo/gestion/journal/"),
    ],
)
def test_staff_pages_are_accessible(page, live_server, admin, width, name, path):
    sign_in_browser(page, live_server, admin)
    check_page(page, live_server.url + path, name=name, width=width)


def test_the_family_search_filters_as_you_type(page, live_server, admin):
    sign_in_browser(page, live_server, admin)
    page.goto(f"{live_server.url}/demo/gestion/comptes-familles/")
    expect(page.get_by_text("31 responsables")).to_be_visible()
    page.get_by_label("Rechercher par nom, e-mail ou numéro de famille").fill("Famille07")
    expect(page.get_by_text("1 responsable", exact=True)).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/demo/gestion/comptes-familles/?q=Famille07")


def test_inviting_a_guardian_from_the_list(page, live_server, admin):
    sign_in_browser(page, live_server, admin)
    page.goto(f"{live_server.url}/demo/gestion/comptes-familles/?q=Famille03")
    page.get_by_role("button", name="Inviter Jeanne Famille03").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation envoyée")
    expect(page.get_by_text("Invité", exact=True)).to_be_visible()
