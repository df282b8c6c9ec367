"""The activity log: who changed what, when; and how each action reads in it."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

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


# Every action code passed to `audit_log` has its label here (a test reads the code base
# to check it), so the activity log never shows a code.
ACTION_LABELS = {
    "organisation.created": _("Organisation created"),
    "organisation.settings_changed": _("Settings changed"),
    "user.invited": _("Invitation sent"),
    "user.invitation_accepted": _("Invitation accepted, password chosen"),
    "user.password_reset_requested": _("Password reset asked"),
    "user.password_reset": _("Password reset"),
    "user.password_changed": _("Password changed"),
    "user.email_change_requested": _("Login e-mail change asked"),
    "user.email_changed": _("Login e-mail changed"),
    "user.role_changed": _("Role changed"),
    "user.activated": _("Account reactivated"),
    "user.deactivated": _("Account deactivated"),
    "user.2fa_enabled": _("Two-factor authentication turned on"),
    "user.2fa_disabled": _("Two-factor authentication turned off"),
    "user.2fa_reset": _("Two-factor authentication reset by an administrator"),
    "family.created": _("Family file opened by staff"),
    "family.edited": _("Family file changed by staff"),
    "family.registered": _("Online registration started (address not confirmed yet)"),
    "family.registration_confirmed": _("Online registration confirmed by the family"),
    "family.certified": _("File certified up to date for the school year"),
    "document.uploaded": _("Document sent"),
    "document.deleted": _("Document deleted"),
    "thread.started_by_family": _("Message sent by the family"),
    "thread.started_by_staff": _("Message sent to the family"),
    "thread.answered": _("Answer in a conversation"),
    "thread.assigned": _("Conversation assigned"),
    "thread.status_changed": _("Conversation status changed"),
    "reply_template.saved": _("Reply template saved"),
    "reply_template.deleted": _("Reply template deleted"),
    "broadcast.sent": _("Message sent to many families"),
    "announcement.saved": _("Announcement saved"),
    "announcement.deleted": _("Announcement deleted"),
    "request.submitted": _("Request sent"),
    "request.accepted": _("Request accepted"),
    "request.refused": _("Request refused"),
    "request.withdrawn": _("Request withdrawn by the family"),
    "requests.settings_changed": _("Requests accepted at once changed"),
    "catalogue.created": _("Added to the activity catalogue"),
    "catalogue.changed": _("Activity catalogue changed"),
    "catalogue.deleted": _("Removed from the activity catalogue"),
    "enrollment.created": _("Enrollment made by staff"),
    "enrollment.requested": _("Enrollment requested by the family"),
    "enrollment.validated": _("Enrollment validated"),
    "enrollment.refused": _("Enrollment refused"),
    "enrollment.withdrawn": _("Enrollment withdrawn"),
    "bookings.changed": _("Bookings changed"),
    "bookings.accepted": _("Booking requests accepted"),
    "bookings.refused": _("Booking requests refused"),
    "bookings.waiting_list_promoted": _("Waiting list: a freed place confirmed"),
    "bookings.waiting_list_to_staff": _("Waiting list: a freed place offered to staff"),
    "bookings.waiting_list_dropped": _("Waiting list: a day that can no longer be booked"),
    "bookings.waiting_list_offered": _("Waiting list: place given by staff"),
    "absence.declared": _("Absence declared"),
    "absence.excused": _("Absence excused"),
    "absence.kept": _("Absence kept billed"),
    "absence.justified": _("Absence justification sent"),
    "attendance.closed": _("Attendance day closed"),
    "bookings.days_cancelled": _("Days cancelled by the service (strike, trip)"),
    "bookings.request_window_created": _("Holiday session request window opened"),
    "bookings.request_window_changed": _("Holiday session request window changed"),
    "bookings.place_requests_set": _("Holiday session days asked for"),
    "bookings.allocation_run": _("Holiday session draw run"),
    "bookings.allocation_published": _("Holiday session draw published"),
    "billing.tariff_created": _("Tariff created"),
    "billing.tariff_changed": _("Tariff changed"),
    "billing.run_created": _("Billing run started"),
    "billing.run_discarded": _("Billing run discarded"),
    "billing.run_issue_asked": _("Billing run sent for issue"),
    "billing.run_issued": _("Invoices issued"),
    "billing.invoices_announced": _("Families told by e-mail that their invoice is available"),
    "billing.invoice_excluded": _("Family left out of a billing run"),
    "billing.invoice_redrafted": _("Family's draft invoice prepared again"),
    "billing.payment_recorded": _("Payment recorded"),
    "billing.payment_confirmed": _("Payment received"),
    "billing.card_payment_started": _("Card payment started online"),
    "billing.card_payment_failed": _("Card payment not completed"),
    "billing.credit_note_created": _("Credit note issued"),
    "billing.debit_batch_created": _("Direct-debit file made"),
    "billing.debit_batch_debited": _("Direct-debit file marked debited"),
    "billing.direct_debit_rejected": _("Direct debit rejected by the bank"),
    "billing.unpaid_reminder_sent": _("Reminder of unpaid invoices e-mailed"),
    "attendance.corrected": _("Attendance corrected"),
    "guardian.reminders_on": _("Booking reminders turned on"),
    "guardian.reminders_off": _("Booking reminders turned off"),
    "calendar_feed.created": _("Calendar address for phones created"),
    "calendar_feed.renewed": _("Calendar address for phones renewed (the old one stops)"),
    "calendar_feed.revoked": _("Calendar address for phones deleted"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
