import pytest

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.conftest import sign_in
from perisco.core.models import Organisation

URL = "/plateforme/organisations/"


@pytest.fixture
def operator(client, db):
    user = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN, email="ops@example.test")
    sign_in(client, user)
    client.cookies["perisco_language"] = "en"
    return user


def form(**overrides):
    return {
        "name": "Ville Neuve",
        "slug": "ville-neuve",
        "email": "enfance@ville-neuve.test",
        "admin_first_name": "Ada",
        "admin_last_name": "Admin",
        "admin_email": "ada@ville-neuve.test",
        **overrides,
    }


def test_an_operator_creates_an_organisation_and_invites_its_administrator(
    client, operator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form())
    assert response.status_code == 302
    organisation = Organisation.objects.get(slug="ville-neuve")
    admin = User.all_objects.get(email="ada@ville-neuve.test")
    assert (admin.organisation, admin.role) == (organisation, Role.ORG_ADMIN)
    assert "/ville-neuve/invitation/" in mailoutbox[0].body
    client.logout()
    assert client.get("/ville-neuve/").status_code == 200


@pytest.mark.parametrize("slug", ["plateforme", "healthz", "Ville Neuve", "ville--neuve"])
def test_reserved_or_malformed_addresses_are_refused(client, operator, slug, mailoutbox):
    response = client.post(URL, form(slug=slug))
    assert response.status_code == 200
    assert not Organisation.objects.filter(name="Ville Neuve").exists()
    assert not User.all_objects.filter(email="ada@ville-neuve.test").exists()
    assert mailoutbox == []


def test_a_taken_address_is_refused(client, operator, organisation):
    response = client.post(URL, form(slug="demo"))
    assert "already" in response.text
    assert Organisation.objects.count() == 1


def test_the_list_shows_no_family_data(client, operator, organisation):
    UserFactory(organisation=organisation, role=Role.GUARDIAN, email="famille.secrete@example.test")
    response = client.get(URL)
    assert organisation.name in response.text
    assert "famille.secrete" not in response.text


def test_the_operator_cannot_open_an_organisations_pages(client, operator, organisation):
    assert client.get("/demo/gestion/").status_code == 404
    assert client.get("/demo/famille/").status_code == 404
