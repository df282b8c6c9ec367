"""The opening rush: 2,000 guardians, signed in beforehand, each open the calendar and book
January 2027 for their 2 children (2 units × 20 days = 80 days ticked, one action), all
asking for the same days and units, with fewer places than asked. Locust (headless)
against gunicorn (4 workers, production settings, Redis cache) and PostgreSQL, on
127.0.0.1; then the database is checked: no overbooking, every refused day on the
waiting list, in arrival order.

    make bench-deps                                   # locust, once
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_rush
    createdb -h 127.0.0.1 -U postgres perisco_rush    # once
    .venv/bin/python bench/rush.py                    # both runs: spread, then burst
    .venv/bin/python bench/rush.py --guardians 500 --runs burst

With RUSH_PYSPY=/tmp/stacks.txt, py-spy (in `make bench-deps`) records where gunicorn's
CPU goes during the runs, as raw stacks (samples holding the GIL only).

Each run starts from no bookings. "spread": the guardians arrive over one minute (33/s);
"burst": all within the first 10 seconds (the 9:00 opening). Figures printed: requests
per second, latency percentiles per request kind, month-bookings per second, failures,
and the CPU seconds gunicorn, PostgreSQL and locust used (they share the machine's cores).
"""

import argparse
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SLUG = "rush"
PORT = 8765
MONTH = "2027-01"
UNITS = ("Repas", "Garderie du soir")
CHILDREN_PER_FAMILY = 2
# Places per unit and day: fewer than the children asking (4,000 for 2,000 guardians).
PLACES_SHARE = 0.75


def server_env(database_url: str) -> dict[str, str]:
    """The production settings, on 127.0.0.1 without TLS; the sessions made by `build` are
    signed with the same key."""
    return {
        "DJANGO_SETTINGS_MODULE": "perisco.config.settings.production",
        "DJANGO_SECRET_KEY": "rush-bench-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PERISCO_BASE_URL": f"http://127.0.0.1:{PORT}",
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/7",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_BEHIND_TLS_PROXY": "false",
        "PERISCO_PROXY_COUNT": "0",
        "EMAIL_URL": "smtp://localhost:25",
    }


def _django():
    import django

    django.setup()


