"""The organisation's contact page, legal notices, personal data page and accessibility
statement, open to everyone."""

import re
from datetime import timedelta

from django.test import override_settings

from perisco.conftest import sign_in
from perisco.families.tests.factories import guardian_user


def _contact_details(organisation):
    organisation.address = "1 place de la République"
    organisation.postal_code = "64110"
    organisation.city = "Démo"
    organisation.phone = "05 59 00 00 00"
    organisation.email = "enfance@demo.test"
    organisation.opening_hours = "Lundi au vendredi : 8 h 30 – 12 h"
    organisation.website = "https://www.demo.test/"
    organisation.save()


def test_the_contact_page_gives_every_way_to_reach_the_service(client, organisation):
    _contact_details(organisation)
    page = client.get("/demo/contact/").text
    for detail in (
        "1 place de la République",
        "64110 Démo",
        'href="tel:0559000000"',
        'href="mailto:enfance@demo.test"',
        "Lundi au vendredi : 8 h 30 – 12 h",
        'href="https://www.demo.test/"',
    ):
        assert detail in page
    assert "pas encore donné ses coordonnées" not in page
    assert 'href="/demo/accessibilite/">Déclaration d\'accessibilité</a>' in page


def test_a_signed_in_family_reads_the_contact_page_too(client, organisation):
    _contact_details(organisation)
    sign_in(client, guardian_user(organisation))
    assert client.get("/demo/").status_code == 302  # the front page sends them home
    response = client.get("/demo/contact/")
    assert response.status_code == 200
    assert "enfance@demo.test" in response.text


def test_without_contact_details_the_page_says_whom_to_ask(client, organisation):
    for field in ("address", "postal_code", "city", "phone", "email"):
        setattr(organisation, field, "")
    organisation.save()
    page = client.get("/demo/contact/").text
    assert "Le service enfance n'a pas encore donné ses coordonnées ici" in page
    assert "tel:" not in page


def test_the_accessibility_statement_declares_the_portal_not_compliant(client, organisation):
    _contact_details(organisation)
    page = client.get("/demo/accessibilite/").text
    assert "Déclaration d'accessibilité" in page
    assert "Ville de Démo s'engage" in page
    assert "<strong>non conforme</strong>" in page
    assert "Défenseur des droits" in page
    assert 'href="mailto:enfance@demo.test"' in page  # whom to tell
    assert "23 novembre 2026" in page


def test_every_page_of_the_organisation_links_both_in_its_footer(client, organisation):
    for url in ("/demo/", "/demo/connexion/"):
        page = client.get(url).text
        assert 'href="/demo/contact/"' in page
        assert 'href="/demo/accessibilite/">Accessibilité : non conforme</a>' in page
        assert 'href="/demo/mentions-legales/">Mentions légales</a>' in page
        assert 'href="/demo/donnees-personnelles/">Données personnelles</a>' in page
        assert 'href="/demo/aide/">Aide</a>' in page
    sign_in(client, guardian_user(organisation))
    assert 'href="/demo/accessibilite/"' in client.get("/demo/famille/").text


def test_the_platform_site_has_no_such_pages(client, db):
    for page in ("contact", "accessibilite", "mentions-legales", "donnees-personnelles", "aide"):
        assert client.get(f"/plateforme/{page}/").status_code == 404


@override_settings(PERISCO_HOSTING="Hébergeur SAS\n1 rue de l'Exemple, 75001 Paris")
def test_the_legal_notices_name_the_publisher_its_director_and_the_host(client, organisation):
    _contact_details(organisation)
    organisation.siret = "21640445600019"
    organisation.publication_director = "Dominique Lefèvre, maire"
    organisation.save()
    page = client.get("/demo/mentions-legales/").text
    for detail in (
        "Ville de Démo",
        "1 place de la République",
        "21640445600019",
        "Dominique Lefèvre, maire",
        "Hébergeur SAS<br>1 rue de l&#x27;Exemple, 75001 Paris",
        "GNU Affero",
    ):
        assert detail in page


@override_settings(PERISCO_HOSTING="")
def test_legal_notices_say_what_was_not_given_rather_than_leave_a_blank(client, organisation):
    page = client.get("/demo/mentions-legales/").text
    assert "pas encore renseigné par l'organisation" in page
    assert "Pas encore renseigné par l'exploitant de cette installation." in page


def test_the_personal_data_page_gives_the_periods_the_code_applies(
    client, organisation, monkeypatch
):
    page = client.get("/demo/donnees-personnelles/").text
    assert "supprimée au bout de 7 jours" in page
    assert "supprimées 90 jours après" in page
    assert "au bout de 15 minutes" in page
    assert "12 heures après la connexion" in page
    assert "Ville de Démo conserve les données" in page
    assert 'href="/demo/mentions-legales/">mentions légales</a>' in page
    # The figures are read from the rules, not written in the page.
    monkeypatch.setattr("perisco.web.views.public.UNVERIFIED_REGISTRATION_DAYS", 1)
    monkeypatch.setattr("perisco.web.views.public.KEEP_FINISHED_FOR", timedelta(days=30))
    page = client.get("/demo/donnees-personnelles/").text
    assert "supprimée au bout de 1 jour." in page
    assert "supprimées 30 jours après" in page


def test_the_help_page_shows_each_part_of_the_portal_with_its_screen(client, organisation):
    from django.contrib.staticfiles import finders

    page = client.get("/demo/aide/").text
    assert "Comment utiliser le portail famille" in page
    screens = re.findall(r'<img src="/static/(perisco/help/[a-z]+\.jpg)" alt="([^"]+)"', page)
    assert len(screens) == 6
    for path, alt in screens:
        assert finders.find(path), f"{path} is missing (make help-screens)"
        assert alt
    assert "Cochez un jour pour le réserver, décochez-le" in page.replace("&#x27;", "'")
    assert 'href="/demo/contact/"' in page
