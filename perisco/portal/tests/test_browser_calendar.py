"""The booking calendar in Chromium: tapping days on a phone, booking with the keyboard
alone, zero axe violations in the month and week views."""

import os
import re
from datetime import date

import pytest
import time_machine
from playwright.sync_api import expect

from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.bookings.models import Booking
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import NOW, enroll
from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import FamilyCertification, Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONTH = "/demo/famille/calendrier/?mois=2026-12"
WEEK = "/demo/famille/calendrier/?vue=semaine&jour=2026-12-01"


@pytest.fixture
def setting(transactional_db):
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    parent = guardian_user(org, first_name="Jeanne")
    family = Guardian.objects.get(user=parent).family
    FamilyCertification.objects.create(organisation=org, family=family, school_year=2026)
    period = PeriodFactory(activity__organisation=org, activity__name="Restauration scolaire")
    meal = UnitFactory(activity=period.activity, name="Repas", capacity=2)
    UnitFactory(activity=period.activity, name="Garderie du soir", capacity=None)
    children = []
    for name in ("Louise", "Tao"):
        child = ChildFactory(organisation=org, first_name=name, families=[family])
        enroll(child, family, meal)
        children.append(child)
    with time_machine.travel(NOW, tick=False):
        bookings_apply(
            actor=parent,
            family=family,
            changes=[Change(children[0].pk, meal.pk, date(2026, 12, 1))],
            now=NOW,
        )
        yield parent, family, meal, children


@pytest.mark.parametrize("width", WIDTHS)
def test_the_calendar_is_accessible_in_month_and_week_views(page, live_server, setting, width):
    parent, *_ = setting
    sign_in_browser(page, live_server, parent)
    check_page(page, live_server.url + MONTH, name="booking calendar month", width=width)
    check_page(page, live_server.url + WEEK, name="booking calendar week", width=width)
    louise = setting[3][0]
    check_page(
        page,
        f"{live_server.url}/demo/famille/calendrier/absence/{louise.pk}/",
        name="absence",
        width=width,
    )
    check_page(page, live_server.url + "/demo/famille/demandes/", name="requests", width=width)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_home_page_with_next_bookings_and_deadlines_is_accessible(
    page, live_server, setting, width
):
    parent, *_ = setting
    sign_in_browser(page, live_server, parent)
    check_page(page, live_server.url + "/demo/famille/", name="family home bookings", width=width)
    expect(page.get_by_role("heading", name="Prochaines échéances")).to_be_visible()
    expect(page.locator("article", has_text="Louise")).to_contain_text(
        "Mardi 1er décembre : Restauration scolaire – Repas"
    )


def test_a_family_taps_two_days_on_a_phone_and_reads_the_report(page, live_server, setting):
    parent, _family, _meal, (louise, _tao) = setting
    sign_in_browser(page, live_server, parent)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + MONTH)
    page.get_by_label(re.compile(r"^jeudi 3 décembre, Repas : non réservé")).first.click()
    page.get_by_label(re.compile(r"^vendredi 4 décembre, Repas : non réservé")).first.click()
    with page.expect_response(re.compile(r"/calendrier/")):
        page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".report")).to_contain_text("2 jours réservés")
    assert set(
        Booking.objects.filter(child=louise, state=State.CONFIRMED).values_list("day", flat=True)
    ) == {date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 4)}
    booked = page.get_by_label(re.compile(r"^jeudi 3 décembre, Repas : réservé")).first
    expect(booked).to_be_checked()
    if folder := os.environ.get("PERISCO_SCREENSHOTS"):
        page.screenshot(path=f"{folder}/booking-calendar-report-375.png")


def test_booking_with_the_keyboard_alone(page, live_server, setting):
    parent, _family, _meal, (louise, _tao) = setting
    sign_in_browser(page, live_server, parent)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + MONTH)
    page.get_by_role("region", name=re.compile("Calendrier de Louise")).focus()
    # Tab to the first open day of Louise's meals, tick it with Space.
    for _ in range(40):
        page.keyboard.press("Tab")
        name = page.evaluate("document.activeElement.closest('label')?.textContent || ''")
        if "Repas : non réservé" in name:
            break
    day = re.search(r"(\w+ \d+ décembre)", name).group(1)
    page.keyboard.press("Space")
    # On to "Save", then Enter.
    for _ in range(400):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Enregistrer":
            break
    page.keyboard.press("Enter")
    expect(page.locator(".report")).to_contain_text("1 jour réservé")
    assert Booking.objects.filter(child=louise, state=State.CONFIRMED).count() == 2, day
