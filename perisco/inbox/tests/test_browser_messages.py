"""Message pages in Chromium at phone and desktop widths, with axe-core; a family writes
from a phone and staff answer from a template."""

import pytest
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.core.tests.browser import PHONE, WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import Guardian
from perisco.families.tests.conftest import pdf_upload
from perisco.families.tests.factories import ChildFactory, guardian_user
from perisco.inbox.models import Announcement, ReplyTemplate, Thread
from perisco.inbox.services import message_reply, thread_start_by_family, thread_start_by_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def town(transactional_db):
    from django.utils import timezone

    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    parent = guardian_user(org, first_name="Jeanne")
    family = Guardian.objects.get(user=parent).family
    ChildFactory(organisation=org, first_name="Louise", families=[family])
    manager = UserFactory(organisation=org, role=Role.MANAGER, first_name="Claire")
    question = thread_start_by_family(
        actor=parent,
        family=family,
        subject="Certificat d'allergie",
        body="Bonjour,\nvoici le certificat.",
        uploads=[pdf_upload("certificat.pdf")],
    )
    message_reply(actor=manager, thread=question, body="Bien reçu, merci.", from_family=False)
    thread_start_by_staff(actor=manager, family=family, subject="Sortie au musée", body="x")
    ReplyTemplate.objects.create(
        organisation=org, title="Document reçu", body="Nous avons bien reçu votre document."
    )
    today = timezone.localdate()
    Announcement.objects.create(
        organisation=org, title="Grève jeudi", body="Pas de cantine.", start=today, end=today
    )
    return {"parent": parent, "manager": manager, "question": question}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_message_pages_are_accessible(page, live_server, town, width):
    sign_in_browser(page, live_server, town["parent"])
    pk = town["question"].pk
    for name, path in [
        ("family home with an announcement", "/demo/famille/"),
        ("messages received", "/demo/famille/messages/"),
        ("messages sent", "/demo/famille/messages/?boite=envoyes"),
        ("message trash", "/demo/famille/messages/?boite=corbeille"),
        ("new message", "/demo/famille/messages/nouveau/"),
        ("family thread", f"/demo/famille/messages/{pk}/"),
    ]:
        check_page(page, live_server.url + path, name=name, width=width)
    sign_in_browser(page, live_server, town["manager"])
    family_pk = town["question"].family_id
    for name, path in [
        ("staff inbox", "/demo/gestion/messages/?statut="),
        ("staff thread", f"/demo/gestion/messages/{pk}/"),
        ("write to a family", f"/demo/gestion/messages/ecrire/{family_pk}/"),
        ("broadcasts", "/demo/gestion/messages/diffusion/"),
        ("announcements", "/demo/gestion/messages/annonces/"),
        ("reply templates", "/demo/gestion/messages/modeles/"),
    ]:
        check_page(page, live_server.url + path, name=name, width=width)


def test_a_family_writes_from_a_phone_and_staff_answer_from_a_template(page, live_server, town):
    page.set_viewport_size({"width": PHONE, "height": 800})
    sign_in_browser(page, live_server, town["parent"])
    page.goto(f"{live_server.url}/demo/famille/")
    expect(page.get_by_text("Vous avez 2 nouveaux messages.")).to_be_visible()
    page.get_by_role("link", name="Lire mes messages").click()
    page.get_by_role("link", name="Écrire au service enfance").click()
    page.get_by_label("Objet").fill("Absence de Louise")
    page.get_by_label("Au sujet d'un enfant (facultatif)").select_option(index=1)
    page.get_by_label("Message").fill("Louise sera absente lundi.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text("Votre message est envoyé au service enfance.")).to_be_visible()

    sign_in_browser(page, live_server, town["manager"])
    page.goto(f"{live_server.url}/demo/gestion/messages/")
    page.get_by_role("link", name="Absence de Louise").click()
    page.get_by_label("Partir d'un modèle", exact=True).select_option(label="Document reçu")
    page.get_by_role("button", name="Utiliser ce modèle").click()
    expect(page.get_by_label("Votre réponse")).to_have_value("Nous avons bien reçu votre document.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_text("Votre réponse est dans la messagerie de la famille.")).to_be_visible()
    thread = Thread.objects.get(subject="Absence de Louise")
    assert thread.status == "answered"
