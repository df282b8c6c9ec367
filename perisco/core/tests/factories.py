import factory

from perisco.core.models import Organisation, School, SchoolKind


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Commune {n}")
    slug = factory.Sequence(lambda n: f"commune-{n}")
    email = factory.LazyAttribute(lambda o: f"enfance@{o.slug}.test")
    phone = "05 59 00 00 00"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"École {n}")
    kind = SchoolKind.PRIMARY
