"""Locust users of bench/rush.py: each is one guardian, already signed in, who opens the
calendar of the month and books it for both children (every cell ticked, one "Save", sent
by htmx as the page does), then leaves. Run by bench/rush.py, not by hand."""

import json
import os
import re
import resource
import time
from pathlib import Path

import gevent
from locust import FastHttpUser, events, task
from locust.exception import StopUser

DATA = json.loads(Path(os.environ["RUSH_USERS"]).read_text())
GUARDIANS = iter(DATA["users"])
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STATE = {"done": 0, "first_start": None, "last_done": 0.0, "failed": 0}
STARTED = time.monotonic()


class Guardian(FastHttpUser):
    # No think time: each guardian does the path once, as fast as the server answers.
    network_timeout = 300.0
    connection_timeout = 300.0

    @task
    def book_the_month(self) -> None:
        try:
            guardian = next(GUARDIANS)
        except StopIteration:
            raise StopUser() from None
        if STATE["first_start"] is None:
            STATE["first_start"] = time.monotonic() - STARTED
        cookie = f"sessionid={guardian['session']}"
        url = f"/{DATA['slug']}/famille/calendrier/"
        with self.client.get(
            f"{url}?mois={DATA['month']}",
            headers={"Cookie": cookie},
            name="1. calendar page",
            catch_response=True,
            allow_redirects=False,
        ) as page:
            token = TOKEN.search(page.text or "")
            csrf = re.search(r"csrftoken=([^;]+)", page.headers.get("Set-Cookie", ""))
            calendar = 'id="booking-calendar"' in (page.text or "")
            if page.status_code != 200 or not calendar or not token or not csrf:
                page.failure(f"no calendar ({page.status_code})")
                STATE["failed"] += 1
                self._maybe_quit()
                raise StopUser()
        body = {
            "csrfmiddlewaretoken": token.group(1),
            "mois": DATA["month"],
            "avant": "",
            "c": guardian["cells"],
        }
        with self.client.post(
            url,
            data=body,
            headers={"Cookie": f"{cookie}; csrftoken={csrf.group(1)}", "HX-Request": "true"},
            name="2. book the month (htmx)",
            catch_response=True,
            allow_redirects=False,
        ) as answer:
            if answer.status_code != 200 or "report" not in (answer.text or ""):
                answer.failure(f"booking not answered ({answer.status_code})")
                STATE["failed"] += 1
            else:
                STATE["done"] += 1
                STATE["last_done"] = time.monotonic() - STARTED
        self._maybe_quit()
        raise StopUser()

    def _maybe_quit(self) -> None:
        if STATE["done"] + STATE["failed"] >= len(DATA["users"]):
            gevent.spawn_later(2, self.environment.runner.quit)


@events.quitting.add_listener
def _report(environment, **kwargs) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    STATE["cpu"] = usage.ru_utime + usage.ru_stime
    Path(os.environ["RUSH_USERS"] + ".done").write_text(json.dumps(STATE))


@events.spawning_complete.add_listener
def _all_spawned(user_count, **kwargs) -> None:
    STATE["spawned_at"] = time.monotonic() - STARTED
