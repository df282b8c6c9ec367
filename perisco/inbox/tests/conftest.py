import pytest

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user


@pytest.fixture
def guardian(organisation):
    """A guardian with a login who accepts e-mails."""
    return guardian_user(organisation, first_name="Jeanne", email="jeanne@example.test")


@pytest.fixture
def family(guardian):
    return Guardian.objects.get(user=guardian).family


@pytest.fixture
def child(organisation, family):
    return ChildFactory(organisation=organisation, first_name="Louise", families=[family])


@pytest.fixture
def agent(organisation):
    return UserFactory(
        organisation=organisation,
        role=Role.MANAGER,
        first_name="Marie",
        last_name="Agent",
        email="marie@ville.test",
    )


@pytest.fixture
def other_family(organisation):
    return Guardian.objects.get(user=guardian_user(organisation)).family
