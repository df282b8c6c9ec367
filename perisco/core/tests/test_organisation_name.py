"""French puts an article between "de" and the organisation's name."""

import pytest
from django.utils import translation

from perisco.conftest import sign_in
from perisco.core.models import french_of_name
from perisco.core.tests.factories import OrganisationFactory


@pytest.mark.parametrize(
    ("name", "of_name"),
    [
        ("Ville de Démo", "de la Ville de Démo"),
        ("Communauté de communes du Val", "de la Communauté de communes du Val"),
        ("Syndicat scolaire des Vergers", "du Syndicat scolaire des Vergers"),
        ("Agglomération du Pays Basque", "de l'Agglomération du Pays Basque"),
        ("Le Havre", "du Havre"),
        ("Les Sables-d'Olonne", "des Sables-d'Olonne"),
        ("La Rochelle", "de La Rochelle"),
        ("Annecy", "d'Annecy"),
        ("Bordeaux", "de Bordeaux"),
    ],
)
def test_the_french_form_is_guessed_from_the_name(name, of_name):
    assert french_of_name(name) == of_name


def test_the_organisations_own_form_wins_and_english_needs_none(db):
    organisation = OrganisationFactory(
        name="Val Communauté", name_with_de="de la Communauté du Val"
    )
    with translation.override("fr"):
        assert organisation.of_name == "de la Communauté du Val"
    with translation.override("en"):
        assert organisation.of_name == "of Val Communauté"


def test_the_front_page_says_de_la_in_french(client, other_organisation):
    assert other_organisation.name_with_de == ""  # guessed
    response = client.get("/val/")
    assert "Portail famille de la Communauté de communes du Val" in response.text
    client.cookies["perisco_language"] = "en"
    assert "Family portal of Communauté de communes du Val" in client.get("/val/").text


def test_e_mails_say_de_la_in_french(
    client, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    from perisco.core.tests.factories import SchoolFactory
    from perisco.families.tests.test_registration import GUARDIAN, HOUSEHOLD, children

    school = SchoolFactory(organisation=organisation)
    client.post("/demo/inscription/1/", GUARDIAN)
    client.post("/demo/inscription/2/", HOUSEHOLD)
    client.post("/demo/inscription/3/", children(school))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/demo/inscription/4/", {"rules_accepted": "on"})
    message = mailoutbox[0]
    assert message.subject == "Confirmez votre inscription sur le portail de la Ville de Démo"
    assert "sur le portail de la Ville de Démo" in message.body


def test_the_administrator_sets_the_french_form_in_the_settings(client, organisation):
    from perisco.accounts.roles import Role
    from perisco.accounts.tests.factories import UserFactory

    admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    sign_in(client, admin)
    page = client.get("/demo/gestion/parametres/")
    assert 'name="name_with_de"' in page.text
    assert 'placeholder="de la Ville de Démo"' in page.text
