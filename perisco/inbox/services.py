"""Writes on messages: a family or staff start a thread or answer one, staff assign and
close threads, broadcast to many families, announce on the home page (SPEC §7)."""

from collections.abc import Sequence
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from perisco.accounts.models import User
from perisco.accounts.permissions import Permission, has_permission
from perisco.activities.models import Facility
from perisco.core.audit import audit_log
from perisco.core.errors import DomainError
from perisco.core.models import Organisation
from perisco.core.scoping import organisation_scope
from perisco.core.urls import org_absolute_url
from perisco.families.models import Child, Family, FamilyChild
from perisco.families.search import search_normalise
from perisco.families.services import family_email, family_sms
from perisco.families.uploads import check_upload
from perisco.inbox.audiences import Audience, audience_family_ids
from perisco.inbox.models import (
    MAX_ATTACHMENTS,
    MAX_BODY_CHARS,
    Announcement,
    Attachment,
    Broadcast,
    Message,
    ReplyTemplate,
    Thread,
    ThreadStatus,
)
from perisco.messaging.services import email_send

# A family writes a few messages a day; more is a script or a loop (SPEC: limits on rates).
FAMILY_MESSAGES_PER_HOUR = 20


def _clean_text(value: str, *, missing: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(missing, field="body")
    if len(value) > limit:
        raise DomainError(
            _("This text is too long (%(length)s characters): the limit is %(limit)s.")
            % {"length": len(value), "limit": limit},
            field="body",
        )
    return value


def _clean_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        raise DomainError(_("Give your message a subject."), field="subject")
    return subject[:200]


def _check_uploads(uploads: Sequence[UploadedFile]) -> list:
    if len(uploads) > MAX_ATTACHMENTS:
        raise DomainError(
            ngettext(
                "Attach at most %(n)d file to a message.",
                "Attach at most %(n)d files to a message.",
                MAX_ATTACHMENTS,
            )
            % {"n": MAX_ATTACHMENTS},
            field="files",
        )
    checked = []
    for upload in uploads:
        try:
            checked.append((upload.name or "", check_upload(upload)))
        except DomainError as error:
            name = (upload.name or "")[:100]
            raise DomainError(f"{name}: {error.message}", field="files") from error
    return checked


def _check_family_rate(family: Family, now) -> None:
    recent = Message.objects.filter(
        thread__family=family, from_family=True, created_at__gte=now - timedelta(hours=1)
    ).count()
    if recent >= FAMILY_MESSAGES_PER_HOUR:
        raise DomainError(
            _(
                "You have sent %(n)s messages in the last hour: wait a little before writing "
                "again, or call the childhood service."
            )
            % {"n": recent}
        )


def _check_about(family: Family, child: Child | None, facility: Facility | None) -> None:
    if child is not None and not FamilyChild.objects.filter(family=family, child=child).exists():
        raise DomainError(_("This child is not in this family."), field="child")
    if facility is not None and facility.organisation_id != family.organisation_id:
        raise DomainError(_("Choose one of the organisation's facilities."), field="facility")


def _author_name(actor: User, *, from_family: bool) -> str:
    if from_family:
        return actor.get_full_name() or actor.email
    return actor.get_full_name() or str(_("The childhood service"))


def _add_message(
    *, thread: Thread, actor: User, body: str, from_family: bool, checked: list, now
) -> Message:
    message = Message.objects.create(
        organisation_id=thread.organisation_id,
        thread=thread,
        author=actor,
        author_name=_author_name(actor, from_family=from_family),
        from_family=from_family,
        body=body,
        created_at=now,
    )
    for name, upload in checked:
        attachment = Attachment(
            organisation_id=thread.organisation_id,
            message=message,
            name=(name or "document").rsplit("/", 1)[-1][:200],
            content_type=upload.content_type,
            size=upload.size,
        )
        attachment.file.save("upload", upload.content, save=False)
        attachment.save()
    return message


def _notify_family(thread: Thread) -> int:
    """E-mail the family's guardians who accept e-mails: a message is waiting (the text stays
    on the portal, behind the login)."""
    return family_email(
        family=thread.family,
        template="message_received",
        context={
            "thread": thread,
            "url": org_absolute_url(thread.family.organisation, "portal:thread", pk=thread.pk),
        },
    )


def _notify_assignee(thread: Thread) -> None:
    agent = thread.assigned_to
    if agent is None or not agent.is_active:
        return
    email_send(
        organisation=thread.family.organisation,
        to=agent.email,
        template="message_for_staff",
        context={
            "thread": thread,
            "family": thread.family,
            "url": org_absolute_url(thread.family.organisation, "backoffice:thread", pk=thread.pk),
        },
        language=agent.language,
    )


def _thread_open(
    *,
    actor: User,
    family: Family,
    subject: str,
    body: str,
    child: Child | None,
    facility: Facility | None,
    uploads: Sequence[UploadedFile],
    from_family: bool,
    now,
) -> Thread:
    """A new thread with its first message, by the family or by an agent (who then has it)."""
    subject = _clean_subject(subject)
    body = _clean_text(body, missing=_("Write your message."), limit=MAX_BODY_CHARS)
    _check_about(family, child, facility)
    if from_family:
        _check_family_rate(family, now)
    checked = _check_uploads(uploads)
    thread = Thread.objects.create(
        organisation_id=family.organisation_id,
        family=family,
        subject=subject,
        child=child,
        facility=facility,
        started_by_family=from_family,
        status=ThreadStatus.OPEN if from_family else ThreadStatus.ANSWERED,
        assigned_to=None if from_family else actor,
        created_at=now,
        last_message_at=now,
        staff_unread=from_family,
        family_unread=not from_family,
        search_text=search_normalise(f"{subject}\n{body}"),
    )
    _add_message(
        thread=thread, actor=actor, body=body, from_family=from_family, checked=checked, now=now
    )
    audit_log(
        organisation=family.organisation,
        actor=actor,
        action="thread.started_by_family" if from_family else "thread.started_by_staff",
        target=thread,
        data={"family": family.pk},
    )
    return thread


@transaction.atomic
def thread_start_by_family(
    *,
    actor: User,
    family: Family,
    subject: str,
    body: str,
    child: Child | None = None,
    facility: Facility | None = None,
    uploads: Sequence[UploadedFile] = (),
    now=None,
) -> Thread:
    """A guardian writes to the organisation, whose own mailbox hears of it."""
    thread = _thread_open(
        actor=actor,
        family=family,
        subject=subject,
        body=body,
        child=child,
        facility=facility,
        uploads=uploads,
        from_family=True,
        now=now or timezone.now(),
    )
    organisation = family.organisation
    if organisation.email:
        email_send(
            organisation=organisation,
            to=organisation.email,
            template="message_new_for_service",
            context={
                "thread": thread,
                "family": family,
                "url": org_absolute_url(organisation, "backoffice:thread", pk=thread.pk),
            },
        )
    return thread


@transaction.atomic
def thread_start_by_staff(
    *,
    actor: User,
    family: Family,
    subject: str,
    body: str,
    child: Child | None = None,
    facility: Facility | None = None,
    uploads: Sequence[UploadedFile] = (),
    now=None,
) -> Thread:
    """An agent writes to a family; the family is e-mailed if it accepts e-mails
    (`thread.family_emailed` says how many e-mails went)."""
    thread = _thread_open(
        actor=actor,
        family=family,
        subject=subject,
        body=body,
        child=child,
        facility=facility,
        uploads=uploads,
        from_family=False,
        now=now or timezone.now(),
    )
    thread.family_emailed = _notify_family(thread)  # type: ignore[attr-defined]
    return thread


@transaction.atomic
def message_reply(
    *,
    actor: User,
    thread: Thread,
    body: str,
    from_family: bool,
    uploads: Sequence[UploadedFile] = (),
    now=None,
) -> Message:
    """Answer in a thread. A family's answer reopens it for staff (even closed: a question
    never lands in a closed box); an agent's answer marks it answered, assigns it to them if
    nobody had it, and e-mails the family if it accepts e-mails (`message.family_emailed`).
    Either answer takes the thread out of the family's trash."""
    now = now or timezone.now()
    body = _clean_text(body, missing=_("Write your answer."), limit=MAX_BODY_CHARS)
    thread = (
        Thread.objects.select_for_update().select_related("family__organisation").get(pk=thread.pk)
    )
    if from_family:
        _check_family_rate(thread.family, now)
    checked = _check_uploads(uploads)
    message = _add_message(
        thread=thread, actor=actor, body=body, from_family=from_family, checked=checked, now=now
    )
    thread.last_message_at = now
    thread.family_trashed_at = None
    thread.search_text += "\n" + search_normalise(body)
    fields = ["last_message_at", "family_trashed_at", "status", "search_text"]
    # Who answers has read the thread; the other side has something new.
    thread.staff_unread, thread.family_unread = from_family, not from_family
    fields += ["staff_unread", "family_unread"]
    if from_family:
        thread.status = ThreadStatus.OPEN
    else:
        thread.status = ThreadStatus.ANSWERED
        if thread.assigned_to_id is None:
            thread.assigned_to = actor
            fields.append("assigned_to")
    thread.save(update_fields=fields)
    audit_log(
        organisation=thread.family.organisation,
        actor=actor,
        action="thread.answered",
        target=thread,
        data={"by_family": from_family},
    )
    message.family_emailed = 0  # type: ignore[attr-defined]
    if from_family:
        _notify_assignee(thread)
    else:
        message.family_emailed = _notify_family(thread)  # type: ignore[attr-defined]
    return message


def thread_mark_read(*, thread: Thread, by_family: bool) -> None:
    """The side reading the thread has read everything in it (one conditional UPDATE)."""
    field = "family_unread" if by_family else "staff_unread"
    if getattr(thread, field):
        Thread.objects.filter(pk=thread.pk).update(**{field: False})
        setattr(thread, field, False)


@transaction.atomic
def thread_trash(*, actor: User, thread: Thread, now=None) -> None:
    """The family puts a thread in its trash; staff keep it, and a new message brings it
    back to the family's inbox."""
    Thread.objects.filter(pk=thread.pk, family_trashed_at__isnull=True).update(
        family_trashed_at=now or timezone.now(), family_unread=False
    )


@transaction.atomic
def thread_restore(*, actor: User, thread: Thread) -> None:
    Thread.objects.filter(pk=thread.pk).update(family_trashed_at=None)


def _check_agent(organisation: Organisation, agent: User | None) -> None:
    if agent is None:
        return
    if agent.organisation_id != organisation.pk or not has_permission(
        agent, Permission.MANAGE_MESSAGES
    ):
        raise DomainError(_("Choose an agent who answers messages."), field="agent")


@transaction.atomic
def thread_assign(*, actor: User, thread: Thread, agent: User | None) -> None:
    _check_agent(thread.family.organisation, agent)
    locked = Thread.objects.select_for_update().get(pk=thread.pk)
    if locked.assigned_to_id == (agent.pk if agent else None):
        return
    locked.assigned_to = agent
    locked.save(update_fields=["assigned_to"])
    thread.assigned_to = agent
    audit_log(
        organisation=thread.family.organisation,
        actor=actor,
        action="thread.assigned",
        target=thread,
        data={"agent": agent.pk if agent else None},
    )
    if agent is not None and agent != actor:
        email_send(
            organisation=thread.family.organisation,
            to=agent.email,
            template="message_assigned",
            context={
                "thread": thread,
                "family": thread.family,
                "actor": actor,
                "url": org_absolute_url(
                    thread.family.organisation, "backoffice:thread", pk=thread.pk
                ),
            },
            language=agent.language,
        )


@transaction.atomic
def thread_set_status(*, actor: User, thread: Thread, status: str) -> None:
    """Close a thread (nothing more to answer) or reopen it."""
    if status not in ThreadStatus.values:
        raise DomainError(_("Choose a status."), field="status")
    updated = Thread.objects.filter(pk=thread.pk).exclude(status=status).update(status=status)
    if updated:
        thread.status = status
        audit_log(
            organisation=thread.family.organisation,
            actor=actor,
            action="thread.status_changed",
            target=thread,
            data={"status": status},
        )


# --- Reply templates ---


@transaction.atomic
def reply_template_save(
    *,
    actor: User,
    organisation: Organisation,
    title: str,
    body: str,
    template: ReplyTemplate | None = None,
) -> ReplyTemplate:
    title = " ".join((title or "").split())[:100]
    if not title:
        raise DomainError(_("Give the template a title."), field="title")
    body = _clean_text(body, missing=_("Write the text."), limit=MAX_BODY_CHARS)
    clash = ReplyTemplate.objects.filter(title__iexact=title)
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise DomainError(_("A reply template already has this title."), field="title")
    if template is None:
        template = ReplyTemplate(organisation=organisation)
    template.title, template.body = title, body
    template.save()
    audit_log(
        organisation=organisation, actor=actor, action="reply_template.saved", target=template
    )
    return template


def _delete_logged(*, actor: User, item: ReplyTemplate | Announcement, action: str) -> None:
    audit_log(
        organisation=item.organisation,
        actor=actor,
        action=action,
        target=item,
        data={"title": item.title},
    )
    item.delete()


@transaction.atomic
def reply_template_delete(*, actor: User, template: ReplyTemplate) -> None:
    _delete_logged(actor=actor, item=template, action="reply_template.deleted")


# --- Broadcasts ---


@transaction.atomic
def broadcast_send(
    *,
    actor: User,
    organisation: Organisation,
    audience: Audience,
    subject: str,
    body: str,
    by_sms: bool = False,
    now=None,
) -> Broadcast:
    """Write to every family of `audience`: each gets its own thread (where it can answer),
    written here in bulk; the e-mails to those who accept them go from a background task
    after commit (`broadcast_email_task`)."""
    now = now or timezone.now()
    subject = _clean_subject(subject)
    body = _clean_text(body, missing=_("Write your message."), limit=MAX_BODY_CHARS)
    family_ids = audience_family_ids(audience)
    if not family_ids:
        raise DomainError(
            _("No family matches this selection: nobody would receive the message."),
            field="audience",
        )
    broadcast = Broadcast.objects.create(
        organisation=organisation,
        subject=subject,
        body=body,
        audience=audience.as_data(),
        audience_label=audience.label()[:300],
        families_count=len(family_ids),
        by_sms=by_sms,
        sent_by=actor,
        sent_at=now,
    )
    search_text = search_normalise(f"{subject}\n{body}")
    threads = Thread.objects.bulk_create(
        [
            Thread(
                organisation=organisation,
                family_id=family_id,
                subject=subject,
                started_by_family=False,
                broadcast=broadcast,
                status=ThreadStatus.ANSWERED,
                created_at=now,
                last_message_at=now,
                family_unread=True,
                search_text=search_text,
            )
            for family_id in family_ids
        ],
        batch_size=1000,
    )
    author_name = _author_name(actor, from_family=False)
    Message.objects.bulk_create(
        [
            Message(
                organisation=organisation,
                thread=thread,
                author=actor,
                author_name=author_name,
                from_family=False,
                body=body,
                created_at=now,
            )
            for thread in threads
        ],
        batch_size=1000,
    )
    audit_log(
        organisation=organisation,
        actor=actor,
        action="broadcast.sent",
        target=broadcast,
        data={"families": len(family_ids), "audience": broadcast.audience},
    )
    transaction.on_commit(lambda: broadcast_email_task.enqueue(organisation.pk, broadcast.pk))
    return broadcast


@task()
def broadcast_email_task(organisation_id: int, broadcast_id: int) -> None:
    with organisation_scope(organisation_id):
        broadcast_email(broadcast_id)


def broadcast_email(broadcast_id: int) -> int:
    """E-mail each family of a broadcast that accepts e-mails (and text those who accept
    texts, if asked), once: the row is locked and counted in the same transaction as the
    e-mails queued."""
    with transaction.atomic():
        broadcast = (
            Broadcast.objects.select_for_update()
            .select_related("organisation")
            .get(pk=broadcast_id)
        )
        if broadcast.emails_count is not None:
            return 0
        organisation = broadcast.organisation
        threads = Thread.objects.filter(broadcast=broadcast).select_related("family")
        sent = texted = 0
        for thread in threads.order_by("pk").iterator(chunk_size=1000):
            thread.family.organisation = organisation  # the broadcast's: no query per family
            sent += _notify_family(thread)
            if broadcast.by_sms:
                url = org_absolute_url(organisation, "portal:thread", pk=thread.pk)
                texted += family_sms(
                    family=thread.family,
                    text=lambda url=url: (
                        _("%(subject)s. Read the message: %(url)s")
                        % {"subject": broadcast.subject, "url": url}
                    ),
                )
        broadcast.emails_count, broadcast.sms_count = sent, texted
        broadcast.save(update_fields=["emails_count", "sms_count"])
    return sent


# --- Announcements ---


@transaction.atomic
def announcement_save(
    *,
    actor: User,
    organisation: Organisation,
    title: str,
    body: str,
    start,
    end,
    announcement: Announcement | None = None,
) -> Announcement:
    title = " ".join((title or "").split())[:150]
    if not title:
        raise DomainError(_("Give the announcement a title."), field="title")
    body = _clean_text(body, missing=_("Write the text."), limit=2000)
    if end < start:
        raise DomainError(_("The last day cannot precede the first day."), field="end")
    if announcement is None:
        announcement = Announcement(organisation=organisation, created_by=actor)
    announcement.title, announcement.body = title, body
    announcement.start, announcement.end = start, end
    announcement.save()
    audit_log(
        organisation=organisation, actor=actor, action="announcement.saved", target=announcement
    )
    return announcement


@transaction.atomic
def announcement_delete(*, actor: User, announcement: Announcement) -> None:
    _delete_logged(actor=actor, item=announcement, action="announcement.deleted")
