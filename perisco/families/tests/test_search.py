"""The staff's family search: every name a family is known by, accents and case ignored,
every word required, a fixed cost, and a search text that follows the file's changes."""

from datetime import date

from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.families.models import Family, FamilyChild, Guardian, RequestKind
from perisco.families.requests import file_edit, request_accept, request_submit
from perisco.families.search import family_search_refresh_after, search_normalise
from perisco.families.selectors import family_list
from perisco.families.services import family_create_with_guardian, registration_submit
from perisco.families.tests.factories import ChildFactory, FamilyFactory, GuardianFactory


def found(search: str) -> list[str]:
    return [family.name for family in family_list(search=search)]


def lefevre(organisation) -> Family:
    family = FamilyFactory(organisation=organisation, name="LEFÈVRE", number="004217")
    GuardianFactory(
        family=family, first_name="Hélène", last_name="Lefèvre", email="h.lefevre@poste.test"
    )
    GuardianFactory(family=family, rank=2, first_name="Noël", last_name="Œuvray", email="")
    ChildFactory(
        organisation=organisation, first_name="Zoé", last_name="Lefèvre-Œuvray", families=[family]
    )
    return family


def test_a_family_is_found_by_each_name_it_is_known_by(organisation):
    lefevre(organisation)
    FamilyFactory(organisation=organisation, name="DURAND", number="000001")
    for search in (
        "lefèvre",  # family name
        "4217",  # part of the family number
        "hélène",  # a guardian's first name
        "œuvray",  # the second guardian's last name
        "noël",
        "h.lefevre@poste",  # a guardian's e-mail
        "zoé",  # a child's first name
        "lefèvre-œuvray",  # a child's last name
    ):
        assert found(search) == ["LEFÈVRE"], search


def test_accents_and_case_are_ignored_both_ways(organisation):
    lefevre(organisation)
    plain = FamilyFactory(organisation=organisation, name="HELENE")
    GuardianFactory(family=plain, first_name="Helene", last_name="Perez")
    assert found("helene") == ["HELENE", "LEFÈVRE"]
    assert found("HÉLÈNE") == ["HELENE", "LEFÈVRE"]
    assert found("Lefevre") == ["LEFÈVRE"]
    assert found("oeuvray zoe noel") == ["LEFÈVRE"]
    assert found("pérez") == ["HELENE"]


def test_every_word_must_be_found(organisation):
    lefevre(organisation)
    other = FamilyFactory(organisation=organisation, name="MARTIN")
    GuardianFactory(family=other, first_name="Hélène", last_name="Martin")
    assert found("hélène") == ["LEFÈVRE", "MARTIN"]
    assert found("hélène martin") == ["MARTIN"]
    assert found("hélène zoé lefèvre") == ["LEFÈVRE"]
    assert found("hélène zoé martin") == []


def test_the_normalised_text_drops_accents_and_ligatures():
    assert search_normalise("Élodie LEFÈVRE-Nœl Ærts Çağla") == "elodie lefevre-noel aerts cagla"


def test_the_search_needs_the_same_queries_whatever_the_words_and_families(organisation):
    def queries(search: str) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            families = list(family_list(search=search)[:25])
            for family in families:
                list(family.guardians.all())
                list(family.children.all())
        return len(captured), " ".join(q["sql"] for q in captured)

    lefevre(organisation)
    one_word, _sql = queries("lefèvre")
    for _ in range(5):
        lefevre_like = FamilyFactory(organisation=organisation, name="LEFÈVRE")
        GuardianFactory(family=lefevre_like, first_name="Hélène")
        ChildFactory(organisation=organisation, first_name="Zoé", families=[lefevre_like])
    three_words, sql_three = queries("lefèvre hélène zoé")
    assert one_word == three_words == 3  # the families, then their guardians and children
    # One column looked up, no join to guardians or children per word.
    search_query = sql_three.split('FROM "families_guardian"')[0]
    assert "families_child" not in search_query and "JOIN" not in search_query.upper()


