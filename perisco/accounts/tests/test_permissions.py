import pytest

from perisco.accounts.permissions import Permission, has_permission
from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.GUARDIAN, {Permission.USE_PORTAL}),
        (
            Role.AGENT,
            {
                Permission.VIEW_BACKOFFICE,
                Permission.VIEW_CHILDREN,
                Permission.TAKE_ATTENDANCE,
                Permission.VIEW_KITCHEN_COUNTS,
            },
        ),
        (
            Role.FINANCE,
            {
                Permission.VIEW_BACKOFFICE,
                Permission.VIEW_FAMILIES,
                Permission.MANAGE_BILLING,
                Permission.MANAGE_MESSAGES,
            },
        ),
        (
            Role.MANAGER,
            {
                Permission.VIEW_BACKOFFICE,
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
            },
        ),
        (
            Role.ORG_ADMIN,
            {
                Permission.VIEW_BACKOFFICE,
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
                Permission.MANAGE_USERS,
                Permission.MANAGE_SETTINGS,
                Permission.VIEW_AUDIT_LOG,
            },
        ),
        (Role.PLATFORM_ADMIN, {Permission.MANAGE_ORGANISATIONS}),
    ],
)
def test_each_role_has_exactly_its_permissions(organisation, role, allowed):
    user = UserFactory.build(
        organisation=None if role == Role.PLATFORM_ADMIN else organisation, role=role
    )
    assert {p for p in Permission if has_permission(user, p)} == allowed


def test_the_platform_administrator_sees_no_family_data():
    user = UserFactory.build(organisation=None, role=Role.PLATFORM_ADMIN)
    assert not has_permission(user, Permission.VIEW_FAMILIES)


def test_inactive_and_anonymous_users_have_no_permission(organisation):
    from django.contrib.auth.models import AnonymousUser

    user = UserFactory.build(organisation=organisation, role=Role.ORG_ADMIN, is_active=False)
    assert not any(has_permission(user, p) for p in Permission)
    assert not any(has_permission(AnonymousUser(), p) for p in Permission)
