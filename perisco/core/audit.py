from typing import Any

from django.db import models

from perisco.core.models import AuditEntry, Organisation


def audit_log(
    *,
    organisation: Organisation | None,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record a state change and who made it (an anonymous actor is recorded as such)."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.with_scopes_disabled().create(
        organisation=organisation,
        actor=actor if is_user else None,
        actor_label=actor.email if is_user else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        data=data or {},
    )
