"""The family's messages: boxes, writing, answering, the trash, attachments, and what
another family can never open."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.conftest import sign_in
from perisco.families.models import Guardian
from perisco.families.tests.conftest import pdf_upload
from perisco.families.tests.factories import guardian_user
from perisco.inbox.models import Attachment, Thread
from perisco.inbox.services import thread_start_by_family, thread_start_by_staff


@pytest.fixture
def agent(organisation):
    return UserFactory(organisation=organisation, role=Role.MANAGER, first_name="Marie")


def test_writing_to_the_town_hall_lands_in_sent_with_a_clear_message(client, parent, family):
    response = client.post(
        "/demo/famille/messages/nouveau/",
        {"subject": "Question", "body": "<script>alert('x')</script>Bonjour", "files": []},
        follow=True,
    )
    html = response.text
    thread = Thread.objects.get()
    assert response.redirect_chain[-1][0] == f"/demo/famille/messages/{thread.pk}/"
    assert "Votre message est envoyé au service enfance." in html
    # Typed markup is shown as text, never run.
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;Bonjour" in html
    assert "<script>alert" not in html
    sent = client.get("/demo/famille/messages/?boite=envoyes").text
    assert "Question" in sent
    assert "Question" not in client.get("/demo/famille/messages/").text  # received


def test_a_megabyte_body_is_refused_with_a_message_and_nothing_saved(client, parent, family):
    response = client.post(
        "/demo/famille/messages/nouveau/", {"subject": "Long", "body": "x" * 1_000_000}
    )
    assert response.status_code == 200
    assert "au plus 10000 caractères (actuellement 1000000)" in response.text
    assert Thread.objects.count() == 0


def test_an_attachment_of_the_wrong_type_is_refused_by_name(client, parent, family):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("facture.pdf", b"MZ\x90\x00 not a pdf")
    response = client.post(
        "/demo/famille/messages/nouveau/",
        {"subject": "Pièce", "body": "Voici", "files": [fake]},
    )
    assert "facture.pdf" in response.text
    assert "ne peut pas être accepté" in response.text.replace("&#x27;", "'")
    assert Thread.objects.count() == 0


def test_staff_message_shows_unread_in_the_menu_until_read(client, parent, family, agent):
    thread = thread_start_by_staff(actor=agent, family=family, subject="Sortie", body="Bonjour")
    home = client.get("/demo/famille/").text
    assert "Vous avez 1 nouveau message." in home
    assert '1<span class="visually-hidden"> non lu</span>' in home
    page = client.get(f"/demo/famille/messages/{thread.pk}/").text
    assert "Bonjour" in page
    assert "Ville de Démo" in page  # the organisation signs its messages
    assert "non lu</span>" not in client.get("/demo/famille/messages/").text


def test_answering_and_the_trash(client, parent, family, agent):
    thread = thread_start_by_staff(actor=agent, family=family, subject="Sortie", body="Bonjour")
    client.post(f"/demo/famille/messages/{thread.pk}/", {"body": "Merci !"})
    thread.refresh_from_db()
    assert thread.staff_unread
    assert thread.messages.last().body == "Merci !"

    response = client.post(f"/demo/famille/messages/{thread.pk}/corbeille/", follow=True)
    assert "La conversation est dans la corbeille." in response.text
    assert "Sortie" not in response.text.split("<h1>")[1]  # not in received any more
    assert "Sortie" in client.get("/demo/famille/messages/?boite=corbeille").text
    client.post(f"/demo/famille/messages/{thread.pk}/restaurer/")
    assert "Sortie" in client.get("/demo/famille/messages/").text


def test_another_familys_thread_and_files_are_404(client, organisation, agent):
    owner = guardian_user(organisation)
    family = Guardian.objects.get(user=owner).family
    thread = thread_start_by_family(
        actor=owner, family=family, subject="Privé", body="x", uploads=[pdf_upload()]
    )
    attachment = Attachment.objects.get()
    file_url = f"/demo/pieces-jointes/{attachment.uuid}/"
    client.force_login(owner)
    assert client.get(file_url).status_code == 200

    client.force_login(guardian_user(organisation))
    for url in (
        f"/demo/famille/messages/{thread.pk}/",
        f"/demo/famille/messages/{thread.pk}/corbeille/",
        f"/demo/famille/messages/{thread.pk}/restaurer/",
    ):
        assert client.post(url, {"body": "intrus"}).status_code == 404
    assert client.get(file_url).status_code == 404
    assert thread.messages.count() == 1

    sign_in(client, agent)
    assert client.get(file_url).status_code == 200
    sign_in(client, UserFactory(organisation=organisation, role=Role.AGENT))
    assert client.get(file_url).status_code == 404
    client.logout()
    assert client.get(file_url).status_code == 404


def test_a_file_of_another_organisation_is_404_to_its_staff(
    client, organisation, other_organisation
):
    owner = guardian_user(organisation)
    family = Guardian.objects.get(user=owner).family
    thread_start_by_family(
        actor=owner, family=family, subject="Privé", body="x", uploads=[pdf_upload()]
    )
    uuid = Attachment.objects.get().uuid
    sign_in(client, UserFactory(organisation=other_organisation, role=Role.MANAGER))
    assert client.get(f"/val/pieces-jointes/{uuid}/").status_code == 404


@pytest.mark.parametrize("threads", [1, 6])
def test_the_boxes_need_the_same_queries_whatever_the_number_of_threads(
    client, parent, family, agent, threads
):
    for n in range(threads):
        thread_start_by_staff(actor=agent, family=family, subject=f"Sujet {n}", body="x")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/demo/famille/messages/").status_code == 200
    assert len(queries) <= 10, [q["sql"] for q in queries.captured_queries]
