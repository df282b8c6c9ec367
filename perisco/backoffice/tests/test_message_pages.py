"""Staff messages: the inbox and its filters, answering from a template, assignment and
status, writing to a family, broadcasts with a preview, announcements on the family home."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.conftest import sign_in
from perisco.families.models import Guardian
from perisco.families.tests.factories import guardian_user
from perisco.inbox.models import Announcement, Broadcast, ReplyTemplate, Thread, ThreadStatus
from perisco.inbox.services import thread_start_by_family
from perisco.messaging.models import OutgoingEmail


@pytest.fixture
def staff(client, organisation):
    user = UserFactory(organisation=organisation, role=Role.MANAGER, first_name="Marie")
    sign_in(client, user)
    return user


@pytest.fixture
def parent(organisation):
    return guardian_user(organisation, first_name="Jeanne", email="jeanne@example.test")


@pytest.fixture
def family(parent):
    return Guardian.objects.get(user=parent).family


@pytest.fixture
def question(parent, family):
    return thread_start_by_family(
        actor=parent, family=family, subject="Attestation CAF", body="Bonjour, voici."
    )


def test_the_inbox_lists_open_threads_first_and_filters(client, staff, question, family):
    html = client.get("/demo/gestion/messages/").text
    assert "Attestation CAF" in html
    assert "Nouveau" in html
    assert '1<span class="visually-hidden"> non lu</span>' in html  # the menu's badge
    assert "Attestation CAF" not in client.get("/demo/gestion/messages/?statut=closed").text
    assert "Attestation CAF" in client.get("/demo/gestion/messages/?q=attestation").text
    assert "Attestation CAF" not in client.get("/demo/gestion/messages/?q=piscine").text
    assert "Attestation CAF" not in client.get("/demo/gestion/messages/?attribue=me").text


def test_answering_from_a_template_tells_whether_the_family_was_emailed(
    client, post, staff, question, organisation
):
    template = ReplyTemplate.objects.create(
        organisation=organisation, title="Reçu", body="Nous avons bien reçu votre document."
    )
    page = client.get(f"/demo/gestion/messages/{question.pk}/?modele={template.pk}").text
    assert ">\nNous avons bien reçu votre document.</textarea>" in page
    question.refresh_from_db()
    assert not question.staff_unread  # read by opening it

    response = post(f"/demo/gestion/messages/{question.pk}/", {"body": "Bien reçu, merci."})
    assert response.status_code == 302
    html = client.get(response.url).text
    assert "Votre réponse est dans la messagerie de la famille." in html
    assert "La famille en est informée par e-mail." in html
    question.refresh_from_db()
    assert (question.status, question.assigned_to) == (ThreadStatus.ANSWERED, staff)
    assert OutgoingEmail.objects.filter(template="message_received").count() == 1


def test_assigning_and_closing(client, post, staff, question, organisation):
    colleague = UserFactory(
        organisation=organisation, role=Role.FINANCE, first_name="Paul", email="paul@ville.test"
    )
    response = post(f"/demo/gestion/messages/{question.pk}/attribuer/", {"agent": colleague.pk})
    assert "attribuée à Paul" in client.get(response.url).text
    assert Thread.objects.get().assigned_to == colleague
    assert OutgoingEmail.objects.get(template="message_assigned").recipient == "paul@ville.test"
    # A facility agent does not answer messages: refused.
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    post(f"/demo/gestion/messages/{question.pk}/attribuer/", {"agent": agent.pk})
    assert Thread.objects.get().assigned_to == colleague

    post(f"/demo/gestion/messages/{question.pk}/statut/", {"status": "closed"})
    assert Thread.objects.get().status == ThreadStatus.CLOSED


def test_writing_to_a_family_from_its_page(client, post, staff, family, parent):
    page = client.get(f"/demo/gestion/familles/{family.pk}/").text
    assert f'href="/demo/gestion/messages/ecrire/{family.pk}/"' in page
    form = client.get(f"/demo/gestion/messages/ecrire/{family.pk}/").text
    assert "ces responsables sont aussi prévenus par e-mail" in form
    response = post(
        f"/demo/gestion/messages/ecrire/{family.pk}/", {"subject": "Sortie", "body": "Bonjour"}
    )
    thread = Thread.objects.get()
    assert response.url == f"/demo/gestion/messages/{thread.pk}/"
    assert not thread.started_by_family
    assert "Sortie" in client.get(f"/demo/gestion/familles/{family.pk}/").text


def test_a_broadcast_is_previewed_then_sent(client, post, staff, family, organisation):
    other = Guardian.objects.get(user=guardian_user(organisation)).family
    other.guardians.update(consent_email=False)
    data = {"kind": "all", "subject": "Grève", "body": "Pas de cantine jeudi."}
    preview = client.post("/demo/gestion/messages/diffusion/", {**data, "preview": "1"}).text
    assert "2 familles reçoivent ce message" in preview
    assert "dont 1 aussi par e-mail." in preview
    assert "Envoyer à 2 familles" in preview
    assert Broadcast.objects.count() == 0

    response = post("/demo/gestion/messages/diffusion/", {**data, "send": "1"})
    assert "dans la messagerie de 2 familles" in client.get(response.url).text
    assert Thread.objects.filter(broadcast__isnull=False).count() == 2
    assert OutgoingEmail.objects.filter(template="message_received").count() == 1


def test_a_broadcast_to_nobody_says_so_and_offers_no_send_button(client, staff, family):
    data = {"kind": "class", "school_class": "CE2", "subject": "Sortie", "body": "x"}
    html = client.post("/demo/gestion/messages/diffusion/", {**data, "preview": "1"}).text
    assert "Personne ne le recevrait" in html
    assert 'name="send"' not in html
    html = client.post("/demo/gestion/messages/diffusion/", {**data, "send": "1"}).text
    assert "Aucune famille ne correspond à cette sélection" in html
    assert Broadcast.objects.count() == 0


def test_an_announcement_shows_on_the_family_home_between_its_dates(
    client, post, staff, parent, organisation
):
    today = timezone.localdate()
    post(
        "/demo/gestion/messages/annonces/",
        {
            "title": "Fermeture exceptionnelle",
            "body": "<b>Le centre</b> ferme vendredi.",
            "start": today.isoformat(),
            "end": (today + timedelta(days=3)).isoformat(),
        },
    )
    Announcement.objects.create(
        organisation=organisation,
        title="Plus tard",
        body="x",
        start=today + timedelta(days=5),
        end=today + timedelta(days=6),
    )
    client.force_login(parent)
    home = client.get("/demo/famille/").text
    assert "Fermeture exceptionnelle" in home
    assert "&lt;b&gt;Le centre&lt;/b&gt; ferme vendredi." in home
    assert "Plus tard" not in home


def test_reply_templates_are_written_changed_and_deleted(client, post, staff):
    post("/demo/gestion/messages/modeles/", {"title": "Reçu", "body": "Bien reçu."})
    template = ReplyTemplate.objects.get()
    html = client.post("/demo/gestion/messages/modeles/", {"title": "reçu", "body": "Doublon"}).text
    assert "Un modèle de réponse porte déjà ce titre." in html
    post(f"/demo/gestion/messages/modeles/{template.pk}/", {"title": "Reçu", "body": "Merci."})
    assert ReplyTemplate.objects.get().body == "Merci."
    post(f"/demo/gestion/messages/modeles/{template.pk}/supprimer/", {})
    assert ReplyTemplate.objects.count() == 0


def test_finance_answers_but_does_not_broadcast(client, organisation, question):
    sign_in(client, UserFactory(organisation=organisation, role=Role.FINANCE))
    assert client.get(f"/demo/gestion/messages/{question.pk}/").status_code == 200
    assert client.get("/demo/gestion/messages/diffusion/").status_code == 403


@pytest.mark.parametrize("threads", [1, 6])
def test_the_inbox_and_a_thread_need_the_same_queries_whatever_their_size(
    client, staff, organisation, threads
):
    parent = guardian_user(organisation)
    family = Guardian.objects.get(user=parent).family
    for n in range(threads):
        thread = thread_start_by_family(actor=parent, family=family, subject=f"Q{n}", body="x")
    for url in ("/demo/gestion/messages/", f"/demo/gestion/messages/{thread.pk}/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) <= 14, (url, [q["sql"] for q in queries.captured_queries])


def test_another_organisations_thread_is_404_to_staff(client, question, other_organisation):
    sign_in(client, UserFactory(organisation=other_organisation, role=Role.MANAGER))
    for url in (
        f"/val/gestion/messages/{question.pk}/",
        f"/val/gestion/messages/{question.pk}/attribuer/",
        f"/val/gestion/messages/{question.pk}/statut/",
    ):
        assert client.post(url, {"body": "x", "status": "closed"}).status_code == 404
    question.refresh_from_db()
    assert question.messages.count() == 1
    assert question.status == ThreadStatus.OPEN
