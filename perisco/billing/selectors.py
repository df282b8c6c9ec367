"""Reads of the billing app."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.http import Http404
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from perisco.activities.models import Enrollment, EnrollmentStatus, Unit
from perisco.billing.models import Allocation, CreditNote, Invoice, InvoiceLine, Payment, Tariff
from perisco.billing.tariffs import Price, unit_price
from perisco.core.money import ZERO
from perisco.families.models import Child, Family, FamilyQuotient
from perisco.families.search import search_terms
from perisco.families.selectors import family_is_resident


@dataclass(frozen=True)
class UnitPrice:
    unit: Unit
    tariff: Tariff
    price: Price


def quotient_on(family: Family, day: date) -> int | None:
    quotient = (
        FamilyQuotient.objects.filter(family=family, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .order_by("-valid_from")
        .first()
    )
    return quotient.value if quotient else None


def child_prices(family: Family, child: Child, day: date) -> list[UnitPrice]:
    """What each unit of the child's validated enrollments costs this family on `day`
    (seed 002: "le tarif appliqué à chaque enfant"); units without a tariff that day are
    left out. A fixed number of queries."""
    activities = Enrollment.objects.filter(
        child=child,
        family=family,
        status=EnrollmentStatus.VALIDATED,
        end__gte=day,
    ).values("activity_id")
    tariffs = {
        t.unit_id: t
        for t in Tariff.objects.filter(unit__activity__in=activities, valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )
    }
    if not tariffs:
        return []
    qf = quotient_on(family, day)
    resident = family_is_resident(family)
    units = Unit.objects.filter(pk__in=list(tariffs)).select_related("activity")
    return [
        UnitPrice(
            unit, tariffs[unit.pk], unit_price(tariffs[unit.pk].rule(), qf=qf, resident=resident)
        )
        for unit in units.order_by("activity__name", "position", "name")
    ]


def overdue_amount(family: Family, today: date | None = None) -> Decimal:
    """What the family owes on invoices past their due date."""
    today = today or timezone.localdate()
    owed = Invoice.objects.filter(
        family=family, state=Invoice.State.ISSUED, due_date__lt=today, settled__lt=F("total")
    ).aggregate(s=Sum(F("total") - F("settled")))["s"]
    return owed or ZERO


def overdue_hold(family: Family) -> str | None:
    """Bookings are held back while the overdue amount exceeds the organisation's threshold
    (SPEC §6; off when no threshold is set)."""
    threshold = family.organisation.unpaid_block_threshold
    if threshold is None:
        return None
    owed = overdue_amount(family)
    if owed <= threshold:
        return None
    return _(
        "Bookings are held back: %(owed)s € of your invoices are past their due date. Once "
        "they are paid, you can book again."
    ) % {"owed": number_format(owed, 2)}


# --- Finance's pages: invoices, payments, credit notes, a family's account, aged debt ---

# What an invoice still lacks, in the database (issued invoices; a draft owes nothing yet).
OWED = ExpressionWrapper(
    F("total") - F("settled"), output_field=DecimalField(max_digits=12, decimal_places=2)
)
# The invoices page's filters: every invoice, those not fully settled, those not fully
# settled whose due date has passed.
INVOICE_FILTERS = ("all", "unpaid", "overdue")
_INVOICE_NUMBER = re.compile(r"^(\d{4})-0*(\d{1,9})$")


def invoice_list(
    *,
    search: str = "",
    which: str = "all",
    month: date | None = None,
    family_id: int | None = None,
    today: date | None = None,
) -> QuerySet[Invoice]:
    """The invoices finance looks through, newest first: the issued ones and the drafts of
    a run under review (shown as drafts). `search` is an invoice number ("2026-000123") or
    words of the family's name or number (also its guardians' and children's names)."""
    invoices = Invoice.objects.filter(
        state__in=[Invoice.State.ISSUED, Invoice.State.DRAFT]
    ).select_related("family")
    if which in ("unpaid", "overdue"):
        invoices = invoices.filter(state=Invoice.State.ISSUED, settled__lt=F("total"))
    if which == "overdue":
        invoices = invoices.filter(due_date__lt=today or timezone.localdate())
    if month is not None:
        invoices = invoices.filter(month=month)
    if family_id is not None:
        invoices = invoices.filter(family_id=family_id)
    search = search.strip()
    if match := _INVOICE_NUMBER.match(search):
        invoices = invoices.filter(year=int(match[1]), sequence=int(match[2]))
    else:
        for term in search_terms(search):
            invoices = invoices.filter(family__search_text__contains=term)
    return invoices.defer("family__search_text").order_by(
        F("issue_date").desc(nulls_first=True), "-year", "-sequence", "-pk"
    )


