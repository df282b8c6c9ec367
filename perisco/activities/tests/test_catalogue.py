"""Managers edit the catalogue; bad rules are refused with a clear message and nothing
is saved."""

from datetime import date

import pytest

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.models import Activity, Closure, DayOverride, Period, Unit
from perisco.activities.rules import Reason
from perisco.activities.selectors import activity_opening_month
from perisco.activities.tests.factories import (
    ActivityFactory,
    ActivityTypeFactory,
    FacilityFactory,
    PeriodFactory,
    UnitFactory,
)
from perisco.conftest import sign_in


@pytest.fixture
def manager(client, organisation):
    user = UserFactory(organisation=organisation, role=Role.MANAGER)
    sign_in(client, user)
    client.cookies["perisco_language"] = "en"
    return user


def activity_data(organisation, **overrides):
    return {
        "name": "Restauration scolaire",
        "season": "school_time",
        "facility": FacilityFactory(organisation=organisation).pk,
        "activity_type": ActivityTypeFactory(organisation=organisation).pk,
        "requires_enrollment": "on",
        "confirmation": "automatic",
        "booking_days": 3,
        "booking_counted_in": "working",
        "booking_cutoff": "09:00",
        "cancellation_days": 3,
        "cancellation_counted_in": "working",
        "cancellation_cutoff": "09:00",
        "is_active": "on",
        **overrides,
    }


