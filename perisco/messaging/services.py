import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

from perisco.core.models import Organisation
from perisco.core.urls import site_base_url
from perisco.messaging.models import EmailStatus, OutgoingEmail

logger = logging.getLogger(__name__)

# A delivery still "sending" after this long was interrupted (worker killed): retry it.
STALE_SENDING_AFTER = timedelta(minutes=15)
# E-mails hold personal data and links: the outbox forgets them after this long.
KEEP_FINISHED_FOR = timedelta(days=90)


_suppressed: ContextVar[bool] = ContextVar("emails_suppressed", default=False)


@contextmanager
def emails_suppressed() -> Iterator[None]:
    """Nothing is sent inside (demo data, imports): people are not told of made-up changes."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def emails_are_suppressed() -> bool:
    return _suppressed.get()


def email_send(
    *,
    organisation: Organisation | None,
    to: str,
    template: str,
    context: dict,
    language: str = settings.LANGUAGE_CODE,
    family_id: int | None = None,
) -> OutgoingEmail | None:
    """Render `messaging/email/<template>.txt` in the recipient's language and queue it
    (`family_id`: the family it is written to, listed on the family's page for staff).

    The row is written in the caller's transaction and delivered after commit, so a change
    that rolls back sends nothing, and a failed delivery is retried.
    """
    if _suppressed.get():
        return None
    base_url = site_base_url()
    context = {"organisation": organisation, "base_url": base_url, **context}
    with translation.override(language):
        path = f"messaging/email/{template}.txt"
        kept = _addresses_kept(context, organisation, to)
        subject = _defuse_links(
            " ".join(render_to_string(f"{path}#subject", context).split()), base_url, kept
        )
        body = render_to_string(f"{path}#body", context).strip() + "\n"
        if organisation is not None:  # who wrote, and how to reach them
            footer = render_to_string("messaging/email/footer.txt", context)
            body += "\n" + "\n".join(line.rstrip() for line in footer.strip().splitlines()) + "\n"
        body_text = _defuse_links(body, base_url, kept)
        body_html = render_to_string(
            "messaging/email/layout.html",
            {
                **context,
                "language": translation.get_language(),
                "subject": subject,
                "body": linebreaks(_link_our_urls(body_text, base_url)),
            },
        )
    sender_address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    sender_name = organisation.name if organisation is not None else "Périsco"
    email = OutgoingEmail.objects.with_scopes_disabled().create(
        organisation=organisation,
        family_id=family_id,
        template=template,
        recipient=to,
        from_email=str(Address(display_name=sender_name, addr_spec=sender_address)),
        reply_to=organisation.email if organisation is not None else "",
        subject=subject[:300],
        body_text=body_text,
        body_html=body_html,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: _enqueue_delivery(email.pk))
    return email


# A run of text that mail clients would turn into a link: a scheme ("https://…"), or a dot
# between a letter or digit and at least two letters ("www.evil-example.test", "a@b.fr").
_LINK_LIKE = re.compile(r"\S*(?:://|\w\.[^\W\d_]{2})\S*")
_TRAILING = ".,;:!?)»”’\"'"


def _addresses_kept(context: dict, organisation: Organisation | None, to: str) -> set[str]:
    """E-mail addresses that stay as they are: the recipient's, the organisation's and the
    logins the code put in the context (checked by an EmailField), not free text."""
    kept = {value for key, value in context.items() if key.endswith("email") and value}
    kept.add(to)
    user_email = getattr(context.get("user"), "email", "")
    if user_email:
        kept.add(user_email)
    if organisation is not None and organisation.email:
        kept.add(organisation.email)
    return {str(address) for address in kept}


def _defuse_links(text: str, base_url: str, kept: set[str]) -> str:
    """Keep every link-like run of `text` from becoming a link, except our own links and
    the addresses in `kept`.

    Names, reasons and other typed text reach e-mails; mail clients turn
    "Visit www.evil-example.test" into a live link in the town's name, so the dots of such
    runs become "[.]" (and "://" "[:]//"): still readable, never clickable.
    """

    def defuse(match: re.Match) -> str:
        run = match.group(0)
        core = run.rstrip(_TRAILING)
        if core.startswith(base_url + "/") or core in kept:
            return run
        return run.replace("://", "[:]//").replace(".", "[.]")

    return _LINK_LIKE.sub(defuse, text)


def _link_our_urls(text: str, base_url: str) -> SafeString:
    """The HTML body: the text escaped, with only our own links made clickable."""
    ours = re.compile(re.escape(base_url) + r"/[^\s<>\"]*")
    html: list[str] = []
    position = 0
    for match in ours.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        html.append(escape(text[position : match.start()]))
        html.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        position = match.start() + len(url)
    html.append(escape(text[position:]))
    return mark_safe("".join(html))  # noqa: S308 (every piece is escaped above)


def _enqueue_delivery(email_id: int, run_after=None) -> None:
    from perisco.messaging.tasks import deliver_email

    task = deliver_email
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # `send_pending_emails` (cron) picks it up when it is due.
        task = task.using(run_after=run_after)
    task.enqueue(email_id)


def email_deliver(*, email_id: int) -> bool:
    """Send one queued e-mail if it is due; True if it went out.

    Claimed with a conditional UPDATE, so two workers never send the same e-mail twice.
    """
    emails = OutgoingEmail.objects.with_scopes_disabled()
    now = timezone.now()
    claimed = emails.filter(
        pk=email_id, status=EmailStatus.PENDING, next_attempt_at__lte=now
    ).update(status=EmailStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return False
    email = emails.get(pk=email_id)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=[email.recipient],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={"Auto-Submitted": "auto-generated"},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:
        delays = settings.PERISCO_EMAIL_RETRY_DELAYS
        email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if email.attempts > len(delays):
            email.status = EmailStatus.FAILED
            logger.error("E-mail %s to %s failed for good: %s", email.pk, email.recipient, exc)
        else:
            email.status = EmailStatus.PENDING
            email.next_attempt_at = now + timedelta(seconds=delays[email.attempts - 1])
            logger.warning("E-mail %s: attempt %s failed: %s", email.pk, email.attempts, exc)
        email.save(update_fields=["status", "last_error", "next_attempt_at"])
        if email.status == EmailStatus.PENDING:
            _enqueue_delivery(email.pk, run_after=email.next_attempt_at)
        return False
    email.status = EmailStatus.SENT
    email.sent_at = timezone.now()
    email.save(update_fields=["status", "sent_at"])
    return True


def emails_deliver_due(*, limit: int = 500) -> int:
    """Retry what is due, release deliveries interrupted mid-way, forget old e-mails;
    returns how many went out."""
    emails = OutgoingEmail.objects.with_scopes_disabled()
    now = timezone.now()
    emails.filter(status=EmailStatus.SENDING, last_attempt_at__lt=now - STALE_SENDING_AFTER).update(
        status=EmailStatus.PENDING
    )
    emails.filter(
        status__in=(EmailStatus.SENT, EmailStatus.FAILED), created_at__lt=now - KEEP_FINISHED_FOR
    ).delete()
    due = emails.filter(status=EmailStatus.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at"
    )
    return sum(email_deliver(email_id=pk) for pk in due.values_list("pk", flat=True)[:limit])
