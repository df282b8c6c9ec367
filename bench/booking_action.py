"""Time and SQL queries of one booking action (the service, no HTTP).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_bench
    .venv/bin/python bench/booking_action.py
    .venv/bin/python bench/booking_action.py        # a fresh SQLite file

A family of 3 children, each enrolled in one activity with 8 daily units, books 20 open
school days × 2 units for each child in January 2027 (120 changes) in one action; the same with 5
days shows that the number of queries does not grow with the days. Each round runs in a
transaction rolled back at the end, so every round books the same free days; the e-mail,
drawn after commit, is drawn within the round.
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perisco.config.settings.local")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from perisco.accounts.models import User  # noqa: E402
from perisco.accounts.roles import Role  # noqa: E402
from perisco.activities.models import (  # noqa: E402
    Activity,
    ActivityType,
    Enrollment,
    EnrollmentStatus,
    Facility,
    Period,
    Unit,
)
from perisco.activities.rules import PARIS  # noqa: E402
from perisco.bookings.services import Change, bookings_apply  # noqa: E402
from perisco.core.models import Organisation  # noqa: E402
from perisco.core.scoping import organisation_scope  # noqa: E402
from perisco.families.models import (  # noqa: E402
    Child,
    Family,
    FamilyCertification,
    FamilyChild,
    Guardian,
)

ROUNDS = 30
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=PARIS)


def build() -> tuple[User, Family, list[Child], list[Unit], list[date]]:
    org, _ = Organisation.objects.get_or_create(
        slug="bench-actions", defaults={"name": "Bench", "email": "bench@example.test"}
    )
    with organisation_scope(org):
        facility = Facility.objects.create(organisation=org, name=f"École {time.time()}")
        kind = ActivityType.objects.create(organisation=org, name=f"Type {time.time()}")
        activity = Activity.objects.create(
            organisation=org,
            facility=facility,
            activity_type=kind,
            name="Périscolaire",
            booking_cutoff=clock(9),
            cancellation_cutoff=clock(9),
        )
        period = Period.objects.create(
            organisation=org,
            activity=activity,
            name="2026-2027",
            start=date(2026, 9, 1),
            end=date(2027, 7, 3),
            weekdays=[0, 1, 2, 3, 4],
        )
        units = [
            Unit.objects.create(
                organisation=org, activity=activity, name=f"Unité {n}", position=n, capacity=200
            )
            for n in range(8)
        ]
        family = Family.objects.create(organisation=org, number=f"B{time.time()}", name="BENCH")
        user = User.objects.create_user(
            organisation=org,
            email=f"bench{time.time()}@example.test",
            password=None,
            role=Role.GUARDIAN,
        )
        Guardian.objects.create(
            organisation=org,
            family=family,
            rank=1,
            first_name="A",
            last_name="B",
            user=user,
            email=user.email,
        )
        FamilyCertification.objects.create(organisation=org, family=family, school_year=2026)
        children = []
        for n in range(3):
            child = Child.objects.create(
                organisation=org,
                first_name=f"Enfant{n}",
                last_name="BENCH",
                birth_date=date(2017 + n, 3, 1),
                sex="F",
            )
            FamilyChild.objects.create(organisation=org, family=family, child=child)
            Enrollment.objects.create(
                organisation=org,
                child=child,
                family=family,
                activity=activity,
                period=period,
                start=period.start,
                end=period.end,
                status=EnrollmentStatus.VALIDATED,
            )
            children.append(child)
    days, day = [], date(2027, 1, 4)  # after the Christmas holidays
    while len(days) < 20:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return user, family, children, units, days


def measure(user, family, changes) -> tuple[float, float, int]:
    times, queries = [], 0
    for n in range(ROUNDS + 1):
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            report = bookings_apply(actor=user, family=family, changes=changes, now=NOW)
            # Drawing the e-mail (after commit) is part of the action's cost: run it here,
            # since the round is rolled back; its delivery is the worker's.
            after_commit, connection.run_on_commit = connection.run_on_commit, []
            for _savepoints, callback, _robust in after_commit:
                callback()
            connection.run_on_commit = []
            elapsed = (time.perf_counter() - started) * 1000
            assert len(report.done) == len(changes), report.refused[:3]
            transaction.set_rollback(True)
        if n:  # the first round warms caches up
            times.append(elapsed)
        queries = len(captured)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], queries


def main() -> None:
    call_command("migrate", verbosity=0)
    user, family, children, units, days = build()
    print(f"database: {connection.vendor}; {ROUNDS} rounds each (rolled back)")
    with organisation_scope(family.organisation_id):
        for label, some_days in (("20 days", days), ("5 days", days[:5])):
            changes = [
                Change(child.pk, unit.pk, day)
                for child in children
                for unit in units[:2]
                for day in some_days
            ]
            median, p95, queries = measure(user, family, changes)
            print(
                f"{label} × 2 units × 3 children ({len(changes)} changes): "
                f"median {median:.1f} ms, p95 {p95:.1f} ms, {queries} queries"
            )


if __name__ == "__main__":
    main()