def school_days() -> list[date]:
    days, day = [], date(2027, 1, 4)  # after the Christmas holidays
    while day.month == 1:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def build(guardians: int, out: Path) -> None:
    """The town (or nothing if it is there with as many guardians), and one signed-in
    session per guardian, written to `out` for locust."""
    _django()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.utils import timezone

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
    from perisco.core.models import Organisation
    from perisco.core.scoping import organisation_scope
    from perisco.families.models import (
        Child,
        Family,
        FamilyCertification,
        FamilyChild,
        Guardian,
    )

    call_command("migrate", verbosity=0)
    org, _ = Organisation.objects.get_or_create(
        slug=SLUG, defaults={"name": "Ville de Ruée", "email": "mairie@rush.test"}
    )
    with organisation_scope(org):
        places = int(guardians * CHILDREN_PER_FAMILY * PLACES_SHARE)
        activity = Activity.objects.filter(name="Périscolaire").first()
        if activity is None or Family.objects.count() != guardians:
            print(f"building {guardians} families…", flush=True)
            _wipe(org)
            facility = Facility.objects.create(organisation=org, name="Groupe scolaire")
            kind = ActivityType.objects.create(organisation=org, name="Périscolaire")
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
            for n, name in enumerate(UNITS):
                Unit.objects.create(
                    organisation=org, activity=activity, name=name, position=n, capacity=places
                )
            password = make_password(None)
            users = User.objects.bulk_create(
                User(
                    organisation=org,
                    email=f"parent{n}@rush.test",
                    password=password,
                    role=Role.GUARDIAN,
                )
                for n in range(guardians)
            )
            families = Family.objects.bulk_create(
                Family(organisation=org, number=f"{n:06d}", name=f"FAMILLE{n}")
                for n in range(guardians)
            )
            Guardian.objects.bulk_create(
                Guardian(
                    organisation=org,
                    family=family,
                    rank=1,
                    first_name="Camille",
                    last_name=family.name,
                    user=user,
                    email=user.email,
                )
                for family, user in zip(families, users, strict=True)
            )
            FamilyCertification.objects.bulk_create(
                FamilyCertification(organisation=org, family=f, school_year=2026) for f in families
            )
            children = Child.objects.bulk_create(
                Child(
                    organisation=org,
                    first_name=f"Enfant{k}",
                    last_name=family.name,
                    birth_date=date(2017 + k, 3, 1),
                    sex="F",
                )
                for family in families
                for k in range(CHILDREN_PER_FAMILY)
            )
            pairs = [
                (family, children[i * CHILDREN_PER_FAMILY + k])
                for i, family in enumerate(families)
                for k in range(CHILDREN_PER_FAMILY)
            ]
            FamilyChild.objects.bulk_create(
                FamilyChild(organisation=org, family=f, child=c) for f, c in pairs
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
                for f, c in pairs
            )
        units = list(Unit.objects.filter(activity=activity).order_by("position"))
        Unit.objects.filter(pk__in=[u.pk for u in units]).update(capacity=places)
        rows = []
        expire = timezone.now() + timedelta(days=1)
        sessions = []
        for guardian in Guardian.objects.select_related("user", "family").order_by("pk"):
            user = guardian.user
            store = SessionStore()
            key = store._get_new_session_key()
            data = {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: "perisco.accounts.backends.OrganisationEmailBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
            sessions.append(
                Session(session_key=key, session_data=store.encode(data), expire_date=expire)
            )
            child_ids = list(
                FamilyChild.objects.filter(family=guardian.family).values_list(
                    "child_id", flat=True
                )
            )
            cells = [
                f"{c}:{u.pk}:{d.isoformat()}"
                for c in child_ids
                for u in units
                for d in school_days()
            ]
            rows.append({"session": key, "cells": " ".join(cells)})
        Session.objects.bulk_create(sessions, batch_size=500)
    out.write_text(json.dumps({"slug": SLUG, "month": MONTH, "users": rows}))
    print(f"{guardians} guardians signed in; {places} places per unit and day", flush=True)


def _wipe(org) -> None:
    from django.db import connection

    tables = [
        "core_auditentry",
        "messaging_outgoingemail",
        "bookings_bookingchange",
        "bookings_booking",
        "bookings_bookingaction",
        "bookings_placecounter",
        "activities_enrollment",
        "families_familychild",
        "families_familycertification",
        "families_guardian",
        "families_child",
        "families_family",
        "activities_unit",
        "activities_period",
        "activities_activity",
        "activities_activitytype",
        "activities_facility",
    ]
    with connection.cursor() as cursor:
        for table in tables:
            # The table names are the constants above.
            cursor.execute(f"DELETE FROM {table} WHERE organisation_id = %s", [org.pk])  # noqa: S608
        cursor.execute(
            "DELETE FROM accounts_user WHERE organisation_id = %s AND role = 'guardian'", [org.pk]
        )


def reset_bookings() -> None:
    """Every run starts from no bookings in January (and no e-mails queued by the last
    run), on tables vacuumed. December is booked, as in a real town at a January opening:
    PostgreSQL then plans its checks (foreign keys) for a table of its real size, not for
    an empty one, whose plans scan the table they were made for."""
    from django.db import connection

    from perisco.core.models import Organisation

    org = Organisation.objects.get(slug=SLUG)
    first = date.fromisoformat(f"{MONTH}-01")
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM bookings_bookingchange WHERE booking_id IN (SELECT id FROM"
            " bookings_booking WHERE organisation_id = %s AND day >= %s)",
            [org.pk, first],
        )
        for table in ("bookings_booking", "bookings_placecounter"):
            cursor.execute(
                f"DELETE FROM {table} WHERE organisation_id = %s AND day >= %s",  # noqa: S608
                [org.pk, first],
            )
        cursor.execute("DELETE FROM bookings_bookingaction WHERE organisation_id = %s", [org.pk])
        cursor.execute("DELETE FROM messaging_outgoingemail WHERE organisation_id = %s", [org.pk])
        # The e-mails' tasks of the last run (this database is the bench's own).
        cursor.execute("DELETE FROM django_tasks_database_dbtaskresult")
        cursor.execute("SELECT count(*) FROM bookings_booking WHERE organisation_id = %s", [org.pk])
        if not cursor.fetchone()[0]:
            _book_december(cursor, org.pk)
        # Else autovacuum cleans the last run's rows during this one.
        cursor.execute("VACUUM ANALYZE")
    connection.close()


def _book_december(cursor, organisation_id: int) -> None:
    """December's school days booked by as many children as there are places (all
    confirmed), with their history and counters: what the town holds before January."""
    days = [date(2026, 12, d) for d in range(1, 19) if date(2026, 12, d).weekday() < 5]
    cursor.execute(
        "SELECT capacity FROM activities_unit WHERE organisation_id = %s LIMIT 1",
        [organisation_id],
    )
    places = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO bookings_booking (organisation_id, child_id, family_id, activity_id,
            unit_id, day, state, outcome, "group", requested_at, updated_at, refusal_reason)
        SELECT fc.organisation_id, fc.child_id, fc.family_id, u.activity_id, u.id, d, 'confirmed',
            '', 0, now(), now(), ''
        FROM (SELECT * FROM families_familychild WHERE organisation_id = %s
              ORDER BY child_id LIMIT %s) fc
        CROSS JOIN activities_unit u CROSS JOIN unnest(%s::date[]) d
        WHERE u.organisation_id = %s
        """,
        [organisation_id, places, days, organisation_id],
    )
    cursor.execute(
        """
        INSERT INTO bookings_bookingchange (organisation_id, booking_id, at, on_behalf,
            before_state, after_state, before_outcome, after_outcome, reason)
        SELECT organisation_id, id, requested_at, false, '', state, '', '', ''
        FROM bookings_booking WHERE organisation_id = %s
        """,
        [organisation_id],
    )
    cursor.execute(
        """
        INSERT INTO bookings_placecounter (organisation_id, unit_id, day, "group", taken, waiting)
        SELECT organisation_id, unit_id, day, 0, count(*), 0 FROM bookings_booking
        WHERE organisation_id = %s GROUP BY organisation_id, unit_id, day
        """,
        [organisation_id],
    )


def check(guardians: int) -> dict:
    """Overbookings, and whether every refused day waits, in arrival order."""
    from django.db.models import Count

    from perisco.activities.models import Unit
    from perisco.bookings.models import Booking
    from perisco.bookings.states import State
    from perisco.core.models import Organisation
    from perisco.core.scoping import organisation_scope

    org = Organisation.objects.get(slug=SLUG)
    with organisation_scope(org):
        units = {u.pk: u.capacity for u in Unit.objects.filter(activity__name="Périscolaire")}
        january = Booking.objects.filter(day__gte=school_days()[0])
        confirmed = (
            january.filter(state=State.CONFIRMED).values("unit_id", "day").annotate(n=Count("pk"))
        )
        overbooked = sum(max(0, r["n"] - units[r["unit_id"]]) for r in confirmed)
        full_days = sum(1 for r in confirmed if r["n"] == units[r["unit_id"]])
        asked = guardians * CHILDREN_PER_FAMILY * len(units) * len(school_days())
        total = january.count()
        waiting = january.filter(state=State.WAITING).count()
        # Arrival order: on each unit and day, no one waiting was there (inserted, under
        # the day's lock) before someone who got a place.
        inversions = 0
        for unit_id in units:
            for day in school_days():
                rows = Booking.objects.filter(unit_id=unit_id, day=day).values_list("pk", "state")
                last_confirmed = max((pk for pk, s in rows if s == State.CONFIRMED), default=0)
                inversions += sum(1 for pk, s in rows if s == State.WAITING and pk < last_confirmed)
    return {
        "asked": asked,
        "stored": total,
        "confirmed": total - waiting,
        "waiting": waiting,
        "overbooked": overbooked,
        "full_unit_days": full_days,
        "waiting_out_of_order": inversions,
    }


def cpu_seconds(pids: dict[str, list[int]]) -> dict[str, float]:
    import psutil

    totals = {}
    for name, group in pids.items():
        seconds = 0.0
        for pid in group:
            try:
                process = psutil.Process(pid)
                times = process.cpu_times()
                seconds += times.user + times.system
                for child in process.children(recursive=True):
                    t = child.cpu_times()
                    seconds += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        totals[name] = seconds
    return totals


def machine_busy() -> float:
    """CPU seconds the whole machine spent working (all cores, all processes)."""
    import psutil

    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def serve(database_url: str) -> subprocess.Popen:
    env = {**os.environ, **server_env(database_url)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "perisco.config.wsgi",
            # As docs/deploy.md: the master loads and warms the application once.
            "--preload",
            "--workers=4",
            f"--bind=127.0.0.1:{PORT}",
            "--backlog=4096",
            "--timeout=120",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    return process


def run(kind: str, guardians: int, users_file: Path, database_url: str) -> None:
    spawn_seconds = 60 if kind == "spread" else 10
    reset_bookings()
    server = serve(database_url)
    try:
        workdir = Path(tempfile.mkdtemp())
        spy = None
        if os.environ.get("RUSH_PYSPY"):  # where gunicorn's CPU goes: py-spy's raw stacks
            spy = subprocess.Popen(  # noqa: S603 (a profiler the developer asked for)
                [str(ROOT / ".venv/bin/py-spy"), "record", "--gil", "--subprocesses", "-r", "100",
                 "-f", "raw", "-o", os.environ["RUSH_PYSPY"], "-p", str(server.pid)],
            )  # fmt: skip
        before = cpu_seconds({"gunicorn": [server.pid]})
        machine_before = machine_busy()
        started = time.perf_counter()
        locust = subprocess.Popen(  # noqa: S603 (our own locust, fixed arguments)
            [
                str(ROOT / ".venv/bin/locust"),
                "-f",
                str(ROOT / "bench/rush_locust.py"),
                "--headless",
                f"--users={guardians}",
                f"--spawn-rate={guardians / spawn_seconds:.2f}",
                f"--host=http://127.0.0.1:{PORT}",
                f"--csv={workdir / 'rush'}",
                "--only-summary",
                "--run-time=20m",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env={**os.environ, "RUSH_USERS": str(users_file)},
        )
        locust.wait()
        elapsed = time.perf_counter() - started
        after = cpu_seconds({"gunicorn": [server.pid]})
        machine_after = machine_busy()
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
    with open(workdir / "rush_stats.csv") as stats_file:
        stats = list(csv.DictReader(stats_file))
    report = json.loads(Path(str(users_file) + ".done").read_text())
    print(f"\n== {kind}: {guardians} guardians within {spawn_seconds} s")
    print(f"wall {elapsed:.1f} s; last month-booking done at {report['last_done']:.1f} s")
    print("| request | count | failures | median | p95 | p99 | max | per second |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in stats:
        print(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
            f"{row['50%']} | {row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} | "
            f"{float(row['Requests/s']):.1f} |"
        )
    done = report["done"]
    window = report["last_done"] - report["first_start"]
    print(
        f"month-bookings: {done} done in {window:.1f} s = {done / window:.1f}/s "
        f"(from the first page asked to the last booking answered)"
    )
    gunicorn = after["gunicorn"] - before["gunicorn"]
    busy = machine_after - machine_before
    cpu = {
        "gunicorn": gunicorn,
        "locust": report["cpu"],
        # PostgreSQL's backends come and go with the connections: counted as the rest.
        "PostgreSQL and the rest": busy - gunicorn - report["cpu"],
    }
    print(
        "CPU seconds: "
        + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
        + f" (the machine's {os.cpu_count()} cores × {elapsed:.0f} s = "
        f"{os.cpu_count() * elapsed:.0f} available, {busy:.0f} used); per month-booking: "
        f"gunicorn {1000 * gunicorn / max(done, 1):.1f} ms, "
        f"PostgreSQL and the rest {1000 * cpu['PostgreSQL and the rest'] / max(done, 1):.1f} ms"
    )
    print("database:", json.dumps(check(guardians)))
    drain_tasks()


def drain_tasks() -> None:
    """The e-mails of the actions are drawn by the task worker, off the requests: run it
    once the rush is over (delivered to a dummy backend) and say what they cost."""
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.count()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, str(ROOT / "manage.py"), "db_worker", "--batch", "--no-startup-delay"],
        cwd=ROOT,
        env={**os.environ, "EMAIL_URL": "dummymail://"},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(
        f"tasks afterwards (the worker, one process): {queued} queued (e-mails drawn, then "
        f"delivered), done in {time.perf_counter() - started:.1f} s, {cpu:.1f} s of CPU "
        f"= {1000 * cpu / max(queued, 1):.1f} ms per task"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guardians", type=int, default=2000)
    parser.add_argument("--runs", nargs="+", default=["spread", "burst"])
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (see the docstring).")
    os.environ.update(server_env(database_url))
    users_file = ROOT / "var" / "rush_users.json"
    users_file.parent.mkdir(exist_ok=True)
    build(args.guardians, users_file)
    for kind in args.runs:
        run(kind, args.guardians, users_file, database_url)


if __name__ == "__main__":
    main()
