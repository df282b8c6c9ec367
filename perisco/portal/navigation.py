"""The family menu: a handful of entries, no groups (STYLE.md)."""

from django.utils.translation import gettext_lazy as _

from perisco.accounts.permissions import Permission
from perisco.inbox.selectors import guardian_unread_count
from perisco.web.navigation import Menu, NavGroup, NavItem, menu_for


def _entry(url_name: str, label, also: tuple[str, ...] = (), badge=None) -> NavGroup:
    return NavGroup(
        label, (NavItem(url_name, label, Permission.USE_PORTAL, also=also, badge=badge),)
    )


def _unread(request) -> int:
    return guardian_unread_count(request.user)


FAMILY_MENU = (
    _entry("portal:home", _("Home")),
    _entry("portal:family", _("My family"), also=("portal:family_request",)),
    _entry(
        "portal:children",
        _("My children"),
        also=("portal:child", "portal:new_child", "portal:child_request"),
    ),
    _entry("portal:calendar", _("Calendar"), also=("portal:holiday_requests",)),
    _entry("portal:enrollments", _("Enrollments"), also=("portal:enrollment_new",)),
    _entry(
        "portal:invoices",
        _("Invoices"),
        also=("portal:invoices_pay", "portal:card_payment_return", "portal:statement"),
    ),
    _entry(
        "portal:messages",
        _("Messages"),
        also=("portal:message_new", "portal:thread"),
        badge=_unread,
    ),
    _entry("portal:requests", _("My requests")),
    _entry("portal:documents", _("Documents")),
)


def family_menu(request) -> Menu:
    return menu_for(request, FAMILY_MENU)
