"""SEPA direct debit (SPEC §6): the monthly pain.008 file of the invoices of families who
signed a mandate, marking it debited, and the bank's rejections.

A file is made of the issued, not fully paid invoices of families whose bank details carry
a mandate (reference and signature date) and a valid IBAN, less those already in a file
awaiting its debit. Each invoice becomes one pending direct-debit payment (its outstanding
amount), whose reference is the end-to-end id the bank quotes back in a rejection. The
payments are confirmed, and so pay the invoices, only when finance marks the file debited;
a rejection takes its payment back and reopens the invoice.

The XML is built and checked against the pain.008.001.02 schema (the version French banks
take) by `sepaxml` before anything is saved; sepaxml checks the shape, not the IBANs'
checksums, which python-stdnum does here.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

import holidays
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from sepaxml import SepaDD
from sepaxml.validation import ValidationError as SepaValidationError
from stdnum import bic, iban
from stdnum.eu import at_02

from perisco.accounts.models import User
from perisco.billing.models import DirectDebitBatch, Invoice, Payment
from perisco.billing.payments import (
    allocate,
    lock_family,
    new_reference,
    payment_confirm,
    payment_unallocate,
    require_billing,
)
from perisco.core.audit import audit_log
from perisco.core.errors import DomainError
from perisco.core.models import Organisation
from perisco.core.money import ZERO, quantize
from perisco.families.models import BankAccount, Family
from perisco.families.services import family_email

SCHEMA = "pain.008.001.02"
# Since the 2016 SEPA rulebook a first collection may be sent as recurrent ("FRST" is
# optional) and every collection has the same delay: one sequence type for all.
SEQUENCE_TYPE = "RCUR"
# SEPA Core asks the file to reach the bank one TARGET day before the collection; banks
# want it earlier, most often two working days. Kept simple: the collection date must be a
# TARGET working day at least this many TARGET working days after today. A bank asking
# for more is told so in its contract; finance then picks a later date.
NOTICE_WORKING_DAYS = 2
# A French creditor identifier (ICS): FR, 2 check digits, a business code (ZZZ), 6 chars.
_FRENCH_CREDITOR_ID = re.compile(r"^FR\d{2}[A-Z0-9]{3}[A-Z0-9]{6}$")


# --- Dates and identifiers -------------------------------------------------------------


@cache
def _target_holidays(year: int) -> frozenset[date]:
    # The TARGET2 calendar (European Central Bank): the days SEPA debits settle on.
    return frozenset(holidays.financial_holidays("XECB", years=year))


def is_target_day(day: date) -> bool:
    """Whether SEPA payments settle on `day` (Monday to Friday, not a TARGET holiday)."""
    return day.weekday() < 5 and day not in _target_holidays(day.year)


def earliest_collection_date(today: date) -> date:
    """The first collection date a file made `today` may ask for."""
    day, counted = today, 0
    while counted < NOTICE_WORKING_DAYS or not is_target_day(day):
        day += timedelta(days=1)
        if is_target_day(day):
            counted += 1
    return day


def _short(day: date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def collection_date_problem(day: date, today: date) -> str | None:
    """Why a file made `today` cannot be collected on `day`, or None."""
    earliest = earliest_collection_date(today)
    if day < earliest or not is_target_day(day):
        return _(
            "The collection date must be a bank working day at least %(days)s working "
            "days from today: %(earliest)s at the earliest."
        ) % {"days": NOTICE_WORKING_DAYS, "earliest": _short(earliest)}
    return None


def creditor_id_is_valid(value: str) -> bool:
    """A SEPA creditor identifier (AT-02) with a right ISO 7064 check, in the French format
    (FRkk ZZZ nnnnnn) when it is French."""
    compact = at_02.compact(value or "")
    if not compact or len(compact) > 35 or not at_02.is_valid(compact):
        return False
    return not compact.startswith("FR") or bool(_FRENCH_CREDITOR_ID.match(compact))


def creditor_problems(organisation: Organisation) -> list[str]:
    """What is missing from the organisation's settings before it can debit (empty: ready)."""
    problems = []
    if not creditor_id_is_valid(organisation.sepa_creditor_id):
        problems.append(_("the SEPA creditor identifier (ICS) is missing or not valid"))
    if not iban.is_valid(organisation.sepa_iban or ""):
        problems.append(_("the IBAN of the account credited is missing or not valid"))
    if not bic.is_valid(organisation.sepa_bic or ""):
        problems.append(_("the BIC of the account credited is missing or not valid"))
    return problems


