"""Where one guardian's path of the opening rush spends its CPU, in process: the calendar
page, then the month booked by htmx, for the first N guardians of bench/rush.py's town
(built by it first), under the production settings. Prints the CPU per request kind and
writes a cProfile of each to var/.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_rush
    .venv/bin/python bench/rush.py --guardians 2000 --runs burst   # builds the town, once
    .venv/bin/python bench/rush_profile.py --guardians 300
"""

import argparse
import cProfile
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rush import server_env  # noqa: E402

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu() -> tuple[int | None, float]:
    """The PostgreSQL backend serving this process, and the CPU it has used (s)."""
    from django.db import connection

    if connection.connection is None:
        return None, 0.0
    pid = connection.connection.info.backend_pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return pid, (int(fields[11]) + int(fields[12])) / TICK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guardians", type=int, default=300)
    parser.add_argument("--no-profile", action="store_true", help="CPU figures only")
    args = parser.parse_args()
    os.environ.update(server_env(os.environ["DATABASE_URL"]))
    import django

    django.setup()
    from django.test import Client

    from bench.rush import reset_bookings

    data = json.loads((ROOT / "var" / "rush_users.json").read_text())
    reset_bookings()
    url = f"/{data['slug']}/famille/calendrier/"
    cpu = {"page": [], "book": []}
    database: list[float] = []
    # CPU time, not wall: the waits on PostgreSQL (commits) are not this process's cost.
    profiles = {k: cProfile.Profile(time.process_time) for k in ("page", "book")}
    # One client, as one gunicorn worker: its middleware is loaded once.
    client = Client(HTTP_HOST="127.0.0.1")
    for n, guardian in enumerate(data["users"][: args.guardians]):
        client.cookies.clear()
        client.cookies["sessionid"] = guardian["session"]
        warm = n >= 10 and not args.no_profile
        pid, pg_start = backend_cpu()
        start = time.process_time()
        if warm:
            profiles["page"].enable()
        page = client.get(url, {"mois": data["month"]})
        profiles["page"].disable()
        cpu["page"].append(time.process_time() - start)
        assert page.status_code == 200, page.status_code
        token = TOKEN.search(page.content.decode()).group(1)
        body = {
            "csrfmiddlewaretoken": token,
            "mois": data["month"],
            "avant": "",
            "c": guardian["cells"],
        }
        start = time.process_time()
        if warm:
            profiles["book"].enable()
        answer = client.post(url, body, HTTP_HX_REQUEST="true")
        profiles["book"].disable()
        cpu["book"].append(time.process_time() - start)
        pid_after, pg_end = backend_cpu()
        if pid is not None and pid == pid_after and n >= 10:
            database.append(pg_end - pg_start)
        assert answer.status_code == 200 and b"report" in answer.content, answer.status_code
    for kind, values in cpu.items():
        values = values[10:]
        print(
            f"{kind}: median {1000 * statistics.median(values):.1f} ms CPU, "
            f"mean {1000 * statistics.mean(values):.1f} ms"
        )
        out = ROOT / "var" / f"rush_{kind}.prof"
        profiles[kind].dump_stats(out)
    total = sum(statistics.mean(v[10:]) for v in cpu.values())
    print(f"path: {1000 * total:.1f} ms CPU per guardian (this process only, PostgreSQL apart)")
    if database:
        print(
            f"PostgreSQL: {1000 * statistics.mean(database):.1f} ms CPU per guardian "
            f"(its backend, {len(database)} guardians; clock ticks of {1000 // TICK} ms)"
        )


if __name__ == "__main__":
    main()
