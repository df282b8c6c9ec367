"""SEPA direct debit: the pain.008 file, marking it debited, the bank's rejections."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sepaxml
from django.core import mail
from django.utils import translation
from lxml import etree

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.billing.models import Allocation, DirectDebitBatch, Payment
from perisco.billing.payments import family_balance, payment_record
from perisco.billing.sepa import (
    creditor_id_is_valid,
    debit_batch_create,
    debit_batch_mark_debited,
    debit_plan,
    debit_reject,
    earliest_collection_date,
    is_target_day,
)
from perisco.billing.tests.factories import issued_invoice
from perisco.core.errors import DomainError
from perisco.core.models import AuditEntry
from perisco.families.models import BankAccount, Guardian
from perisco.families.tests.factories import FamilyFactory, guardian_user

D = Decimal
PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The messages are checked in English, the language they are written in."""
    with translation.override("en"):
        yield


NOW = datetime(2026, 11, 2, 10, 0, tzinfo=PARIS)  # a Monday
COLLECTION = date(2026, 11, 5)  # Thursday: 3 working days later
AFTER = datetime(2026, 11, 6, 9, 0, tzinfo=PARIS)  # the day after the collection
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
ICS = "FR72ZZZ123456"


@pytest.fixture
def creditor(organisation):
    organisation.sepa_creditor_id = ICS
    organisation.sepa_iban = "FR76 3000 6000 0112 3456 7890 189"
    organisation.sepa_bic = "AGRIFRPP"
    organisation.payment_instructions = "Chèque à l'ordre du Trésor public, en mairie."
    organisation.save()
    return organisation


@pytest.fixture
def finance(organisation):
    return UserFactory(organisation=organisation, role=Role.FINANCE)


def with_mandate(family, *, reference="RUM-000001", signed=date(2026, 1, 15), **fields):
    return BankAccount.objects.create(
        organisation=family.organisation,
        family=family,
        holder=fields.pop("holder", f"Jeanne {family.name}"),
        iban=fields.pop("iban", "FR1420041010050500013M02606"),
        bic=fields.pop("bic", "PSSTFRPPPAR"),
        mandate_reference=reference,
        mandate_signed_on=signed,
        **fields,
    )


@pytest.fixture
def family(organisation):
    """A family with a login that accepts e-mails and a signed mandate."""
    user = guardian_user(organisation)
    family = Guardian.objects.get(user=user).family
    with_mandate(family)
    return family


def create(finance, **kwargs):
    kwargs.setdefault("collection_date", COLLECTION)
    kwargs.setdefault("now", NOW)
    return debit_batch_create(actor=finance, **kwargs)


def transactions(batch):
    return etree.fromstring(batch.xml.encode()).findall(".//p:DrctDbtTxInf", NS)


def text(node, path):
    return node.find(path, NS).text


# --- The file -------------------------------------------------------------------------


