import functools
import re

from django import template
from django.utils.safestring import mark_safe
from lucide.templatetags.lucide import lucide as lucide_svg

from perisco.core.urls import org_reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def orgurl(context, name: str, **kwargs) -> str:
    """{% orgurl "web:login" %}: the URL `name` inside the current organisation's site."""
    return org_reverse(context["organisation"], name, **kwargs)


@register.simple_tag(takes_context=True)
def userurl(context, name: str, **kwargs) -> str:
    """The URL `name` on the signed-in user's own site, wherever the page is."""
    return org_reverse(context["user"].organisation, name, **kwargs)


@register.filter
def get_item(mapping, key):
    """{{ pending|get_item:kind }}: a dictionary's value for a key held in a variable."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def icon(name: str, label: str = "") -> str:
    """{% icon "check" %}: an icon of the Lucide set, inlined as SVG (no font needed). Beside
    its text it is hidden from screen readers; alone, `label` is its accessible name."""
    return _icon_svg(name, str(label))


@functools.lru_cache(maxsize=512)
def _icon_svg(name: str, label: str) -> str:
    attributes = {"class": "icon", "focusable": "false"}
    if label:
        attributes.update({"role": "img", "aria-label": label})
    else:
        attributes["aria-hidden"] = "true"
    svg = re.sub(r">\s+<", "><", lucide_svg(name, size=20, **attributes))
    return mark_safe(svg)  # noqa: S308 (the set's own SVG; the label is escaped by ElementTree)


@register.filter
def percent(rate) -> str:
    """A rate as people write it: 0.012 -> "1,2 %" (in French), "1.2 %" in English."""
    from decimal import Decimal

    from django.utils import formats

    value = format((Decimal(rate) * 100).normalize(), "f")
    return f"{formats.number_format(Decimal(value))} %"
