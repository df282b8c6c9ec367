"""Staff bookings pages in Chromium at phone and desktop widths, with axe-core."""

import os

import pytest
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.models import Confirmation
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.bookings.models import AbsenceReason, Booking
from perisco.bookings.services import Change, absence_declare, bookings_apply
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW, THU_3, enroll
from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import FamilyCertification, Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting(transactional_db):
    """A canteen (2 places, full on Monday 30 November with one child waiting), a manual
    evening club with a request, and an absence to review."""
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    manager = UserFactory(organisation=org, role=Role.MANAGER)
    parent = guardian_user(org, first_name="Jeanne", last_name="Martin")
    family = Guardian.objects.get(user=parent).family
    FamilyCertification.objects.create(organisation=org, family=family, school_year=2026)
    period = PeriodFactory(activity__organisation=org, activity__name="Cantine")
    canteen = UnitFactory(activity=period.activity, name="Repas", capacity=2, includes_meal=True)
    UnitFactory(activity=period.activity, name="Repas sans porc", capacity=12)
    club_period = PeriodFactory(activity__organisation=org, activity__name="Club du soir")
    club = UnitFactory(activity=club_period.activity, name="Soir", capacity=10)
    club.activity.confirmation = Confirmation.MANUAL
    club.activity.save()
    kids = []
    for name in ("Louise", "Hugo", "Zoé"):
        child = ChildFactory(organisation=org, first_name=name, families=[family])
        enroll(child, family, canteen)
        enroll(child, family, club)
        kids.append(child)
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(k.pk, canteen.pk, MON_30) for k in kids]
        + [Change(kids[0].pk, canteen.pk, THU_3), Change(kids[1].pk, club.pk, MON_30)],
        now=NOW,
    )
    absence_declare(
        actor=parent,
        family=family,
        child=kids[0],
        days=[THU_3],
        reason=AbsenceReason.OTHER,
        note="Rendez-vous médical",
        now=NOW.replace(month=12, day=3),
    )
    return manager, family, kids, canteen


@pytest.mark.parametrize("width", WIDTHS)
def test_the_staff_bookings_pages_are_accessible(page, live_server, setting, width):
    manager, family, kids, canteen = setting
    sign_in_browser(page, live_server, manager)
    for name, path in [
        ("bookings queue", "/demo/gestion/reservations/"),
        ("occupancy index", "/demo/gestion/reservations/occupation/"),
        ("occupancy", f"/demo/gestion/reservations/occupation/{canteen.activity_id}/?mois=2026-11"),
        ("waiting list", f"/demo/gestion/reservations/unites/{canteen.pk}/2026-11-30/attente/"),
        ("family bookings", f"/demo/gestion/familles/{family.pk}/reservations/"),
        (
            "child bookings",
            f"/demo/gestion/familles/{family.pk}/enfants/{kids[0].pk}/reservations/",
        ),
        ("absences", "/demo/gestion/reservations/absences/"),
        ("cancel days", "/demo/gestion/reservations/annuler-des-jours/"),
        ("kitchen counts", "/demo/gestion/cuisine/?semaine=2026-11-30"),
    ]:
        check_page(page, live_server.url + path, name=name, width=width)


def test_the_kitchen_counts_print_without_the_menu(page, live_server, setting):
    manager, *_ = setting
    sign_in_browser(page, live_server, manager)
    page.goto(live_server.url + "/demo/gestion/cuisine/?semaine=2026-11-30")
    expect(page.get_by_role("button", name="Imprimer")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("link", name="Semaine en CSV")).to_be_hidden()
    expect(page.get_by_role("table").first).to_be_visible()


def test_the_occupancy_grid_scrolls_inside_its_region_on_a_phone(page, live_server, setting):
    manager, _family, _kids, canteen = setting
    sign_in_browser(page, live_server, manager)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(
        f"{live_server.url}/demo/gestion/reservations/occupation/{canteen.activity_id}/?mois=2026-11"
    )
    region = page.get_by_role("region", name="Occupation de Cantine")
    region.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert region.evaluate("el => el.scrollLeft") > 0
    if folder := os.environ.get("PERISCO_SCREENSHOTS"):
        region.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        page.screenshot(path=f"{folder}/occupancy-scrolled-375.png")
    full = "lundi 30 novembre : 2 places réservées sur 2, complet"
    page.get_by_role("link", name=full).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Liste d'attente – Repas")
    expect(page.get_by_text("Zoé")).to_be_visible()


def test_a_request_is_accepted_from_the_queue_with_the_keyboard(page, live_server, setting):
    manager, _family, kids, _canteen = setting
    sign_in_browser(page, live_server, manager)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/demo/gestion/reservations/")
    page.get_by_label("Sélectionner Hugo, lundi 30 novembre").check()
    page.get_by_role("button", name="Accepter les demandes cochées").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("1 réservation confirmée")
    assert Booking.objects.get(child=kids[1], unit__name="Soir").state == State.CONFIRMED
