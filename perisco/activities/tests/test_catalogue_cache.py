"""The catalogue is read from the cache until the organisation changes it: a change made
any way (service, form, admin, demo) shows on the next read, and only that organisation's
catalogues are read again."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.tests.factories import UserFactory
from perisco.activities.models import AgeGroupCapacity, CapacityOverride, Closure, DayOverride
from perisco.activities.selectors import catalogue_for
from perisco.activities.services import catalogue_delete, catalogue_save
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.core.scoping import organisation_scope

pytestmark = pytest.mark.real_scopes

JANUARY = (date(2027, 1, 1), date(2027, 1, 31))
MONDAY = date(2027, 1, 11)


@pytest.fixture
def unit(organisation):
    with organisation_scope(organisation):
        period = PeriodFactory(activity__organisation=organisation)
        return UnitFactory(activity=period.activity, capacity=10)


def read(unit):
    with organisation_scope(unit.organisation_id):
        return catalogue_for([unit.activity_id], *JANUARY)


def test_a_second_read_asks_the_database_nothing(unit):
    first = read(unit)
    with CaptureQueriesContext(connection) as queries:
        again = read(unit)
    assert len(queries) == 0
    assert again.rules[unit.pk].capacity == first.rules[unit.pk].capacity == 10


def test_a_closure_created_directly_shows_at_once(unit):
    assert MONDAY not in read(unit).calendars[unit.activity_id].closures
    with organisation_scope(unit.organisation_id):
        Closure.objects.create(
            organisation=unit.organisation, start=MONDAY, end=MONDAY, label="Grève"
        )
    catalogue = read(unit)
    assert MONDAY in catalogue.calendars[unit.activity_id].closures
    assert catalogue.closure_labels[unit.activity_id][MONDAY] == "Grève"


def test_capacities_changed_through_the_service_show_at_once(unit):
    manager = UserFactory(organisation=unit.organisation, role="manager")
    read(unit)
    with organisation_scope(unit.organisation_id):
        unit.capacity = 12
        catalogue_save(actor=manager, instance=unit)
        override = CapacityOverride(
            organisation=unit.organisation, unit=unit, date=MONDAY, capacity=3
        )
        catalogue_save(actor=manager, instance=override)
    rules = read(unit).rules[unit.pk]
    assert rules.capacity == 12
    assert rules.capacity_by_date[MONDAY] == 3
    with organisation_scope(unit.organisation_id):
        catalogue_delete(actor=manager, instance=override)
    assert MONDAY not in read(unit).rules[unit.pk].capacity_by_date


def test_age_groups_opened_days_and_unit_links_show_at_once(unit):
    read(unit)
    with organisation_scope(unit.organisation_id):
        other = UnitFactory(activity=unit.activity, name="Goûter")
        group = AgeGroupCapacity.objects.create(
            organisation=unit.organisation, unit=unit, min_age=3, max_age=5, capacity=8
        )
        DayOverride.objects.create(
            organisation=unit.organisation,
            activity=unit.activity,
            date=date(2027, 1, 13),
            is_open=True,
        )
        unit.exclusive_with.add(other)
    catalogue = read(unit)
    assert [g.capacity for g in catalogue.rules[unit.pk].age_groups] == [8]
    assert date(2027, 1, 13) in catalogue.calendars[unit.activity_id].opened_by_staff
    assert catalogue.rules[unit.pk].exclusive_with == frozenset({other.pk})
    with organisation_scope(unit.organisation_id):
        group.delete()
        unit.exclusive_with.clear()
    catalogue = read(unit)
    assert catalogue.rules[unit.pk].age_groups == ()
    assert catalogue.rules[unit.pk].exclusive_with == frozenset()


def test_another_organisations_change_keeps_this_cache(unit, other_organisation):
    read(unit)
    with organisation_scope(other_organisation):
        Closure.objects.create(
            organisation=other_organisation, start=MONDAY, end=MONDAY, label="Grève"
        )
    with CaptureQueriesContext(connection) as queries:
        catalogue = read(unit)
    assert len(queries) == 0
    assert MONDAY not in catalogue.calendars[unit.activity_id].closures


def test_a_change_is_seen_again_once_committed(unit, django_capture_on_commit_callbacks):
    """A request reading between the change and its commit caches the old rows under the
    new version; the commit gives yet another version, so they are not read again."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with organisation_scope(unit.organisation_id):
            Closure.objects.create(
                organisation=unit.organisation, start=MONDAY, end=MONDAY, label="Grève"
            )
        read(unit)
    for callback in callbacks:
        callback()
    with CaptureQueriesContext(connection) as queries:
        read(unit)
    assert len(queries) > 0


def test_a_release_that_changes_the_catalogues_shape_reads_none_left_by_the_last(unit):
    from perisco.activities import catalogue_cache

    loads = []

    def load():
        loads.append(True)
        return {"made": len(loads)}

    ids = (unit.activity_id,)
    first = catalogue_cache.cached(unit.organisation_id, ids, *JANUARY, load, shape="old")
    catalogue_cache._local.clear()  # a new process: only the shared cache remains
    again = catalogue_cache.cached(unit.organisation_id, ids, *JANUARY, load, shape="old")
    catalogue_cache._local.clear()
    new = catalogue_cache.cached(unit.organisation_id, ids, *JANUARY, load, shape="new")
    assert (first, again, new) == ({"made": 1}, {"made": 1}, {"made": 2})
