"""Kitchen counts of a 5,000-family town for a month: the selector alone, and the month's
XLSX export through Django's test client (a manager signed in).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_bench
    .venv/bin/python bench/kitchen.py [--families 5000]

The town comes from bench/town.py (reused when the database already holds it); each of its
schools gets a canteen whose lunch is a meal unit, and every child eats there on the four
school days of every December week before the holidays (as the typical weeks book them),
a fifth of them with a diet.
"""

import argparse
import statistics
import time
from datetime import date, datetime
from datetime import time as clock

import django_setup  # noqa: F401  (first: Django ready)
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from town import generate_town

from perisco.activities.models import Activity, ActivityType, Facility, Period, Unit
from perisco.activities.rules import PARIS
from perisco.activities.selectors import days_between
from perisco.bookings.kitchen import kitchen_counts
from perisco.bookings.models import Booking
from perisco.bookings.states import State
from perisco.core.models import School
from perisco.core.scoping import organisation_scope
from perisco.families.models import Child, Diet, FamilyChild

DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)  # half the month final, half provisional
ROUNDS = 20
DIETS = ([Diet.NO_PORK], [Diet.VEGETARIAN], [Diet.NO_MEAT], [Diet.PACKED_MEAL])


def canteens(organisation) -> int:
    """A canteen per school, and December's meals; once per database."""
    if Unit.objects.filter(includes_meal=True).exists():
        return Booking.objects.count()
    kind = ActivityType.objects.create(organisation=organisation, name="Restauration")
    units = {}
    for school in School.objects.all():
        facility = Facility.objects.create(
            organisation=organisation, name=f"{school.name} – cantine", school=school
        )
        activity = Activity.objects.create(
            organisation=organisation,
            facility=facility,
            activity_type=kind,
            name=f"Restauration – {school.name}",
            booking_cutoff=clock(9),
            cancellation_cutoff=clock(9),
        )
        Period.objects.create(
            organisation=organisation,
            activity=activity,
            name="2026-2027",
            start=date(2026, 9, 1),
            end=date(2027, 7, 3),
            weekdays=[0, 1, 3, 4],
        )
        units[school.pk] = Unit.objects.create(
            organisation=organisation, activity=activity, name="Repas", includes_meal=True
        )
    days = [d for d in days_between(DECEMBER[0], date(2026, 12, 18)) if d.weekday() in (0, 1, 3, 4)]
    family_of = dict(FamilyChild.objects.values_list("child_id", "family_id"))
    children = list(Child.objects.exclude(school=None).order_by("pk"))
    for index, child in enumerate(children):
        if index % 5 == 0:
            child.diets = DIETS[index // 5 % len(DIETS)]
    Child.objects.bulk_update(children, ["diets"], batch_size=2000)
    batch = []
    for child in children:
        unit = units[child.school_id]
        for day in days:
            batch.append(
                Booking(
                    organisation=organisation,
                    child=child,
                    family_id=family_of[child.pk],
                    activity_id=unit.activity_id,
                    unit=unit,
                    day=day,
                    state=State.CONFIRMED,
                    requested_at=NOW,
                    updated_at=NOW,
                )
            )
    Booking.objects.bulk_create(batch, batch_size=5000)
    return len(batch)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=5000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    town = generate_town(families=args.families, slug="bench")
    with organisation_scope(town.organisation):
        meals = canteens(town.organisation)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"database: {connection.vendor}; {args.families} families, {meals} meals booked")
        kitchen_counts(*DECEMBER, now=NOW)  # the holidays' calendar drawn once
        times = []
        for _ in range(ROUNDS):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                days = kitchen_counts(*DECEMBER, now=NOW)
                times.append((time.perf_counter() - started) * 1000)
        total = sum(day.total.total for day in days)
        print(
            f"kitchen_counts, December: median {statistics.median(times):.1f} ms, "
            f"max {max(times):.1f} ms, {len(captured)} queries, {total} meals in {len(days)} days"
        )
    with time_machine.travel(NOW, tick=True):
        client = Client()
        client.force_login(town.manager)
        url = f"/{town.organisation.slug}/gestion/cuisine/effectifs.xlsx?mois=2026-12"
        times = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        print(f"month as XLSX (request): median {statistics.median(times):.1f} ms")
        week = client.get(f"/{town.organisation.slug}/gestion/cuisine/?semaine=2026-12-07")
        assert week.status_code == 200
        times = []
        for _ in range(10):
            started = time.perf_counter()
            client.get(f"/{town.organisation.slug}/gestion/cuisine/?semaine=2026-12-07")
            times.append((time.perf_counter() - started) * 1000)
        print(f"week page (request): median {statistics.median(times):.1f} ms")


if __name__ == "__main__":
    main()
