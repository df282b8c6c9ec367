"""Kitchen counts: the week's page, its exports, who sees them."""

import csv
import io
from html import unescape

import pytest
import time_machine
from openpyxl import load_workbook

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.bookings.models import Booking
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW, TUE_1
from perisco.conftest import sign_in
from perisco.core.urls import org_reverse
from perisco.families.models import Diet
from perisco.families.tests.factories import guardian_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booked(parent, family, canteen, make_child):
    canteen.includes_meal = True
    canteen.save()
    facility = canteen.activity.facility
    facility.name = "=Cantine Jules Ferry"  # a name a spreadsheet would run
    facility.save()
    children = [
        make_child(family, canteen, first_name="Louise"),
        make_child(family, canteen, first_name="Hugo", diets=[Diet.NO_PORK]),
    ]
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(c.pk, canteen.pk, d) for c in children for d in (MON_30, TUE_1)],
        now=NOW,
    )
    return children


def page(client, user, path="", **params):
    sign_in(client, user)
    url = org_reverse(user.organisation, f"backoffice:kitchen{path}")
    return client.get(url, params)


def test_the_week_shows_each_days_meals_by_diet_and_whether_they_are_final(
    client, organisation, booked
):
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    response = page(client, agent, semaine="2026-12-02")
    html = unescape(response.content.decode())

    assert response.status_code == 200
    assert "semaine du lundi 30 novembre au 6 décembre 2026" in html
    assert "Provisoire jusqu'au mercredi 25 novembre à 9 h" in html
    assert 'data-label="Sans porc">1<' in html
    assert "Aucun repas réservé ce jour." in html  # Wednesday, no canteen


def test_past_the_deadline_the_figures_are_final(client, organisation, booked):
    manager = UserFactory(organisation=organisation, role=Role.MANAGER)
    with time_machine.travel("2026-11-25 10:00 +01:00", tick=False):
        html = unescape(page(client, manager, semaine="2026-11-30").content.decode())

    assert "Définitif" in html
    assert "Provisoire jusqu'au mercredi 25" not in html
    assert "Provisoire jusqu'au jeudi 26 novembre à 9 h" in html  # Tuesday 1st


def test_at_weekends_the_page_opens_on_next_week(client, organisation, booked):
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    with time_machine.travel("2026-11-28 10:00 +01:00", tick=False):
        html = unescape(page(client, agent).content.decode())

    assert "semaine du lundi 30 novembre" in html


def test_the_csv_opens_in_a_french_spreadsheet_and_runs_no_formula(client, organisation, booked):
    manager = UserFactory(organisation=organisation, role=Role.MANAGER)
    response = page(client, manager, "_csv", semaine="2026-11-30")

    assert response["Content-Type"].startswith("text/csv")
    assert "effectifs-repas-semaine-2026-11-30.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][:4] == ["Date", "École ou structure", "État", "Standard"]
    assert rows[1][:5] == ["30/11/2026", "'=Cantine Jules Ferry", rows[1][2], "1", "1"]
    assert len(rows) == 3  # Monday and Tuesday


def test_the_xlsx_of_a_month_has_a_line_per_site_and_day(client, organisation, booked):
    manager = UserFactory(organisation=organisation, role=Role.MANAGER)
    response = page(client, manager, "_xlsx", mois="2026-12")

    assert "effectifs-repas-2026-12.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2  # the header, and Tuesday 1 December
    assert rows[1][0].date() == TUE_1
    assert rows[1][1] == "=Cantine Jules Ferry"
    assert sheet["B2"].data_type == "s"  # text, not a formula
    assert rows[1][3:9] == (1, 1, 0, 0, 0, 2)


def test_another_organisations_meals_are_not_counted(
    client, organisation, other_organisation, booked
):
    from perisco.activities.tests.factories import PeriodFactory, UnitFactory
    from perisco.families.tests.factories import ChildFactory

    unit = UnitFactory(
        activity=PeriodFactory(activity__organisation=other_organisation).activity,
        includes_meal=True,
    )
    stranger = ChildFactory(organisation=other_organisation)
    user = guardian_user(other_organisation)
    Booking.objects.create(
        organisation=other_organisation,
        child=stranger,
        family=user.guardian.family,
        activity=unit.activity,
        unit=unit,
        day=MON_30,
        state=State.CONFIRMED,
    )
    manager = UserFactory(organisation=organisation, role=Role.MANAGER)
    html = unescape(page(client, manager, semaine="2026-11-30").content.decode())

    assert "<strong>2</strong>" in html
    assert unit.activity.facility.name not in html


@pytest.mark.parametrize("role", [Role.GUARDIAN, Role.FINANCE])
def test_families_and_finance_do_not_see_kitchen_counts(client, organisation, role):
    user = (
        guardian_user(organisation)
        if role == Role.GUARDIAN
        else UserFactory(organisation=organisation, role=role)
    )
    for path in ("", "_csv", "_xlsx"):
        assert page(client, user, path).status_code in (403, 404)
