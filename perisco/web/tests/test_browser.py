"""The public and account pages in Chromium, at phone and desktop widths, with axe-core."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import PASSWORD, UserFactory
from perisco.accounts.tokens import Purpose, make_token
from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.tests.factories import guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def org(transactional_db):
    return OrganisationFactory(
        slug="demo",
        name="Ville de Démo",
        address="1 place de la République",
        postal_code="64110",
        city="Démo",
        opening_hours="Lundi au vendredi : 8 h 30 – 12 h",
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("root", "/"),
        ("organisation home", "/demo/"),
        ("login", "/demo/connexion/"),
        ("password reset", "/demo/mot-de-passe-oublie/"),
        ("contact", "/demo/contact/"),
        ("help", "/demo/aide/"),
        ("accessibility statement", "/demo/accessibilite/"),
        ("legal notices", "/demo/mentions-legales/"),
        ("personal data", "/demo/donnees-personnelles/"),
        ("platform login", "/plateforme/connexion/"),
    ],
)
def test_public_pages_are_accessible(page, live_server, org, width, name, path):
    check_page(page, live_server.url + path, name=name, width=width)


@pytest.mark.parametrize("width", WIDTHS)
def test_error_pages_are_accessible(page, live_server, org, width):
    check_page(page, f"{live_server.url}/demo/nowhere/", name="404", width=width, status=404)
    check_page(
        page,
        f"{live_server.url}/demo/invitation/expired/",
        name="link invalid",
        width=width,
        status=400,
    )
    sign_in_browser(page, live_server, guardian_user(org))
    check_page(
        page,
        f"{live_server.url}/demo/famille/calendrier/?mois=0001-01",
        name="400 month out of range",
        width=width,
        status=400,
    )
    expect(page.get_by_text("Ce mois ne peut pas être affiché")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_link_pages_are_accessible(page, live_server, org, width):
    user = guardian_user(org)
    check_page(
        page,
        f"{live_server.url}/demo/mot-de-passe-oublie/{make_token(user, Purpose.PASSWORD_RESET)}/",
        name="password reset confirm",
        width=width,
    )
    invited = UserFactory(organisation=org, role=Role.GUARDIAN, password=False)
    check_page(
        page,
        f"{live_server.url}/demo/invitation/{make_token(invited, Purpose.INVITATION)}/",
        name="invitation",
        width=width,
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("account", "/demo/compte/"),
        ("password change", "/demo/compte/mot-de-passe/"),
        ("email change", "/demo/compte/adresse-email/"),
        ("two factor setup", "/demo/compte/double-authentification/"),
    ],
)
def test_account_pages_are_accessible(page, live_server, org, width, name, path):
    sign_in_browser(page, live_server, UserFactory(organisation=org, role=Role.MANAGER))
    check_page(page, live_server.url + path, name=name, width=width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_guardians_account_with_reminders_and_calendar_address_is_accessible(
    page, live_server, org, width
):
    from perisco.bookings.feeds import calendar_feed_renew
    from perisco.families.models import Guardian

    user = guardian_user(org)
    guardian = Guardian.objects.get(user=user)
    guardian.booking_reminders = True
    guardian.consent_email = False  # the warning shows too
    guardian.save()
    calendar_feed_renew(actor=user, guardian=guardian)
    sign_in_browser(page, live_server, user)
    check_page(page, f"{live_server.url}/demo/compte/", name="guardian account", width=width)
    expect(page.locator("#feed-url")).to_have_value(re.compile(r"/demo/calendrier/[\w-]{43}\.ics$"))


def test_a_guardian_signs_in_with_the_keyboard_only(page, live_server, org):
    user = guardian_user(org)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/demo/connexion/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.locator("#id_email").focus()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/demo/famille/(#main)?$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")


def test_a_wrong_password_shows_a_clear_message(page, live_server, org):
    page.goto(f"{live_server.url}/demo/connexion/")
    page.get_by_label("Adresse e-mail").fill("personne@example.test")
    page.get_by_label("Mot de passe").fill("Faux-mot-1")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Adresse e-mail ou mot de passe incorrect")


def test_the_language_switch_turns_the_page_english(page, live_server, org):
    page.goto(f"{live_server.url}/demo/connexion/")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_forgotten_password_round_trip(page, live_server, org, settings):
    user = guardian_user(org)
    page.goto(f"{live_server.url}/demo/mot-de-passe-oublie/")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez vos e-mails")
    link = re.search(r"http://\S+", mail.outbox[-1].body).group(0)
    page.goto(link.replace(settings.PERISCO_BASE_URL, live_server.url))
    page.get_by_label("Nouveau mot de passe", exact=True).fill("Vacances-2027")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("Vacances-2027")
    page.get_by_role("button", name="Changer mon mot de passe").click()
    expect(page).to_have_url(re.compile(r"/demo/famille/$"))


@pytest.mark.parametrize("width", WIDTHS)
def test_too_many_reset_requests_say_when_to_retry(page, live_server, org, settings, width):
    from axe_playwright_python.sync_playwright import Axe

    settings.PERISCO_RATE_LIMITS = {
        **settings.PERISCO_RATE_LIMITS,
        "password_reset_address": (0, 3600),
    }
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/demo/mot-de-passe-oublie/")
    page.get_by_label("Adresse e-mail").fill("personne@example.test")
    page.get_by_label("Adresse e-mail").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Trop de demandes")
    expect(page.get_by_role("alert")).to_contain_text("Réessayez dans")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
