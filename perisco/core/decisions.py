"""Recording a staff (or family) decision on something awaiting one: a change request, an
enrollment. The caller has locked the row and checked it was still pending."""

from django.db import models
from django.utils import timezone

from perisco.core.audit import audit_log


def record_decision(
    obj: models.Model,
    *,
    status: str,
    actor,
    action: str,
    reason: str | None = None,
    data: dict | None = None,
) -> None:
    obj.status = status  # type: ignore[attr-defined]
    obj.decided_by = actor  # type: ignore[attr-defined]
    obj.decided_at = timezone.now()  # type: ignore[attr-defined]
    fields = ["status", "decided_by", "decided_at"]
    if reason is not None:
        obj.refusal_reason = reason  # type: ignore[attr-defined]
        fields.append("refusal_reason")
    obj.save(update_fields=fields)
    audit_log(
        organisation=obj.organisation,  # type: ignore[attr-defined]
        actor=actor,
        action=action,
        target=obj,
        data={**({"reason": reason} if reason else {}), **(data or {})},
    )
