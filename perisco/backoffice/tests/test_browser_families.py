"""Staff pages of the family file in Chromium, with axe-core."""

import pytest
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import Guardian
from perisco.families.requests import file_edit, request_submit
from perisco.families.tests.factories import ChildFactory, guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting(transactional_db):
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    manager = UserFactory(organisation=org, role=Role.MANAGER)
    parent = guardian_user(org, first_name="Jeanne", last_name="Martin")
    family = Guardian.objects.get(user=parent).family
    child = ChildFactory(organisation=org, first_name="Louise", families=[family])
    file_edit(
        actor=manager, family=family, kind="health", values={"allergies": "Kiwi"}, child=child
    )
    first = request_submit(
        actor=parent, family=family, kind="guardian", values={"mobile_phone": "06 00 00 00 01"}
    )
    request_submit(
        actor=parent, family=family, kind="guardian", values={"mobile_phone": "06 00 00 00 02"}
    )
    return manager, family, child, first


@pytest.mark.parametrize("width", WIDTHS)
def test_the_staff_file_pages_are_accessible(page, live_server, setting, width):
    manager, family, child, first = setting
    sign_in_browser(page, live_server, manager)
    for name, path in [
        ("families", "/demo/gestion/familles/"),
        ("family", f"/demo/gestion/familles/{family.pk}/"),
        ("family edit", f"/demo/gestion/familles/{family.pk}/modifier/bank/"),
        ("child edit", f"/demo/gestion/familles/{family.pk}/enfants/{child.pk}/modifier/contacts/"),
        ("new family", "/demo/gestion/familles/nouvelle/"),
        ("requests", "/demo/gestion/demandes/"),
        ("request", f"/demo/gestion/demandes/{first.pk}/"),
        ("request settings", "/demo/gestion/demandes/reglages/"),
        ("published documents", "/demo/gestion/documents/"),
    ]:
        check_page(page, live_server.url + path, name=name, width=width)


def test_staff_refuse_a_request_with_a_reason(page, live_server, setting):
    manager, _family, _child, first = setting
    sign_in_browser(page, live_server, manager)
    page.goto(f"{live_server.url}/demo/gestion/demandes/{first.pk}/")
    expect(page.get_by_text("Une demande plus récente")).to_be_visible()
    page.get_by_label("Motif (envoyé à la famille)").fill(
        "Numéro remplacé par la demande suivante."
    )
    page.get_by_role("button", name="Refuser").click()
    expect(page.get_by_role("status")).to_contain_text("Demande refusée")


def test_staff_find_a_family_typing_without_accents(page, live_server, setting):
    manager, family, _child, _first = setting
    from perisco.families.tests.factories import FamilyFactory, GuardianFactory

    other = FamilyFactory(organisation=family.organisation, name="LEFÈVRE")
    GuardianFactory(family=other, first_name="Hélène", last_name="Lefèvre")
    sign_in_browser(page, live_server, manager)
    page.goto(f"{live_server.url}/demo/gestion/familles/")
    page.get_by_label("Rechercher par nom, numéro, enfant ou e-mail").fill("helene lefevre")
    expect(page.get_by_text("1 famille", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="LEFÈVRE")).to_be_visible()
