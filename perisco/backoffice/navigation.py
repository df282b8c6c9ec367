"""The staff menu: only pages that exist, and only those the user may open."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from perisco.accounts.permissions import Permission, has_permission
from perisco.core.urls import org_reverse


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    permission: Permission


STAFF_MENU = (
    NavItem("backoffice:home", _("Dashboard"), Permission.VIEW_BACKOFFICE),
    NavItem("backoffice:families", _("Families"), Permission.VIEW_FAMILIES),
    NavItem("backoffice:requests", _("Requests"), Permission.VIEW_FAMILIES),
    NavItem("backoffice:bookings", _("Bookings"), Permission.VIEW_FAMILIES),
    NavItem("backoffice:enrollments", _("Enrollments"), Permission.MANAGE_ACTIVITIES),
    NavItem("backoffice:catalogue", _("Activities"), Permission.MANAGE_ACTIVITIES),
    NavItem("backoffice:documents", _("Published documents"), Permission.MANAGE_FAMILIES),
    NavItem("backoffice:guardian_accounts", _("Family accounts"), Permission.INVITE_GUARDIANS),
    NavItem("backoffice:staff", _("Staff"), Permission.MANAGE_USERS),
    NavItem("backoffice:settings", _("Settings"), Permission.MANAGE_SETTINGS),
    NavItem("backoffice:audit", _("Activity log"), Permission.VIEW_AUDIT_LOG),
)


def staff_menu(request) -> list[dict]:
    current = request.resolver_match.view_name if request.resolver_match else ""
    return [
        {
            "label": item.label,
            "url": org_reverse(request.organisation, item.url_name),
            "current": current == item.url_name,
        }
        for item in STAFF_MENU
        if has_permission(request.user, item.permission)
    ]