def test_a_manager_creates_an_activity_with_seed_000_rules(client, manager, organisation):
    response = client.post("/demo/gestion/activites/activite/nouveau/", activity_data(organisation))
    activity = Activity.objects.get()
    assert response["Location"] == f"/demo/gestion/activites/{activity.pk}/"
    assert (activity.booking_deadline.days, str(activity.booking_deadline.cutoff)) == (
        3,
        "09:00:00",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("booking_days", "-1", "greater than or equal to 0"),
        ("booking_days", "61", "less than or equal to 60"),
        ("booking_cutoff", "25:00", "Give a time between 00:00 and 23:59"),
        ("max_age", "2", "maximum age cannot be below the minimum age"),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_saved(
    client, manager, organisation, field, value, message
):
    data = activity_data(organisation, min_age="3", **{field: value})
    response = client.post("/demo/gestion/activites/activite/nouveau/", data)
    assert response.status_code == 200
    assert message in response.text
    assert not Activity.objects.exists()


def test_a_period_must_end_after_it_starts(client, manager, organisation):
    activity = ActivityFactory(organisation=organisation)
    response = client.post(
        f"/demo/gestion/activites/{activity.pk}/periode/nouveau/",
        {
            "name": "2026-2027",
            "kind": "school_year",
            "start": "2027-07-03",
            "end": "2026-09-01",
            "weekdays": ["0", "1"],
        },
    )
    assert "The last day cannot precede the first day" in response.text
    assert not Period.objects.exists()


def test_periods_of_one_activity_cannot_overlap(client, manager, organisation):
    period = PeriodFactory(activity__organisation=organisation)
    response = client.post(
        f"/demo/gestion/activites/{period.activity.pk}/periode/nouveau/",
        {
            "name": "Bis",
            "kind": "school_year",
            "start": "2027-06-01",
            "end": "2027-08-31",
            "weekdays": ["0"],
        },
    )
    assert "overlaps" in response.text
    assert Period.objects.count() == 1


def test_a_period_opens_at_least_one_weekday(client, manager, organisation):
    activity = ActivityFactory(organisation=organisation)
    response = client.post(
        f"/demo/gestion/activites/{activity.pk}/periode/nouveau/",
        {"name": "X", "kind": "school_year", "start": "2026-09-01", "end": "2027-07-03"},
    )
    assert response.status_code == 200
    assert not Period.objects.exists()


def test_a_negative_capacity_is_refused(client, manager, organisation):
    activity = ActivityFactory(organisation=organisation)
    response = client.post(
        f"/demo/gestion/activites/{activity.pk}/unite/nouveau/",
        {"name": "Repas", "capacity": "-5", "position": "0"},
    )
    assert "greater than or equal to 0" in response.text
    assert not Unit.objects.exists()


def test_exclusivity_and_dependency_are_set_on_units(client, manager, organisation):
    activity = ActivityFactory(organisation=organisation)
    soir = UnitFactory(activity=activity, name="Soir")
    tap = UnitFactory(activity=ActivityFactory(organisation=organisation), name="TAP")
    response = client.post(
        f"/demo/gestion/activites/{activity.pk}/unite/nouveau/",
        {
            "name": "Soir + étude",
            "position": "1",
            "exclusive_with": [soir.pk],
            "requires": [tap.pk],
        },
    )
    assert response.status_code == 302
    study = Unit.objects.get(name="Soir + étude")
    assert list(soir.exclusive_with.all()) == [study]  # both ways
    assert list(study.requires.all()) == [tap]
    response = client.post(
        f"/demo/gestion/activites/{activity.pk}/unite/{study.pk}/",
        {"name": "Soir + étude", "position": "1", "exclusive_with": [tap.pk], "requires": [tap.pk]},
    )
    assert "both require and exclude" in response.text


def test_units_of_another_activity_are_404_under_this_one(client, manager, organisation):
    activity = ActivityFactory(organisation=organisation)
    unit = UnitFactory(activity=ActivityFactory(organisation=organisation))
    assert client.get(f"/demo/gestion/activites/{activity.pk}/unite/{unit.pk}/").status_code == 404


def test_staff_open_or_close_a_day_and_closures_reach_every_activity(manager, organisation):
    period = PeriodFactory(activity__organisation=organisation)
    activity = period.activity
    DayOverride.objects.create(
        organisation=organisation, activity=activity, date=date(2026, 11, 18), is_open=True
    )  # a Wednesday
    DayOverride.objects.create(
        organisation=organisation, activity=activity, date=date(2026, 11, 19), is_open=False
    )
    Closure.objects.create(
        organisation=organisation,
        facility=activity.facility,
        start=date(2026, 11, 23),
        end=date(2026, 11, 24),
        label="Travaux",
    )
    Closure.objects.create(
        organisation=organisation, start=date(2026, 11, 30), end=date(2026, 11, 30), label="Grève"
    )
    month = activity_opening_month(activity, organisation, 2026, 11)
    assert month.opening[date(2026, 11, 18)] is None
    assert month.opening[date(2026, 11, 19)] == Reason.CLOSED
    assert month.opening[date(2026, 11, 23)] == Reason.CLOSED
    assert month.opening[date(2026, 11, 30)] == Reason.CLOSED
    assert month.opening[date(2026, 11, 11)] == Reason.NOT_AN_OPENING_DAY  # a Wednesday
    assert month.opening[date(2026, 11, 25)] == Reason.NOT_AN_OPENING_DAY
    march = activity_opening_month(activity, organisation, 2027, 3)
    assert march.opening[date(2027, 3, 29)] == Reason.PUBLIC_HOLIDAY  # Easter Monday
    assert month.opening[date(2026, 11, 26)] is None


def test_a_period_used_by_enrollments_cannot_be_deleted(client, manager, organisation):
    from perisco.activities.services import enrollment_request
    from perisco.families.models import Guardian
    from perisco.families.tests.factories import ChildFactory, guardian_user

    period = PeriodFactory(activity__organisation=organisation)
    family = Guardian.objects.get(user=guardian_user(organisation)).family
    child = ChildFactory(organisation=organisation, families=[family])
    enrollment_request(actor=manager, family=family, child=child, period=period, by_staff=True)
    response = client.post(
        f"/demo/gestion/activites/{period.activity.pk}/periode/{period.pk}/supprimer/", follow=True
    )
    assert "cannot be deleted" in response.text
    assert Period.objects.exists()


@pytest.mark.parametrize("month", ["0001-01", "9999-12"])
def test_the_activity_page_answers_a_month_out_of_range_with_a_clear_400(
    client, manager, organisation, month
):
    period = PeriodFactory(activity__organisation=organisation)
    response = client.get(f"/demo/gestion/activites/{period.activity.pk}/?mois={month}")
    assert response.status_code == 400
    assert "This month cannot be shown" in response.text


def test_the_activity_page_shows_a_month_of_opening(client, manager, organisation):
    period = PeriodFactory(activity__organisation=organisation)
    response = client.get(f"/demo/gestion/activites/{period.activity.pk}/?mois=2027-03")
    assert "Public holiday" in response.text and "Lundi de Pâques" in response.text


def test_a_closure_naming_another_facilitys_activity_is_refused(client, manager, organisation):
    from perisco.activities.services import catalogue_save
    from perisco.core.errors import DomainError

    activity = ActivityFactory(organisation=organisation, name="Accueil soir")
    elsewhere = FacilityFactory(organisation=organisation, name="Centre de loisirs")
    data = {
        "label": "Grève",
        "start": "2027-02-05",
        "end": "2027-02-05",
        "facility": elsewhere.pk,
        "activity": activity.pk,
    }
    response = client.post("/demo/gestion/activites/fermeture/nouveau/", data)
    assert response.status_code == 200
    assert "Accueil soir belongs to" in response.text and "Centre de loisirs" in response.text
    assert not Closure.objects.exists()
    with pytest.raises(DomainError, match="belongs to"):
        catalogue_save(
            actor=manager,
            instance=Closure(
                organisation=organisation,
                facility=elsewhere,
                activity=activity,
                start=date(2027, 2, 5),
                end=date(2027, 2, 5),
                label="Grève",
            ),
        )


def test_an_activitys_page_lists_the_closures_that_close_it(client, manager, organisation):
    from django.utils import timezone

    activity = ActivityFactory(organisation=organisation)
    other = ActivityFactory(organisation=organisation)
    today = timezone.localdate()
    for label, fields in (
        ("Sortie au musée", {"activity": activity}),
        ("Journée pédagogique", {"facility": activity.facility}),
        ("Pont de l'Ascension", {}),
        ("Fermeture d'une autre activité", {"activity": other}),
    ):
        Closure.objects.create(
            organisation=organisation, start=today, end=today, label=label, **fields
        )
    page = client.get(f"/demo/gestion/activites/{activity.pk}/").text
    section = page[page.index('id="closures-title"') :]
    for label in ("Sortie au musée", "Journée pédagogique", "Pont de l&#x27;Ascension"):
        assert label in section
    assert "Fermeture d&#x27;une autre activité" not in section
    new = client.get(f"/demo/gestion/activites/fermeture/nouveau/?activity={activity.pk}")
    assert new.context["form"]["activity"].value() == activity.pk
