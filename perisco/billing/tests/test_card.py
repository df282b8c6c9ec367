"""Card payment through eopayment (its dummy backend; PayFiP with its web service mocked):
the amount is the server's, the provider's answers are verified, and a payment is
confirmed once however often they come."""

import logging
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.utils import translation
from eopayment import dummy, payfip_ws

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.card import (
    CARD_PAYMENT_EXPIRY,
    CardNotificationRefused,
    card_payment_available,
    card_payment_notified,
    card_payment_start,
    card_payments_expire,
)
from perisco.billing.models import Allocation, Invoice, Payment
from perisco.billing.payments import family_balance, payment_record
from perisco.billing.tests.factories import issued_invoice
from perisco.core.errors import DomainError
from perisco.core.models import AuditEntry
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import guardian_user

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The messages are checked in English, the language they are written in."""
    with translation.override("en"):
        yield


@pytest.fixture
def parent(organisation):
    return guardian_user(organisation)


@pytest.fixture
def family(parent):
    return Guardian.objects.get(user=parent).family


def start(parent, family, invoice_ids=None):
    return card_payment_start(
        actor=parent,
        family=family,
        invoice_ids=invoice_ids,
        return_url=lambda reference: f"http://testserver/demo/retour/{reference}/",
        notify_url=lambda reference: f"http://testserver/demo/notification/{reference}/",
    )


def dummy_answer(payment, *, paid=True, signed=True, amount=None, **fields) -> str:
    """What eopayment's dummy service sends back, to the return address and to the
    notification address: the transaction id it was given, the amount, "signed" (its whole
    signature, eopayment.dummy.Payment.response) and "ok" when paid."""
    answer = {
        "transaction_id": payment.provider_reference,
        "orderid": payment.reference,
        "amount": str(payment.amount if amount is None else amount),
    }
    if signed:
        answer["signed"] = "1"
    if paid:
        answer["ok"] = "1"
    answer.update(fields)
    return urlencode(answer)


def notified(payment, answer):
    return card_payment_notified(
        organisation=payment.organisation, reference=payment.reference, data=answer
    )


def refresh(*objects):
    for o in objects:
        o.refresh_from_db()


# --- Starting a payment ---


def _cheque(organisation, family, amount):
    return payment_record(
        actor=UserFactory(organisation=organisation, role=Role.FINANCE),
        family=family,
        method=Payment.Method.CHEQUE,
        amount=D(amount),
        received_on=date(2026, 10, 20),
    )


def test_the_amount_is_what_the_family_still_owes_on_its_unpaid_invoices(
    organisation, parent, family
):
    september = issued_invoice(family, "30.00", month=date(2026, 9, 1))
    october = issued_invoice(family, "40.50", month=date(2026, 10, 1))
    _cheque(organisation, family, "10.00")  # pays 10 € of September
    payment, url = start(parent, family)
    assert payment.amount == D("60.50")
    assert (payment.state, payment.method) == (Payment.State.PENDING, Payment.Method.CARD)
    assert set(payment.invoices.all()) == {september, october}
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(dummy.SERVICE_URL)
    assert query["amount"] == ["60.50"]
    assert query["orderid"] == [payment.reference]
    assert query["transaction_id"] == [payment.provider_reference]
    assert query["return_url"] == [f"http://testserver/demo/retour/{payment.reference}/"]
    assert query["direct_notification_url"] == [
        f"http://testserver/demo/notification/{payment.reference}/"
    ]
    assert AuditEntry.objects.filter(action="billing.card_payment_started").count() == 1


def test_one_invoice_is_paid_for_what_it_still_lacks(parent, family):
    issued_invoice(family, "30.00", month=date(2026, 9, 1))
    october = issued_invoice(family, "40.50", month=date(2026, 10, 1))
    payment, _url = start(parent, family, [october.pk])
    assert payment.amount == D("40.50")
    assert list(payment.invoices.all()) == [october]


def test_another_familys_invoice_is_refused(organisation, parent, family):
    issued_invoice(family, "30.00")
    other = guardian_user(organisation)
    theirs = issued_invoice(Guardian.objects.get(user=other).family, "25.00")
    with pytest.raises(Invoice.DoesNotExist):
        start(parent, family, [theirs.pk])
    assert not Payment.objects.exists()


def test_nothing_due_is_refused(organisation, parent, family):
    with pytest.raises(DomainError, match="Nothing is left to pay"):
        start(parent, family)
    paid = issued_invoice(family, "30.00")
    _cheque(organisation, family, "30.00")
    with pytest.raises(DomainError, match="already paid"):
        start(parent, family, [paid.pk])
    with pytest.raises(DomainError):
        start(parent, family)
    assert not Payment.objects.filter(method=Payment.Method.CARD).exists()


# --- The provider's answers ---


def test_a_notification_replayed_100_times_pays_once(parent, family):
    september = issued_invoice(family, "30.00", month=date(2026, 9, 1))
    october = issued_invoice(family, "40.50", month=date(2026, 10, 1))
    payment, _url = start(parent, family)
    answer = dummy_answer(payment)
    for _ in range(100):
        assert notified(payment, answer).state == Payment.State.CONFIRMED
    refresh(payment, september, october)
    assert payment.provider_reference  # the provider's id of the operation, kept
    assert (september.settled, october.settled) == (D("30.00"), D("40.50"))
    assert Allocation.objects.filter(payment=payment).count() == 2
    assert payment.settled == payment.amount
    assert family_balance(family) == D("0.00")
    assert AuditEntry.objects.filter(action="billing.payment_confirmed").count() == 1


def test_an_answer_without_a_valid_signature_is_refused_and_logged(parent, family, caplog):
    issued_invoice(family, "30.00")
    payment, _url = start(parent, family)
    with (
        caplog.at_level(logging.WARNING, logger="perisco.billing.card"),
        pytest.raises(CardNotificationRefused) as refused,
    ):
        notified(payment, dummy_answer(payment, signed=False))
    assert refused.value.status == 403
    assert "bad signature" in caplog.text and payment.reference in caplog.text
    refresh(payment)
    assert payment.state == Payment.State.PENDING
    assert not Allocation.objects.exists()


def test_an_unknown_reference_is_refused_and_logged(organisation, parent, family, caplog):
    issued_invoice(family, "30.00")
    payment, _url = start(parent, family)
    with (
        caplog.at_level(logging.WARNING, logger="perisco.billing.card"),
        pytest.raises(CardNotificationRefused) as refused,
    ):
        card_payment_notified(
            organisation=organisation, reference="0" * 30, data=dummy_answer(payment)
        )
    assert refused.value.status == 400
    assert "unknown reference" in caplog.text
    refresh(payment)
    assert payment.state == Payment.State.PENDING


def test_another_organisations_payment_is_an_unknown_reference(parent, family, caplog):
    issued_invoice(family, "30.00")
    payment, _url = start(parent, family)
    with pytest.raises(CardNotificationRefused, match="unknown reference"):
        card_payment_notified(
            organisation=OrganisationFactory(slug="val"),
            reference=payment.reference,
            data=dummy_answer(payment),
        )


def test_an_amount_other_than_the_payments_is_refused_and_logged(parent, family, caplog):
    invoice = issued_invoice(family, "30.00")
    payment, _url = start(parent, family)
    with caplog.at_level(logging.WARNING, logger="perisco.billing.card"):
        for amount in ("29.99", "1.00", "300.00", "not a number"):
            with pytest.raises(CardNotificationRefused):
                notified(payment, dummy_answer(payment, amount=amount))
        with pytest.raises(CardNotificationRefused):  # no amount at all
            notified(payment, dummy_answer(payment).replace("amount=30.00", "x=1"))
    assert "29.99 reported, 30.00 asked" in caplog.text
    refresh(payment, invoice)
    assert payment.state == Payment.State.PENDING
    assert invoice.settled == D("0.00")


def test_an_answer_about_another_operation_is_refused(parent, family):
    issued_invoice(family, "30.00")
    first, _url = start(parent, family)
    second, _url = start(parent, family)
    # The first operation's genuine answer, sent to the second payment's address.
    with pytest.raises(CardNotificationRefused, match="another operation"):
        notified(second, dummy_answer(first))
    refresh(first, second)
    assert first.state == second.state == Payment.State.PENDING


def test_a_refused_payment_fails_once_and_pays_nothing(parent, family):
    invoice = issued_invoice(family, "30.00")
    payment, _url = start(parent, family)
    for _ in range(3):
        assert notified(payment, dummy_answer(payment, paid=False)).state == Payment.State.FAILED
    refresh(invoice)
    assert invoice.settled == D("0.00")
    assert AuditEntry.objects.filter(action="billing.card_payment_failed").count() == 1


def test_a_confirmed_payment_never_becomes_failed(parent, family):
    issued_invoice(family, "30.00")
    payment, _url = start(parent, family)
    notified(payment, dummy_answer(payment))
    assert notified(payment, dummy_answer(payment, paid=False)).state == Payment.State.CONFIRMED


def test_a_payment_still_running_changes_nothing(parent, family):
    issued_invoice(family, "30.00")
    payment, _url = start(parent, family)
    answer = dummy_answer(payment, paid=False, waiting="1")
    assert notified(payment, answer).state == Payment.State.PENDING


def test_a_paid_answer_after_a_failure_still_counts_the_money(parent, family):
    invoice = issued_invoice(family, "30.00")
    payment, _url = start(parent, family)
    notified(payment, dummy_answer(payment, paid=False))
    assert notified(payment, dummy_answer(payment)).state == Payment.State.CONFIRMED
    refresh(invoice)
    assert invoice.settled == D("30.00")


def test_a_payment_abandoned_for_an_hour_fails_and_a_late_paid_answer_still_counts(parent, family):
    invoice = issued_invoice(family, "30.00")
    payment, _url = start(parent, family)
    fresh, _url = start(parent, family)
    confirmed, _url = start(parent, family)
    notified(confirmed, dummy_answer(confirmed))
    began = payment.created_at
    Payment.objects.filter(pk__in=[payment.pk, confirmed.pk]).update(
        created_at=began - CARD_PAYMENT_EXPIRY - timedelta(minutes=1)
    )

    call_command("expire_card_payments", now=began.isoformat())

    refresh(payment, fresh, confirmed)
    assert payment.state == Payment.State.FAILED
    assert fresh.state == Payment.State.PENDING  # still within the hour
    assert confirmed.state == Payment.State.CONFIRMED
    entry = AuditEntry.objects.get(action="billing.card_payment_failed")
    assert entry.data["status"] == "expired"
    assert card_payments_expire(now=began) == 0  # once
    # The family did pay after all: the provider's word counts the money.
    assert notified(payment, dummy_answer(payment)).state == Payment.State.CONFIRMED
    refresh(invoice)
    assert invoice.settled == D("30.00")


def test_the_chosen_invoice_is_paid_first_and_the_rest_stays_as_credit(
    organisation, parent, family
):
    september = issued_invoice(family, "30.00", month=date(2026, 9, 1))
    october = issued_invoice(family, "40.00", month=date(2026, 10, 1))
    payment, _url = start(parent, family, [october.pk])
    # Meanwhile the family paid October at the desk too: the card payment then pays the
    # oldest invoice, and what is more stays as credit.
    notified(payment, dummy_answer(payment))
    refresh(september, october)
    assert (september.settled, october.settled) == (D("0.00"), D("40.00"))
    assert family_balance(family) == D("30.00")


# --- PayFiP (production): its web service mocked, as STACK.md says ---


class PayFiPAnswer(dict):
    """What zeep gives for recupererDetailPaiementSecurise: keys and attributes."""

    def __getattr__(self, name):
        return self[name]


@pytest.fixture
def payfip(settings, organisation):
    settings.PAYMENT_BACKEND = "payfip_ws"
    organisation.payfip_client_id = "123456"
    organisation.save(update_fields=["payfip_client_id"])


def test_payfip_needs_the_organisations_client_number(settings, organisation, parent, family):
    settings.PAYMENT_BACKEND = "payfip_ws"
    issued_invoice(family, "30.00")
    assert not card_payment_available(organisation)
    with pytest.raises(DomainError, match="not available"):
        start(parent, family)
    assert not Payment.objects.exists()


def test_payfip_is_asked_for_the_amount_due_and_its_answer_confirms_once(
    payfip, organisation, parent, family
):
    invoice = issued_invoice(family, "30.00")
    with mock.patch.object(payfip_ws.PayFiP, "get_idop", return_value="IDOP42") as get_idop:
        payment, url = start(parent, family)
    assert url == f"{payfip_ws.PAYMENT_URL}?idop=IDOP42"
    asked = get_idop.call_args.kwargs
    assert (asked["numcli"], asked["montant"], asked["refdet"]) == (
        "123456",
        "3000",
        payment.reference,
    )
    assert asked["url_notification"].endswith(f"/notification/{payment.reference}/")
    assert payment.provider_reference == "IDOP42"
    answer = PayFiPAnswer(
        resultrans="P",
        montant="3000",
        refdet=payment.reference,
        numauto="112233",
        idOp="IDOP42",
        saisie="W",
        dattrans="02112026",
        heurtrans="1012",
    )
    with mock.patch.object(payfip_ws.PayFiP, "get_info_paiement", return_value=answer) as info:
        for _ in range(5):  # PayFiP posts idOp; the browser may come back with idop
            notified(payment, "idOp=IDOP42")
            notified(payment, "idop=IDOP42")
    assert info.call_args.args[0] == "IDOP42"
    refresh(payment, invoice)
    assert payment.state == Payment.State.CONFIRMED
    assert invoice.settled == D("30.00")
    assert AuditEntry.objects.filter(action="billing.payment_confirmed").count() == 1


def test_payfip_reporting_another_amount_is_refused(payfip, parent, family):
    issued_invoice(family, "30.00")
    with mock.patch.object(payfip_ws.PayFiP, "get_idop", return_value="IDOP7"):
        payment, _url = start(parent, family)
    answer = PayFiPAnswer(
        resultrans="P",
        montant="100",
        refdet=payment.reference,
        numauto="1",
        saisie="W",
        dattrans="",
        heurtrans="",
    )
    with (
        mock.patch.object(payfip_ws.PayFiP, "get_info_paiement", return_value=answer),
        pytest.raises(CardNotificationRefused, match=r"1\.00 reported"),
    ):
        notified(payment, "idOp=IDOP7")


def test_payfip_out_of_reach_leaves_nothing_pending(payfip, parent, family):
    issued_invoice(family, "30.00")
    with (
        mock.patch.object(
            payfip_ws.PayFiP, "get_idop", side_effect=payfip_ws.PayFiPError("HTTP error", "down")
        ),
        pytest.raises(DomainError, match="cannot be reached"),
    ):
        start(parent, family)
    assert Payment.objects.get().state == Payment.State.FAILED
