"""A family's month from the engine: right cells, fixed number of queries."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perisco.activities.rules import Reason
from perisco.activities.selectors import family_month
from perisco.activities.services import enrollment_request
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user


@pytest.fixture
def setting(organisation):
    from perisco.accounts.tests.factories import UserFactory

    parent = guardian_user(organisation)
    family = Guardian.objects.get(user=parent).family
    manager = UserFactory(organisation=organisation, role="manager")
    periods = [PeriodFactory(activity__organisation=organisation) for _ in range(2)]
    for period in periods:
        UnitFactory(activity=period.activity)
        UnitFactory(activity=period.activity, name="Goûter")
    return parent, family, manager, periods


def add_children(organisation, family, manager, periods, n):
    for _ in range(n):
        child = ChildFactory(organisation=organisation, families=[family])
        for period in periods:
            enrollment_request(
                actor=manager, family=family, child=child, period=period, by_staff=True
            )


@pytest.mark.parametrize(("children", "month"), [(1, 2), (4, 11)])
def test_a_familys_month_takes_the_same_queries_whatever_children_and_days(
    organisation, setting, children, month
):
    _parent, family, manager, periods = setting
    add_children(organisation, family, manager, periods, children)
    with CaptureQueriesContext(connection) as queries:
        view = family_month(family, 2026 + (month < 9), month, timezone.now())
    assert len(view.children) == children
    assert sum(len(c.rows) for c in view.children) == children * 4
    assert len(queries) <= 12, [q["sql"][:80] for q in queries.captured_queries]


def test_the_cells_tell_holidays_closed_weekdays_and_pending_enrollments(organisation, setting):
    parent, family, manager, periods = setting
    child = ChildFactory(organisation=organisation, families=[family])
    enrollment_request(actor=manager, family=family, child=child, period=periods[0], by_staff=True)
    enrollment_request(actor=parent, family=family, child=child, period=periods[1])
    now = timezone.make_aware(timezone.datetime(2027, 3, 1, 10))
    view = family_month(family, 2027, 3, now)
    rows = view.children[0].rows
    validated = next(r for r in rows if r.activity == periods[0].activity)
    pending = next(r for r in rows if r.activity == periods[1].activity)
    cells = dict(validated.cells)
    assert cells[date(2027, 3, 29)].reason == Reason.PUBLIC_HOLIDAY  # Easter Monday
    assert cells[date(2027, 3, 17)].reason == Reason.NOT_AN_OPENING_DAY  # a Wednesday
    assert cells[date(2027, 3, 1)].reason == Reason.PAST_DEADLINE
    assert cells[date(2027, 3, 30)].allowed
    assert pending.pending and dict(pending.cells)[date(2027, 3, 30)].reason == Reason.NOT_ENROLLED


def test_the_calendar_page_says_each_state_in_words(client, organisation, setting):
    parent, family, manager, periods = setting
    add_children(organisation, family, manager, periods[:1], 1)
    client.force_login(parent)
    html = client.get("/demo/famille/calendrier/?mois=2027-03").text
    assert "lundi 29 mars, Repas : jour férié" in html
    assert "mercredi 17 mars, Repas : pas un jour d’ouverture" in html


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1900-01"])
def test_a_month_out_of_range_is_a_clear_400(client, organisation, setting, month):
    parent, *_ = setting
    client.force_login(parent)
    client.cookies["perisco_language"] = "en"
    response = client.get(f"/demo/famille/calendrier/?mois={month}")
    assert response.status_code == 400
    assert "This month cannot be shown: choose a month between" in response.text


def test_a_closure_tells_its_reason_in_the_cell_and_under_the_calendar(
    client, organisation, setting
):
    from perisco.activities.models import Closure

    parent, family, manager, periods = setting
    add_children(organisation, family, manager, periods[:1], 1)
    Closure.objects.create(
        organisation=organisation,
        activity=periods[0].activity,
        start=date(2027, 3, 4),
        end=date(2027, 3, 4),
        label="Grève des agents",
    )
    client.force_login(parent)
    html = client.get("/demo/famille/calendrier/?mois=2027-03").text
    assert "jeudi 4 mars, Repas : fermé : Grève des agents" in html  # the accessible name
    assert "Fermé le jeudi 4 mars" in html  # visible under the table


def test_a_pending_enrollment_reads_as_awaiting_validation_and_the_legend_explains_every_mark(
    client, organisation, setting
):
    import re

    parent, family, manager, periods = setting
    child = ChildFactory(organisation=organisation, families=[family])
    meal = periods[0].activity.units.get(name="Repas")
    snack = periods[0].activity.units.get(name="Goûter")
    snack.requires.add(meal)  # "+": only with the meal that day
    enrollment_request(actor=manager, family=family, child=child, period=periods[0], by_staff=True)
    enrollment_request(actor=parent, family=family, child=child, period=periods[1])
    client.force_login(parent)
    html = client.get("/demo/famille/calendrier/?mois=2027-03").text
    assert 'title="Pas inscrit"' not in html
    assert "nscription en attente de validation" in html
    assert "avec « Repas » le même jour" in html
    start = html.index('class="legend"')
    legend = html[start : html.index("</details>", start)]
    cells = re.findall(r'<td class="cell cell--(\w+)"[^>]*><span aria-hidden="true">([^<]*)<', html)
    marks = {mark for _state, mark in cells if mark}
    assert marks >= {"?", "+", "JF"}
    for mark in marks:
        assert f">{mark}</span>" in legend, mark
    assert "cell--not_an_opening_day" in legend and "Pas un jour d’ouverture" in legend


def test_a_closure_over_a_public_holiday_names_the_holiday(organisation, setting):
    from perisco.activities.models import Closure
    from perisco.activities.templatetags.activities import calendar_cell

    _parent, family, manager, periods = setting
    add_children(organisation, family, manager, periods[:1], 1)
    Closure.objects.create(
        organisation=organisation,
        activity=periods[0].activity,
        start=date(2027, 3, 29),
        end=date(2027, 4, 2),
        label="Travaux",
    )
    view = family_month(family, 2027, 3, timezone.now())
    row = view.children[0].rows[0]
    verdicts = dict(row.cells)
    easter = calendar_cell(row, date(2027, 3, 29), verdicts[date(2027, 3, 29)], view.holidays)
    works = calendar_cell(row, date(2027, 3, 30), verdicts[date(2027, 3, 30)], view.holidays)
    assert "Travaux" not in easter.text and "Pâques" in easter.text
    assert works.text == "Fermé : Travaux"
