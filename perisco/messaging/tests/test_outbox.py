from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from perisco.accounts.tests.factories import UserFactory
from perisco.messaging.models import EmailStatus, OutgoingEmail
from perisco.messaging.services import email_deliver, email_send

pytestmark = pytest.mark.real_scopes
SEND = "django.core.mail.EmailMultiAlternatives.send"


def queue(organisation, **kwargs):
    user = UserFactory(organisation=organisation)
    return email_send(
        organisation=organisation,
        to=user.email,
        template="password_changed",
        context={"user": user},
        language=kwargs.get("language", "fr"),
    )


def outbox():
    return OutgoingEmail.objects.with_scopes_disabled()


def test_an_email_goes_out_after_commit_in_the_recipients_language(
    organisation, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(organisation, language="en")
        assert mailoutbox == []  # nothing before the commit
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject == "Your password has been changed"
    assert message.from_email == "Ville de Démo <no-reply@perisco.localhost>"
    assert message.reply_to == [organisation.email]
    assert message.alternatives[0].mimetype == "text/html"
    assert outbox().get(pk=email.pk).status == EmailStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing(organisation, mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue(organisation)
        raise RuntimeError
    assert mailoutbox == []
    assert not outbox().exists()


def test_a_failed_delivery_is_retried_later_by_the_command(
    organisation, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        mock.patch(SEND, side_effect=ConnectionRefusedError("smtp down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        email = queue(organisation)
    email = outbox().get(pk=email.pk)
    assert (email.status, email.attempts) == (EmailStatus.PENDING, 1)
    assert "smtp down" in email.last_error
    assert email.next_attempt_at > timezone.now()
    call_command("send_pending_emails")  # not due yet
    assert mailoutbox == []
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        call_command("send_pending_emails")
    assert len(mailoutbox) == 1
    assert outbox().get(pk=email.pk).status == EmailStatus.SENT


def test_after_the_last_retry_the_email_is_marked_failed(
    organisation, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PERISCO_EMAIL_RETRY_DELAYS = [60, 60]
    with mock.patch(SEND, side_effect=OSError("no route")):
        with django_capture_on_commit_callbacks(execute=True):
            email = queue(organisation)
        for minutes in (2, 4):
            with time_machine.travel(timezone.now() + timedelta(minutes=minutes)):
                call_command("send_pending_emails")
    email = outbox().get(pk=email.pk)
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 3)


def test_an_email_is_never_sent_twice(organisation, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(organisation)
    assert email_deliver(email_id=email.pk) is False
    call_command("send_pending_emails")
    assert len(mailoutbox) == 1


def test_an_interrupted_delivery_is_picked_up_again(organisation, mailoutbox):
    email = queue(organisation)  # on_commit never runs: the worker "died"
    outbox().filter(pk=email.pk).update(
        status=EmailStatus.SENDING, last_attempt_at=timezone.now() - timedelta(minutes=20)
    )
    call_command("send_pending_emails")
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_in_production_the_database_worker_delivers_the_queue(organisation, settings, mailoutbox):
    """The production path: the task row is written on commit, `db_worker` runs it."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with transaction.atomic():
        queue(organisation)
    assert DBTaskResult.objects.count() == 1
    assert mailoutbox == []
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert len(mailoutbox) == 1
    assert outbox().get().status == EmailStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_in_production_a_failed_delivery_is_deferred_to_the_worker(
    organisation, settings, mailoutbox
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with transaction.atomic():
        queue(organisation)
    with mock.patch(SEND, side_effect=OSError("no route")):
        call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    retry = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert retry.run_after is not None and retry.run_after > timezone.now()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert len(mailoutbox) == 1


def test_finished_emails_are_forgotten_after_90_days(organisation, mailoutbox):
    email = queue(organisation)
    call_command("send_pending_emails")
    with time_machine.travel(timezone.now() + timedelta(days=89)):
        call_command("send_pending_emails")
        assert outbox().filter(pk=email.pk).exists()
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        call_command("send_pending_emails")
        assert not outbox().filter(pk=email.pk).exists()
