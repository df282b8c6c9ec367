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
    # CPU time, not wall: the waits on PostgreSQL (commits) are not this process's cost.
    profiles = {k: cProfile.Profile(time.process_time) for k in ("page", "book")}
    # One client, as one gunicorn worker: its middleware is loaded once.
    client = Client(HTTP_HOST="127.0.0.1")
    for n, guardian in enumerate(data["users"][: args.guardians]):
        client.cookies.clear()
        client.cookies["sessionid"] = guardian["session"]
        warm = n >= 10 and not args.no_profile
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


if __name__ == "__main__":
    main()
