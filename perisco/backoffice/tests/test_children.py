"""The children's list facility agents land on: health needs and who may pick up, nothing
else of the family."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.conftest import sign_in
from perisco.core.tests.factories import SchoolFactory
from perisco.families.models import ChildContact, FamilyStatus
from perisco.families.tests.factories import ChildFactory, FamilyFactory, GuardianFactory


@pytest.fixture
def agent(client, organisation):
    user = UserFactory(organisation=organisation, role=Role.AGENT)
    sign_in(client, user)
    client.cookies["perisco_language"] = "en"
    return user


def _child(organisation, school=None, status=FamilyStatus.ACTIVE, **fields):
    family = FamilyFactory(organisation=organisation, status=status)
    GuardianFactory(
        family=family,
        first_name="Xavière",
        email=f"{family.number}@famille.test",
        mobile_phone="0799 99",
    )
    child = ChildFactory(organisation=organisation, school=school, families=[family], **fields)
    ChildContact.objects.create(
        organisation=organisation,
        child=child,
        first_name="Mamie",
        last_name="Roux",
        relationship="grand-mère",
        phone="06 12 34 56 78",
        can_pick_up=True,
    )
    ChildContact.objects.create(
        organisation=organisation,
        child=child,
        first_name="Voisin",
        last_name="Urgence",
        relationship="voisin",
        phone="06 00 00 00 00",
        can_pick_up=False,
    )
    return child


def test_an_agent_lands_on_the_children_and_their_needs(client, agent, organisation):
    _child(
        organisation,
        first_name="Léa",
        allergies="Arachides",
        has_pai=True,
        pai_details="Trousse d'urgence dans le sac",
        diets=["no_pork"],
        leave_alone=True,
    )
    response = client.get("/demo/gestion/", follow=True)
    assert response.redirect_chain[-1][0] == "/demo/gestion/enfants/"
    html = response.text
    assert "Léa DUPONT" in html
    assert "Arachides" in html and "Trousse d&#x27;urgence dans le sac" in html
    assert "No pork" in html
    assert "Mamie Roux (grand-mère)" in html and 'href="tel:0612345678"' in html
    assert "May go home alone." in html
    # Only the persons who may pick the child up, and nothing of the household.
    assert "Voisin" not in html
    assert "Xavière" not in html and "@famille.test" not in html and "0799 99" not in html


def test_the_list_has_only_active_files_of_this_organisation(
    client, agent, organisation, other_organisation
):
    _child(organisation, first_name="Ici")
    _child(organisation, first_name="Inscription", status=FamilyStatus.PENDING)
    _child(other_organisation, first_name="Ailleurs")
    html = client.get("/demo/gestion/enfants/").text
    assert "Ici DUPONT" in html
    assert "Inscription" not in html and "Ailleurs" not in html


def test_the_list_filters_by_school_and_name(client, agent, organisation, other_organisation):
    tilleuls = SchoolFactory(organisation=organisation, name="Les Tilleuls")
    ferry = SchoolFactory(organisation=organisation, name="Jules Ferry")
    elsewhere = SchoolFactory(organisation=other_organisation, name="Ailleurs")
    _child(organisation, tilleuls, first_name="Adam")
    _child(organisation, ferry, first_name="Bilal")
    _child(organisation, ferry, first_name="Chloé")

    html = client.get(f"/demo/gestion/enfants/?ecole={ferry.pk}").text
    assert "Bilal" in html and "Chloé" in html and "Adam" not in html
    html = client.get(f"/demo/gestion/enfants/?ecole={ferry.pk}&q=chlo").text
    assert "Chloé" in html and "Bilal" not in html
    assert "Ailleurs" not in html  # another town's schools are not offered
    # Another town's school in the URL is ignored, not an error.
    html = client.get(f"/demo/gestion/enfants/?ecole={elsewhere.pk}").text
    assert "Adam" in html and "Bilal" in html


def test_the_htmx_search_answers_with_the_results_only(client, agent, organisation):
    _child(organisation, first_name="Adam")
    response = client.get("/demo/gestion/enfants/?q=adam", headers={"HX-Request": "true"})
    assert "Adam" in response.text and "<nav" not in response.text


def test_finance_staff_do_not_see_the_health_list(client, organisation):
    sign_in(client, UserFactory(organisation=organisation, role=Role.FINANCE))
    assert client.get("/demo/gestion/enfants/").status_code == 403
    assert client.get("/demo/gestion/").status_code == 200  # their dashboard stays


def test_the_list_costs_the_same_queries_for_3_or_30_children(client, agent, organisation):
    school = SchoolFactory(organisation=organisation)

    def queries(count: int) -> int:
        while organisation.children_count < count:
            _child(organisation, school, allergies="Lait", diets=["vegetarian"])
            organisation.children_count += 1
        with CaptureQueriesContext(connection) as context:
            assert client.get("/demo/gestion/enfants/").status_code == 200
        return len(context.captured_queries)

    organisation.children_count = 0
    assert queries(3) == queries(30)
