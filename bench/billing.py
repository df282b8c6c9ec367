"""A month's billing run for a whole town: drafts, then issue.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_bench
    .venv/bin/python bench/billing.py build 10000   # the town, once (~1 min)
    .venv/bin/python bench/billing.py build 5000
    .venv/bin/python bench/billing.py run 10000     # time and peak memory, fresh process
    .venv/bin/python bench/billing.py run 5000
    .venv/bin/python bench/billing.py build 10000 history   # September and October issued
    .venv/bin/python bench/billing.py run 10000 history

N families of 2 children, each child booked on the 20 weekdays of November 2026 (Armistice
Day off) at the canteen, priced by quotient-familial brackets (4 families in 5 have a
quotient), one child in ten absent excused on a day, one in twenty present unbooked:
~400,000 billable days for 10,000 families. `run` measures, in a process of its own, the
drafts (`run_draft`) and the issue (`run_issue`), each committed as in production (so the
foreign keys are checked), then cleaned away untimed before the next round, and the
process's peak memory above what it held before the first round. With `history`, the town
also had September and October billed and issued: a month's run then also reads the days of
the months before it that may have changed since (the steady state of a school year).
"""

import resource
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import django_setup  # noqa: F401  (first: Django ready)
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.activities.models import Activity, ActivityType, Facility, Period, Unit
from perisco.activities.rules import PARIS
from perisco.billing.models import (
    BilledDay,
    BillingRun,
    Invoice,
    InvoiceLine,
    ReversedDay,
    Tariff,
)
from perisco.billing.notices import invoices_announce
from perisco.billing.runs import run_draft, run_issue
from perisco.bookings.models import Booking
from perisco.bookings.states import Outcome, State
from perisco.core.bulk import insert_rows
from perisco.core.models import AuditEntry, Organisation, SequenceCounter
from perisco.core.scoping import organisation_scope
from perisco.families.models import Child, Family, FamilyChild, FamilyQuotient, Guardian
from perisco.messaging.models import OutgoingEmail

MONTH = date(2026, 11, 1)  # the month billed
HISTORY = (date(2026, 9, 1), date(2026, 10, 1))  # months billed and issued before it


def school_days(month: date) -> list[date]:
    """The weekdays of `month` but Armistice Day."""
    days = [month + timedelta(days=n) for n in range(31)]
    return [
        d for d in days if d.month == month.month and d.weekday() < 5 and d != date(2026, 11, 11)
    ]


NOW = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)  # when November's bookings last changed
ROUNDS = 5


def slug(families: int, history: bool = False) -> str:
    return f"bench-billing-{families}" + ("-history" if history else "")