def invoice_list_totals(invoices: QuerySet[Invoice]) -> dict:
    """How many invoices a list holds and what is left to pay on them (one query)."""
    totals = invoices.order_by().aggregate(
        how_many=Count("pk"),
        amount=Sum("total"),
        owed=Sum(OWED, filter=Q(state=Invoice.State.ISSUED)),
    )
    return {
        "count": totals["how_many"],
        "total": totals["amount"] or ZERO,
        "outstanding": totals["owed"] or ZERO,
    }


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: Invoice
    children: list[tuple[str, list[InvoiceLine]]]  # lines grouped by child, in order
    allocations: list[Allocation]  # the payments and credit notes that settled it
    credit_notes: list[CreditNote]
    creditable: Decimal  # what credit notes may still give back on it

    @property
    def can_credit(self) -> bool:
        return self.invoice.state == Invoice.State.ISSUED and self.creditable > 0


def invoice_detail(pk: int) -> InvoiceDetail:
    """An invoice of the current organisation and all it says (four queries), else 404."""
    invoice = Invoice.objects.filter(pk=pk).select_related("family").first()
    if invoice is None:
        raise Http404
    children: dict[str, list[InvoiceLine]] = {}
    for line in InvoiceLine.objects.filter(invoice=invoice).order_by("position", "pk"):
        children.setdefault(line.child_name, []).append(line)
    allocations = list(
        Allocation.objects.filter(invoice=invoice)
        .select_related("payment", "credit_note")
        .order_by("created_at", "pk")
    )
    credit_notes = list(CreditNote.objects.filter(invoice=invoice).order_by("year", "sequence"))
    credited = sum((note.amount for note in credit_notes), ZERO)
    return InvoiceDetail(
        invoice=invoice,
        children=list(children.items()),
        allocations=allocations,
        credit_notes=credit_notes,
        creditable=invoice.total - credited if invoice.state == Invoice.State.ISSUED else ZERO,
    )


