"""Take the help page's screens (web/templates/web/help.html) from the running demo, as
a family sees them on a phone: `make help-screens` (the demo served on 127.0.0.1:8000 by
`make run` in another terminal)."""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent.parent / "perisco/web/static/perisco/help"
SCREENS = {
    "home": "/demo/famille/",
    "calendar": "/demo/famille/calendrier/",
    "enrollments": "/demo/famille/inscriptions/",
    "invoices": "/demo/famille/factures/",
    "messages": "/demo/famille/messages/",
    "family": "/demo/famille/ma-famille/",
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_context(
            viewport={"width": 375, "height": 800}, locale="fr-FR", device_scale_factor=1
        ).new_page()
        page.goto(f"{BASE}/demo/connexion/")
        page.fill("input[name=email]", "parent@demo.test")
        page.fill("input[name=password]", "Perisco-demo-2026")
        page.click("form:has(input[name=email]) button[type=submit]")
        page.wait_for_load_state()
        for name, path in SCREENS.items():
            page.goto(BASE + path)
            page.screenshot(path=OUT / f"{name}.jpg", type="jpeg", quality=70)
            print(OUT / f"{name}.jpg")
        browser.close()


if __name__ == "__main__":
    main()
