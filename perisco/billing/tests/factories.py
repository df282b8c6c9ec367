"""Issued invoices made directly (without a run's drafts), for tests of what comes after:
payments, credit notes, statements, PDFs, direct debits."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from perisco.billing.models import BillingRun, Invoice, InvoiceLine
from perisco.core.sequences import next_value


def issued_invoice(
    family,
    total: str | Decimal = "30.00",
    *,
    month: date = date(2026, 9, 1),
    issue_date: date | None = None,
    due_date: date | None = None,
    child=None,
    previous_balance: str | Decimal = "0.00",
) -> Invoice:
    """An issued invoice of `total` for `family`, numbered in the organisation's sequence,
    with one line (the child's meals at 3.00 € or one line of the total)."""
    issue_date = issue_date or (month.replace(day=28) + timedelta(days=5)).replace(day=2)
    total = Decimal(str(total))
    with transaction.atomic():
        run = BillingRun.objects.create(
            organisation=family.organisation,
            month=month,
            state=BillingRun.State.ISSUED,
            issue_date=issue_date,
            due_date=due_date or issue_date + timedelta(days=15),
        )
        invoice = Invoice.objects.create(
            organisation=family.organisation,
            run=run,
            family=family,
            state=Invoice.State.DRAFT,
            month=month,
            total=total,
            previous_balance=Decimal(str(previous_balance)),
            family_number=family.number,
            recipient=f"Famille {family.name}",
            sender=family.organisation.name,
        )
        InvoiceLine.objects.create(
            invoice=invoice,
            child=child,
            child_name=str(child) if child else "Enfant",
            unit_name="Restauration scolaire — Repas",
            label="flat",
            unit_price=total,
            quantity=1,
            amount=total,
            days=[month.isoformat()],
        )
        # Issued as a run issues: numbered, dated, frozen (a queryset update, as the run).
        Invoice.objects.filter(pk=invoice.pk).update(
            state=Invoice.State.ISSUED,
            year=issue_date.year,
            sequence=next_value(organisation=family.organisation, key=f"invoice-{issue_date.year}"),
            issue_date=issue_date,
            due_date=run.due_date,
        )
        invoice.refresh_from_db()
    return invoice
