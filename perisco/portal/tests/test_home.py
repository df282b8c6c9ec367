import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.families.models import Guardian
from perisco.families.tests.factories import ChildFactory, FamilyFactory, guardian_user


@pytest.fixture
def parent(client, organisation):
    user = guardian_user(organisation, first_name="Jeanne")
    client.force_login(user)
    return user


def test_the_family_home_shows_the_family_and_its_children(client, parent, organisation):
    family = Guardian.objects.get(user=parent).family
    ChildFactory(organisation=organisation, first_name="Louise", families=[family])
    response = client.get("/demo/famille/")
    assert response.status_code == 200
    assert "Bonjour Jeanne" in response.text
    assert family.number in response.text
    assert "Louise" in response.text


def test_another_familys_children_never_show(client, parent, organisation):
    ChildFactory(
        organisation=organisation,
        first_name="Ailleurs",
        families=[FamilyFactory(organisation=organisation)],
    )
    assert "Ailleurs" not in client.get("/demo/famille/").text


def test_a_child_shared_by_two_households_shows_in_both(client, parent, organisation):
    other = guardian_user(organisation)
    family = Guardian.objects.get(user=parent).family
    other_family = Guardian.objects.get(user=other).family
    ChildFactory(organisation=organisation, first_name="Tao", families=[family, other_family])
    assert "Tao" in client.get("/demo/famille/").text
    client.force_login(other)
    assert "Tao" in client.get("/demo/famille/").text


@pytest.mark.parametrize("children", [1, 8])
def test_the_home_needs_the_same_queries_whatever_the_number_of_children(
    client, parent, organisation, children
):
    family = Guardian.objects.get(user=parent).family
    for _ in range(children):
        ChildFactory(organisation=organisation, families=[family])
    with CaptureQueriesContext(connection) as queries:
        client.get("/demo/famille/")
    # 11, and the messages: unread in the menu, unread per box, the announcements.
    assert len(queries) <= 14, [q["sql"] for q in queries.captured_queries]


def test_a_guardian_login_without_a_family_file_is_refused(client, organisation):
    from perisco.accounts.roles import Role
    from perisco.accounts.tests.factories import UserFactory

    client.force_login(UserFactory(organisation=organisation, role=Role.GUARDIAN))
    assert client.get("/demo/famille/").status_code == 403
