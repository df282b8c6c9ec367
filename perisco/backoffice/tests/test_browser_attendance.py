"""Attendance in Chromium: the pages with axe-core at phone and desktop widths, and marks
made with the network cut, kept in the browser, then sent when it returns."""

from datetime import datetime
from uuid import uuid4

import pytest
import time_machine
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.rules import PARIS
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.bookings.attendance import MarkInput, attendance_marks_record, attendance_sheet_close
from perisco.bookings.models import AttendanceMark
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.tests.conftest import MON_30, NOW, enroll
from perisco.core.tests.browser import PHONE, WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import FamilyCertification, Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOON = datetime(2026, 11, 30, 12, 15, tzinfo=PARIS)


@pytest.fixture
def setting(transactional_db):
    """Louise and Hugo booked at the canteen on Monday 30 November, Zoé enrolled only."""
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    agent = UserFactory(organisation=org, role=Role.AGENT)
    parent = guardian_user(org, first_name="Jeanne", last_name="Martin")
    family = Guardian.objects.get(user=parent).family
    FamilyCertification.objects.create(organisation=org, family=family, school_year=2026)
    canteen = UnitFactory(
        activity=PeriodFactory(activity__organisation=org, activity__name="Cantine").activity,
        name="Repas",
        capacity=10,
    )
    kids = {}
    for name in ("Louise", "Hugo", "Zoé"):
        kids[name] = ChildFactory(
            organisation=org, first_name=name, last_name="Martin", families=[family]
        )
        enroll(kids[name], family, canteen)
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(kids[n].pk, canteen.pk, MON_30) for n in ("Louise", "Hugo")],
        now=NOW,
    )
    return agent, canteen, kids


@pytest.fixture
def noon():
    with time_machine.travel(NOON, tick=True):
        yield


@pytest.mark.parametrize("width", WIDTHS)
def test_the_attendance_pages_are_accessible(page, live_server, setting, noon, width):
    agent, canteen, kids = setting
    sign_in_browser(page, live_server, agent)
    check_page(page, f"{live_server.url}/demo/gestion/pointage/", name="attendance", width=width)
    sheet = f"{live_server.url}/demo/gestion/pointage/{canteen.pk}/2026-11-30/"
    check_page(page, sheet, name="attendance sheet", width=width)
    # The closed day, as a manager sees it (a correction form per child).
    marks = [MarkInput(uuid4(), kids[n].pk, "present", NOON) for n in ("Louise", "Hugo")]
    attendance_marks_record(actor=agent, unit=canteen, day=MON_30, marks=marks)
    attendance_sheet_close(actor=agent, unit=canteen, day=MON_30)
    manager = UserFactory(organisation=agent.organisation, role=Role.MANAGER)
    sign_in_browser(page, live_server, manager)
    check_page(page, sheet, name="attendance sheet closed", width=width)
    expect(page.get_by_text("Corriger cette journée").first).to_be_visible()


def test_marks_made_offline_wait_in_the_browser_and_are_sent_when_the_network_returns(
    page, live_server, setting, noon
):
    agent, canteen, kids = setting
    sign_in_browser(page, live_server, agent)
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.goto(f"{live_server.url}/demo/gestion/pointage/{canteen.pk}/2026-11-30/")
    status = page.locator("#queue-status")

    page.context.set_offline(True)
    page.get_by_role("button", name="Présent : Louise Martin").click()
    absent = page.get_by_role("button", name="Absent : Hugo Martin")
    absent.focus()
    page.keyboard.press("Enter")  # with the keyboard too
    expect(status).to_contain_text("2 pointages pas encore envoyés")
    assert not AttendanceMark.objects.exists()

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_text("Tous les pointages sont envoyés.")
    marks = {m.child_id: m.status for m in AttendanceMark.objects.all()}
    assert marks == {kids["Louise"].pk: "present", kids["Hugo"].pk: "absent"}

    # Zoé came without a booking: added, and the page shows her once sent.
    page.get_by_label("Enfant inscrit dans cette structure").select_option(str(kids["Zoé"].pk))
    page.get_by_role("button", name="Noter présent").click()
    expect(page.locator(".attendance-row", has_text="Zoé Martin")).to_contain_text(
        "Sans réservation"
    )
    assert AttendanceMark.objects.filter(child=kids["Zoé"], status="present").exists()