def test_the_file_is_valid_against_the_pain008_schema_and_holds_each_mandate_and_amount(
    creditor, finance, family
):
    other = FamilyFactory(organisation=creditor, name="BERNARD")
    with_mandate(other, reference="RUM-000002", signed=date(2025, 9, 1), bic="")
    september = issued_invoice(family, "30.50", month=date(2026, 9, 1))
    october = issued_invoice(family, "12.00", month=date(2026, 10, 1))
    theirs = issued_invoice(other, "44.10", month=date(2026, 10, 1))

    batch = create(finance)

    document = etree.fromstring(batch.xml.encode())
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(document), schema.error_log
    assert (batch.count, batch.total, batch.state) == (3, D("86.60"), "exported")
    assert text(document, ".//p:GrpHdr/p:MsgId") == batch.message_id
    assert text(document, ".//p:GrpHdr/p:NbOfTxs") == "3"
    assert text(document, ".//p:GrpHdr/p:CtrlSum") == "86.60"
    assert text(document, ".//p:PmtInf/p:ReqdColltnDt") == "2026-11-05"
    assert text(document, ".//p:PmtInf/p:PmtTpInf/p:LclInstrm/p:Cd") == "CORE"
    assert text(document, ".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id") == ICS
    assert text(document, ".//p:CdtrAcct//p:IBAN") == "FR7630006000011234567890189"
    assert text(document, ".//p:Cdtr/p:Nm") == "Ville de Demo"  # SEPA's Latin characters
    found = {
        text(tx, "p:PmtId/p:EndToEndId"): (
            text(tx, ".//p:MndtId"),
            text(tx, ".//p:DtOfSgntr"),
            text(tx, "p:InstdAmt"),
            text(tx, ".//p:DbtrAcct//p:IBAN"),
            text(tx, ".//p:Ustrd"),
        )
        for tx in transactions(batch)
    }
    payments = {p.invoices.get(): p for p in batch.payments.all()}
    assert found == {
        payments[september].reference: (
            "RUM-000001",
            "2026-01-15",
            "30.50",
            "FR1420041010050500013M02606",
            f"Facture {september.number}, famille {family.number}",
        ),
        payments[october].reference: (
            "RUM-000001",
            "2026-01-15",
            "12.00",
            "FR1420041010050500013M02606",
            f"Facture {october.number}, famille {family.number}",
        ),
        payments[theirs].reference: (
            "RUM-000002",
            "2025-09-01",
            "44.10",
            "FR1420041010050500013M02606",
            f"Facture {theirs.number}, famille {other.number}",
        ),
    }
    # sepaxml's own check of the same file against the bundled XSD.
    sepaxml.validation.try_valid_xml(batch.xml.encode(), "pain.008.001.02")
    # A debtor without a BIC: the bank finds it from the IBAN.
    bernard = next(t for t in transactions(batch) if text(t, ".//p:MndtId") == "RUM-000002")
    assert text(bernard, ".//p:DbtrAgt//p:Othr/p:Id") == "NOTPROVIDED"


def test_each_invoice_becomes_one_pending_direct_debit_of_what_is_left_to_pay(
    creditor, finance, family
):
    invoice = issued_invoice(family, "40.00")
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CHEQUE,
        amount=D("15.00"),
        received_on=date(2026, 10, 20),
        now=NOW,
    )

    batch = create(finance)

    payment = batch.payments.get()
    assert (payment.method, payment.state, payment.amount) == ("direct_debit", "pending", D("25"))
    assert list(payment.invoices.all()) == [invoice]
    assert payment.family == family and payment.note == "RUM-000001"
    assert len(payment.reference) <= 35  # the end-to-end id's limit
    invoice.refresh_from_db()
    assert invoice.settled == D("15.00")  # nothing is paid before the bank debits
    entry = AuditEntry.objects.get(action="billing.debit_batch_created")
    assert entry.data["count"] == 1 and entry.data["total"] == "25.00"


def test_families_without_a_mandate_and_paid_invoices_are_left_out(
    creditor, finance, family, other_organisation
):
    paid = issued_invoice(family, "20.00", month=date(2026, 9, 1))
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CASH,
        amount=D("20.00"),
        received_on=date(2026, 10, 1),
        now=NOW,
    )
    unpaid = issued_invoice(family, "18.00", month=date(2026, 10, 1))
    no_account = FamilyFactory(organisation=creditor)
    issued_invoice(no_account, "30.00")
    no_reference = FamilyFactory(organisation=creditor)
    with_mandate(no_reference, reference="")
    issued_invoice(no_reference, "30.00")
    not_signed = FamilyFactory(organisation=creditor)
    with_mandate(not_signed, reference="RUM-9", signed=None)
    issued_invoice(not_signed, "30.00")
    elsewhere = FamilyFactory(organisation=other_organisation)
    with_mandate(elsewhere, reference="RUM-X")
    issued_invoice(elsewhere, "30.00")

    batch = create(finance)

    assert [p.invoices.get() for p in batch.payments.all()] == [unpaid]
    assert paid.pk not in {p.invoices.get().pk for p in Payment.objects.filter(batch=batch)}
    assert len(transactions(batch)) == 1


