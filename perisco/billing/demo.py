"""Demo tariffs (issue 10): the canteens by quotient-familial bracket (0,80 € to 4,50 €),
childcare by the started half-hour, homework club flat, the leisure centre by effort rate
(QF × rate between a floor and a ceiling), from 1 September 2026."""

from datetime import date
from decimal import Decimal

from perisco.accounts.models import User
from perisco.activities.models import Unit
from perisco.billing.models import Tariff
from perisco.billing.services import tariff_save

START = date(2026, 9, 1)
CANTEEN = {
    "basis": Tariff.Basis.BRACKETS,
    "brackets": [
        {"qf_max": 400, "price": "0.80"},
        {"qf_max": 700, "price": "1.90"},
        {"qf_max": 1000, "price": "3.10"},
        {"qf_max": 1400, "price": "3.90"},
        {"qf_max": None, "price": "4.50"},
    ],
    "non_resident_price": Decimal("5.20"),
    "sibling_reductions": ["10", "20"],
    "unbooked_surcharge": Decimal("1.00"),
}
CHILDCARE = {"basis": Tariff.Basis.FLAT, "per": Tariff.Per.HALF_HOUR, "price": Decimal("0.90")}
STUDY = {"basis": Tariff.Basis.FLAT, "price": Decimal("2.50")}
CENTRE_DAY = {
    "basis": Tariff.Basis.EFFORT_RATE,
    "rate": Decimal("0.012"),
    "floor": Decimal("4.00"),
    "ceiling": Decimal("18.00"),
    "sibling_reductions": ["10"],
}
CENTRE_HALF_DAY = {
    **CENTRE_DAY,
    "rate": Decimal("0.006"),
    "floor": Decimal("2.00"),
    "ceiling": Decimal("9.00"),
}
CENTRE_MEAL = {"basis": Tariff.Basis.FLAT, "price": Decimal("3.50")}


def _fields(unit: Unit) -> dict:
    activity = unit.activity.name
    if activity.startswith("Restauration"):
        return CANTEEN
    if activity.startswith("Accueil soir + étude"):
        return STUDY
    if activity.startswith(("Garderie", "Accueil soir")):
        return CHILDCARE
    if unit.name == "Repas":
        return CENTRE_MEAL
    if unit.name == "Journée":
        return CENTRE_DAY
    return CENTRE_HALF_DAY


def demo_tariffs(organisation, manager: User) -> None:
    if Tariff.objects.exists():
        return
    for unit in Unit.objects.select_related("activity").order_by("pk"):
        tariff_save(
            actor=manager,
            tariff=Tariff(organisation=organisation, unit=unit, valid_from=START, **_fields(unit)),
        )


# Invoices (issue 10): September and October 2026 billed and issued, paid by card, by
# cheque or by direct debit, one family overdue; November's drafts waiting for finance's
# review. The days of September and October come from the old portal (bookings taken as
# they were, with their attendance).
HISTORY = (date(2026, 9, 1), date(2026, 10, 31))
RUNS = (
    (date(2026, 9, 1), date(2026, 10, 5)),
    (date(2026, 10, 1), date(2026, 11, 9)),
)


def demo_invoices(organisation, manager: User) -> None:
    from django.utils import timezone

    from perisco.activities.models import Activity
    from perisco.billing.models import BillingRun

    if BillingRun.objects.exists():
        return
    finance = User.all_objects.filter(organisation=organisation, role="finance").first() or manager
    type(organisation).objects.filter(pk=organisation.pk).update(
        siret="21640445300018",
        payment_instructions=(
            "Par chèque à l'ordre du Trésor public, en espèces ou en chèques CESU au guichet "
            "de la mairie (lundi à vendredi, 8 h 30 – 17 h)."
        ),
        payfip_client_id="012345",
        sepa_creditor_id="FR72ZZZ123456",
        sepa_iban="FR7630001007941234567890185",
        sepa_bic="BDFEFRPPCCT",
    )
    _history()
    activities = list(Activity.objects.all())
    for month, issue_date in RUNS:
        run = _issued(finance, month, issue_date, activities)
        if month.month == 9:
            _september_paid(finance, run)
    # November so far: the drafts wait for finance (Facturation).
    from perisco.billing.runs import run_draft

    november = BillingRun.objects.create(
        organisation=organisation,
        month=date(2026, 11, 1),
        created_by=finance,
        created_at=timezone.now(),
    )
    november.activities.set(activities)
    run_draft(november.pk)


