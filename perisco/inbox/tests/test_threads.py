"""Threads between a family and the organisation: who sees what, unread flags, status,
trash, attachments, and the limits on what a family can send."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.tests.factories import FacilityFactory
from perisco.core.errors import DomainError
from perisco.core.models import AuditEntry
from perisco.families.tests.conftest import pdf_upload, png_upload
from perisco.families.tests.factories import ChildFactory
from perisco.inbox.models import MAX_BODY_CHARS, Attachment, Thread, ThreadStatus
from perisco.inbox.selectors import (
    family_threads,
    family_unread_counts,
    guardian_unread_count,
    staff_threads,
    staff_unread_count,
)
from perisco.inbox.services import (
    FAMILY_MESSAGES_PER_HOUR,
    message_reply,
    thread_assign,
    thread_mark_read,
    thread_restore,
    thread_set_status,
    thread_start_by_family,
    thread_start_by_staff,
    thread_trash,
)
from perisco.messaging.models import OutgoingEmail

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)


def family_writes(guardian, family, **kwargs):
    kwargs.setdefault("subject", "Allergie de Louise")
    kwargs.setdefault("body", "Bonjour, voici le certificat.")
    return thread_start_by_family(actor=guardian, family=family, now=NOW, **kwargs)


def emails(template):
    return list(OutgoingEmail.objects.filter(template=template).order_by("recipient"))


def test_a_family_message_lands_in_its_sent_box_and_unread_for_staff(guardian, family, child):
    thread = family_writes(guardian, family, child=child)

    assert list(family_threads(family, "sent")) == [thread]
    assert list(family_threads(family, "received")) == []
    assert thread.status == ThreadStatus.OPEN
    assert staff_unread_count() == 1
    assert family_unread_counts(family) == {"received": 0, "sent": 0}
    [message] = thread.messages.all()
    assert (message.author_name, message.from_family) == ("Jeanne " + guardian.last_name, True)
    assert AuditEntry.objects.filter(action="thread.started_by_family").count() == 1
    # The service's mailbox hears of it, with the link to the staff page.
    [notice] = emails("message_new_for_service")
    assert notice.recipient == family.organisation.email
    assert notice.subject == f"Nouveau message de la famille {family.name} : Allergie de Louise"
    assert f"/demo/gestion/messages/{thread.pk}/" in notice.body_text


def test_staff_answer_marks_answered_assigns_and_emails_the_family(
    guardian, family, agent, django_capture_on_commit_callbacks
):
    thread = family_writes(guardian, family)

    message = message_reply(actor=agent, thread=thread, body="Bien reçu.", from_family=False)

    thread.refresh_from_db()
    assert thread.status == ThreadStatus.ANSWERED
    assert thread.assigned_to == agent
    # Answering reads the family's message.
    assert (thread.family_unread, thread.staff_unread) == (True, False)
    assert staff_unread_count() == 0
    assert family_unread_counts(family) == {"received": 0, "sent": 1}
    assert guardian_unread_count(guardian) == 1
    assert message.family_emailed == 1
    [email] = emails("message_received")
    assert email.recipient == "jeanne@example.test"
    assert "Allergie de Louise" in email.subject
    assert f"/demo/famille/messages/{thread.pk}/" in email.body_text
    assert "Bien reçu" not in email.body_text  # the text stays behind the login


def test_reading_clears_only_that_sides_flag(guardian, family, agent):
    thread = thread_start_by_staff(actor=agent, family=family, subject="Sortie", body="Bonjour")
    assert guardian_unread_count(guardian) == 1
    thread_mark_read(thread=thread, by_family=True)
    assert guardian_unread_count(guardian) == 0
    message_reply(actor=guardian, thread=thread, body="Merci", from_family=True, now=NOW)
    thread.refresh_from_db()
    assert (thread.family_unread, thread.staff_unread) == (False, True)


def test_a_family_answer_reopens_a_closed_thread_and_tells_the_assigned_agent(
    guardian, family, agent
):
    thread = family_writes(guardian, family)
    thread_assign(actor=agent, thread=thread, agent=agent)
    thread_set_status(actor=agent, thread=thread, status=ThreadStatus.CLOSED)
    assert Thread.objects.get().status == ThreadStatus.CLOSED

    message_reply(actor=guardian, thread=thread, body="Encore une question", from_family=True)

    assert Thread.objects.get().status == ThreadStatus.OPEN
    [email] = emails("message_for_staff")
    assert email.recipient == "marie@ville.test"
    assert family.name in email.subject


def test_staff_message_goes_to_received_and_respects_email_consent(guardian, family, agent):
    family.guardians.update(consent_email=False)
    thread = thread_start_by_staff(actor=agent, family=family, subject="Sortie", body="Bonjour")
    assert list(family_threads(family, "received")) == [thread]
    assert thread.family_emailed == 0
    assert emails("message_received") == []


def test_the_trash_holds_a_thread_until_someone_writes_in_it(guardian, family, agent):
    thread = thread_start_by_staff(actor=agent, family=family, subject="Sortie", body="Bonjour")
    thread_trash(actor=guardian, thread=thread, now=NOW)
    assert list(family_threads(family, "received")) == []
    assert list(family_threads(family, "trash")) == [thread]
    assert guardian_unread_count(guardian) == 0
    # Staff still see it.
    assert list(staff_threads(status="")) == [thread]

    message_reply(actor=agent, thread=thread, body="Rappel", from_family=False)
    assert list(family_threads(family, "received")) == [thread]
    assert guardian_unread_count(guardian) == 1

    thread_trash(actor=guardian, thread=thread, now=NOW)
    thread_restore(actor=guardian, thread=thread)
    assert list(family_threads(family, "trash")) == []


def test_empty_and_oversized_messages_are_refused_and_nothing_is_saved(guardian, family):
    with pytest.raises(DomainError, match="objet"):
        family_writes(guardian, family, subject="   ")
    with pytest.raises(DomainError):
        family_writes(guardian, family, body=" \n ")
    with pytest.raises(DomainError, match="trop long"):
        family_writes(guardian, family, body="x" * (MAX_BODY_CHARS + 1))
    assert Thread.objects.count() == 0


def test_a_family_cannot_write_about_anothers_child(guardian, family, organisation):
    stranger = ChildFactory(organisation=organisation)
    with pytest.raises(DomainError, match="pas dans cette famille"):
        family_writes(guardian, family, child=stranger)
    assert Thread.objects.count() == 0


def test_a_facility_of_another_organisation_is_refused(guardian, family, other_organisation):
    elsewhere = FacilityFactory(organisation=other_organisation)
    with pytest.raises(DomainError):
        family_writes(guardian, family, facility=elsewhere)


def test_a_family_writing_in_a_loop_is_stopped(guardian, family):
    thread = family_writes(guardian, family)
    for minute in range(FAMILY_MESSAGES_PER_HOUR - 1):
        message_reply(
            actor=guardian,
            thread=thread,
            body="encore",
            from_family=True,
            now=NOW + timedelta(minutes=minute),
        )
    with pytest.raises(DomainError, match="dernière heure"):
        message_reply(actor=guardian, thread=thread, body="encore", from_family=True, now=NOW)
    # Once the hour has passed it may write again.
    message_reply(
        actor=guardian, thread=thread, body="ok", from_family=True, now=NOW + timedelta(hours=2)
    )


def test_attachments_are_checked_and_kept_with_their_name(guardian, family):
    thread = family_writes(
        guardian, family, uploads=[pdf_upload("certificat.pdf"), png_upload("photo.png")]
    )
    names = sorted(Attachment.objects.filter(message__thread=thread).values_list("name", flat=True))
    assert names == ["certificat.pdf", "photo.png"]


def test_an_attachment_of_the_wrong_type_refuses_the_whole_message(guardian, family):
    script = SimpleUploadedFile("virus.pdf", b"<script>alert(1)</script>")
    with pytest.raises(DomainError, match=r"virus\.pdf"):
        family_writes(guardian, family, uploads=[pdf_upload(), script])
    assert Thread.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_too_many_attachments_are_refused(guardian, family):
    with pytest.raises(DomainError, match="au plus 3 fichiers"):
        family_writes(guardian, family, uploads=[pdf_upload(f"{i}.pdf") for i in range(4)])


def test_a_thread_is_assigned_only_to_staff_who_answer_messages(
    guardian, family, agent, organisation, other_organisation
):
    thread = family_writes(guardian, family)
    facility_agent = UserFactory(organisation=organisation, role=Role.AGENT)
    stranger = UserFactory(organisation=other_organisation, role=Role.MANAGER)
    for who in (facility_agent, stranger, guardian):
        with pytest.raises(DomainError):
            thread_assign(actor=agent, thread=thread, agent=who)
    finance = UserFactory(organisation=organisation, role=Role.FINANCE, email="f@ville.test")
    thread_assign(actor=agent, thread=thread, agent=finance)
    assert Thread.objects.get().assigned_to == finance
    [email] = emails("message_assigned")
    assert email.recipient == "f@ville.test"


def test_staff_search_finds_words_of_the_subject_the_family_and_the_messages(
    guardian, family, other_family, agent
):
    mine = family_writes(guardian, family, subject="Cantine", body="Le menu végétarien")
    other = thread_start_by_staff(actor=agent, family=other_family, subject="Facture", body="x")
    assert list(staff_threads(search="vegetarien")) == [mine]  # accents ignored
    assert list(staff_threads(search="facture")) == [other]
    assert list(staff_threads(search=family.name)) == [mine]
    assert list(staff_threads(status=ThreadStatus.OPEN)) == [mine]
    assert list(staff_threads(assigned="me", user=agent)) == [other]
    assert list(staff_threads(assigned="nobody")) == [mine]
