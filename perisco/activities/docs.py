"""docs/rules.md, written from the engine itself so the examples cannot drift from the
code: `manage.py rules_doc` rewrites it, the suite checks it is current."""

from datetime import date, time, timedelta
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation

from perisco.activities.calendars import public_holidays
from perisco.activities.rules import END_OF_DAY, CountedIn, Deadline, Holidays, deadline_for

DOC_PATH = Path(settings.BASE_DIR) / "docs" / "rules.md"
SEED_000 = Deadline(3, CountedIn.WORKING, time(9))
SEED_003 = Deadline(8, CountedIn.CALENDAR, END_OF_DAY)
# Weeks chosen for their examples: an ordinary week, the week after 11 November, the
# week after Easter Monday (and Good Friday in Alsace-Moselle).
ORDINARY_WEEK = date(2026, 11, 30)
ARMISTICE_WEEK = date(2026, 11, 16)
EASTER_WEEK = date(2027, 3, 29)


def _holidays(region: str) -> Holidays:
    days: dict = {}
    for year in (2026, 2027):
        days.update(public_holidays(year, region))
    return Holidays(public=days)


def _rows(week_start: date, rule: Deadline, holidays: Holidays, language: str):
    rows = []
    with translation.override(language):
        for offset in range(5):
            day = week_start + timedelta(days=offset)
            deadline = deadline_for(rule, day, holidays)
            rows.append(
                (
                    formats.date_format(day, "l j F Y"),
                    formats.date_format(deadline, "l j F Y"),
                    deadline.strftime("%H:%M") if rule.cutoff != END_OF_DAY else "",
                    holidays.public.get(day, ""),
                )
            )
    return rows


def rules_markdown() -> str:
    metropole, alsace = _holidays("metropole"), _holidays("alsace_moselle")
    context = {}
    for language in ("fr", "en"):
        context[language] = {
            "ordinary": _rows(ORDINARY_WEEK, SEED_000, metropole, language),
            "armistice": _rows(ARMISTICE_WEEK, SEED_000, metropole, language),
            "easter": _rows(EASTER_WEEK, SEED_000, metropole, language),
            "easter_alsace": _rows(EASTER_WEEK, SEED_000, alsace, language),
            "eight_days": _rows(ORDINARY_WEEK, SEED_003, metropole, language),
        }
    return render_to_string("activities/rules.md", context)


def write_rules_doc() -> bool:
    """Rewrite docs/rules.md; True if it changed."""
    text = rules_markdown()
    if DOC_PATH.exists() and DOC_PATH.read_text() == text:
        return False
    DOC_PATH.write_text(text)
    return True
