"""The floor under the opening rush's path: what one signed-in request costs this process
before the view does anything (the middleware: session, user, organisation, CSRF,
permission check), measured in process under the production settings on bench/rush.py's
town. The calendar's view is swapped for one that answers "ok", then for one that also
loads the guardian's family.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_rush
    .venv/bin/python bench/rush.py --guardians 2000 --runs burst   # builds the town, once
    .venv/bin/python bench/rush_floor.py
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rush import server_env  # noqa: E402

REQUESTS = 300


def main() -> None:
    os.environ.update(server_env(os.environ["DATABASE_URL"]))
    import django

    django.setup()
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import URLPattern, get_resolver

    from perisco.accounts.permissions import Permission
    from perisco.families.selectors import access_family
    from perisco.portal.views import bookings
    from perisco.web.access import require_permission

    data = json.loads((ROOT / "var" / "rush_users.json").read_text())
    url = f"/{data['slug']}/famille/calendrier/"

    @require_permission(Permission.USE_PORTAL)
    def nothing(request):
        return HttpResponse("ok")

    @require_permission(Permission.USE_PORTAL)
    def family_only(request):
        access_family(request.user)
        return HttpResponse("ok")

    def swap(patterns, view) -> None:
        for entry in patterns:
            if isinstance(entry, URLPattern):
                if getattr(entry, "swapped_from", entry.callback) is bookings.calendar:
                    entry.swapped_from = bookings.calendar  # type: ignore[attr-defined]
                    entry.callback = view
            else:
                swap(entry.url_patterns, view)

    client = Client(HTTP_HOST="127.0.0.1")
    for label, view in (("nothing", nothing), ("the family loaded", family_only)):
        swap(get_resolver().url_patterns, view)
        cpu = []
        for guardian in data["users"][:REQUESTS]:
            client.cookies.clear()
            client.cookies["sessionid"] = guardian["session"]
            start = time.process_time()
            response = client.get(url)
            cpu.append(time.process_time() - start)
            assert response.status_code == 200, response.status_code
        print(
            f"signed-in request, view doing {label}: median "
            f"{1000 * statistics.median(cpu[20:]):.1f} ms CPU ({REQUESTS} requests)"
        )


if __name__ == "__main__":
    main()
