"""Menus as data: groups of entries, each shown only when the user may open its page.

A face declares its menu (`backoffice/navigation.py`, `portal/navigation.py`) and
`includes/main_nav.html` draws it: on a wide screen the groups in one row and the current
group's pages in a second; on a phone everything behind one "Menu" button.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import Promise

from perisco.accounts.permissions import Permission, has_permission
from perisco.core.urls import org_reverse


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    permission: Permission
    # Pages reached from this entry that keep it highlighted (a family from the list).
    also: tuple[str, ...] = ()
    # How many things wait there (unread messages), shown beside the label; one query.
    badge: Callable[[HttpRequest], int] | None = None


@dataclass(frozen=True)
class NavGroup:
    label: str | Promise
    items: tuple[NavItem, ...]


class Menu(list):
    """The menu's groups; `badge`: what waits behind all of them (for the phone's button)."""

    @property
    def badge(self) -> int:
        return sum(group["badge"] for group in self)


def menu_for(request, groups: tuple[NavGroup, ...]) -> Menu:
    """The groups and entries `request.user` may open; a group leads to its first entry."""
    current = request.resolver_match.view_name if request.resolver_match else ""
    menu = Menu()
    for group in groups:
        items = [
            {
                "label": item.label,
                "url": org_reverse(request.organisation, item.url_name),
                "current": current == item.url_name or current in item.also,
                "badge": item.badge(request) if item.badge is not None else 0,
            }
            for item in group.items
            if has_permission(request.user, item.permission)
        ]
        if items:
            menu.append(
                {
                    # A group of one page the user may open is that page.
                    "label": group.label if len(items) > 1 else items[0]["label"],
                    "url": items[0]["url"],
                    "current": any(item["current"] for item in items),
                    "badge": sum(item["badge"] for item in items),
                    "items": items,
                }
            )
    return menu
