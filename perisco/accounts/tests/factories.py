import factory

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.core.tests.factories import OrganisationFactory

PASSWORD = "Bon-mot-de-passe-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    role = Role.MANAGER

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        if extracted is False:
            obj.set_unusable_password()
        else:
            obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])
