"""The staff menu, grouped by what staff do (STYLE.md: Familles · Accueil · Facturation ·
Messages · Réglages). Only pages that exist are listed: a group appears with its first page."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from perisco.accounts.permissions import Permission
from perisco.inbox.selectors import staff_unread_count
from perisco.web.navigation import Menu, NavGroup, NavItem, menu_for


def _unread(request) -> int:
    return staff_unread_count()


STAFF_MENU = (
    NavGroup(
        _("Dashboard"),
        (NavItem("backoffice:home", _("Dashboard"), Permission.VIEW_FAMILIES),),
    ),
    NavGroup(
        pgettext_lazy("staff menu", "Families"),
        (
            NavItem(
                "backoffice:families",
                _("Families"),
                Permission.VIEW_FAMILIES,
                also=(
                    "backoffice:family",
                    "backoffice:family_create",
                    "backoffice:family_edit",
                    "backoffice:child_edit",
                    "backoffice:family_document_upload",
                    "backoffice:family_bookings",
                    "backoffice:child_bookings",
                ),
            ),
            NavItem(
                "backoffice:requests",
                _("Requests"),
                Permission.VIEW_FAMILIES,
                also=("backoffice:request", "backoffice:request_settings"),
            ),
            NavItem(
                "backoffice:guardian_accounts", _("Family accounts"), Permission.INVITE_GUARDIANS
            ),
            NavItem("backoffice:documents", _("Published documents"), Permission.MANAGE_FAMILIES),
        ),
    ),
    NavGroup(
        pgettext_lazy("staff menu", "Childcare"),
        (
            NavItem("backoffice:children", _("Children"), Permission.VIEW_CHILDREN),
            NavItem(
                "backoffice:attendance",
                _("Attendance"),
                Permission.TAKE_ATTENDANCE,
                also=("backoffice:attendance_sheet",),
            ),
            NavItem("backoffice:kitchen", _("Kitchen counts"), Permission.VIEW_KITCHEN_COUNTS),
            NavItem(
                "backoffice:bookings",
                _("Bookings"),
                Permission.VIEW_FAMILIES,
                also=(
                    "backoffice:occupancy_index",
                    "backoffice:occupancy",
                    "backoffice:waiting_list",
                    "backoffice:absences",
                    "backoffice:days_cancel",
                    "backoffice:sessions",
                    "backoffice:request_window_new",
                    "backoffice:request_window",
                ),
            ),
            NavItem(
                "backoffice:catalogue",
                _("Activities"),
                Permission.MANAGE_ACTIVITIES,
                also=(
                    "backoffice:activity",
                    "backoffice:activity_item_new",
                    "backoffice:activity_item",
                    "backoffice:activity_item_delete",
                    "backoffice:catalogue_new",
                    "backoffice:catalogue_item",
                    "backoffice:catalogue_item_delete",
                    "backoffice:tariffs",
                    "backoffice:tariff_new",
                    "backoffice:tariff",
                ),
            ),
            NavItem(
                "backoffice:enrollments",
                _("Enrollments"),
                Permission.MANAGE_ACTIVITIES,
                also=(
                    "backoffice:enrollment",
                    "backoffice:enrollments_bulk",
                    "backoffice:enroll_child",
                ),
            ),
        ),
    ),
    NavGroup(
        pgettext_lazy("staff menu", "Billing"),
        (
            NavItem(
                "backoffice:billing_runs",
                _("Billing runs"),
                Permission.MANAGE_BILLING,
                also=("backoffice:billing_run",),
            ),
            NavItem(
                "backoffice:invoices",
                _("Invoices"),
                Permission.MANAGE_BILLING,
                also=("backoffice:invoice", "backoffice:credit_notes"),
            ),
            NavItem(
                "backoffice:payments",
                _("Payments"),
                Permission.MANAGE_BILLING,
                also=("backoffice:payment_new",),
            ),
            NavItem(
                "backoffice:debits",
                _("Direct debits"),
                Permission.MANAGE_BILLING,
                also=("backoffice:debit_batch",),
            ),
            NavItem("backoffice:aged_debt", _("Aged debt"), Permission.MANAGE_BILLING),
        ),
    ),
    NavGroup(
        pgettext_lazy("staff menu", "Messages"),
        (
            NavItem(
                "backoffice:messages",
                _("Inbox"),
                Permission.MANAGE_MESSAGES,
                also=("backoffice:thread", "backoffice:thread_new"),
                badge=_unread,
            ),
            NavItem("backoffice:broadcasts", _("Broadcasts"), Permission.SEND_BROADCASTS),
            NavItem(
                "backoffice:announcements",
                _("Announcements"),
                Permission.SEND_BROADCASTS,
                also=("backoffice:announcement",),
            ),
            NavItem(
                "backoffice:reply_templates",
                _("Reply templates"),
                Permission.MANAGE_MESSAGES,
                also=("backoffice:reply_template",),
            ),
        ),
    ),
    NavGroup(
        pgettext_lazy("staff menu", "Settings"),
        (
            NavItem("backoffice:settings", _("Organisation"), Permission.MANAGE_SETTINGS),
            NavItem("backoffice:staff", _("Staff"), Permission.MANAGE_USERS),
            NavItem("backoffice:audit", _("Activity log"), Permission.VIEW_AUDIT_LOG),
        ),
    ),
)


def staff_menu(request) -> Menu:
    return menu_for(request, STAFF_MENU)
