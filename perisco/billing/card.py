"""Online card payment (SPEC §6): PayFiP, the DGFiP's service French municipalities use,
through eopayment; eopayment's dummy backend in development and tests.

A family pays one or all of its unpaid invoices: the amount is what the server knows is
due, never what the browser says. `card_payment_start` records a pending payment and asks
the provider for its payment page; the provider then tells us the outcome twice, through
the family's browser (the return page) and server to server (the notification), in any
order and as often as it likes. Both go through `card_payment_notified`, which checks the
answer with eopayment (PayFiP's answer is fetched from PayFiP itself by the operation's id;
the dummy backend's is "signed" by a flag), checks it is about this payment and this amount,
and confirms the payment once (`payments.payment_confirm` is idempotent under the family's
lock). What is refused is logged: an unknown reference, a bad signature, another amount.

Our reference travels in the return and notification addresses; the provider's id of the
operation (eopayment's transaction id: PayFiP's idOp) is kept in `provider_reference` when
the payment starts, and every answer must name it.
"""

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import eopayment
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from perisco.accounts.models import User
from perisco.billing.models import Invoice, Payment
from perisco.billing.payments import lock_family, payment_confirm
from perisco.core.audit import audit_log
from perisco.core.errors import DomainError
from perisco.core.models import Organisation
from perisco.core.money import ZERO, quantize
from perisco.families.models import Family

logger = logging.getLogger("perisco.billing.card")

DUMMY = eopayment.DUMMY
PAYFIP = eopayment.PAYFIP_WS

# eopayment's answers: paid, still running (nothing to do yet), or not paid.
_RUNNING = {eopayment.WAITING, eopayment.RECEIVED, eopayment.ACCEPTED}


class CardNotificationRefused(Exception):
    """An answer of the payment provider we do not act on. `reason` is for the log, not
    for a family; `status` is the HTTP status the notification endpoint answers with."""

    def __init__(self, reason: str, *, status: int = 400):
        super().__init__(reason)
        self.reason = reason
        self.status = status


def card_backend_kind() -> str:
    return settings.PAYMENT_BACKEND


def card_payment_available(organisation: Organisation) -> bool:
    """PayFiP needs the organisation's client number from the DGFiP; the dummy backend of
    development and tests needs nothing."""
    kind = card_backend_kind()
    return kind == DUMMY or (kind == PAYFIP and bool(organisation.payfip_client_id))


def card_payment_origin() -> str:
    """Where the provider's payment page lives: the pages posting a payment form allow it
    in their Content-Security-Policy (`form-action` also holds for the redirect that
    follows the form)."""
    from eopayment import dummy, payfip_ws

    url = {DUMMY: dummy.SERVICE_URL, PAYFIP: payfip_ws.PAYMENT_URL}[card_backend_kind()]
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _backend(
    organisation: Organisation, *, return_url: str = "", notify_url: str = ""
) -> eopayment.Payment:
    kind = card_backend_kind()
    options: dict[str, Any] = {
        "normal_return_url": return_url,
        "automatic_return_url": notify_url,
    }
    if kind == PAYFIP:
        options["numcli"] = organisation.payfip_client_id
        options["saisie"] = settings.PAYFIP_SAISIE
    elif kind == DUMMY:
        options["origin"] = organisation.name
    return eopayment.Payment(kind, options, logger=logger)


def card_reference() -> str:
    """Ours, sent to the provider: PayFiP takes it as the debt's reference (`refdet`,
    at most 30 letters and digits)."""
    return secrets.token_hex(15)


def _url(url: str | Callable[[str], str], reference: str) -> str:
    return url(reference) if callable(url) else url


def _due_invoices(family: Family, invoice_ids) -> list[Invoice]:
    invoices = Invoice.objects.filter(family=family, state=Invoice.State.ISSUED)
    if invoice_ids is not None:
        wanted = {int(pk) for pk in invoice_ids}
        invoices = invoices.filter(pk__in=wanted)
        found = list(invoices.order_by("issue_date", "year", "sequence"))
        if len(found) != len(wanted):
            # Another family's invoice, a draft, a made-up number: the view's 404.
            raise Invoice.DoesNotExist
    else:
        found = list(invoices.order_by("issue_date", "year", "sequence"))
    return [invoice for invoice in found if invoice.outstanding > 0]


