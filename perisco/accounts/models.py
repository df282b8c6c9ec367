from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from perisco.accounts.roles import ROLES_REQUIRING_2FA, STAFF_ROLES, Role
from perisco.core.scoping import ScopedManager


def normalize_email(email: str) -> str:
    """Logins compare e-mails case-insensitively: store them stripped and lower-cased."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = False

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=normalize_email(email), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        """`manage.py createsuperuser` creates a platform administrator."""
        fields.update(role=Role.PLATFORM_ADMIN, organisation=None)
        return self.create_user(email, password, **fields)


class Language(models.TextChoices):
    FR = "fr", "Français"
    EN = "en", "English"


class User(AbstractBaseUser):
    """A login. Every user but a platform administrator belongs to one organisation, and the
    e-mail is unique within it (see SILENCED_SYSTEM_CHECKS in settings)."""

    organisation = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("e-mail address"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role)
    language = models.CharField(_("language"), max_length=5, choices=Language, default=Language.FR)
    is_active = models.BooleanField(_("active"), default=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # Django's auth machinery (sessions, createsuperuser) needs the unscoped manager as the
    # default; application code uses `User.objects`, which is scoped to the organisation.
    all_objects = UserManager()
    objects = ScopedManager(organisation="organisation", _manager_class=UserManager)  # type: ignore[django-manager-missing]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        default_manager_name = "all_objects"
        base_manager_name = "all_objects"
        ordering = ["last_name", "first_name", "email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"], name="user_unique_email_per_organisation"
            ),
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(organisation__isnull=True),
                name="user_unique_platform_email",
            ),
            models.CheckConstraint(
                condition=(Q(role=Role.PLATFORM_ADMIN) & Q(organisation__isnull=True))
                | (~Q(role=Role.PLATFORM_ADMIN) & Q(organisation__isnull=False)),
                name="user_platform_admin_has_no_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_guardian(self) -> bool:
        return self.role == Role.GUARDIAN

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.PLATFORM_ADMIN

    @property
    def requires_2fa(self) -> bool:
        if self.role in ROLES_REQUIRING_2FA:
            return True
        return self.is_staff_member and bool(
            self.organisation is not None and self.organisation.staff_2fa_required
        )

    @property
    def has_set_password(self) -> bool:
        return self.has_usable_password()
