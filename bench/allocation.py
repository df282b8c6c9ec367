"""A holiday session's draw: 2,000 requests for 600 places over 10 days.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_bench
    .venv/bin/python bench/allocation.py

1,000 families (one in five with two children, asking for the same days), each child
asking for two or three of the ten days, 60 places a day. Measured: the pure lottery
(`bookings.lottery.allocate`), the whole run as staff start it (`allocation_run`: the
requests, the families' priorities, the draw, the answers stored) and, once, the
publication (`allocation_publish`: every answer booked through the booking service).
Each round runs in a transaction rolled back at its end.
"""

import random
import statistics
import time
from datetime import date, datetime, timedelta

import django_setup  # noqa: F401  (first: Django ready)
from django.core.management import call_command
from django.db import connection, transaction
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
    PeriodKind,
    RequestWindow,
    Unit,
)
from perisco.activities.rules import PARIS, Season
from perisco.bookings.allocation import allocation_publish, allocation_run, family_criteria
from perisco.bookings.lottery import DEFAULT_WEIGHTS, Applicant, allocate
from perisco.bookings.models import PlaceRequest
from perisco.core.models import Organisation
from perisco.core.scoping import organisation_scope
from perisco.families.models import (
    Child,
    Family,
    FamilyCertification,
    FamilyChild,
    Guardian,
    SocioProfessionalCategory,
)

FAMILIES = 1000
PLACES = 60
# Zone A's winter holidays 2027: two weeks from Monday 15 February.
DAYS = [date(2027, 2, 15) + timedelta(days=n) for n in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)]
AFTER = datetime(2027, 1, 20, 12, 0, tzinfo=PARIS)
ROUNDS = 5


def build() -> tuple[User, RequestWindow]:
    stamp = time.time_ns()
    org = Organisation.objects.create(
        slug=f"bench-draw-{stamp % 10**9}",
        name="Bench",
        email="bench@example.test",
        postal_code="64000",
        city="Pau",
    )
    rng = random.Random(2027)  # noqa: S311 (a reproducible bench)
    with organisation_scope(org):
        facility = Facility.objects.create(organisation=org, name="Centre de loisirs")
        kind = ActivityType.objects.create(organisation=org, name="Loisirs")
        activity = Activity.objects.create(
            organisation=org,
            facility=facility,
            activity_type=kind,
            name="ALSH vacances",
            season=Season.HOLIDAYS,
        )
        period = Period.objects.create(
            organisation=org,
            activity=activity,
            name="Vacances d'hiver 2027",
            kind=PeriodKind.HOLIDAY_SESSION,
            start=date(2027, 2, 13),
            end=date(2027, 2, 28),
            weekdays=[0, 1, 2, 3, 4],
        )
        unit = Unit.objects.create(
            organisation=org, activity=activity, name="Journée", capacity=PLACES
        )
        manager = User.objects.create_user(
            organisation=org, email=f"gestion{stamp}@bench.test", role=Role.MANAGER
        )
        window = RequestWindow.objects.create(
            organisation=org,
            period=period,
            unit=unit,
            opens_at=AFTER - timedelta(days=30),
            closes_at=AFTER - timedelta(days=1),
            weights=dict(DEFAULT_WEIGHTS),
        )
        families = Family.objects.bulk_create(
            Family(organisation=org, number=f"{n:06d}", name=f"F{n}") for n in range(FAMILIES)
        )
        FamilyCertification.objects.bulk_create(
            FamilyCertification(organisation=org, family=f, school_year=2026) for f in families
        )
        Guardian.objects.bulk_create(
            Guardian(
                organisation=org,
                family=f,
                rank=1,
                first_name="A",
                last_name=f.name,
                postal_code="64000" if rng.random() < 0.7 else "64230",
                city="Pau" if rng.random() < 0.95 else "Lescar",
                socio_professional_category=rng.choice(list(SocioProfessionalCategory)),
            )
            for f in families
        )
        owners, children = [], []
        for family in families:
            for _ in range(2 if rng.random() < 0.2 else 1):
                owners.append(family)
                children.append(
                    Child(
                        organisation=org,
                        first_name="E",
                        last_name=family.name,
                        birth_date=date(2018, 5, 1),
                        sex="F",
                    )
                )
        children = Child.objects.bulk_create(children)
        FamilyChild.objects.bulk_create(
            FamilyChild(organisation=org, family=f, child=c)
            for f, c in zip(owners, children, strict=True)
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
            for f, c in zip(owners, children, strict=True)
        )
        requests, asked = [], {}
        for family, child in zip(owners, children, strict=True):
            # Siblings ask for the same days.
            days = asked.setdefault(family.pk, rng.sample(DAYS, rng.choice((2, 2, 3))))
            requests.extend(
                PlaceRequest(organisation=org, window=window, family=family, child=child, day=d)
                for d in days
            )
        PlaceRequest.objects.bulk_create(requests[:2000])
    return manager, window


def main() -> None:
    call_command("migrate", verbosity=0)
    manager, window = build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    with organisation_scope(window.organisation):
        requests = PlaceRequest.objects.filter(window=window).count()
        print(
            f"database: {connection.vendor}; {requests} requests, {PLACES * len(DAYS)} places "
            f"over {len(DAYS)} days"
        )
        families = list(Family.objects.filter(place_requests__window=window).distinct())
        criteria = family_criteria(window, families)
        days: dict = {}
        for request in PlaceRequest.objects.filter(window=window):
            days.setdefault(request.family_id, {}).setdefault(request.day, []).append(
                request.child_id
            )
        applicants = [
            Applicant(f, frozenset(criteria[f]), 0, {d: tuple(c) for d, c in asked.items()})
            for f, asked in days.items()
        ]
        times = []
        for seed in range(20):
            started = time.perf_counter()
            allocate(applicants, dict.fromkeys(DAYS, PLACES), seed=seed, weights=DEFAULT_WEIGHTS)
            times.append((time.perf_counter() - started) * 1000)
        print(f"the lottery alone (allocate): median {statistics.median(times):.1f} ms")

        times = []
        for _ in range(ROUNDS):
            with CaptureQueriesContext(connection) as captured, transaction.atomic():
                started = time.perf_counter()
                result = allocation_run(actor=manager, window=window, now=AFTER)
                times.append((time.perf_counter() - started) * 1000)
                transaction.set_rollback(True)
        print(
            f"allocation_run: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms, "
            f"{len(captured)} queries; {len(result.granted)} places given, "
            f"{len(result.waiting)} waiting"
        )
        with transaction.atomic():
            allocation_run(actor=manager, window=window, now=AFTER)
            started = time.perf_counter()
            report = allocation_publish(actor=manager, window=window, now=AFTER)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        print(
            f"allocation_publish (once): {elapsed:.1f} s for {report.families} families "
            f"({report.granted} booked, {report.waiting} waiting)"
        )


if __name__ == "__main__":
    main()
