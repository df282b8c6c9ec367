from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GUARDIAN = "guardian", _("Guardian")
    AGENT = "agent", _("Facility agent")
    MANAGER = "manager", _("Childhood service manager")
    FINANCE = "finance", _("Finance officer")
    ORG_ADMIN = "org_admin", _("Organisation administrator")
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")


STAFF_ROLES = frozenset({Role.AGENT, Role.MANAGER, Role.FINANCE, Role.ORG_ADMIN})
# Roles whose accounts cannot be used without a second factor, whatever the settings.
ROLES_REQUIRING_2FA = frozenset({Role.ORG_ADMIN, Role.PLATFORM_ADMIN})
