"""Reads on messages: a family's boxes and unread count, the staff's inbox, the
announcements of the day. Nobody reads a thread that is not theirs: a 404."""

from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from perisco.accounts.models import User
from perisco.accounts.permissions import ROLE_PERMISSIONS, Permission, has_permission
from perisco.families.models import Family, Guardian
from perisco.families.search import search_terms
from perisco.inbox.models import Announcement, Attachment, Message, ReplyTemplate, Thread

FAMILY_BOXES = ("received", "sent", "trash")


def family_threads(family: Family, box: str) -> QuerySet[Thread]:
    """ "Received" (the organisation wrote first), "sent" (the family did), or the trash."""
    threads = Thread.objects.filter(family=family).select_related("child", "facility")
    if box == "trash":
        return threads.filter(family_trashed_at__isnull=False)
    return threads.filter(family_trashed_at__isnull=True, started_by_family=box == "sent")


def family_thread_list(family: Family, *, limit: int = 10) -> list[Thread]:
    """A family's last threads, for its staff page (the trash included: staff keep all)."""
    return list(Thread.objects.filter(family=family).order_by("-last_message_at", "-pk")[:limit])


def family_unread_counts(family: Family) -> dict[str, int]:
    """Unread threads per box (the trash holds none: trashing reads), in one query."""
    counts = Thread.objects.filter(
        family=family, family_unread=True, family_trashed_at__isnull=True
    ).aggregate(
        received=Count("pk", filter=Q(started_by_family=False)),
        sent=Count("pk", filter=Q(started_by_family=True)),
    )
    return {"received": counts["received"], "sent": counts["sent"]}


def guardian_unread_count(user) -> int:
    """Unread threads of the signed-in guardian's family, for the menu: one query."""
    return Thread.objects.filter(
        family__in=Guardian.objects.filter(user=user).values("family_id"),
        family_unread=True,
        family_trashed_at__isnull=True,
    ).count()


def access_family_thread(family: Family, pk: int) -> Thread:
    thread = (
        Thread.objects.filter(pk=pk, family=family)
        .select_related("child", "facility", "family__organisation")
        .first()
    )
    if thread is None:
        raise Http404
    return thread


def access_staff_thread(pk: int) -> Thread:
    """Any thread of the organisation in scope (staff pages run scoped)."""
    thread = (
        Thread.objects.filter(pk=pk)
        .select_related("child", "facility", "family__organisation", "assigned_to", "broadcast")
        .first()
    )
    if thread is None:
        raise Http404
    return thread


def thread_messages(thread: Thread) -> list[Message]:
    """The messages with their files, oldest first: two queries, however many."""
    return list(
        thread.messages.prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
        )
    )


def staff_threads(
    *, status: str = "", assigned: str = "", user=None, search: str = ""
) -> QuerySet[Thread]:
    """The inbox: every family's threads, filtered by status, by who has them ("me",
    "nobody") and by words found in the subject, a message or the family's search text."""
    threads = Thread.objects.select_related("family", "child", "assigned_to").defer(
        "search_text", "family__search_text"
    )
    if status:
        threads = threads.filter(status=status)
    if assigned == "me" and user is not None:
        threads = threads.filter(assigned_to=user)
    elif assigned == "nobody":
        threads = threads.filter(assigned_to__isnull=True)
    for term in search_terms(search):
        threads = threads.filter(
            Q(search_text__contains=term) | Q(family__search_text__contains=term)
        )
    return threads.order_by("-staff_unread", "-last_message_at", "-pk")


def staff_unread_count() -> int:
    """Threads where a family wrote and no agent has read it yet."""
    return Thread.objects.filter(staff_unread=True).count()


def reply_templates() -> list[ReplyTemplate]:
    return list(ReplyTemplate.objects.order_by("title"))


def announcements_current(today: date | None = None) -> list[Announcement]:
    today = today or timezone.localdate()
    return list(
        Announcement.objects.filter(start__lte=today, end__gte=today).order_by("start", "pk")
    )


def access_attachment(user, attachment_uuid) -> Attachment:
    """A file of a message, to the family of the thread or to staff who answer messages
    (in the organisation's scope); anything else is a 404."""
    attachment = (
        Attachment.objects.filter(uuid=attachment_uuid).select_related("message__thread").first()
    )
    if attachment is None or not user.is_authenticated:
        raise Http404
    if has_permission(user, Permission.MANAGE_MESSAGES):
        return attachment
    if has_permission(user, Permission.USE_PORTAL):
        family = Guardian.objects.filter(user=user).values_list("family", flat=True).first()
        if family is not None and attachment.message.thread.family_id == family:
            return attachment
    raise Http404


def message_agents() -> list[User]:
    """The organisation's active staff who answer messages, for assigning a thread."""
    roles = [
        role for role, rights in ROLE_PERMISSIONS.items() if Permission.MANAGE_MESSAGES in rights
    ]
    return list(
        User.objects.filter(role__in=roles, is_active=True).order_by(
            "first_name", "last_name", "email"
        )
    )


def broadcast_reach(family_ids: list[int]) -> dict[str, int]:
    """How many families a broadcast reaches, how many of them by e-mail (a guardian with an
    active login who accepts e-mails) and could be by text (a mobile number, texts
    accepted): the preview staff read before sending."""
    emailed = (
        Guardian.objects.filter(
            family_id__any_of=family_ids, user__is_active=True, consent_email=True
        )
        .values("family_id")
        .distinct()
        .count()
    )
    texted = (
        Guardian.objects.filter(family_id__any_of=family_ids, consent_sms=True)
        .exclude(mobile_phone="")
        .values("family_id")
        .distinct()
        .count()
    )
    return {"families": len(family_ids), "emailed": emailed, "texted": texted}