# --- What a file would debit -----------------------------------------------------------


@dataclass(frozen=True)
class Debit:
    invoice: Invoice
    account: BankAccount
    amount: Decimal


@dataclass(frozen=True)
class Skipped:
    family: Family
    reason: str


@dataclass
class DebitPlan:
    debits: list[Debit] = field(default_factory=list)
    # Families with a mandate and something to pay that the file leaves out, and why.
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.debits)

    @property
    def total(self) -> Decimal:
        return sum((d.amount for d in self.debits), ZERO)


def _awaiting_debit():
    """Ids of invoices already in a file whose debit has not been confirmed yet."""
    return Payment.invoices.through.objects.filter(
        payment__method=Payment.Method.DIRECT_DEBIT, payment__state=Payment.State.PENDING
    ).values("invoice_id")


def _candidates(organisation: Organisation):
    return (
        Invoice.objects.filter(
            organisation=organisation,
            state=Invoice.State.ISSUED,
            settled__lt=F("total"),
            family__bank_account__mandate_signed_on__isnull=False,
        )
        .exclude(family__bank_account__mandate_reference="")
        .exclude(pk__in=_awaiting_debit())
    )


def debit_plan(
    organisation: Organisation, collection_date: date, *, family_ids: set[int] | None = None
) -> DebitPlan:
    """The debits a file collected on `collection_date` would hold, one per invoice, and
    the families left out (bank details not valid, mandate signed after that date)."""
    plan = DebitPlan()
    invoices = _candidates(organisation).select_related("family__bank_account")
    if family_ids is not None:
        invoices = invoices.filter(family_id__in=family_ids)
    skipped: set[int] = set()
    for invoice in invoices.order_by("family__name", "family_id", "issue_date", "sequence"):
        account = invoice.family.bank_account
        if invoice.family_id in skipped:
            continue
        reason = ""
        if not iban.is_valid(account.iban):
            reason = _("the IBAN is not valid")
        elif account.mandate_signed_on and account.mandate_signed_on > collection_date:
            reason = _("the mandate is signed after the collection date")
        if reason:
            skipped.add(invoice.family_id)
            plan.skipped.append(Skipped(invoice.family, reason))
            continue
        plan.debits.append(Debit(invoice, account, quantize(invoice.total - invoice.settled)))
    return plan


# --- The file --------------------------------------------------------------------------


def _cents(amount: Decimal) -> int:
    return int(quantize(amount) * 100)


def _remittance(invoice: Invoice) -> str:
    # Read on the family's bank statement: in the site's language, not the user's.
    with translation.override(settings.LANGUAGE_CODE):
        return _("Invoice %(number)s, family %(family)s") % {
            "number": invoice.number,
            "family": invoice.family_number,
        }


def pain008(
    organisation: Organisation,
    collection_date: date,
    debits: list[tuple[Debit, str]],
) -> tuple[str, str]:
    """The pain.008 XML of `debits` (each with its end-to-end id) and its message id,
    checked against the schema. Raises DomainError when the schema refuses it."""
    sdd = SepaDD(
        {
            "name": organisation.name,
            "IBAN": iban.compact(organisation.sepa_iban),
            "BIC": bic.compact(organisation.sepa_bic),
            "batch": True,
            "creditor_id": at_02.compact(organisation.sepa_creditor_id),
            "currency": "EUR",
            "instrument": "CORE",
        },
        schema=SCHEMA,
    )
    for debit, end_to_end_id in debits:
        account = debit.account
        transaction_: dict = {
            "name": account.holder,
            "IBAN": iban.compact(account.iban),
            "amount": _cents(debit.amount),
            "type": SEQUENCE_TYPE,
            "collection_date": collection_date,
            "mandate_id": account.mandate_reference,
            "mandate_date": account.mandate_signed_on,
            "description": _remittance(debit.invoice),
            "endtoend_id": end_to_end_id,
        }
        # Without a BIC the bank finds the debtor's from the IBAN ("NOTPROVIDED").
        if account.bic and bic.is_valid(account.bic):
            transaction_["BIC"] = bic.compact(account.bic)
        sdd.add_payment(transaction_)
    try:
        xml = sdd.export(validate=True, pretty_print=True)
    except SepaValidationError as error:
        raise DomainError(
            _(
                "The bank file does not pass the SEPA schema: check the names, mandate "
                "references and bank details of the families (%(detail)s)."
            )
            % {"detail": str(error.__cause__ or error)[:300]}
        ) from error
    return sdd.msg_id, xml.decode("utf-8")


