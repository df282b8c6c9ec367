from datetime import date

import factory

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import Child, Family, FamilyChild, Guardian
from perisco.families.search import families_search_refresh


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    number = factory.Sequence(lambda n: f"{n + 1:06d}")
    name = factory.Sequence(lambda n: f"FAMILLE{n}")

    @factory.post_generation
    def search_text(obj, create, extracted, **kwargs):
        # As the services do: the staff's search finds what the factories make.
        if create:
            families_search_refresh([obj])


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian
        skip_postgeneration_save = True

    family = factory.SubFactory(FamilyFactory)
    organisation = factory.SelfAttribute("family.organisation")
    first_name = "Jeanne"
    last_name = factory.SelfAttribute("family.name")
    email = factory.Sequence(lambda n: f"parent{n}@example.test")
    user = None

    @factory.post_generation
    def search_text(obj, create, extracted, **kwargs):
        if create:
            families_search_refresh([obj.family])


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    first_name = factory.Sequence(lambda n: f"Enfant{n}")
    last_name = "DUPONT"
    birth_date = date(2018, 5, 17)
    sex = "F"

    @factory.post_generation
    def families(obj, create, extracted, **kwargs):
        for family in extracted or ():
            FamilyChild.objects.create(organisation=obj.organisation, family=family, child=obj)
        if create and extracted:
            families_search_refresh(extracted)


def guardian_user(organisation, **kwargs):
    """A family with one guardian who can sign in; returns the user."""
    guardian = GuardianFactory(family=FamilyFactory(organisation=organisation), **kwargs)
    guardian.user = UserFactory(
        organisation=organisation,
        role=Role.GUARDIAN,
        email=guardian.email,
        first_name=guardian.first_name,
        last_name=guardian.last_name,
    )
    guardian.save(update_fields=["user"])
    return guardian.user