def card_payment_start(
    *,
    actor: User,
    family: Family,
    invoice_ids=None,
    return_url: str | Callable[[str], str],
    notify_url: str | Callable[[str], str],
    now: datetime | None = None,
) -> tuple[Payment, str]:
    """Start paying `invoice_ids` of `family` (all its unpaid invoices when None) by card:
    a pending payment of what they still lack, and the address of the provider's payment
    page to send the browser to. `return_url` and `notify_url` are addresses, or functions
    giving the address for the payment's reference.

    Raises `Invoice.DoesNotExist` for an invoice that is not one of the family's issued
    invoices, and DomainError when nothing is due or card payment is not available."""
    organisation = family.organisation
    invoice_ids = None if invoice_ids is None else list(invoice_ids)
    if not card_payment_available(organisation):
        raise DomainError(
            _(
                "Online payment is not available for now: pay at the desk or as the "
                "invoice explains."
            )
        )
    invoices = _due_invoices(family, invoice_ids)
    if not invoices:
        raise DomainError(
            _("This invoice is already paid: nothing is left to pay.")
            if invoice_ids is not None and len(invoice_ids) == 1
            else _("Nothing is left to pay: all your invoices are paid.")
        )
    amount = quantize(sum((invoice.outstanding for invoice in invoices), ZERO))
    reference = card_reference()
    backend = _backend(
        organisation,
        return_url=_url(return_url, reference),
        notify_url=_url(notify_url, reference),
    )
    minimum = backend.get_minimal_amount()
    if minimum is not None and amount < Decimal(str(minimum)):
        raise DomainError(
            _(
                "Online payment starts at %(minimum)s €: pay this amount at the desk or as "
                "the invoice explains."
            )
            % {"minimum": minimum}
        )
    with transaction.atomic():
        payment = Payment.objects.create(
            organisation=organisation,
            family=family,
            method=Payment.Method.CARD,
            amount=amount,
            reference=reference,
            created_at=now or timezone.now(),
        )
        payment.invoices.set(invoices)
        audit_log(
            organisation=organisation,
            actor=actor,
            action="billing.card_payment_started",
            target=family,
            data={
                "amount": str(amount),
                "payment": payment.pk,
                "invoices": [invoice.number for invoice in invoices],
            },
        )
    # The provider is called outside any transaction: PayFiP answers over the network,
    # and no family's lock is held meanwhile.
    try:
        transaction_id, kind, url = backend.request(
            str(amount),
            email=actor.email,
            orderid=reference,
            subject=" ".join(invoice.number for invoice in invoices)[:100],
        )
    except (eopayment.PaymentException, ValueError) as error:
        logger.error(
            "card payment %s of %s could not start: %s", reference, organisation.slug, error
        )
        _fail(payment, status="could not start")
        raise DomainError(
            _(
                "The payment service cannot be reached: nothing was charged. Try again in a "
                "few minutes, or pay at the desk."
            )
        ) from error
    if kind != eopayment.URL:  # both backends we use give an address
        _fail(payment, status="unexpected answer")
        raise DomainError(_("The payment service answered in an unexpected way."))
    payment.provider_reference = str(transaction_id)
    payment.save(update_fields=["provider_reference"])
    return payment, url


def _query_string(data: str | bytes | dict) -> str:
    if isinstance(data, dict):
        return urlencode(data, doseq=True)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def _normalised(kind: str, query: str) -> str:
    """PayFiP posts `idOp` to the notification address; eopayment reads `idop`."""
    if kind != PAYFIP:
        return query
    fields = parse_qs(query, keep_blank_values=True)
    if "idop" not in fields and "idOp" in fields:
        fields["idop"] = fields.pop("idOp")
        return urlencode(fields, doseq=True)
    return query


def _first(value) -> Any:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def _reported_amount(kind: str, bank_data: dict) -> Decimal | None:
    """The amount the provider says was paid: PayFiP gives cents (`montant`), the dummy
    service echoes the amount asked (`amount`)."""
    try:
        if kind == PAYFIP:
            cents = _first(bank_data.get("montant"))
            return None if cents in (None, "") else quantize(Decimal(str(cents)) / 100)
        value = _first(bank_data.get("amount"))
        return None if value in (None, "") else quantize(Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError):
        return None