@transaction.atomic
def debit_batch_create(
    *,
    actor: User,
    collection_date: date,
    expected: tuple[int, Decimal] | None = None,
    now: datetime | None = None,
) -> DirectDebitBatch:
    """Make the direct-debit file of everything families with a mandate owe, collected on
    `collection_date`: one pending payment per invoice. `expected`: the (count, total)
    finance saw in the preview; the file is refused if it changed meanwhile."""
    require_billing(actor)
    organisation = actor.organisation
    if organisation is None:
        raise DomainError(_("Only finance and the childhood service manage billing."))
    now = now or timezone.now()
    today = timezone.localdate(now)
    # One file made at a time per organisation: two at once would debit an invoice twice.
    # NO KEY: rows being written elsewhere that refer to the organisation (every row does)
    # take a key-share lock on it when they commit, and must not wait for the file.
    organisation = Organisation.objects.select_for_update(no_key=True).get(pk=organisation.pk)
    if problems := creditor_problems(organisation):
        raise DomainError(
            _("Direct debits cannot be made yet: %(problems)s. Set them in the settings.")
            % {"problems": "; ".join(problems)}
        )
    if problem := collection_date_problem(collection_date, today):
        raise DomainError(problem, field="collection_date")
    # Lock the accounts debited (in a fixed order), so no payment is allocated meanwhile.
    family_ids = set(
        Family.objects.select_for_update()
        .filter(pk__in=_candidates(organisation).values("family_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    plan = debit_plan(organisation, collection_date, family_ids=family_ids)
    if not plan.debits:
        raise DomainError(
            _("There is nothing to debit: no family with a mandate has an unpaid invoice.")
        )
    if expected is not None and expected != (plan.count, plan.total):
        raise DomainError(
            _(
                "The invoices to debit changed since the preview (%(count)s for %(total)s € "
                "now): check them again before making the file."
            )
            % {"count": plan.count, "total": plan.total}
        )
    references = [(debit, new_reference()) for debit in plan.debits]
    message_id, xml = pain008(organisation, collection_date, references)
    batch = DirectDebitBatch.objects.create(
        organisation=organisation,
        collection_date=collection_date,
        message_id=message_id,
        total=plan.total,
        count=plan.count,
        xml=xml,
        created_at=now,
        created_by=actor,
    )
    payments = Payment.objects.bulk_create(
        [
            Payment(
                organisation=organisation,
                family_id=debit.invoice.family_id,
                method=Payment.Method.DIRECT_DEBIT,
                amount=debit.amount,
                reference=reference,
                batch=batch,
                note=debit.account.mandate_reference,
                created_at=now,
                recorded_by=actor,
            )
            for debit, reference in references
        ]
    )
    through = Payment.invoices.through
    through.objects.bulk_create(
        [
            through(payment_id=payment.pk, invoice_id=debit.invoice.pk)
            for payment, (debit, _reference) in zip(payments, references, strict=True)
        ]
    )
    audit_log(
        organisation=organisation,
        actor=actor,
        action="billing.debit_batch_created",
        target=batch,
        data={
            "collection_date": collection_date.isoformat(),
            "count": plan.count,
            "total": str(plan.total),
            "message_id": message_id,
        },
    )
    return batch


@transaction.atomic
def debit_batch_mark_debited(
    *, actor: User, batch: DirectDebitBatch, now: datetime | None = None
) -> int:
    """The bank debited the file: confirm its pending payments (they pay their invoices).
    Returns how many were confirmed; a file is marked debited once."""
    require_billing(actor)
    now = now or timezone.now()
    # NO KEY: a rejection recorded meanwhile updates one of its payments, whose reference
    # to the file is checked (a key-share lock) when it commits.
    batch = DirectDebitBatch.objects.select_for_update(no_key=True).get(
        pk=batch.pk, organisation=actor.organisation
    )
    if batch.state == DirectDebitBatch.State.DEBITED:
        raise DomainError(
            _("This file was already marked debited on %(date)s: nothing was counted twice.")
            % {"date": _short(timezone.localtime(batch.debited_at or now).date())}
        )
    if batch.collection_date > timezone.localdate(now):
        raise DomainError(
            _(
                "This file is collected on %(date)s: mark it debited once the bank has "
                "credited the account."
            )
            % {"date": _short(batch.collection_date)}
        )
    pending = batch.payments.filter(state=Payment.State.PENDING).order_by("family_id", "pk")
    confirmed = 0
    for payment_id, family_id in pending.values_list("pk", "family_id"):
        # Family by family in a fixed order; a rejection recorded meanwhile is left alone.
        lock_family(family_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.state != Payment.State.PENDING:
            continue
        payment.received_on = batch.collection_date
        payment.save(update_fields=["received_on"])
        confirmed += payment_confirm(payment, now=now)
    batch.state = DirectDebitBatch.State.DEBITED
    batch.debited_at = now
    batch.save(update_fields=["state", "debited_at"])
    audit_log(
        organisation=batch.organisation,
        actor=actor,
        action="billing.debit_batch_debited",
        target=batch,
        data={"confirmed": confirmed},
    )
    return confirmed


@transaction.atomic
def debit_reject(*, actor: User, payment: Payment, reason: str, now: datetime | None = None) -> int:
    """The bank rejected a direct debit (closed account, no funds, disputed mandate): the
    payment is taken back, the invoices it paid are unpaid again, and the family is told
    how to pay instead. Returns how many e-mails were queued (0: nobody could be told)."""
    require_billing(actor)
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give the reason the bank gave for the rejection."), field="reason")
    now = now or timezone.now()
    family = lock_family(payment.family_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.method != Payment.Method.DIRECT_DEBIT or payment.batch_id is None:
        raise DomainError(_("Only a direct debit can be rejected by the bank."))
    if payment.state == Payment.State.REJECTED:
        raise DomainError(_("This debit is already recorded as rejected."))
    if payment.state not in (Payment.State.PENDING, Payment.State.CONFIRMED):
        raise DomainError(_("This debit can no longer be rejected."))
    invoices = list(payment.invoices.order_by("issue_date", "sequence"))
    payment_unallocate(payment)
    payment.state = Payment.State.REJECTED
    payment.rejected_at = now
    payment.rejection_reason = reason[:200]
    payment.settled = ZERO
    payment.save(update_fields=["state", "rejected_at", "rejection_reason"])
    # Credit the family has elsewhere (an overpayment) settles the reopened invoice.
    allocate(family)
    for invoice in invoices:
        invoice.refresh_from_db(fields=["settled"])
    organisation = family.organisation
    emails = family_email(
        family=family,
        template="direct_debit_rejected",
        context={
            "amount": payment.amount,
            "invoices": invoices,
            "outstanding": sum((i.outstanding for i in invoices), ZERO),
            "reason": payment.rejection_reason,
            "pay_online": bool(organisation.payfip_client_id),
            "payment_instructions": organisation.payment_instructions,
        },
    )
    audit_log(
        organisation=organisation,
        actor=actor,
        action="billing.direct_debit_rejected",
        target=family,
        data={
            "payment": payment.pk,
            "amount": str(payment.amount),
            "invoices": [i.number for i in invoices],
            "reason": payment.rejection_reason,
            "emails": emails,
        },
    )
    return emails
