"""Who may do what: the one place where roles become permissions.

Views ask `has_permission(user, Permission.X)` (through `perisco.web.access`); templates ask
`can.x`. A permission names a page family or an action, never a role, so a role can change
without touching any view.
"""

from enum import StrEnum

from perisco.accounts.roles import Role


class Permission(StrEnum):
    USE_PORTAL = "use_portal"  # the family's own pages
    VIEW_BACKOFFICE = "view_backoffice"  # any staff page
    VIEW_FAMILIES = "view_families"
    # The children's list of a facility: allergies, PAI, diets, who may pick them up. Facility
    # agents see this and nothing else of the families.
    VIEW_CHILDREN = "view_children"
    # The day's attendance sheets: mark the children, close the day (agents and managers).
    TAKE_ATTENDANCE = "take_attendance"
    # Meals per school and diet, for the kitchens (agents and managers).
    VIEW_KITCHEN_COUNTS = "view_kitchen_counts"
    MANAGE_FAMILIES = "manage_families"  # edit files, decide requests, publish documents
    MANAGE_ACTIVITIES = "manage_activities"  # catalogue, calendars, booking rules, enrollments
    # Book and cancel for families (past deadlines with a reason), decide requested bookings
    MANAGE_BOOKINGS = "manage_bookings"
    INVITE_GUARDIANS = "invite_guardians"
    # Billing runs, invoices, credit notes, payments, direct debits (finance and managers).
    MANAGE_BILLING = "manage_billing"
    # The families' messages: read, answer, assign, close (managers and finance).
    MANAGE_MESSAGES = "manage_messages"
    # Write to many families at once, and announce on their home page.
    SEND_BROADCASTS = "send_broadcasts"
    MANAGE_USERS = "manage_users"  # staff accounts and roles
    MANAGE_SETTINGS = "manage_settings"  # the organisation's settings
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_ORGANISATIONS = "manage_organisations"  # platform: create organisations


_STAFF = {Permission.VIEW_BACKOFFICE}
_MANAGER = _STAFF | {
    Permission.VIEW_CHILDREN,
    Permission.TAKE_ATTENDANCE,
    Permission.VIEW_KITCHEN_COUNTS,
    Permission.VIEW_FAMILIES,
    Permission.MANAGE_FAMILIES,
    Permission.MANAGE_ACTIVITIES,
    Permission.MANAGE_BOOKINGS,
    Permission.INVITE_GUARDIANS,
    Permission.MANAGE_BILLING,
    Permission.MANAGE_MESSAGES,
    Permission.SEND_BROADCASTS,
}

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.GUARDIAN: frozenset({Permission.USE_PORTAL}),
    Role.AGENT: frozenset(
        _STAFF
        | {Permission.VIEW_CHILDREN, Permission.TAKE_ATTENDANCE, Permission.VIEW_KITCHEN_COUNTS}
    ),
    Role.MANAGER: frozenset(_MANAGER),
    # Finance reads families (to bill them) but changes nothing outside billing.
    # They answer the families' messages too (most are about an invoice).
    Role.FINANCE: frozenset(
        _STAFF | {Permission.VIEW_FAMILIES, Permission.MANAGE_BILLING, Permission.MANAGE_MESSAGES}
    ),
    # In a small town the administrator also runs the service: everything a manager does,
    # plus users, roles and settings. Their account always requires a second factor.
    Role.ORG_ADMIN: frozenset(
        _MANAGER | {Permission.MANAGE_USERS, Permission.MANAGE_SETTINGS, Permission.VIEW_AUDIT_LOG}
    ),
    # The hosting operator creates organisations and sees no family data.
    Role.PLATFORM_ADMIN: frozenset({Permission.MANAGE_ORGANISATIONS}),
}

# Permissions that make sense on the platform site (/plateforme/), outside any organisation.
PLATFORM_PERMISSIONS = frozenset({Permission.MANAGE_ORGANISATIONS})


def has_permission(user, permission: Permission) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


class Abilities:
    """`{% if can.manage_users %}` in templates."""

    def __init__(self, user):
        self._user = user

    def __getattr__(self, name: str) -> bool:
        try:
            permission = Permission(name)
        except ValueError:
            raise AttributeError(name) from None
        return has_permission(self._user, permission)
