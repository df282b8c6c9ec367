"""A typical invoice for the PDF's tests and bench: two children, four lines (a QF
bracket with a sibling reduction, half-hours of childcare, a day without booking, an
adjustment of a past month), a previous balance still unpaid."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from perisco.billing.models import BillingRun, Invoice, InvoiceLine
from perisco.core.sequences import next_value

D = Decimal
SEPTEMBER = date(2026, 9, 1)
MEALS = [f"2026-09-{d:02d}" for d in (1, 2, 3, 4, 8, 10, 11, 15)]

SENDER = "Ville de Démo\n1 place de la Mairie\n64000 Pau\n05 59 00 00 00\nSIRET 21640445700017"
RECIPIENT = "Jeanne Dupont\n12 rue des Lilas\n64000 Pau"


def lines_of(invoice: Invoice) -> list[InvoiceLine]:
    common = {"invoice": invoice}
    return [
        InvoiceLine(
            **common,
            child_name="Louise DUPONT",
            unit_name="Restauration scolaire — Repas",
            label="QF 401–700",
            unit_price=D("2.40"),
            quantity=8,
            amount=D("19.20"),
            days=MEALS,
            position=0,
        ),
        InvoiceLine(
            **common,
            child_name="Louise DUPONT",
            unit_name="Garderie — Soir",
            label="flat",
            per="half_hour",
            unit_price=D("0.90"),
            quantity=6,
            surcharge=D("1.50"),
            amount=D("14.40"),
            days=["2026-09-07", "2026-09-14"],
            position=1,
        ),
        InvoiceLine(
            **common,
            child_name="Tao DUPONT",
            unit_name="Restauration scolaire — Repas",
            label="QF 401–700",
            unit_price=D("2.40"),
            quantity=7,
            reduction=D("10"),
            amount=D("15.12"),
            days=MEALS[:7],
            missing_qf=False,
            position=2,
        ),
        InvoiceLine(
            **common,
            kind=InvoiceLine.Kind.ADJUSTMENT,
            child_name="Tao DUPONT",
            unit_name="Restauration scolaire — Repas",
            label="QF 401–700",
            unit_price=D("2.40"),
            quantity=-1,
            reduction=D("10"),
            amount=D("-2.16"),
            days=["2026-06-30"],
            position=3,
        ),
    ]


def typical_invoice(family, *, issue: bool = True, previous_balance: str = "12.50") -> Invoice:
    with transaction.atomic():
        run = BillingRun.objects.create(
            organisation=family.organisation,
            month=SEPTEMBER,
            state=BillingRun.State.ISSUED if issue else BillingRun.State.DRAFT,
            issue_date=date(2026, 10, 2),
            due_date=date(2026, 10, 17),
        )
        invoice = Invoice.objects.create(
            organisation=family.organisation,
            run=run,
            family=family,
            month=SEPTEMBER,
            total=D("46.56"),
            previous_balance=D(previous_balance),
            family_number=family.number,
            recipient=RECIPIENT,
            sender=SENDER,
        )
        InvoiceLine.objects.bulk_create(lines_of(invoice))
        if issue:
            Invoice.objects.filter(pk=invoice.pk).update(
                state=Invoice.State.ISSUED,
                year=2026,
                sequence=next_value(organisation=family.organisation, key="invoice-2026"),
                issue_date=run.issue_date,
                due_date=run.due_date,
            )
        invoice.refresh_from_db()
    return invoice
