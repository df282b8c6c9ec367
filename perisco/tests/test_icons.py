"""Icons are inline SVG from one set (Lucide), never glyphs that need an emoji or symbol font
(the calendar's hourglass showed as an empty box without one)."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template import Context, Template

from perisco.activities.rules import Reason, Verdict
from perisco.activities.templatetags.activities import verdict_mark

PACKAGE = Path(__file__).resolve().parents[1]
# Emoji, dingbats, miscellaneous symbols and technical signs, geometric shapes, arrows and
# mathematical signs used as pictures. "→" between two values (dates, before → after) is
# text, in every font.
GLYPH_ICONS = re.compile(
    "[\u2190\u2191\u2193-\u21ff\u2200-\u22ff\u2300-\u23ff\u25a0-\u25ff\u2600-\u27bf"
    "\U0001f000-\U0001ffff\u2b00-\u2bff]"
)


def test_no_template_or_template_tag_draws_an_icon_with_a_font_glyph():
    found = []
    files = [*PACKAGE.glob("**/templates/**/*.html"), *PACKAGE.glob("**/templatetags/*.py")]
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if GLYPH_ICONS.search(line):
                found.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()[:80]}")
    assert not found, "\n".join(found)


def test_the_icon_tag_inlines_svg_with_or_without_an_accessible_name():
    html = Template('{% icon "hourglass" %}|{% icon "menu" label="Menu" %}').render(Context())
    hidden, named = html.split("|")
    assert hidden.startswith("<svg") and 'aria-hidden="true"' in hidden
    assert 'role="img"' in named and 'aria-label="Menu"' in named


def test_the_calendar_marks_past_deadlines_with_an_svg_hourglass():
    mark = verdict_mark(Verdict(allowed=False, reason=Reason.PAST_DEADLINE))
    assert mark.startswith("<svg") and "⌛" not in mark
    assert verdict_mark(Verdict(allowed=False, reason=Reason.PUBLIC_HOLIDAY)) == "JF"


def test_the_favicon_is_an_svg_served_and_linked(client, organisation):
    path = finders.find("perisco/favicon.svg")
    assert path and Path(path).read_text().startswith("<svg")
    html = client.get("/demo/connexion/").text
    assert re.search(
        r'<link rel="icon" href="/static/perisco/favicon.svg" type="image/svg\+xml">', html
    )
