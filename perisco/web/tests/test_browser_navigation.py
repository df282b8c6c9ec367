"""The main menu in Chromium: one "Menu" button on a phone (keyboard, 44 px, axe), the full
menu on a desktop; the agents' children list; the settings page with logo and colour."""

import pytest
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.core.tests.browser import (
    DESKTOP,
    PHONE,
    WIDTHS,
    _axe,
    check_page,
    sign_in_browser,
)
from perisco.core.tests.factories import OrganisationFactory, SchoolFactory
from perisco.families.models import ChildContact
from perisco.families.tests.factories import ChildFactory, FamilyFactory, guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def org(transactional_db):
    organisation = OrganisationFactory(slug="demo", name="Ville de Démo", brand_colour="#0b6e4f")
    school = SchoolFactory(organisation=organisation, name="École Jules Ferry")
    for index in range(4):
        child = ChildFactory(
            organisation=organisation,
            first_name=f"Enfant{index}",
            school=school,
            school_class="CE1",
            allergies="Arachides" if index == 0 else "",
            has_pai=index == 0,
            diets=["no_pork"] if index == 1 else [],
            families=[FamilyFactory(organisation=organisation)],
        )
        ChildContact.objects.create(
            organisation=organisation,
            child=child,
            first_name="Odile",
            last_name="Martin",
            relationship="grand-mère",
            phone="06 11 22 33 44",
        )
    return organisation


def _header_height(page) -> float:
    return page.evaluate("document.querySelector('header').getBoundingClientRect().height")


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.GUARDIAN])
def test_on_a_phone_the_menu_is_one_button_that_opens_with_the_keyboard(
    page, live_server, org, role
):
    user = (
        guardian_user(org)
        if role == Role.GUARDIAN
        else UserFactory(organisation=org, role=role, language="en")
    )
    sign_in_browser(page, live_server, user)
    home = "/demo/famille/" if role == Role.GUARDIAN else "/demo/gestion/"
    check_page(page, live_server.url + home, name=f"menu closed {role}", width=PHONE)
    # One line of header before the content, instead of three or four.
    assert _header_height(page) < 80
    button = page.locator("summary.menu-phone__button")
    box = button.bounding_box()
    assert box["height"] >= 44
    expect(page.locator(".menu-phone__panel")).to_be_hidden()

    page.keyboard.press("Tab")  # the skip link
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            break
    page.keyboard.press("Enter")
    panel = page.locator(".menu-phone__panel")
    expect(panel).to_be_visible()
    links = panel.get_by_role("link")
    assert links.count() >= 2
    for index in range(links.count()):
        assert links.nth(index).bounding_box()["height"] >= 44
    results = _axe.run(page)
    assert results.violations_count == 0, results.generate_report()
    page.keyboard.press("Tab")
    expect(panel.get_by_role("link").first).to_be_focused()


def test_on_a_desktop_the_whole_menu_shows_without_a_button(page, live_server, org):
    sign_in_browser(page, live_server, UserFactory(organisation=org, role=Role.ORG_ADMIN))
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    page.goto(f"{live_server.url}/demo/gestion/familles/")
    expect(page.locator("summary.menu-phone__button")).to_be_hidden()
    nav = page.locator("nav.main-nav")
    for name in ("Tableau de bord", "Familles", "Accueil", "Réglages"):
        expect(nav.get_by_role("link", name=name, exact=True).first).to_be_visible()
    expect(nav.get_by_role("link", name="Comptes des familles")).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_agents_children_list_is_readable_on_a_phone_and_a_desktop(
    page, live_server, org, width
):
    sign_in_browser(page, live_server, UserFactory(organisation=org, role=Role.AGENT))
    check_page(page, f"{live_server.url}/demo/gestion/enfants/", name="children", width=width)
    expect(page.get_by_role("heading", name="Enfant0 DUPONT")).to_be_visible()
    page.get_by_label("Rechercher par le nom de l'enfant").fill("Enfant1")
    expect(page.get_by_text("1 enfant", exact=True)).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_settings_page_with_logo_and_colour_is_accessible(page, live_server, org, width):
    sign_in_browser(page, live_server, UserFactory(organisation=org, role=Role.ORG_ADMIN))
    check_page(page, f"{live_server.url}/demo/gestion/parametres/", name="settings", width=width)
    colour = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert colour == "rgb(11, 110, 79)"
