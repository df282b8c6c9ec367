"""Messages between a family and the organisation (SPEC §7): threads, broadcasts to many
families, announcements on the family home page, and the staff's reply templates."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from perisco.core.scoping import OrganisationOwned

# A message is read on a phone: long enough for any letter, short enough to keep a
# mistaken paste (or an attacker's megabyte) out of the database.
MAX_BODY_CHARS = 10_000
MAX_ATTACHMENTS = 3


class ThreadStatus(models.TextChoices):
    OPEN = "open", _("Open")  # waits for the organisation's answer
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class Broadcast(OrganisationOwned):  # type: ignore[django-manager-missing]
    """One message written to many families at once, each receiving its own thread (where it
    can answer). `audience` keeps the selection as chosen, `audience_label` in words."""

    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), max_length=MAX_BODY_CHARS)
    audience = models.JSONField(default=dict)
    audience_label = models.CharField(max_length=300)
    families_count = models.PositiveIntegerField(default=0)
    emails_count = models.PositiveIntegerField(null=True, blank=True)  # once e-mailed
    by_sms = models.BooleanField(default=False)  # also texted to who accepts texts
    sms_count = models.PositiveIntegerField(default=0)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class Thread(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A conversation between one family and the organisation, optionally about a child or
    a facility. The family sees it in "Received" when the organisation wrote first, in
    "Sent" when it did; each side has its own unread flag."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(_("subject"), max_length=200)
    child = models.ForeignKey(
        "families.Child",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("about the child"),
    )
    facility = models.ForeignKey(
        "activities.Facility",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("about the facility"),
    )
    started_by_family = models.BooleanField()
    broadcast = models.ForeignKey(
        Broadcast, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ThreadStatus, default=ThreadStatus.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    family_unread = models.BooleanField(default=False)
    staff_unread = models.BooleanField(default=False)
    # Put in the trash by the family (staff keep seeing it); a new message takes it out.
    family_trashed_at = models.DateTimeField(null=True, blank=True)
    # The subject and every message, lower-cased and without accents, for the staff's search
    # (`families.search.search_normalise`).
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["family", "-last_message_at"], name="thread_family_idx"),
            models.Index(
                fields=["organisation", "status", "-last_message_at"], name="thread_queue_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class Message(OrganisationOwned):  # type: ignore[django-manager-missing]
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    # Who wrote it: a guardian (from_family) or an agent. Kept when the login is deleted.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_name = models.CharField(max_length=300)
    from_family = models.BooleanField()
    body = models.TextField(max_length=MAX_BODY_CHARS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="message_thread_idx"),
            # The per-family rate limit counts a family's recent messages.
            models.Index(
                fields=["organisation", "from_family", "created_at"], name="message_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}: {self.body[:40]}"


def _attachment_path(attachment: "Attachment", filename: str) -> str:
    # Random names: a file's address says nothing about whose it is.
    extension = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
        attachment.content_type, ""
    )
    return f"messages/{attachment.organisation_id}/{attachment.uuid}{extension}"


class Attachment(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A file sent with a message, checked like every upload (`families.uploads`) and served
    only to who may read the thread (`web.views.documents.attachment_download`)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class ReplyTemplate(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A ready answer staff start a reply from ("Votre attestation est bien reçue…")."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=MAX_BODY_CHARS)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "title"],
                name="reply_template_unique_title",
                violation_error_message=_("A reply template already has this title."),
            )
        ]

    def __str__(self) -> str:
        return self.title


class Announcement(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A notice on every family's home page from `start` to `end` (both included)."""

    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("text"), max_length=2000)
    start = models.DateField(_("shown from"))
    end = models.DateField(_("shown until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")),
                name="announcement_in_order",
                violation_error_message=_("The last day cannot precede the first day."),
            )
        ]

    def __str__(self) -> str:
        return self.title
