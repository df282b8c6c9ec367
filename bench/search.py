"""The staff's family search (live search of "Familles") on a town of 5,000 families.

    createdb -h 127.0.0.1 -U postgres perisco_bench   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_bench \\
        .venv/bin/python bench/search.py

Migrates the database, generates the town with `bench/town.py` (kept for the next run),
then asks the page as htmx does on each keystroke, signed in as a manager, for searches of
one to three words. Prints, for each, the number of families found, the SQL queries, and
the median SQL time and total time of the request (test client, no network), and the
fastest request. Target: at most 50 ms for any search of up to three words.
"""

import argparse
import logging
import statistics
import time

if __name__ == "__main__":
    import django_setup  # noqa: F401  (run as a script: bench/ is on sys.path)

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from town import generate_town

from perisco.core.scoping import organisation_scope
from perisco.families.selectors import family_list

SEARCHES = (
    ("one letter", "a"),
    ("common surname", "martin"),
    ("child's first name", "leo"),
    ("accented name typed without", "helene"),
    ("family number", "004217"),
    ("part of an e-mail", "exemple.te"),
    ("nothing matches", "zzyzx"),
    ("two letters", "a e"),
    ("surname + first name", "martin louise"),
    ("accents typed without, 2 words", "lefevre noel"),
    ("three letters", "a e i"),
    ("surname, parent, child", "martin juliette gael"),
    ("three common syllables", "ma ri on"),
)


def measure(client: Client, url: str, search: str, rounds: int) -> tuple[float, float, float, int]:
    """(median SQL ms, median total ms, best total ms, queries) of one search."""
    client.get(url, {"q": search}, HTTP_HX_REQUEST="true")  # warm up
    sql, total = [], []
    for _ in range(rounds):
        timer = _SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = client.get(url, {"q": search}, HTTP_HX_REQUEST="true")
            total.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        sql.append(timer.ms)
    return statistics.median(sql), statistics.median(total), min(total), timer.queries


class _SqlTimer:
    """Time spent in the database (execution and fetching rows) during a request."""

    def __init__(self) -> None:
        self.ms = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000
            self.queries += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=30)
    options = parser.parse_args()
    settings.DEBUG = False
    logging.getLogger("perisco.request").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    town = generate_town(families=options.families)
    print(f"town ready in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics after the bulk inserts
    client = Client(SERVER_NAME="localhost")
    client.force_login(town.manager, backend="perisco.accounts.backends.OrganisationEmailBackend")
    url = f"/{town.organisation.slug}/gestion/familles/"
    print(
        f"database: {connection.vendor}, {town.families} families, "
        f"median of {options.rounds} requests"
    )
    print(
        f"{'search':<46}{'words':>6}{'found':>7}{'queries':>8}"
        f"{'SQL ms':>8}{'total ms':>10}{'best ms':>9}"
    )
    for label, search in SEARCHES:
        sql, total, best, queries = measure(client, url, search, options.rounds)
        with organisation_scope(town.organisation):
            found = family_list(search=search).count()
        name = f"{label} «{search}»"
        words = len(search.split())
        print(f"{name:<46}{words:>6}{found:>7}{queries:>8}{sql:>8.1f}{total:>10.1f}{best:>9.1f}")
    print(
        "SQL ms and total ms are medians (total: the request in the test client, SQL: the time "
        "spent executing queries); best ms is the fastest request, the cost without other "
        "load on the machine. Reproduce with:\n"
        "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_bench "
        "python bench/search.py"
    )


if __name__ == "__main__":
    main()
