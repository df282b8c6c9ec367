"""Staff raise the places (a unit's, an age group's, a day's): the waiting lists of the
coming days get them at once, and the families are told."""

import pytest
import time_machine

from perisco.activities.models import AgeGroupCapacity, CapacityOverride
from perisco.bookings.models import Booking, PlaceCounter
from perisco.bookings.services import Change, bookings_apply, promote_task
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW, TUE_1
from perisco.conftest import sign_in


@pytest.fixture
def full_monday(parent, family, other_family, canteen, make_child):
    """Two children take Monday 30's two meals; Hugo, of another family, waits."""
    kids = [make_child(family, canteen) for _ in range(2)]
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(k.pk, canteen.pk, MON_30) for k in kids],
        now=NOW,
    )
    hugo = make_child(other_family, canteen, first_name="Hugo")
    bookings_apply(
        actor=other_family.guardians.get().user,
        family=other_family,
        changes=[Change(hugo.pk, canteen.pk, MON_30)],
        now=NOW,
    )
    return Booking.objects.get(child=hugo)


@pytest.fixture
def staff(client, manager):
    sign_in(client, manager)
    with time_machine.travel(NOW, tick=False):
        yield client


def unit_data(unit, capacity):
    return {"name": unit.name, "capacity": capacity, "position": unit.position}


def test_raising_a_units_places_confirms_the_first_waiting_at_once_and_tells_the_family(
    staff, canteen, full_monday, other_family, mailoutbox, django_capture_on_commit_callbacks
):
    assert full_monday.state == State.WAITING
    mailoutbox.clear()
    url = f"/demo/gestion/activites/{canteen.activity_id}/unite/{canteen.pk}/"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, unit_data(canteen, 3))

    assert response.status_code == 302
    full_monday.refresh_from_db()
    assert full_monday.state == State.CONFIRMED
    assert PlaceCounter.objects.get(unit=canteen, day=MON_30).taken == 3
    (email,) = mailoutbox
    assert email.to == [other_family.guardians.get().user.email]
    assert "Hugo" in email.subject and "confirmée" in email.body


def test_removing_the_limit_gives_places_too(
    staff, canteen, full_monday, django_capture_on_commit_callbacks
):
    url = f"/demo/gestion/activites/{canteen.activity_id}/unite/{canteen.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, unit_data(canteen, ""))
    full_monday.refresh_from_db()
    assert full_monday.state == State.CONFIRMED


def test_lowering_the_places_or_renaming_promotes_nobody(
    staff, canteen, full_monday, django_capture_on_commit_callbacks
):
    url = f"/demo/gestion/activites/{canteen.activity_id}/unite/{canteen.pk}/"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        staff.post(url, {**unit_data(canteen, 2), "name": "Déjeuner"})
        staff.post(url, unit_data(canteen, 1))
    promotions = [c for c in callbacks if getattr(c, "func", None) == promote_task.enqueue]
    assert promotions == []
    full_monday.refresh_from_db()
    assert full_monday.state == State.WAITING


def test_a_days_capacity_raised_created_or_deleted_gives_that_days_places(
    staff, organisation, canteen, full_monday, django_capture_on_commit_callbacks
):
    base = f"/demo/gestion/activites/{canteen.activity_id}/capacite/"
    # Created for another day: Monday's list does not move.
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(base + "nouveau/", {"unit": canteen.pk, "date": TUE_1, "capacity": 5})
    full_monday.refresh_from_db()
    assert full_monday.state == State.WAITING
    # Monday kept at two places for now, then raised to three: Hugo has his place.
    override = CapacityOverride.objects.create(
        organisation=organisation, unit=canteen, date=MON_30, capacity=2
    )
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"{base}{override.pk}/", {"unit": canteen.pk, "date": MON_30, "capacity": 3})
    full_monday.refresh_from_db()
    assert full_monday.state == State.CONFIRMED


def test_deleting_a_days_lower_capacity_gives_the_units_places_back(
    staff, organisation, family, canteen, full_monday, django_capture_on_commit_callbacks
):
    canteen.capacity = 3
    canteen.save()
    override = CapacityOverride.objects.create(
        organisation=organisation, unit=canteen, date=MON_30, capacity=2
    )
    url = f"/demo/gestion/activites/{canteen.activity_id}/capacite/{override.pk}/supprimer/"
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url)
    assert not CapacityOverride.objects.exists()
    full_monday.refresh_from_db()
    assert full_monday.state == State.CONFIRMED


@pytest.fixture
def age_group(organisation, canteen):
    """The children (born 2018) are 8: a group of 6–11 year-olds with two places."""
    return AgeGroupCapacity.objects.create(
        organisation=organisation, unit=canteen, name="6-11", min_age=6, max_age=11, capacity=2
    )


def test_an_age_group_given_more_places_promotes_its_waiting_children(
    age_group, staff, canteen, full_monday, django_capture_on_commit_callbacks
):
    assert full_monday.state == State.WAITING and full_monday.group == age_group.pk
    url = f"/demo/gestion/activites/{canteen.activity_id}/tranche/{age_group.pk}/"
    data = {"unit": canteen.pk, "name": "6-11", "min_age": 6, "max_age": 11, "capacity": 2}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        staff.post(url, {**data, "name": "Élémentaire"})  # same places: nobody moves
    assert [c for c in callbacks if getattr(c, "func", None) == promote_task.enqueue] == []
    full_monday.refresh_from_db()
    assert full_monday.state == State.WAITING
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, {**data, "capacity": 3})
    full_monday.refresh_from_db()
    assert full_monday.state == State.CONFIRMED
