import pytest
from django_scopes import ScopeError

from perisco.accounts.models import User
from perisco.accounts.tests.factories import UserFactory
from perisco.core.models import School
from perisco.core.scoping import organisation_scope, scopes_disabled
from perisco.core.tests.factories import SchoolFactory
from perisco.families.models import Family
from perisco.families.tests.factories import FamilyFactory

pytestmark = pytest.mark.real_scopes


@pytest.fixture
def two_towns(organisation, other_organisation):
    with scopes_disabled():
        SchoolFactory(organisation=organisation, name="Les Tilleuls")
        SchoolFactory(organisation=other_organisation, name="Du Val")
        FamilyFactory(organisation=organisation)
        UserFactory(organisation=organisation)
        UserFactory(organisation=other_organisation)
    return organisation, other_organisation


@pytest.mark.parametrize("model", [School, Family, User])
def test_a_query_outside_any_scope_raises(two_towns, model):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=1).exists()


def test_a_scoped_query_sees_only_its_organisation(two_towns):
    mine, theirs = two_towns
    with organisation_scope(mine):
        assert list(School.objects.values_list("name", flat=True)) == ["Les Tilleuls"]
        assert not School.objects.filter(name="Du Val").exists()
        assert {u.organisation_id for u in User.objects.all()} == {mine.pk}
    with organisation_scope(theirs.pk):
        assert list(School.objects.values_list("name", flat=True)) == ["Du Val"]


def test_a_scope_needs_an_organisation(db):
    # django-scopes reads None as "no filter": it must never be entered by accident.
    with pytest.raises(ValueError), organisation_scope(None):
        pass


def test_django_auth_still_finds_users_outside_a_scope(two_towns):
    user = User.all_objects.filter(organisation=two_towns[0]).first()
    assert User._default_manager.get(pk=user.pk) == user
