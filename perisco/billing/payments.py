"""Payments and their allocation to invoices (SPEC §6): a payment is its own row with its
own state (pretix's OrderPayment); once confirmed it pays the invoices the family chose,
then the oldest unpaid ones; what is left is the family's credit, used by the next
invoices. Credit notes are allocated the same way, first to the invoice they refer to.

Every write locks the family's row first: one writer per family account at a time, so an
allocation never counts the same euro twice.
"""

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from perisco.accounts.models import User
from perisco.accounts.permissions import Permission, has_permission
from perisco.billing.documents import invoices_page_url
from perisco.billing.models import Allocation, CreditNote, Invoice, Payment, UnpaidReminder
from perisco.core.audit import audit_log
from perisco.core.errors import DomainError
from perisco.core.models import Organisation
from perisco.core.money import ZERO, quantize
from perisco.core.sequences import next_value
from perisco.families.models import Family
from perisco.families.services import family_email

MANUAL_METHODS = (
    Payment.Method.CASH,
    Payment.Method.CHEQUE,
    Payment.Method.CESU,
    Payment.Method.TRANSFER,
)


def require_billing(actor: User) -> None:
    if not has_permission(actor, Permission.MANAGE_BILLING):
        raise DomainError(_("Only finance and the childhood service manage billing."))


def lock_family(family: Family | int) -> Family:
    """Lock a family's account (its row) for the rest of the transaction."""
    return Family.objects.select_for_update().get(pk=getattr(family, "pk", family))


def new_reference() -> str:
    return uuid.uuid4().hex


def _id(family: Family | int) -> int:
    return family if isinstance(family, int) else family.pk


def unpaid_invoices(family: Family | int) -> list[Invoice]:
    """Issued invoices not fully paid, oldest first."""
    return list(
        Invoice.objects.filter(
            family_id=_id(family),
            state=Invoice.State.ISSUED,
            settled__lt=F("total"),
        ).order_by("issue_date", "year", "sequence")
    )


