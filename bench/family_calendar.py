"""Server time and SQL queries of the family's booking calendar (the whole page, through
Django's test client: middleware, view, template).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_bench
    .venv/bin/python bench/family_calendar.py
    .venv/bin/python bench/family_calendar.py        # a fresh SQLite file

3 children, each enrolled in one activity with 8 daily units, January 2027 (20 open days),
15 days booked per child; then the same family with 1 child, to show the query count does
not grow with the children.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import time_machine
from booking_action import NOW, build
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from perisco.bookings.services import Change, bookings_apply
from perisco.core.scoping import organisation_scope
from perisco.families.models import FamilyChild

ROUNDS = 30


def measure(client: Client, url: str) -> tuple[float, float, int]:
    times, queries = [], 0
    for n in range(ROUNDS + 1):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        if n:
            times.append(elapsed)
        queries = len(captured)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], queries


def main() -> None:
    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    user, family, children, units, days = build()
    with time_machine.travel(NOW, tick=False):
        with organisation_scope(family.organisation_id):
            bookings_apply(
                actor=user,
                family=family,
                changes=[Change(c.pk, units[0].pk, d) for c in children for d in days[:15]],
                now=NOW,
            )
        client = Client()
        client.force_login(user)
        url = f"/{family.organisation.slug}/famille/calendrier/?mois=2027-01"
        print(f"database: {connection.vendor}; {ROUNDS} rounds each")
        median, p95, queries = measure(client, url)
        print(
            f"3 children × 8 units, month: "
            f"median {median:.1f} ms, p95 {p95:.1f} ms, {queries} queries"
        )
        week = f"/{family.organisation.slug}/famille/calendrier/?vue=semaine&jour=2027-01-11"
        median, p95, queries = measure(client, week)
        print(
            f"3 children × 8 units, week: "
            f"median {median:.1f} ms, p95 {p95:.1f} ms, {queries} queries"
        )
        with organisation_scope(family.organisation_id):
            FamilyChild.objects.filter(family=family, child__in=children[1:]).delete()
        median, p95, queries = measure(client, url)
        print(
            f"1 child × 8 units, month: median {median:.1f} ms, p95 {p95:.1f} ms, {queries} queries"
        )


if __name__ == "__main__":
    main()