def test_a_family_whose_iban_is_not_valid_is_left_out_and_said_so(creditor, finance, family):
    issued_invoice(family, "18.00")
    broken = FamilyFactory(organisation=creditor, name="ZOLA")
    account = with_mandate(broken, reference="RUM-2")
    BankAccount.objects.filter(pk=account.pk).update(iban="FR7630006000011234567890188")
    issued_invoice(broken, "30.00")
    late = FamilyFactory(organisation=creditor, name="YVES")
    with_mandate(late, reference="RUM-3", signed=date(2026, 11, 20))
    issued_invoice(late, "30.00")

    plan = debit_plan(creditor, COLLECTION)

    assert (plan.count, plan.total) == (1, D("18.00"))
    assert {(s.family, s.reason) for s in plan.skipped} == {
        (broken, "the IBAN is not valid"),
        (late, "the mandate is signed after the collection date"),
    }


def test_an_invoice_is_not_debited_twice_while_its_file_awaits_the_debit(creditor, finance, family):
    invoice = issued_invoice(family, "30.00")
    first = create(finance)

    with pytest.raises(DomainError, match="nothing to debit"):
        create(finance)
    # A new invoice goes in the next file, the first one still not.
    november = issued_invoice(family, "10.00", month=date(2026, 11, 1))
    second = create(finance)
    assert [p.invoices.get() for p in second.payments.all()] == [november]
    assert DirectDebitBatch.objects.count() == 2 and first.payments.get().invoices.get() == invoice


def test_an_invoice_whose_debit_was_rejected_goes_in_the_next_file(creditor, finance, family):
    invoice = issued_invoice(family, "30.00")
    first = create(finance)
    debit_reject(actor=finance, payment=first.payments.get(), reason="AC04 compte clos", now=NOW)

    second = create(finance)

    assert second.payments.get().invoices.get() == invoice


def test_the_file_is_refused_without_the_creditor_settings(organisation, finance, family):
    issued_invoice(family, "30.00")
    with pytest.raises(DomainError) as error:
        create(finance)
    assert "creditor identifier" in error.value.message and "IBAN" in error.value.message
    assert not DirectDebitBatch.objects.exists() and not Payment.objects.exists()


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 10, 30),  # past
        date(2026, 11, 2),  # today
        date(2026, 11, 3),  # one working day
        date(2026, 11, 7),  # a Saturday
    ],
)
def test_a_collection_date_in_the_past_too_close_or_not_a_bank_day_is_refused(
    creditor, finance, family, day
):
    issued_invoice(family, "30.00")
    with pytest.raises(DomainError) as error:
        create(finance, collection_date=day)
    assert error.value.field == "collection_date"
    assert "11/04/2026" in error.value.message  # English, in this module
    assert not Payment.objects.exists()


def test_a_file_the_schema_refuses_is_not_saved(creditor, finance, family, monkeypatch):
    issued_invoice(family, "30.00")
    export = sepaxml.SepaDD.export

    def broken(self, **kwargs):
        self._config["creditor_id"] = "x" * 40  # longer than the schema's Max35Text
        self._xml.find(".//InitgPty/Id/OrgId/Othr/Id").text = "x" * 40
        return export(self, **kwargs)

    monkeypatch.setattr(sepaxml.SepaDD, "export", broken)
    with pytest.raises(DomainError, match="does not pass the SEPA schema"):
        create(finance)
    assert not DirectDebitBatch.objects.exists() and not Payment.objects.exists()


def test_nothing_to_debit_is_refused(creditor, finance, family):
    with pytest.raises(DomainError, match="nothing to debit"):
        create(finance)
    assert not DirectDebitBatch.objects.exists()


def test_the_file_is_refused_when_what_is_due_changed_since_the_preview(creditor, finance, family):
    issued_invoice(family, "30.00")
    plan = debit_plan(creditor, COLLECTION)
    issued_invoice(family, "5.00", month=date(2026, 10, 1))
    with pytest.raises(DomainError, match="changed since the preview"):
        create(finance, expected=(plan.count, plan.total))
    assert create(finance, expected=(2, D("35.00"))).count == 2