def test_the_staff_page_finds_families_without_accents(client, organisation):
    from perisco.accounts.roles import Role
    from perisco.accounts.tests.factories import UserFactory
    from perisco.conftest import sign_in

    sign_in(client, UserFactory(organisation=organisation, role=Role.MANAGER))
    family = lefevre(organisation)
    response = client.get("/demo/gestion/familles/", {"q": "helene zoe"}, HTTP_HX_REQUEST="true")
    assert [f.pk for f in response.context["page"]] == [family.pk]
    assert "LEFÈVRE" in response.text


# --- The text follows the file ----------------------------------------------------------


def test_a_guardian_renamed_by_an_accepted_request_is_found_by_the_new_name(
    parent, family, manager
):
    request = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.GUARDIAN,
        values={"first_name": "Éloïse", "email": "eloise@nouveau.test"},
    )
    assert found("eloise") == []  # not before staff accept it
    request_accept(actor=manager, request=request)
    assert found("eloise") == [family.name]
    assert found("nouveau.test") == [family.name]
    assert found("jeanne") == []


def test_a_second_guardian_added_by_staff_is_found(family, manager):
    file_edit(
        actor=manager,
        family=family,
        kind=RequestKind.SPOUSE,
        values={"first_name": "Raphaël", "last_name": "Nguyen", "quality": "father"},
    )
    assert found("raphael nguyen") == [family.name]


def test_a_child_renamed_by_staff_is_found_in_both_households(organisation, family, child, manager):
    other = FamilyFactory(organisation=organisation, name="AUTRE")
    FamilyChild.objects.create(organisation=organisation, family=other, child=child)
    file_edit(
        actor=manager,
        family=family,
        kind=RequestKind.CHILD,
        values={"first_name": "Maëlle"},
        child=child,
    )
    assert sorted(found("maelle")) == sorted([family.name, "AUTRE"])
    assert found("louise") == []


def test_a_new_child_accepted_is_found(parent, family, manager):
    request = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.NEW_CHILD,
        values={
            "first_name": "Côme",
            "last_name": "Martin",
            "sex": "M",
            "birth_date": date(2020, 2, 2),
        },
    )
    request_accept(actor=manager, request=request)
    assert found("come") == [family.name]


def test_a_family_opened_by_staff_is_found_by_its_guardian(organisation, manager):
    family = family_create_with_guardian(
        actor=manager,
        organisation=organisation,
        guardian={"first_name": "Inès", "last_name": "Bénard", "email": "ines@b.test"},
    )
    assert found("ines benard") == [family.name]
    assert found(family.number) == [family.name]


def test_a_registered_family_is_found_by_every_name_it_gave(organisation):
    family = registration_submit(
        organisation=organisation,
        guardians=[
            {"first_name": "Amina", "last_name": "Benali", "email": "amina@example.test"},
            {"first_name": "Karim", "last_name": "Saïdi", "email": ""},
        ],
        household={"address": "5 rue du Stade"},
        children=[
            {
                "first_name": "Yanis",
                "last_name": "Benali",
                "sex": "M",
                "birth_date": date(2019, 6, 2),
            }
        ],
    )
    assert found("amina saidi yanis") == [family.name]


def test_a_change_outside_the_searched_fields_leaves_the_text(organisation, family, child):
    family.refresh_from_db()
    before = family.search_text
    Guardian.objects.filter(family=family).update(first_name="Personne")
    family_search_refresh_after(family=family, record=child, fields=["allergies"])
    family.refresh_from_db()
    assert family.search_text == before


def test_the_migration_fills_the_text_of_existing_families(organisation):
    from importlib import import_module

    family = lefevre(organisation)
    Family.objects.filter(pk=family.pk).update(search_text="")
    import_module("perisco.families.migrations.0002_family_search_text").backfill(apps, None)
    assert found("helene zoe 4217") == ["LEFÈVRE"]
