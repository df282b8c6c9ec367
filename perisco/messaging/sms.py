"""Text messages, through a pluggable backend (settings.PERISCO_SMS_BACKEND): the console in
development and until a provider is chosen, memory in the tests. A provider's backend is a
class with `send(to, text)` that raises on failure.

Sent after the caller's transaction commits (a change rolled back texts nobody), and never
inside `emails_suppressed()` (demo data)."""

import logging
import sys
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from perisco.core.models import Organisation
from perisco.messaging.services import emails_are_suppressed

logger = logging.getLogger(__name__)

# Three SMS segments at most: longer texts are cut (the full message waits in the portal).
MAX_SMS_CHARS = 459


class SmsBackend(Protocol):
    def send(self, to: str, text: str) -> None: ...


class ConsoleBackend:
    """Writes each text to standard output, as Django's console e-mail backend does."""

    def send(self, to: str, text: str) -> None:
        sys.stdout.write(f"SMS to {to}:\n{text}\n{'-' * 40}\n")
        sys.stdout.flush()


class MemoryBackend:
    """Keeps the texts in `outbox` (tests)."""

    outbox: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        MemoryBackend.outbox.append((to, text))


def sms_backend() -> SmsBackend:
    return import_string(settings.PERISCO_SMS_BACKEND)()


def sms_send(*, organisation: Organisation, to: str, text: str) -> bool:
    """Queue one text to `to`, signed with the organisation's name; False if suppressed."""
    if emails_are_suppressed() or not to.strip():
        return False
    body = f"{organisation.name} : {text}"
    if len(body) > MAX_SMS_CHARS:
        body = body[: MAX_SMS_CHARS - 1] + "…"

    def deliver() -> None:
        try:
            sms_backend().send(to.strip(), body)
        except Exception:  # a provider down must not fail the change that was committed
            logger.exception("Text message to %s failed", to)

    transaction.on_commit(deliver)
    return True