def _refuse(reason: str, *, organisation: Organisation, reference: str, status: int = 400):
    logger.warning(
        "card payment notification refused (%s): reference %r of %s",
        reason,
        reference[:64],
        organisation.slug,
    )
    return CardNotificationRefused(reason, status=status)


def card_payment_notified(
    *,
    organisation: Organisation,
    reference: str,
    data: str | bytes | dict,
    now: datetime | None = None,
) -> Payment:
    """Act on the provider's answer about the card payment `reference` (a query string or
    the posted form of the notification, or the return page's query string).

    Paid: the payment is confirmed and allocated, once however often the answer comes.
    Not paid (refused, cancelled, expired): a pending payment is marked failed. Still
    running: nothing changes. Raises CardNotificationRefused (logged) for an unknown
    reference, an answer that does not verify, or an amount other than the payment's."""
    payment = (
        Payment.objects.filter(
            organisation=organisation, reference=reference, method=Payment.Method.CARD
        )
        .select_related("organisation")
        .first()
    )
    if payment is None:
        raise _refuse("unknown reference", organisation=organisation, reference=reference)
    kind = card_backend_kind()
    try:
        response = _backend(organisation).response(_normalised(kind, _query_string(data)))
    except (eopayment.PaymentException, ValueError, KeyError) as error:
        raise _refuse(
            f"unreadable answer: {error}", organisation=organisation, reference=reference
        ) from error
    if not response.signed:
        raise _refuse("bad signature", organisation=organisation, reference=reference, status=403)
    if not payment.provider_reference or str(response.order_id) != payment.provider_reference:
        raise _refuse(
            "answer about another operation", organisation=organisation, reference=reference
        )
    if response.result in _RUNNING:
        return payment
    if response.result != eopayment.PAID:
        _fail(payment, status=str(response.bank_status or response.result))
        payment.refresh_from_db()
        return payment
    reported = _reported_amount(kind, response.bank_data)
    if reported != payment.amount:
        raise _refuse(
            f"amount {reported} reported, {payment.amount} asked",
            organisation=organisation,
            reference=reference,
        )
    with transaction.atomic():
        lock_family(payment.family_id)
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if current.state == Payment.State.FAILED:
            # Money was taken: the provider's word that it was paid wins over an earlier
            # failure (an abandoned page, a late answer), or the family would pay twice.
            logger.warning("card payment %s paid after it was marked failed", reference)
            current.state = Payment.State.PENDING
            current.save(update_fields=["state"])
        try:
            payment_confirm(
                current, provider_reference=str(response.order_id), now=now or timezone.now()
            )
        except DomainError as error:
            raise _refuse(
                f"cannot be confirmed: {error}", organisation=organisation, reference=reference
            ) from error
    payment.refresh_from_db()
    return payment


# PayFiP's payment page lives 15 minutes; a card payment still pending an hour after it
# began was abandoned (the tab closed, no answer will come).
CARD_PAYMENT_EXPIRY = timedelta(hours=1)


def card_payments_expire(*, now: datetime | None = None) -> int:
    """Mark failed the card payments of the current organisation left pending past
    CARD_PAYMENT_EXPIRY (lists of payments stop showing them as on their way). Should the
    provider still report one paid, `card_payment_notified` counts it. Returns how many."""
    before = (now or timezone.now()) - CARD_PAYMENT_EXPIRY
    abandoned = Payment.objects.filter(
        method=Payment.Method.CARD, state=Payment.State.PENDING, created_at__lt=before
    ).select_related("organisation")
    count = 0
    for payment in abandoned.order_by("pk"):
        count += _fail(payment, status="expired")
    return count


def _fail(payment: Payment, *, status: str) -> int:
    """A pending card payment that will not be paid: failed (only from pending)."""
    with transaction.atomic():
        changed = Payment.objects.filter(pk=payment.pk, state=Payment.State.PENDING).update(
            state=Payment.State.FAILED
        )
        if changed:
            audit_log(
                organisation=payment.organisation,
                actor=None,
                action="billing.card_payment_failed",
                target=payment,
                data={"amount": str(payment.amount), "status": status[:100]},
            )
    return changed
