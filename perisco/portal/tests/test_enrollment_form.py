"""The family's enrollment form: single options pick themselves, the start date is not in
the past, units are explained where the family chooses, the typical week reads in words."""

from datetime import date, time

import pytest
import time_machine

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.services import enrollment_request
from perisco.activities.tests.factories import (
    ActivityFactory,
    FacilityFactory,
    PeriodFactory,
    UnitFactory,
)
from perisco.activities.wording import typical_week_text
from perisco.conftest import sign_in
from perisco.core.tests.factories import SchoolFactory

URL = "/demo/famille/inscriptions/nouvelle/"


@pytest.fixture
def wednesdays(organisation):
    """Seed 003's leisure centre: morning, meal, afternoon, or the whole day."""
    period = PeriodFactory(
        activity__organisation=organisation,
        activity__name="ALSH mercredi",
        start=date(2026, 9, 2),
        end=date(2027, 6, 30),
        weekdays=[2],
    )
    units = {}
    for position, (name, start, end) in enumerate(
        (
            ("Matin", time(8), time(12)),
            ("Repas", time(12), time(13, 30)),
            ("Après-midi", time(13, 30), time(18)),
            ("Journée", time(8), time(18)),
        )
    ):
        units[name] = UnitFactory(
            activity=period.activity, name=name, start_time=start, end_time=end, position=position
        )
    units["Journée"].exclusive_with.add(units["Matin"], units["Après-midi"])
    units["Repas"].requires.add(units["Matin"])
    return period, units


@time_machine.travel("2026-06-15 10:00 +02:00")
def test_single_options_pick_themselves_without_javascript(client, child, wednesdays):
    period, _units = wednesdays
    page = client.get(URL)  # one child, one facility, one kind, one activity, one period
    choice = page.context["choice"]
    assert page.context["child"] == child
    assert (choice.facility, choice.activity, choice.period) == (
        period.activity.facility,
        period.activity,
        period,
    )
    assert page.context["form"] is not None
    assert page.context["form"].initial["start"] == period.start  # the period starts later


@time_machine.travel("2026-11-18 10:00 +01:00")
def test_the_start_date_is_today_once_the_period_has_begun(client, child, wednesdays):
    page = client.get(URL)
    assert page.context["form"].initial["start"] == date(2026, 11, 18)


@time_machine.travel("2026-06-15 10:00 +02:00")
def test_a_choice_among_several_is_left_to_the_family(client, organisation, child, wednesdays):
    PeriodFactory(activity__organisation=organisation)  # another facility
    page = client.get(URL)
    assert page.context["choice"].facility is None and page.context["form"] is None


@time_machine.travel("2026-06-15 10:00 +02:00")
def test_a_schools_activities_are_offered_to_its_pupils_only(client, organisation, child):
    school, other = (
        SchoolFactory(organisation=organisation),
        SchoolFactory(organisation=organisation),
    )
    child.school = school
    child.save()
    mine = PeriodFactory(
        activity=ActivityFactory(
            organisation=organisation,
            facility=FacilityFactory(organisation=organisation, school=school),
        )
    )
    PeriodFactory(
        activity=ActivityFactory(
            organisation=organisation,
            facility=FacilityFactory(organisation=organisation, school=other),
        )
    )
    assert client.get(URL).context["choice"].period == mine


@time_machine.travel("2026-06-15 10:00 +02:00")
def test_the_units_are_explained_where_the_family_chooses(client, child, wednesdays):
    html = client.get(URL).text
    assert (
        "De 8 h à 18 h, soit les horaires de Matin, Repas et Après-midi réunis, "
        "pas le même jour que Matin ou Après-midi." in html
    )
    assert "seulement un jour où l&#x27;enfant a aussi Matin" in html


def test_the_typical_week_reads_in_words():
    from django.utils import translation

    names = {1: "Repas", 2: "Soir"}
    with translation.override("en"):
        assert (
            typical_week_text({0: [1], 1: [1], 3: [1, 2], 4: [2]}, names)
            == "Monday, Tuesday: Repas; Thursday: Repas and Soir; Friday: Soir"
        )

    with translation.override("fr"):
        assert typical_week_text({0: [1], 1: [1], 3: [1]}, names) == "Lundi, mardi, jeudi : repas"
    assert typical_week_text({}, names) == ""


def test_family_and_staff_see_the_typical_week_in_words(client, organisation, family, child):
    period = PeriodFactory(activity__organisation=organisation)
    meal = UnitFactory(activity=period.activity, name="Repas")
    manager = UserFactory(organisation=organisation, role=Role.MANAGER)
    enrollment = enrollment_request(
        actor=manager,
        family=family,
        child=child,
        period=period,
        typical_week={0: [meal.pk], 1: [meal.pk], 3: [meal.pk]},
    )
    assert "Lundi, mardi, jeudi : repas" in client.get("/demo/famille/inscriptions/").text
    sign_in(client, manager)
    assert (
        "Lundi, mardi, jeudi : repas"
        in client.get(f"/demo/gestion/inscriptions/{enrollment.pk}/").text
    )
    assert "Lundi, mardi, jeudi : repas" in client.get("/demo/gestion/inscriptions/").text