@pytest.mark.parametrize("role", [Role.AGENT, Role.GUARDIAN])
def test_only_finance_and_managers_make_files_and_record_debits(creditor, family, role, finance):
    issued_invoice(family, "30.00")
    batch = create(finance)
    someone = UserFactory(organisation=creditor, role=role)
    with pytest.raises(DomainError):
        create(someone)
    with pytest.raises(DomainError):
        debit_batch_mark_debited(actor=someone, batch=batch, now=AFTER)
    with pytest.raises(DomainError):
        debit_reject(actor=someone, payment=batch.payments.get(), reason="AM04")
    assert batch.payments.get().state == Payment.State.PENDING


def test_a_manager_may_make_a_file(creditor, family):
    issued_invoice(family, "30.00")
    assert create(UserFactory(organisation=creditor, role=Role.MANAGER)).count == 1


# --- Debited --------------------------------------------------------------------------


def test_marking_the_file_debited_pays_its_invoices_once(creditor, finance, family):
    september = issued_invoice(family, "30.00", month=date(2026, 9, 1))
    october = issued_invoice(family, "12.00", month=date(2026, 10, 1))
    batch = create(finance)

    assert debit_batch_mark_debited(actor=finance, batch=batch, now=AFTER) == 2
    with pytest.raises(DomainError, match="already marked debited"):
        debit_batch_mark_debited(actor=finance, batch=batch, now=AFTER)

    batch.refresh_from_db()
    september.refresh_from_db()
    october.refresh_from_db()
    assert batch.state == DirectDebitBatch.State.DEBITED and batch.debited_at == AFTER
    assert (september.settled, october.settled) == (D("30.00"), D("12.00"))
    assert Allocation.objects.count() == 2
    assert family_balance(family) == D("0.00")
    assert set(batch.payments.values_list("state", "received_on")) == {("confirmed", COLLECTION)}
    assert AuditEntry.objects.filter(action="billing.debit_batch_debited").count() == 1


def test_a_file_is_not_marked_debited_before_its_collection_date(creditor, finance, family):
    issued_invoice(family, "30.00")
    batch = create(finance)
    with pytest.raises(DomainError, match="11/05/2026"):
        debit_batch_mark_debited(actor=finance, batch=batch, now=NOW)
    assert batch.payments.get().state == Payment.State.PENDING


def test_a_debit_rejected_before_the_file_is_debited_is_not_confirmed(creditor, finance, family):
    other = FamilyFactory(organisation=creditor)
    with_mandate(other, reference="RUM-2")
    mine = issued_invoice(family, "30.00")
    theirs = issued_invoice(other, "20.00")
    batch = create(finance)
    debit_reject(actor=finance, payment=Payment.objects.get(family=other), reason="AM04", now=NOW)

    assert debit_batch_mark_debited(actor=finance, batch=batch, now=AFTER) == 1

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.settled, theirs.settled) == (D("30.00"), D("0"))
    assert Payment.objects.get(family=other).state == Payment.State.REJECTED


# --- Rejected -------------------------------------------------------------------------


def test_a_rejected_debit_reopens_the_invoice_and_tells_the_family(
    creditor, finance, family, django_capture_on_commit_callbacks
):
    invoice = issued_invoice(family, "30.00")
    batch = create(finance)
    debit_batch_mark_debited(actor=finance, batch=batch, now=AFTER)
    payment = batch.payments.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        emails = debit_reject(
            actor=finance, payment=payment, reason="AM04 provision insuffisante", now=AFTER
        )

    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert (payment.state, payment.settled) == ("rejected", D("0"))
    assert payment.rejection_reason == "AM04 provision insuffisante"
    assert payment.rejected_at == AFTER
    assert invoice.settled == D("0") and invoice.outstanding == D("30.00")
    assert not Allocation.objects.exists()
    assert family_balance(family) == D("30.00")
    assert emails == 1 and len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [Guardian.objects.get(family=family).user.email]
    assert invoice.number in message.body and "30,00" in message.body
    assert "AM04 provision insuffisante" in message.body
    assert "Trésor public" in message.body  # how to pay instead
    assert "/demo/" in message.body  # the family space
    entry = AuditEntry.objects.get(action="billing.direct_debit_rejected")
    assert entry.data["emails"] == 1 and entry.data["invoices"] == [invoice.number]