def payment_list(
    *, method: str = "", state: str = "", family_id: int | None = None
) -> QuerySet[Payment]:
    """Payments, newest first; each with its family and what is left of it as credit
    (one query a page)."""
    payments = (
        Payment.objects.select_related("family")
        .defer("family__search_text")
        .annotate(
            credit_left=ExpressionWrapper(
                F("amount") - F("settled"),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
    )
    if method:
        payments = payments.filter(method=method)
    if state:
        payments = payments.filter(state=state)
    if family_id is not None:
        payments = payments.filter(family_id=family_id)
    return payments.order_by("-created_at", "-pk")


def credit_note_list(*, family_id: int | None = None) -> QuerySet[CreditNote]:
    notes = CreditNote.objects.select_related("family", "invoice").defer("family__search_text")
    if family_id is not None:
        notes = notes.filter(family_id=family_id)
    return notes.order_by("-year", "-sequence")


@dataclass(frozen=True)
class FamilyAccount:
    balance: Decimal  # what the family owes; negative: its credit
    unpaid_count: int
    unpaid_total: Decimal
    overdue_total: Decimal

    @property
    def credit(self) -> Decimal:
        return -self.balance if self.balance < 0 else ZERO


def family_account(family: Family, today: date | None = None) -> FamilyAccount:
    """A family's account at a glance (the family's staff page, the payment form)."""
    summary = family_account_summary(family, today)
    return FamilyAccount(
        balance=summary.balance,
        unpaid_count=len(summary.unpaid),
        unpaid_total=summary.unpaid_total,
        overdue_total=summary.overdue_total,
    )


# Ages of a debt, in days since the due date: (label, first day, last day) — None open.
AGE_BANDS: tuple[tuple[str, int | None, int | None], ...] = (
    ("not_due", None, 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("over_90", 91, None),
)


@dataclass(frozen=True)
class AgedFamily:
    family_id: int
    name: str
    number: str
    bands: list[Decimal]  # in the order of AGE_BANDS
    total: Decimal


@dataclass(frozen=True)
class AgedDebt:
    today: date
    bands: list[Decimal]
    total: Decimal
    families_count: int
    families: list[AgedFamily]  # the largest debts first


def _age_condition(first: int | None, last: int | None, today: date) -> Q:
    """Invoices whose due date is `first` to `last` days before today; no due date counts
    as not due yet."""
    condition = Q()
    if first is not None:
        condition &= Q(due_date__lte=today - timedelta(days=first))
    if last is not None:
        condition &= Q(due_date__gte=today - timedelta(days=last))
    if first is None:
        condition |= Q(due_date__isnull=True)
    return condition


def aged_debt(*, today: date | None = None, top: int | None = 30) -> AgedDebt:
    """What families owe on issued invoices by age since the due date, in total and for
    the `top` largest debtors (None: every family): two aggregate queries, whatever the
    number of invoices."""
    today = today or timezone.localdate()
    sums = {
        f"band_{index}": Sum(OWED, filter=_age_condition(first, last, today))
        for index, (_label, first, last) in enumerate(AGE_BANDS)
    }
    unpaid = Invoice.objects.filter(state=Invoice.State.ISSUED, settled__lt=F("total")).order_by()
    totals = unpaid.aggregate(owed=Sum(OWED), families=Count("family", distinct=True), **sums)
    rows: Any = (  # dicts with a key per band, which the stubs' typed rows do not name
        unpaid.values("family_id", "family__name", "family__number")
        .annotate(owed=Sum(OWED), **sums)
        .order_by("-owed", "family__name", "family_id")
    )
    if top is not None:
        rows = rows[:top]
    return AgedDebt(
        today=today,
        bands=[totals[f"band_{i}"] or ZERO for i in range(len(AGE_BANDS))],
        total=totals["owed"] or ZERO,
        families_count=totals["families"],
        families=[
            AgedFamily(
                family_id=row["family_id"],
                name=row["family__name"],
                number=row["family__number"],
                bands=[row[f"band_{i}"] or ZERO for i in range(len(AGE_BANDS))],
                total=row["owed"] or ZERO,
            )
            for row in rows
        ],
    )


# --- The family's own account: its home page and its "Invoices" page ---


@dataclass(frozen=True)
class UnpaidInvoice:
    invoice: Invoice
    outstanding: Decimal
    overdue: bool


@dataclass(frozen=True)
class AccountSummary:
    balance: Decimal  # what the family owes; negative: its credit
    unpaid: list[UnpaidInvoice]  # oldest first
    unpaid_total: Decimal
    overdue_total: Decimal
    pay_online: bool  # card payment is available to this organisation's families
    today: date

    @property
    def credit(self) -> Decimal:
        return -self.balance if self.balance < 0 else ZERO


def family_account_summary(family: Family, today: date | None = None) -> AccountSummary:
    """The balance (as `payments.family_balance` counts it) and the unpaid invoices with
    what each still lacks: two queries, whatever the number of invoices."""
    from perisco.billing.card import card_payment_available
    from perisco.billing.payments import family_balance, unpaid_invoices

    today = today or timezone.localdate()
    unpaid = [
        UnpaidInvoice(
            invoice=invoice,
            outstanding=invoice.outstanding,
            overdue=invoice.due_date is not None and invoice.due_date < today,
        )
        for invoice in unpaid_invoices(family)
    ]
    return AccountSummary(
        balance=family_balance(family),
        unpaid=unpaid,
        unpaid_total=sum((u.outstanding for u in unpaid), ZERO),
        overdue_total=sum((u.outstanding for u in unpaid if u.overdue), ZERO),
        pay_online=card_payment_available(family.organisation),
        today=today,
    )


def family_invoice_list(family: Family) -> list[Invoice]:
    """The family's issued invoices, newest first (one query)."""
    return list(
        Invoice.objects.filter(family=family, state=Invoice.State.ISSUED).order_by(
            "-issue_date", "-year", "-sequence"
        )
    )


# --- The family's statement of account ("Relevé de compte") ---


@dataclass(frozen=True)
class Entry:
    """A line of the statement: an invoice (debit), a credit note or a payment (credit), a
    payment the bank rejected (debit); `balance` is what the family owes after it."""

    day: date
    kind: str  # "invoice", "credit_note", "payment", "rejection"
    debit: Decimal
    credit: Decimal
    balance: Decimal
    invoice: Invoice | None = None
    credit_note: CreditNote | None = None
    payment: Payment | None = None


def family_statement(family: Family) -> list[Entry]:
    """Issued invoices, credit notes, payments received and rejected, in date order with
    a running balance that ends at `payments.family_balance` (a rejected payment is shown
    as received, then taken back). Three queries."""
    rows: list[tuple[tuple, dict]] = []
    for invoice in Invoice.objects.filter(family=family, state=Invoice.State.ISSUED):
        assert invoice.issue_date is not None  # issued
        rows.append(
            (
                (invoice.issue_date, 0, invoice.year, invoice.sequence),
                {"kind": "invoice", "debit": invoice.total, "invoice": invoice},
            )
        )
    for note in CreditNote.objects.filter(family=family).select_related("invoice"):
        rows.append(
            (
                (note.issue_date, 1, note.year, note.sequence),
                {"kind": "credit_note", "credit": note.amount, "credit_note": note},
            )
        )
    for payment in Payment.objects.filter(
        family=family, state__in=[Payment.State.CONFIRMED, Payment.State.REJECTED]
    ):
        received = payment.received_on or timezone.localdate(
            payment.confirmed_at or payment.created_at
        )
        rows.append(
            (
                (received, 2, 0, payment.pk),
                {"kind": "payment", "credit": payment.amount, "payment": payment},
            )
        )
        if payment.state == Payment.State.REJECTED:
            rejected = timezone.localdate(payment.rejected_at) if payment.rejected_at else received
            rows.append(
                (
                    (max(rejected, received), 3, 0, payment.pk),
                    {"kind": "rejection", "debit": payment.amount, "payment": payment},
                )
            )
    rows.sort(key=lambda row: row[0])
    balance = ZERO
    entries = []
    for (day, *_rest), fields in rows:
        debit, credit = fields.pop("debit", ZERO), fields.pop("credit", ZERO)
        balance += debit - credit
        entries.append(Entry(day=day, debit=debit, credit=credit, balance=balance, **fields))
    return entries
