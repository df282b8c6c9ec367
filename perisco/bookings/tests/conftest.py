from datetime import date, datetime, timedelta

import pytest

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.models import Enrollment, EnrollmentStatus, PeriodKind
from perisco.activities.rules import PARIS, Season
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.families.models import FamilyCertification, Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user

# Monday 23 November 2026, 8:00 in Paris. The canteen's rule is seed 000's: 3 working days
# before at 9:00, so Thursday 26 is still open until 9:00 today and Tuesday 24 is past.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=PARIS)
MON_30 = date(2026, 11, 30)
TUE_1 = date(2026, 12, 1)
WED_2 = date(2026, 12, 2)
THU_3 = date(2026, 12, 3)
TUE_24 = date(2026, 11, 24)
# Zone A's winter holidays 2027 run from 13 to 28 February; the request window for them
# closes on 1 December.
FEB_15, FEB_16 = date(2027, 2, 15), date(2027, 2, 16)
CLOSES = datetime(2026, 12, 1, 12, 0, tzinfo=PARIS)
AFTER_WINDOW = CLOSES + timedelta(days=1)


@pytest.fixture
def parent(organisation):
    return guardian_user(organisation)


@pytest.fixture
def family(parent):
    family = Guardian.objects.get(user=parent).family
    FamilyCertification.objects.create(
        organisation=family.organisation, family=family, school_year=2026
    )
    return family


@pytest.fixture
def manager(organisation):
    return UserFactory(organisation=organisation, role=Role.MANAGER)


@pytest.fixture
def canteen(organisation):
    """A canteen open Monday, Tuesday, Thursday and Friday, 2 meals a day."""
    period = PeriodFactory(activity__organisation=organisation, activity__name="Cantine")
    return UnitFactory(activity=period.activity, name="Repas", capacity=2)


def enroll(child, family, unit):
    period = unit.activity.periods.get()
    return Enrollment.objects.create(
        organisation=family.organisation,
        child=child,
        family=family,
        activity=unit.activity,
        period=period,
        start=period.start,
        end=period.end,
        status=EnrollmentStatus.VALIDATED,
    )


@pytest.fixture
def make_child(organisation):
    def make(family, unit=None, **kwargs):
        child = ChildFactory(organisation=organisation, families=[family], **kwargs)
        if unit is not None:
            enroll(child, family, unit)
        return child

    return make


@pytest.fixture
def child(family, canteen, make_child):
    return make_child(family, canteen, first_name="Louise")


@pytest.fixture
def other_family(organisation):
    """Another family of the town, certified, with its guardian's login."""
    user = guardian_user(organisation)
    family = Guardian.objects.get(user=user).family
    FamilyCertification.objects.create(organisation=organisation, family=family, school_year=2026)
    return family


@pytest.fixture
def session(organisation):
    period = PeriodFactory(
        activity__organisation=organisation,
        activity__name="ALSH vacances",
        activity__season=Season.HOLIDAYS,
        kind=PeriodKind.HOLIDAY_SESSION,
        name="Vacances d'hiver 2027",
        start=date(2027, 2, 13),
        end=date(2027, 2, 28),
        weekdays=[0, 1, 2, 3, 4],
    )
    return UnitFactory(activity=period.activity, name="Journée", capacity=2)


@pytest.fixture
def window(manager, session):
    from perisco.bookings.allocation import request_window_create
    from perisco.bookings.lottery import DEFAULT_WEIGHTS

    return request_window_create(
        actor=manager,
        period=session.activity.periods.get(),
        unit=session,
        opens_at=NOW - timedelta(days=1),
        closes_at=CLOSES,
        weights=DEFAULT_WEIGHTS,
    )


def household(organisation, session, *names, **guardian):
    user = guardian_user(organisation, **guardian)
    family = Guardian.objects.get(user=user).family
    FamilyCertification.objects.create(organisation=organisation, family=family, school_year=2026)
    children = []
    for name in names:
        child = ChildFactory(organisation=organisation, families=[family], first_name=name)
        enroll(child, family, session)
        children.append(child)
    return user, family, children
