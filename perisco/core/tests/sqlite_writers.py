"""Concurrent writers on a SQLite file with the project's settings, run in a process of
its own by test_sqlite_writers.py (the suite's own database is in memory).

    python -m perisco.core.tests.sqlite_writers /tmp/x.sqlite3 same|distinct [--default-options]

Twelve threads start together; each, in one transaction, reads whether its row exists and
inserts it if not — what a service does ("is this child already enrolled?"). Prints one
JSON object: each thread's outcome ("ok" or the database error) and the rows written.
`--default-options` drops the project's SQLite options: the control.
"""

import json
import os
import sys
import threading

THREADS = 12
FILLER_ROWS = 200_000


def main(path: str, keys: str, default_options: bool) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "perisco.config.settings.local"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django
    from django.conf import settings

    if default_options:
        # Before django.setup(): no connection exists yet.
        settings.DATABASES["default"]["OPTIONS"] = {}
    django.setup()
    from django.db import OperationalError, connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE claim (key TEXT NOT NULL, thread INTEGER NOT NULL)")
        # Rows to scan, so that each transaction reads for a while before it writes, as a
        # service checking its rules does: the transactions overlap.
        cursor.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) "
            "INSERT INTO claim SELECT 'filler-' || i, -1 FROM n",
            [FILLER_ROWS],
        )
    connection.close()

    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def write(number: int) -> None:
        key = "same" if keys == "same" else f"key-{number}"
        barrier.wait()
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM claim WHERE key = %s", [key])
                if cursor.fetchone()[0] == 0:
                    cursor.execute("INSERT INTO claim (key, thread) VALUES (%s, %s)", [key, number])
            outcomes.append("ok")
        except OperationalError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM claim WHERE thread >= 0")
        rows = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
    print(json.dumps({"outcomes": outcomes, "rows": rows, "journal_mode": journal}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--default-options" in sys.argv[3:])
