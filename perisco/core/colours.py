"""An organisation's main colour: white text must stay readable on it (WCAG 2.1 AA, 4.5:1)."""

import re

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST_WITH_WHITE = 4.5


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_with_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


def darker(colour: str, amount: float = 0.25) -> str:
    """The colour mixed with black: hover states and the navigation bar."""
    r, g, b = (round(int(colour[i : i + 2], 16) * (1 - amount)) for i in (1, 3, 5))
    return f"#{r:02x}{g:02x}{b:02x}"


def validate_brand_colour(value: str) -> None:
    if not HEX_COLOUR.match(value or ""):
        raise ValidationError(
            _("Give the colour as # followed by six hexadecimal digits, e.g. #1f4e99."),
            code="format",
        )
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST_WITH_WHITE:
        raise ValidationError(
            _(
                "White text on this colour would be hard to read (contrast %(ratio)s:1; at "
                "least 4.5:1 is needed). Choose a darker shade."
            )
            % {"ratio": number_format(ratio, 1)},
            code="contrast",
        )