def test_a_rejection_says_when_nobody_could_be_told(creditor, finance):
    family = FamilyFactory(organisation=creditor)  # no guardian with a login
    with_mandate(family)
    issued_invoice(family, "30.00")
    batch = create(finance)
    mail.outbox.clear()
    assert debit_reject(actor=finance, payment=batch.payments.get(), reason="AC04") == 0
    assert mail.outbox == []


def test_a_rejection_spends_the_familys_other_credit_on_the_reopened_invoice(
    creditor, finance, family
):
    invoice = issued_invoice(family, "30.00")
    batch = create(finance)
    debit_batch_mark_debited(actor=finance, batch=batch, now=AFTER)
    payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.TRANSFER,
        amount=D("10.00"),
        received_on=date(2026, 11, 6),
        now=AFTER,
    )

    debit_reject(actor=finance, payment=batch.payments.get(), reason="MD06", now=AFTER)

    invoice.refresh_from_db()
    assert invoice.settled == D("10.00") and family_balance(family) == D("20.00")


def test_a_rejection_is_recorded_once_and_needs_a_reason(creditor, finance, family):
    issued_invoice(family, "30.00")
    payment = create(finance).payments.get()
    with pytest.raises(DomainError) as error:
        debit_reject(actor=finance, payment=payment, reason="  ")
    assert error.value.field == "reason"
    debit_reject(actor=finance, payment=payment, reason="AC04", now=NOW)
    with pytest.raises(DomainError, match="already recorded as rejected"):
        debit_reject(actor=finance, payment=payment, reason="AC04", now=NOW)
    assert AuditEntry.objects.filter(action="billing.direct_debit_rejected").count() == 1


def test_only_a_direct_debit_is_rejected_by_the_bank(creditor, finance, family):
    issued_invoice(family, "30.00")
    cheque = payment_record(
        actor=finance,
        family=family,
        method=Payment.Method.CHEQUE,
        amount=D("30.00"),
        received_on=date(2026, 11, 1),
        now=NOW,
    )
    with pytest.raises(DomainError, match="Only a direct debit"):
        debit_reject(actor=finance, payment=cheque, reason="AC04")
    cheque.refresh_from_db()
    assert cheque.state == Payment.State.CONFIRMED


# --- Dates and identifiers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "earliest"),
    [
        (date(2026, 11, 2), date(2026, 11, 4)),  # Monday → Wednesday
        (date(2026, 11, 5), date(2026, 11, 9)),  # Thursday → Monday
        (date(2026, 11, 7), date(2026, 11, 10)),  # Saturday → Tuesday
        (date(2026, 12, 24), date(2026, 12, 29)),  # over Christmas and 26 December
        (date(2027, 3, 24), date(2027, 3, 30)),  # over Good Friday and Easter Monday
    ],
)
def test_the_earliest_collection_date_counts_target_working_days(today, earliest):
    assert earliest_collection_date(today) == earliest
    assert is_target_day(earliest)


def test_11_november_is_not_a_french_bank_holiday_for_sepa():
    # TARGET, not the French calendar: the debit settles on Armistice Day.
    assert is_target_day(date(2026, 11, 11))
    assert not is_target_day(date(2027, 5, 1)) and not is_target_day(date(2026, 12, 26))


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (ICS, True),
        ("fr72 zzz 123456", True),
        ("FR73ZZZ123456", False),  # check digits
        ("FR53ZZZ12345", False),  # right check digits, too short for France
        ("ES23ZZZ47690558N", True),  # another country's format
        ("", False),
        ("not an id", False),
    ],
)
def test_creditor_identifiers_are_checked(value, valid):
    assert creditor_id_is_valid(value) is valid