def _family_sum(rows, field: str) -> Coalesce:
    return Coalesce(
        Subquery(
            rows.filter(family_id=OuterRef("pk"))
            .order_by()
            .values("family_id")
            .annotate(s=Sum(field))
            .values("s")[:1]
        ),
        Value(ZERO),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


def family_balance(family: Family | int) -> Decimal:
    """What the family owes (negative: its credit): issued invoices, less credit notes and
    payments received. One query."""
    sums = (
        Family.objects.filter(pk=_id(family))
        .annotate(
            invoiced=_family_sum(Invoice.objects.filter(state=Invoice.State.ISSUED), "total"),
            credited=_family_sum(CreditNote.objects.all(), "amount"),
            paid=_family_sum(Payment.objects.filter(state=Payment.State.CONFIRMED), "amount"),
        )
        .values("invoiced", "credited", "paid")
        .get()
    )
    return Decimal(sums["invoiced"]) - Decimal(sums["credited"]) - Decimal(sums["paid"])


def _settle(invoice: Invoice, amount: Decimal, *, payment=None, credit_note=None) -> None:
    Allocation.objects.create(
        organisation_id=invoice.organisation_id,
        invoice=invoice,
        payment=payment,
        credit_note=credit_note,
        amount=amount,
    )
    invoice.settled += amount
    Invoice.objects.filter(pk=invoice.pk).update(settled=F("settled") + amount)


def allocate(family: Family | int, *, first: Sequence[int] = ()) -> None:
    """Spend the family's available credit (confirmed payments and credit notes not yet
    allocated, oldest first) on its unpaid invoices: those in `first`, then the oldest.
    The caller holds the family's lock."""
    invoices = unpaid_invoices(family)
    if not invoices:
        return
    invoices.sort(key=lambda i: i.pk not in first)  # stable: oldest within each group
    family_id = _id(family)
    sources: list[Payment | CreditNote] = [
        *CreditNote.objects.filter(family_id=family_id, settled__lt=F("amount")).order_by("pk"),
        *Payment.objects.filter(
            family_id=family_id, state=Payment.State.CONFIRMED, settled__lt=F("amount")
        ).order_by("confirmed_at", "pk"),
    ]
    for source in sources:
        # A credit note settles the invoice it corrects first.
        order = invoices
        if isinstance(source, CreditNote):
            order = sorted(invoices, key=lambda i: i.pk != source.invoice_id)
        for invoice in order:
            left = source.amount - source.settled
            if left <= 0:
                break
            owed = invoice.total - invoice.settled
            if owed <= 0:
                continue
            amount = min(left, owed)
            if isinstance(source, CreditNote):
                _settle(invoice, amount, credit_note=source)
            else:
                _settle(invoice, amount, payment=source)
            source.settled += amount
            type(source).objects.filter(pk=source.pk).update(settled=F("settled") + amount)


def payment_confirm(
    payment: Payment, *, provider_reference: str = "", now: datetime | None = None
) -> bool:
    """Confirm a payment and allocate it. Idempotent: confirming a confirmed payment again
    does nothing (a notification replayed 100 times pays once). Returns whether it was
    confirmed now. The caller runs it in a transaction."""
    lock_family(payment.family_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.state == Payment.State.CONFIRMED:
        return False
    if payment.state != Payment.State.PENDING:
        raise DomainError(_("This payment can no longer be confirmed."))
    payment.state = Payment.State.CONFIRMED
    payment.confirmed_at = now or timezone.now()
    payment.received_on = payment.received_on or timezone.localdate(payment.confirmed_at)
    if provider_reference:
        payment.provider_reference = provider_reference
    payment.save(update_fields=["state", "confirmed_at", "received_on", "provider_reference"])
    allocate(payment.family_id, first=list(payment.invoices.values_list("pk", flat=True)))
    audit_log(
        organisation=payment.organisation,
        actor=payment.recorded_by,
        action="billing.payment_confirmed",
        target=payment,
        data={"amount": str(payment.amount), "method": payment.method},
    )
    # A receipt for money the family chose to pay (at the desk, by card); a direct debit
    # was announced with its invoice, and a file of thousands needs no thousand e-mails.
    if payment.method != Payment.Method.DIRECT_DEBIT:
        balance = family_balance(payment.family_id)
        family_email(
            family=payment.family,
            template="payment_received",
            context={
                "payment": payment,
                "balance": balance,
                "credit": -balance,
                "url": invoices_page_url(payment.organisation),
            },
        )
    return True


def payment_unallocate(payment: Payment) -> None:
    """Take a payment's allocations back (the invoices it paid are unpaid again)."""
    for allocation in Allocation.objects.filter(payment=payment).select_related("invoice"):
        Invoice.objects.filter(pk=allocation.invoice_id).update(
            settled=F("settled") - allocation.amount
        )
        allocation.delete()
    Payment.objects.filter(pk=payment.pk).update(settled=ZERO)


@transaction.atomic
def payment_record(
    *,
    actor: User,
    family: Family,
    method: str,
    amount: Decimal,
    received_on: date,
    note: str = "",
    now: datetime | None = None,
) -> Payment:
    """Finance records money received at the desk (cash, cheque, CESU, transfer); it pays
    the oldest unpaid invoices, and what is more stays as the family's credit."""
    require_billing(actor)
    if method not in MANUAL_METHODS:
        raise DomainError(_("Choose how the family paid."), field="method")
    if not isinstance(amount, Decimal) or amount <= 0 or quantize(amount) != amount:
        raise DomainError(_("Give a positive amount in euros and cents."), field="amount")
    now = now or timezone.now()
    if received_on > timezone.localdate(now):
        raise DomainError(_("A payment cannot be received in the future."), field="received_on")
    family = lock_family(family)
    payment = Payment.objects.create(
        organisation=family.organisation,
        family=family,
        method=method,
        amount=amount,
        reference=new_reference(),
        received_on=received_on,
        note=note.strip(),
        recorded_by=actor,
    )
    payment_confirm(payment, now=now)
    audit_log(
        organisation=family.organisation,
        actor=actor,
        action="billing.payment_recorded",
        target=family,
        data={"amount": str(amount), "method": method, "payment": payment.pk},
    )
    return payment


@transaction.atomic
def credit_note_create(
    *, actor: User, invoice: Invoice, amount: Decimal, reason: str, now: datetime | None = None
) -> CreditNote:
    """Give back part or all of an issued invoice: a numbered credit note (its own gapless
    sequence), allocated to the invoice first, the rest as the family's credit. The
    invoice itself never changes."""
    require_billing(actor)
    lock_family(invoice.family_id)
    invoice = Invoice.objects.get(pk=invoice.pk)
    if invoice.state != Invoice.State.ISSUED:
        raise DomainError(_("Only an issued invoice can be credited."))
    if not isinstance(amount, Decimal) or amount <= 0 or quantize(amount) != amount:
        raise DomainError(_("Give a positive amount in euros and cents."), field="amount")
    credited = invoice.credit_notes.aggregate(s=Sum("amount"))["s"] or ZERO
    if amount > invoice.total - credited:
        raise DomainError(
            _("At most %(left)s € of this invoice is left to credit.")
            % {"left": invoice.total - credited},
            field="amount",
        )
    if not reason.strip():
        raise DomainError(_("Say why the family is credited."), field="reason")
    today = timezone.localdate(now or timezone.now())
    note = CreditNote.objects.create(
        organisation=invoice.organisation,
        invoice=invoice,
        family_id=invoice.family_id,
        year=today.year,
        sequence=next_value(organisation=invoice.organisation, key=f"credit-note-{today.year}"),
        issue_date=today,
        amount=amount,
        reason=reason.strip(),
        created_by=actor,
    )
    allocate(invoice.family_id, first=[invoice.pk])
    audit_log(
        organisation=invoice.organisation,
        actor=actor,
        action="billing.credit_note_created",
        target=invoice,
        data={"amount": str(amount), "number": note.number},
    )
    return note


# A family is reminded of its overdue invoices at most once in this many days.
UNPAID_REMINDER_DAYS = 7


def unpaid_reminders_send(
    *,
    actor: User | None,
    organisation: Organisation | None = None,
    now: datetime | None = None,
) -> tuple[int, int]:
    """E-mail each family with overdue invoices (issued, not fully settled, due date passed)
    the list of them, their total and how to pay; a family reminded less than
    `UNPAID_REMINDER_DAYS` days ago (counted in local days) is left alone, so finance's
    button and the periodic command can both run. `actor` is None for the command, which
    names the organisation. Returns (families e-mailed, e-mails queued): a family whose
    guardians accept no e-mail is not counted, and not recorded as reminded."""
    if actor is not None:
        require_billing(actor)
        organisation = organisation or actor.organisation
    if organisation is None:
        raise ValueError("unpaid_reminders_send() needs an organisation")
    now = now or timezone.now()
    today = timezone.localdate(now)
    # Reminded on day D: again from D + 7, whatever the hour and the clock change.
    since = timezone.make_aware(
        datetime.combine(today - timedelta(days=UNPAID_REMINDER_DAYS - 1), time.min)
    )
    recent = UnpaidReminder.objects.filter(organisation=organisation, sent_at__gte=since)
    family_ids = list(
        _overdue(organisation, today)
        .exclude(family_id__in=recent.values("family_id"))
        .order_by("family_id")
        .values_list("family_id", flat=True)
        .distinct()
    )
    families = emails = 0
    for family_id in family_ids:
        queued = _unpaid_reminder_send(
            organisation=organisation, family_id=family_id, actor=actor, since=since, now=now
        )
        families += queued > 0
        emails += queued
    return families, emails


def _overdue(organisation: Organisation, today: date):
    return Invoice.objects.filter(
        organisation=organisation,
        state=Invoice.State.ISSUED,
        settled__lt=F("total"),
        due_date__lt=today,
    )


@transaction.atomic
def _unpaid_reminder_send(
    *,
    organisation: Organisation,
    family_id: int,
    actor: User | None,
    since: datetime,
    now: datetime,
) -> int:
    # Under the family's lock: a payment being recorded, or another run reminding the
    # family, waits, and what the e-mail says is what is owed.
    family = lock_family(family_id)
    if UnpaidReminder.objects.filter(family=family, sent_at__gte=since).exists():
        return 0
    invoices = list(
        _overdue(organisation, timezone.localdate(now))
        .filter(family=family)
        .order_by("due_date", "year", "sequence")
    )
    if not invoices:
        return 0
    amount = sum((invoice.outstanding for invoice in invoices), ZERO)
    queued = family_email(
        family=family,
        template="unpaid_reminder",
        context={
            "family": family,
            "invoices": invoices,
            "amount": amount,
            "pay_online": bool(organisation.payfip_client_id),
            "payment_instructions": organisation.payment_instructions,
        },
    )
    if not queued:
        return 0
    UnpaidReminder.objects.create(
        organisation=organisation, family=family, sent_at=now, amount=amount
    )
    audit_log(
        organisation=organisation,
        actor=actor,
        action="billing.unpaid_reminder_sent",
        target=family,
        data={"amount": str(amount), "invoices": [invoice.number for invoice in invoices]},
    )
    return queued