def _history() -> None:
    """September and October's bookings from the enrollments' typical weeks, attended
    (one child in eleven absent, excused, now and then)."""
    from django.utils import timezone

    from perisco.activities.models import Enrollment, EnrollmentStatus
    from perisco.activities.selectors import typical_week_preview
    from perisco.bookings.models import Booking
    from perisco.bookings.states import Outcome, State

    now = timezone.now()
    rows = []
    for enrollment in Enrollment.objects.filter(status=EnrollmentStatus.VALIDATED).select_related(
        "child", "activity", "organisation"
    ):
        if not enrollment.typical_week:
            continue
        for unit, day, _verdict in typical_week_preview(
            enrollment, now, start=HISTORY[0], end=HISTORY[1]
        ):
            absent = (enrollment.child_id + day.day) % 11 == 0
            rows.append(
                Booking(
                    organisation=enrollment.organisation,
                    child_id=enrollment.child_id,
                    family_id=enrollment.family_id,
                    activity_id=unit.activity_id,
                    unit=unit,
                    day=day,
                    state=State.CONFIRMED,
                    outcome=Outcome.ABSENT_EXCUSED if absent else Outcome.PRESENT,
                )
            )
    Booking.objects.bulk_create(rows, batch_size=2000)


def _issued(finance: User, month: date, issue_date: date, activities):
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from perisco.billing.models import BillingRun
    from perisco.billing.runs import run_draft, run_issue

    organisation = finance.organisation
    assert organisation is not None
    run = BillingRun.objects.create(organisation=organisation, month=month, created_by=finance)
    run.activities.set(activities)
    run_draft(run.pk)
    BillingRun.objects.filter(pk=run.pk).update(
        state=BillingRun.State.ISSUING,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=organisation.invoice_due_days),
        issued_by=finance,
    )
    run_issue(run.pk, now=timezone.make_aware(datetime.combine(issue_date, time(9))))
    run.refresh_from_db()
    return run


def _september_paid(finance: User, run) -> None:
    """Families with a mandate were debited; the others paid by card or by cheque, but
    one, whose invoice is now overdue. The demo family paid by card."""
    from datetime import datetime, time

    from django.db import transaction
    from django.utils import timezone

    from perisco.billing.models import Invoice, Payment
    from perisco.billing.payments import new_reference, payment_confirm, payment_record
    from perisco.families.models import BankAccount

    mandates = set(
        BankAccount.objects.exclude(mandate_reference="").values_list("family_id", flat=True)
    )
    invoices = list(
        Invoice.objects.filter(run=run, state=Invoice.State.ISSUED, total__gt=0)
        .select_related("family")
        .order_by("sequence")
    )
    demo_family = next(
        (
            i.family_id
            for i in invoices
            if i.family.guardians.filter(email__startswith="parent@").exists()
        ),
        None,
    )
    unpaid = next(
        (i for i in invoices if i.family_id not in mandates and i.family_id != demo_family), None
    )
    for index, invoice in enumerate(invoices):
        if invoice is unpaid:
            continue
        if invoice.family_id in mandates and invoice.family_id != demo_family:
            method, day = Payment.Method.DIRECT_DEBIT, date(2026, 10, 20)
        elif invoice.family_id == demo_family or index % 2:
            method, day = Payment.Method.CARD, date(2026, 10, 8)
        else:
            method, day = Payment.Method.CHEQUE, date(2026, 10, 14)
        at = timezone.make_aware(datetime.combine(day, time(10)))
        if method == Payment.Method.CHEQUE:
            payment_record(
                actor=finance,
                family=invoice.family,
                method=method,
                amount=invoice.total,
                received_on=day,
                note=f"Chèque n° {4_120_000 + index}",
                now=at,
            )
            continue
        with transaction.atomic():
            payment = Payment.objects.create(
                organisation=invoice.organisation,
                family=invoice.family,
                method=method,
                amount=invoice.total,
                reference=new_reference(),
                provider_reference=f"DEMO{invoice.sequence:08d}" if method == "card" else "",
                received_on=day,
                note=(
                    f"Prélèvement RUM {invoice.family.bank_account.mandate_reference}"
                    if method == Payment.Method.DIRECT_DEBIT
                    else ""
                ),
                created_at=at,
            )
            payment.invoices.set([invoice])
            payment_confirm(payment, now=at)
