from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perisco.activities.rules import PARIS
from perisco.activities.tests.factories import (
    ActivityFactory,
    FacilityFactory,
    PeriodFactory,
    UnitFactory,
)
from perisco.bookings.kitchen import KIND_KEYS, STANDARD, kitchen_counts, meal_kind
from perisco.bookings.models import Booking
from perisco.bookings.states import State
from perisco.core.tests.factories import SchoolFactory
from perisco.families.models import Diet, validate_diets

from .conftest import MON_30, NOW, TUE_1

pytestmark = pytest.mark.django_db

# MON_30's deadline (3 working days before at 9:00) is Wednesday 25 November, 9:00.
MON_30_DEADLINE = datetime(2026, 11, 25, 9, 0, tzinfo=PARIS)


def test_a_packed_meal_is_counted_apart_from_what_the_kitchen_cooks():
    assert meal_kind([Diet.PACKED_MEAL, Diet.NO_PORK]) == Diet.PACKED_MEAL
    assert meal_kind([Diet.NO_PORK]) == Diet.NO_PORK
    assert meal_kind([Diet.VEGETARIAN]) == Diet.VEGETARIAN
    assert meal_kind([]) == STANDARD
    assert meal_kind(None) == STANDARD


@given(st.lists(st.sampled_from(Diet.values), unique=True))
def test_every_valid_diet_falls_in_exactly_one_column(diets):
    try:
        validate_diets(diets)
    except Exception:
        return
    kind = meal_kind(diets)
    assert kind in KIND_KEYS
    # A child with a diet is never counted as a standard meal.
    assert (kind == STANDARD) == (not diets)


@pytest.fixture
def meals(canteen):
    canteen.includes_meal = True
    canteen.save()
    return canteen


def book(child, family, unit, day=MON_30, state=State.CONFIRMED):
    return Booking.objects.create(
        organisation=family.organisation,
        child=child,
        family=family,
        activity=unit.activity,
        unit=unit,
        day=day,
        state=state,
    )


def counts(start=MON_30, end=MON_30, now=NOW):
    return {d.day: d for d in kitchen_counts(start, end, now=now)}


def test_meals_are_counted_by_diet_and_only_for_held_bookings(family, meals, make_child):
    for diets in ([], [], [Diet.NO_PORK], [Diet.VEGETARIAN], [Diet.PACKED_MEAL]):
        book(make_child(family, meals, diets=diets), family, meals)
    book(make_child(family, meals), family, meals, state=State.CANCELLED)
    book(make_child(family, meals), family, meals, state=State.WAITING)
    book(make_child(family, meals), family, meals, state=State.CANCEL_REQUESTED)
    book(make_child(family, meals), family, meals, state=State.REQUESTED)

    (site,) = counts()[MON_30].sites
    assert site.meals.counts == {
        STANDARD: 3,  # two, and the one whose cancellation is not decided yet
        Diet.NO_PORK: 1,
        Diet.NO_MEAT: 0,
        Diet.VEGETARIAN: 1,
        Diet.PACKED_MEAL: 1,
    }
    assert (site.meals.total, site.meals.to_cook, site.meals.requested) == (6, 5, 1)


def test_units_without_a_meal_are_not_counted(family, meals, make_child, organisation):
    evening = UnitFactory(activity=meals.activity, name="Soir")
    child = make_child(family, meals)
    book(child, family, evening)

    assert counts() == {}


def test_a_day_is_provisional_until_its_deadline_then_final(family, meals, make_child):
    book(make_child(family, meals), family, meals)

    before = counts(now=MON_30_DEADLINE - timedelta(seconds=1))[MON_30]
    after = counts(now=MON_30_DEADLINE)[MON_30]

    assert not before.final and before.deadline == MON_30_DEADLINE
    assert after.final


def test_the_later_of_the_booking_and_cancellation_deadlines_makes_a_day_final(
    family, meals, make_child
):
    activity = meals.activity
    activity.cancellation_days = 1  # families may cancel until Friday 27, 9:00
    activity.save()
    book(make_child(family, meals), family, meals)

    day = counts(now=MON_30_DEADLINE)[MON_30]

    assert not day.final
    assert day.deadline == datetime(2026, 11, 27, 9, 0, tzinfo=PARIS)


def test_meals_are_grouped_by_school_and_a_centre_without_school_by_its_name(
    organisation, family, meals, make_child
):
    school = SchoolFactory(organisation=organisation, name="École Jules Ferry")
    meals.activity.facility.school = school
    meals.activity.facility.save()
    # A second facility of the same school (a second canteen room) adds to its count.
    second = UnitFactory(
        activity=PeriodFactory(
            activity=ActivityFactory(
                organisation=organisation,
                facility=FacilityFactory(organisation=organisation, school=school),
            )
        ).activity,
        includes_meal=True,
    )
    centre_lunch = UnitFactory(
        activity=PeriodFactory(
            activity=ActivityFactory(
                organisation=organisation,
                facility=FacilityFactory(organisation=organisation, name="Centre de loisirs"),
            )
        ).activity,
        includes_meal=True,
    )
    book(make_child(family, meals), family, meals)
    book(make_child(family, second), family, second)
    book(make_child(family, centre_lunch), family, centre_lunch)

    sites = {site.name: site.meals.total for site in counts()[MON_30].sites}

    assert sites == {"Centre de loisirs": 1, "École Jules Ferry": 2}


def test_counts_take_the_same_queries_for_few_or_many_children_and_days(
    family, meals, make_child, django_assert_num_queries
):
    book(make_child(family, meals), family, meals)
    with django_assert_num_queries(2) as few:
        counts(MON_30, MON_30)
    for _ in range(12):
        child = make_child(family, meals, diets=[Diet.NO_PORK])
        book(child, family, meals)
        book(child, family, meals, day=TUE_1)
    with django_assert_num_queries(len(few.captured_queries)):
        assert counts(MON_30, TUE_1)[TUE_1].total.total == 12