def build(families: int, history: bool = False) -> None:
    call_command("migrate", verbosity=0)
    Organisation.objects.filter(slug=slug(families, history)).update(slug=f"old-{time.time_ns()}")
    org = Organisation.objects.create(
        slug=slug(families, history), name="Bench", postal_code="64000", city="Pau"
    )
    with organisation_scope(org), transaction.atomic():
        facility = Facility.objects.create(organisation=org, name="École")
        kind = ActivityType.objects.create(organisation=org, name="Restauration")
        activity = Activity.objects.create(
            organisation=org, facility=facility, activity_type=kind, name="Cantine"
        )
        Period.objects.create(
            organisation=org,
            activity=activity,
            name="2026-2027",
            start=date(2026, 9, 1),
            end=date(2027, 7, 3),
            weekdays=[0, 1, 2, 3, 4],
        )
        unit = Unit.objects.create(organisation=org, activity=activity, name="Repas", capacity=0)
        Tariff.objects.create(
            organisation=org,
            unit=unit,
            valid_from=date(2026, 9, 1),
            basis=Tariff.Basis.BRACKETS,
            brackets=[
                {"qf_max": 400, "price": "0.80"},
                {"qf_max": 700, "price": "1.90"},
                {"qf_max": 1000, "price": "3.10"},
                {"qf_max": None, "price": "4.50"},
            ],
            sibling_reductions=["10"],
            unbooked_surcharge=Decimal("1.00"),
        )
        User.objects.create_user(
            organisation=org, email=f"finance{time.time_ns()}@bench.test", role=Role.FINANCE
        )
        family_ids = [
            f.pk
            for f in Family.objects.bulk_create(
                Family(organisation=org, number=f"{n:06d}", name=f"Famille {n:05d}")
                for n in range(families)
            )
        ]
        Guardian.objects.bulk_create(
            Guardian(
                organisation=org,
                family_id=f,
                rank=1,
                first_name="Camille",
                last_name=f"Parent {f}",
                address="1 rue de la Paix",
                postal_code="64000",
                city="Pau",
            )
            for f in family_ids
        )
        FamilyQuotient.objects.bulk_create(
            FamilyQuotient(
                organisation=org, family_id=f, value=(f * 37) % 1400, valid_from=date(2026, 1, 1)
            )
            for i, f in enumerate(family_ids)
            if i % 5
        )
        child_ids = [
            c.pk
            for c in Child.objects.bulk_create(
                Child(
                    organisation=org,
                    first_name=name,
                    last_name=f"Enfant {f}",
                    birth_date=birth,
                    sex="F",
                )
                for f in family_ids
                for name, birth in (("Aînée", date(2016, 3, 1)), ("Cadet", date(2019, 6, 1)))
            )
        ]
        owners = [f for f in family_ids for _ in range(2)]
        FamilyChild.objects.bulk_create(
            FamilyChild(organisation=org, family_id=f, child_id=c)
            for f, c in zip(owners, child_ids, strict=True)
        )
        rows = []
        months = [*HISTORY, MONTH] if history else [MONTH]
        days = [
            (day, NOW if month == MONTH else datetime(2026, month.month + 1, 2, tzinfo=PARIS))
            for month in months
            for day in school_days(month)
        ]
        for i, (family, child) in enumerate(zip(owners, child_ids, strict=True)):
            for d, (day, changed) in enumerate(days):
                outcome = Outcome.PRESENT
                if (i + d) % 10 == 0:
                    outcome = Outcome.ABSENT_EXCUSED
                elif (i + d) % 20 == 1:
                    outcome = Outcome.PRESENT_UNBOOKED
                rows.append(
                    (
                        org.pk,
                        child,
                        family,
                        activity.pk,
                        unit.pk,
                        day,
                        State.CONFIRMED.value,
                        outcome.value,
                        0,
                        changed,
                        changed,
                        "",
                    )
                )
        for start in range(0, len(rows), 100_000):
            insert_rows(
                Booking,
                (
                    "organisation",
                    "child",
                    "family",
                    "activity",
                    "unit",
                    "day",
                    "state",
                    "outcome",
                    "group",
                    "requested_at",
                    "updated_at",
                    "refusal_reason",
                ),
                rows[start : start + 100_000],
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if history:
        finance = User.objects.with_scopes_disabled().get(organisation=org, role=Role.FINANCE)
        with organisation_scope(org):
            for month in HISTORY:
                billing_run = BillingRun.objects.create(
                    organisation=org, month=month, created_by=finance
                )
                billing_run.activities.set([activity])
                run_draft(billing_run.pk)
                _issuing(billing_run, finance)
                with mock.patch("perisco.billing.runs._announce"):
                    run_issue(billing_run.pk, now=timezone.now())
    print(f"built {slug(families, history)}: {families} families, {len(rows)} bookings")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _issuing(billing_run: BillingRun, finance: User) -> None:
    """As when a finance officer asks for the issue (without the task it enqueues)."""
    month = billing_run.month
    BillingRun.objects.filter(pk=billing_run.pk).update(
        state=BillingRun.State.ISSUING,
        issue_date=date(month.year + month.month // 12, month.month % 12 + 1, 2),
        due_date=date(month.year + month.month // 12, month.month % 12 + 1, 17),
        issued_by=finance,
    )


def run(families: int, history: bool = False) -> None:
    org = Organisation.objects.get(slug=slug(families, history))
    finance = (
        User.objects.with_scopes_disabled().filter(organisation=org, role=Role.FINANCE).first()
    )
    before = peak_mb()
    drafts, issues = [], []
    announced = 0.0
    with organisation_scope(org):
        activity = Activity.objects.get()
        clean(org)
        for round_ in range(ROUNDS):
            # Committed like a real run (its batches draft side by side on connections of
            # their own, which see only what is committed), then cleaned away, untimed.
            billing_run = BillingRun.objects.create(
                organisation=org, month=MONTH, created_by=finance
            )
            billing_run.activities.set([activity])
            started = time.perf_counter()
            run_draft(billing_run.pk)
            drafts.append(time.perf_counter() - started)
            _issuing(billing_run, finance)
            started = time.perf_counter()
            with mock.patch("perisco.billing.runs._announce") as announce:
                issued = run_issue(billing_run.pk, now=timezone.now())
            issues.append(time.perf_counter() - started)
            if round_ == ROUNDS - 1:
                # The e-mails "votre facture est disponible": a background task of its own
                # (in a worker's process; last, for the garbage it leaves here).
                started = time.perf_counter()
                invoices_announce(announce.call_args.args[1])
                announced = time.perf_counter() - started
            billing_run.refresh_from_db()
            summary = billing_run.summary
            clean(org)
    days = Booking.objects.with_scopes_disabled().filter(organisation=org).count()
    print(f"database: {connection.vendor}; {families} families, {days} bookings")
    draft, issue = statistics.median(drafts), statistics.median(issues)
    print(
        f"drafts: median {draft:.2f} s; issue: median {issue:.2f} s; "
        f"total {draft + issue:.2f} s ({ROUNDS} rounds)"
    )
    totals = sorted(d + i for d, i in zip(drafts, issues, strict=True))
    print("each round, drafts + issue: " + ", ".join(f"{t:.2f} s" for t in totals))
    print(f"invoices issued: {issued}; unpriced days: {summary.get('unpriced')}")
    print(f"then announcing them by e-mail (a background task): {announced:.1f} s")
    print(f"peak memory: {peak_mb():.0f} MB ({peak_mb() - before:.0f} MB above the start)")


def clean(org: Organisation) -> None:
    """The town as built: no run of MONTH, nor its invoices or billed days, the tables
    vacuumed (a real run does not meet the dead rows of the rounds before it)."""
    # Deleted in SQL: Django's deletion would hold every row in memory, and count.
    invoice, runs = Invoice._meta.db_table, BillingRun._meta.db_table
    line = InvoiceLine._meta.db_table
    month_runs = f"SELECT id FROM {runs} WHERE organisation_id = %s AND month = %s"  # noqa: S608
    month_invoices = f"SELECT id FROM {invoice} WHERE run_id IN ({month_runs})"  # noqa: S608
    month_lines = f"SELECT id FROM {line} WHERE invoice_id IN ({month_invoices})"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        for table, where in (
            (BilledDay._meta.db_table, f"line_id IN ({month_lines})"),
            (ReversedDay._meta.db_table, f"line_id IN ({month_lines})"),
            (line, f"invoice_id IN ({month_invoices})"),
            (invoice, f"run_id IN ({month_runs})"),
            (BillingRun.activities.through._meta.db_table, f"billingrun_id IN ({month_runs})"),
            (runs, f"id IN ({month_runs})"),
        ):
            cursor.execute(f"DELETE FROM {table} WHERE {where}", [org.pk, MONTH])  # noqa: S608
        for model in (AuditEntry, OutgoingEmail):
            table = model._meta.db_table
            cursor.execute(f"DELETE FROM {table} WHERE organisation_id = %s", [org.pk])  # noqa: S608
        # Numbering from where the history left it.
        issued = Invoice.objects.with_scopes_disabled().filter(
            organisation=org, state=Invoice.State.ISSUED
        )
        SequenceCounter.objects.filter(organisation=org).exclude(
            key__in=[f"invoice-{year}" for year in issued.values_list("year", flat=True)]
        ).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (BilledDay, ReversedDay, InvoiceLine, Invoice, BillingRun):
                cursor.execute(f"VACUUM {model._meta.db_table}")


if __name__ == "__main__":
    command, families = sys.argv[1], int(sys.argv[2])
    {"build": build, "run": run}[command](families, history="history" in sys.argv[3:])
