from datetime import date, time

import factory

from perisco.activities.models import Activity, ActivityType, Facility, Period, Unit
from perisco.core.tests.factories import OrganisationFactory


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Structure {n}")


class ActivityTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityType

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Type {n}")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    organisation = factory.SubFactory(OrganisationFactory)
    facility = factory.SubFactory(
        FacilityFactory, organisation=factory.SelfAttribute("..organisation")
    )
    activity_type = factory.SubFactory(
        ActivityTypeFactory, organisation=factory.SelfAttribute("..organisation")
    )
    name = factory.Sequence(lambda n: f"Restauration {n}")
    booking_cutoff = time(9)
    cancellation_cutoff = time(9)


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Period

    activity = factory.SubFactory(ActivityFactory)
    organisation = factory.SelfAttribute("activity.organisation")
    name = "Année scolaire 2026-2027"
    start = date(2026, 9, 1)
    end = date(2027, 7, 3)
    weekdays = [0, 1, 3, 4]


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    activity = factory.SubFactory(ActivityFactory)
    organisation = factory.SelfAttribute("activity.organisation")
    name = "Repas"
