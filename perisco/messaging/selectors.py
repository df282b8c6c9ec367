"""Reads on what was sent."""

from perisco.messaging.models import OutgoingEmail


def family_emails(family_id: int, *, limit: int = 20) -> list[OutgoingEmail]:
    """The last e-mails written to a family (the outbox keeps them
    `services.KEEP_FINISHED_FOR`)."""
    return list(
        OutgoingEmail.objects.filter(family_id=family_id)
        .only("recipient", "subject", "status", "created_at", "sent_at", "attempts")
        .order_by("-created_at", "-pk")[:limit]
    )
