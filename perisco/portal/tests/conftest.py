import pytest

from perisco.families.models import Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user


@pytest.fixture
def parent(client, organisation):
    """A guardian, signed in."""
    user = guardian_user(organisation, first_name="Jeanne")
    client.force_login(user)
    return user


@pytest.fixture
def family(parent):
    return Guardian.objects.get(user=parent).family


@pytest.fixture
def child(organisation, family):
    return ChildFactory(organisation=organisation, first_name="Louise", families=[family])
