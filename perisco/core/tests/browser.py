"""Helpers for the browser suite: signed-in pages, widths, axe-core, screenshots."""

import os
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client

from perisco.conftest import sign_in

PHONE, DESKTOP = 375, 1280
WIDTHS = (PHONE, DESKTOP)
_axe = Axe()


def sign_in_browser(page, live_server, user) -> None:
    """Give the browser the session of `user` (the login form has its own tests)."""
    client = sign_in(Client(), user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def assert_accessible(page, width: int) -> None:
    """The page as it is now: zero axe violations, no sideways scrolling."""
    results = _axe.run(page)
    assert results.violations_count == 0, results.generate_report()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {width}px"


def check_page(page, url: str, *, name: str, width: int, status: int = 200) -> None:
    """Open `url` at `width`, assert zero axe violations and no horizontal scrolling."""
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(url)
    assert response.status == status, f"{url} answered {response.status}"
    assert_accessible(page, width)
    if folder := os.environ.get("PERISCO_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^a-z0-9]+", "-", name.lower())
        page.screenshot(path=f"{folder}/{safe}-{width}.png", full_page=True)
