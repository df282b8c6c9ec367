"""Server time and SQL queries of the main pages, on the demo data.

    .venv/bin/python bench/pages.py                 # fresh SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_bench .venv/bin/python bench/pages.py

Prints, for each page, the median and 95th percentile of the time Django takes to answer
(test client, no network) and the number of SQL queries. The database must be empty or
hold only the demo: the script migrates and seeds it.
"""

import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perisco.config.settings.local")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import check_password, make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from perisco.accounts.models import User  # noqa: E402

ROUNDS = 50


def measure(client: Client, path: str) -> tuple[float, float, int]:
    client.get(path, SERVER_NAME="localhost")  # warm up
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.get(path, SERVER_NAME="localhost")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(path, SERVER_NAME="localhost")
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(queries)


def signed_in(email: str) -> Client:
    client = Client()
    user = User.all_objects.get(email=email)
    client.force_login(user, backend="perisco.accounts.backends.OrganisationEmailBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def main() -> None:
    settings.DEBUG = False
    logging.getLogger("perisco.request").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    anonymous = Client()
    pages = [
        ("login page", anonymous, "/demo/connexion/"),
        ("organisation home", anonymous, "/demo/"),
        ("family home", signed_in("parent@demo.test"), "/demo/famille/"),
        (
            "family calendar (month)",
            signed_in("parent@demo.test"),
            "/demo/famille/calendrier/?mois=2027-03",
        ),
        ("staff family file", signed_in("gestion@demo.test"), "/demo/gestion/familles/1/"),
        ("staff dashboard", signed_in("gestion@demo.test"), "/demo/gestion/"),
        (
            "family accounts (25/page)",
            signed_in("gestion@demo.test"),
            "/demo/gestion/comptes-familles/",
        ),
        ("staff list", signed_in("admin@demo.test"), "/demo/gestion/personnel/"),
    ]
    print(f"database: {connection.vendor}, {ROUNDS} requests per page")
    print(f"{'page':<28}{'median ms':>10}{'p95 ms':>9}{'queries':>9}")
    for name, client, path in pages:
        median, p95, queries = measure(client, path)
        print(f"{name:<28}{median:>10.1f}{p95:>9.1f}{queries:>9}")
    encoded = make_password("Perisco-demo-2026", hasher="argon2")
    started = time.perf_counter()
    for _ in range(10):
        check_password("Perisco-demo-2026", encoded)
    print(f"Argon2 password check: {(time.perf_counter() - started) * 100:.1f} ms")


if __name__ == "__main__":
    main()
