"""Attendance of a 200-child canteen: the sheet page, a batch of 200 marks sent at once
(as after a lost connection), and closing the day — server time and SQL queries through
Django's test client, an agent signed in.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_bench
    .venv/bin/python bench/attendance.py
    .venv/bin/python bench/attendance.py        # a fresh SQLite file

Each round of the batch and of the closing runs in a transaction rolled back at its end,
so every round starts from the same unmarked sheet.
"""

import json
import statistics
import time
import uuid
from datetime import date, datetime
from datetime import time as clock

import django_setup  # noqa: F401  (first: Django ready)
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.activities.models import (
    Activity,
    ActivityType,
    Enrollment,
    EnrollmentStatus,
    Facility,
    Period,
    Unit,
)
from perisco.activities.rules import PARIS
from perisco.bookings.attendance import MarkInput, attendance_marks_record
from perisco.bookings.models import Booking, PlaceCounter
from perisco.bookings.states import State
from perisco.core.models import Organisation
from perisco.core.scoping import organisation_scope
from perisco.families.models import Child, Family, FamilyChild

CHILDREN = 200
ROUNDS = 30
BATCH_ROUNDS = 10
DAY = date(2026, 11, 30)
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=PARIS)


def build() -> tuple[User, Unit]:
    org, _ = Organisation.objects.get_or_create(
        slug="bench-attendance", defaults={"name": "Bench", "email": "bench@example.test"}
    )
    with organisation_scope(org):
        facility = Facility.objects.create(organisation=org, name=f"École {time.time()}")
        kind = ActivityType.objects.create(organisation=org, name=f"Type {time.time()}")
        activity = Activity.objects.create(
            organisation=org,
            facility=facility,
            activity_type=kind,
            name="Restauration scolaire",
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
        unit = Unit.objects.create(
            organisation=org, activity=activity, name="Repas", capacity=CHILDREN + 50
        )
        families = Family.objects.bulk_create(
            Family(organisation=org, number=f"A{n:05d}{time.time_ns() % 10**6}", name=f"F{n}")
            for n in range(CHILDREN)
        )
        children = Child.objects.bulk_create(
            Child(
                organisation=org,
                first_name=f"Enfant{n}",
                last_name=f"NOM{n}",
                birth_date=date(2018, 1, 1),
                sex="F",
                allergies="Arachide" if n % 20 == 0 else "",
                has_pai=n % 25 == 0,
            )
            for n in range(CHILDREN)
        )
        FamilyChild.objects.bulk_create(
            FamilyChild(organisation=org, family=f, child=c)
            for f, c in zip(families, children, strict=True)
        )
        Enrollment.objects.bulk_create(
            Enrollment(
                organisation=org,
                child=c,
                family=f,
                activity=activity,
                period=period,
                start=period.start,
                end=period.end,
                status=EnrollmentStatus.VALIDATED,
            )
            for f, c in zip(families, children, strict=True)
        )
        Booking.objects.bulk_create(
            Booking(
                organisation=org,
                child=c,
                family=f,
                activity=activity,
                unit=unit,
                day=DAY,
                state=State.CONFIRMED,
                requested_at=NOON,
                updated_at=NOON,
            )
            for f, c in zip(families, children, strict=True)
        )
        PlaceCounter.objects.create(organisation=org, unit=unit, day=DAY, taken=CHILDREN)
        agent = User.objects.create_user(
            organisation=org, email=f"agent{time.time_ns()}@bench.test", role=Role.AGENT
        )
    return agent, unit


def rolled_back(client: Client, method: str, url: str, **kwargs) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        started = time.perf_counter()
        response = getattr(client, method)(url, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code in (200, 302), response.status_code
        transaction.set_rollback(True)
    return elapsed, len(captured)


def summary(label: str, times: list[float], queries: int) -> None:
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{label}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, {queries} queries")


def main() -> None:
    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    agent, unit = build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would, after the bulk inserts
    slug = agent.organisation.slug
    sheet = f"/{slug}/gestion/pointage/{unit.pk}/{DAY.isoformat()}/"
    with time_machine.travel(NOON, tick=True):
        client = Client()
        client.force_login(agent)
        print(f"database: {connection.vendor}; {CHILDREN} children booked on {DAY}")
        client.get(sheet)  # the catalogue cached
        times, queries = [], 0
        for _ in range(ROUNDS):
            elapsed, queries = rolled_back(client, "get", sheet)
            times.append(elapsed)
        summary("sheet page", times, queries)

        with organisation_scope(agent.organisation):
            child_ids = list(
                Booking.objects.filter(unit=unit, day=DAY).values_list("child_id", flat=True)
            )
        times = []
        for _ in range(BATCH_ROUNDS):
            body = json.dumps(
                {
                    "marks": [
                        {
                            "id": str(uuid.uuid4()),
                            "child": c,
                            "status": "present",
                            "made_at": "2026-11-30T10:30:00+00:00",
                        }
                        for c in child_ids
                    ]
                }
            )
            elapsed, queries = rolled_back(
                client, "post", sheet + "pointages/", data=body, content_type="application/json"
            )
            times.append(elapsed)
        summary(f"{CHILDREN} marks sent at once (JSON)", times, queries)

        times = []
        for _ in range(BATCH_ROUNDS):
            with transaction.atomic():
                with organisation_scope(agent.organisation):
                    attendance_marks_record(
                        actor=agent,
                        unit=unit,
                        day=DAY,
                        marks=[MarkInput(uuid.uuid4(), c, "present", NOON) for c in child_ids],
                    )
                elapsed, queries = rolled_back(client, "post", sheet + "cloturer/")
                times.append(elapsed)
                transaction.set_rollback(True)
        summary(f"closing the day ({CHILDREN} children)", times, queries)


if __name__ == "__main__":
    main()
