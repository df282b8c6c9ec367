from django import template

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
