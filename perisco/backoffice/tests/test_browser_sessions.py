"""Holiday sessions given by a draw, in Chromium at phone and desktop widths, with axe."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.models import PeriodKind
from perisco.activities.rules import Season
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.bookings.allocation import allocation_run, place_requests_set, request_window_create
from perisco.bookings.lottery import DEFAULT_WEIGHTS
from perisco.bookings.models import PlaceRequest
from perisco.bookings.tests.conftest import household
from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Zone A: winter holidays from 13 to 28 February 2027, spring from 10 to 25 April.
WINTER = (date(2027, 2, 13), date(2027, 2, 28))
SPRING = (date(2027, 4, 10), date(2027, 4, 25))


def _unit(org, name, start, end):
    period = PeriodFactory(
        activity__organisation=org,
        activity__name="ALSH vacances",
        activity__season=Season.HOLIDAYS,
        kind=PeriodKind.HOLIDAY_SESSION,
        name=name,
        start=start,
        end=end,
        weekdays=[0, 1, 2, 3, 4],
    )
    return UnitFactory(activity=period.activity, name="Journée", capacity=2)


@pytest.fixture
def setting(transactional_db):
    """An open window (winter) with requests, and a closed one already drawn (spring)."""
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    manager = UserFactory(organisation=org, role=Role.MANAGER)
    now = timezone.now()
    winter = _unit(org, "Vacances d'hiver 2027", *WINTER)
    spring = _unit(org, "Vacances de printemps 2027", *SPRING)
    open_window = request_window_create(
        actor=manager,
        period=winter.activity.periods.get(),
        unit=winter,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=7),
        weights=DEFAULT_WEIGHTS,
    )
    drawn = request_window_create(
        actor=manager,
        period=spring.activity.periods.get(),
        unit=spring,
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=1),
        weights=DEFAULT_WEIGHTS,
    )
    users = []
    for names in (("Léa", "Tom"), ("Zoé",), ("Hugo",)):
        user, family, children = household(org, winter, *names)
        for child in children:
            from perisco.bookings.tests.conftest import enroll

            enroll(child, family, spring)
        for window, day in ((open_window, date(2027, 2, 15)), (drawn, date(2027, 4, 12))):
            place_requests_set(
                actor=user,
                family=family,
                window=window,
                wanted={(c.pk, day) for c in children},
                now=now - timedelta(days=2) if window is drawn else now,
            )
        users.append(user)
    allocation_run(actor=manager, window=drawn, now=now)
    return manager, users, open_window, drawn


@pytest.mark.parametrize("width", WIDTHS)
def test_the_draw_pages_are_accessible(page, live_server, setting, width):
    manager, users, open_window, drawn = setting
    sign_in_browser(page, live_server, manager)
    period = open_window.period
    new_period = PeriodFactory(
        activity=period.activity,
        kind=PeriodKind.HOLIDAY_SESSION,
        name="Vacances d'été 2027",
        start=date(2027, 7, 3),
        end=date(2027, 8, 31),
    )
    for name, path in [
        ("holiday sessions", "/demo/gestion/reservations/vacances/"),
        ("open window", f"/demo/gestion/reservations/tirages/{open_window.pk}/"),
        ("drawn window", f"/demo/gestion/reservations/tirages/{drawn.pk}/"),
        ("new window", f"/demo/gestion/reservations/vacances/{new_period.pk}/demandes/"),
    ]:
        check_page(page, live_server.url + path, name=name, width=width)
    sign_in_browser(page, live_server, users[0])
    check_page(
        page, live_server.url + "/demo/famille/calendrier/vacances/", name="requests", width=width
    )


def test_a_family_asks_for_a_day_with_the_keyboard_on_a_phone(page, live_server, setting):
    _manager, users, open_window, _drawn = setting
    sign_in_browser(page, live_server, users[1])
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + "/demo/famille/calendrier/vacances/")
    box = page.get_by_role("group", name="Mardi 16 février").get_by_label("Zoé")
    box.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Enregistrer mes demandes").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Votre demande est enregistrée : 2 jours demandés.")).to_be_visible()
    assert PlaceRequest.objects.filter(window=open_window, child__first_name="Zoé").count() == 2
