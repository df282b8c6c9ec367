"""Writes on accounts. Each entry point is atomic, audited, and tells the person concerned."""

from axes.utils import reset as axes_reset
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from perisco.accounts.backends import lockout_key_for
from perisco.accounts.models import User, normalize_email
from perisco.accounts.roles import STAFF_ROLES, Role
from perisco.accounts.tokens import MAX_AGE, Purpose, make_token
from perisco.core.audit import audit_log
from perisco.core.errors import DomainError
from perisco.core.models import RESERVED_SLUGS, Organisation
from perisco.core.urls import org_absolute_url
from perisco.messaging.services import email_send


def _notify(user: User, template: str, context: dict | None = None, *, to: str = "") -> None:
    email_send(
        organisation=user.organisation,
        to=to or user.email,
        template=template,
        context={"user": user, **(context or {})},
        language=user.language,
    )


def invitation_send(*, user: User, actor: User | None) -> None:
    """(Re)send the link that lets `user` choose a password; earlier links stop working."""
    if user.has_usable_password():
        raise DomainError(_("This person has already chosen a password and can sign in."))
    user.set_unusable_password()  # a new random marker: older invitation links are void
    user.save(update_fields=["password"])
    url = org_absolute_url(
        user.organisation, "web:invitation", token=make_token(user, Purpose.INVITATION)
    )
    _notify(
        user,
        "invitation",
        {"url": url, "actor": actor, "days": MAX_AGE[Purpose.INVITATION].days},
    )
    audit_log(organisation=user.organisation, actor=actor, action="user.invited", target=user)


@transaction.atomic
def staff_invite(
    *,
    organisation: Organisation,
    actor: User,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    language: str = "fr",
) -> User:
    if role not in STAFF_ROLES:
        raise DomainError(_("Choose a staff role."), field="role")
    email = normalize_email(email)
    if User.all_objects.filter(organisation=organisation, email=email).exists():
        raise DomainError(_("An account with this e-mail address already exists."), field="email")
    user = User.all_objects.create_user(
        email,
        organisation=organisation,
        role=role,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )
    invitation_send(user=user, actor=actor)
    return user


@transaction.atomic
def organisation_create(
    *,
    actor,
    name: str,
    slug: str,
    email: str,
    admin_email: str,
    admin_first_name: str,
    admin_last_name: str,
) -> Organisation:
    """A new municipality with its first administrator, who gets an invitation e-mail."""
    if slug in RESERVED_SLUGS:
        raise DomainError(_("This address is reserved; choose another one."), field="slug")
    if Organisation.objects.filter(slug=slug).exists():
        raise DomainError(_("Another organisation already uses this address."), field="slug")
    organisation = Organisation(name=name, slug=slug, email=email)
    organisation.full_clean()
    organisation.save()
    audit_log(
        organisation=None,
        actor=actor,
        action="organisation.created",
        target=organisation,
        data={"name": name, "slug": slug},
    )
    staff_invite(
        organisation=organisation,
        actor=actor,
        email=admin_email,
        first_name=admin_first_name,
        last_name=admin_last_name,
        role=Role.ORG_ADMIN,
    )
    return organisation


def _password_set(*, user: User, password: str, action: str) -> None:
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    # A person who proved they own the address starts afresh after earlier failures.
    axes_reset(username=lockout_key_for(user))
    audit_log(organisation=user.organisation, actor=user, action=action, target=user)
    _notify(user, "password_changed")


@transaction.atomic
def invitation_accept(*, user: User, password: str) -> None:
    user = User.all_objects.select_for_update().get(pk=user.pk)
    if user.has_usable_password():
        raise DomainError(_("This invitation has already been used. Sign in instead."))
    _password_set(user=user, password=password, action="user.invitation_accepted")


@transaction.atomic
def password_reset_request(*, organisation: Organisation | None, email: str) -> None:
    """Send a reset link if such an account exists; the caller says the same either way."""
    user = User.all_objects.filter(
        organisation=organisation, email=normalize_email(email), is_active=True
    ).first()
    if user is None:
        return
    url = org_absolute_url(
        organisation, "web:password_reset_confirm", token=make_token(user, Purpose.PASSWORD_RESET)
    )
    hours = int(MAX_AGE[Purpose.PASSWORD_RESET].total_seconds() // 3600)
    _notify(user, "password_reset", {"url": url, "hours": hours})
    audit_log(
        organisation=organisation, actor=None, action="user.password_reset_requested", target=user
    )


@transaction.atomic
def password_reset_complete(*, user: User, password: str) -> None:
    user = User.all_objects.select_for_update().get(pk=user.pk)
    _password_set(user=user, password=password, action="user.password_reset")


@transaction.atomic
def password_change(*, user: User, password: str) -> None:
    _password_set(user=user, password=password, action="user.password_changed")


@transaction.atomic
def email_change_request(*, user: User, new_email: str) -> None:
    """Ask the new address to confirm. If it already belongs to an account, tell only that
    address, so the requester learns nothing about other accounts."""
    new_email = normalize_email(new_email)
    if User.all_objects.filter(organisation=user.organisation, email=new_email).exists():
        _notify(user, "email_change_taken", to=new_email)
    else:
        token = make_token(user, Purpose.EMAIL_CHANGE, e=new_email)
        url = org_absolute_url(user.organisation, "web:email_change_confirm", token=token)
        days = MAX_AGE[Purpose.EMAIL_CHANGE].days
        _notify(
            user,
            "email_change_confirm",
            {"url": url, "new_email": new_email, "days": days},
            to=new_email,
        )
    audit_log(
        organisation=user.organisation,
        actor=user,
        action="user.email_change_requested",
        target=user,
        data={"new_email": new_email},
    )


@transaction.atomic
def email_change_confirm(*, user: User, new_email: str) -> None:
    user = User.all_objects.select_for_update().get(pk=user.pk)
    if User.all_objects.filter(organisation=user.organisation, email=new_email).exists():
        raise DomainError(_("This address is now used by another account; it cannot be yours."))
    old_email = user.email
    user.email = new_email
    user.save(update_fields=["email"])
    audit_log(
        organisation=user.organisation,
        actor=user,
        action="user.email_changed",
        target=user,
        data={"before": old_email, "after": new_email},
    )
    _notify(user, "email_changed", {"old_email": old_email, "new_email": new_email}, to=old_email)


def _lock_admins(organisation) -> None:
    """Lock the organisation's administrator rows, in a fixed order and before any other
    user row, so two administrators demoting each other at once cannot both succeed (and
    cannot deadlock)."""
    admins = User.all_objects.filter(organisation=organisation, role=Role.ORG_ADMIN)
    list(admins.select_for_update().order_by("pk").values_list("pk", flat=True))


def _is_last_active_admin(user: User) -> bool:
    return (
        user.role == Role.ORG_ADMIN
        and not User.all_objects.filter(
            organisation=user.organisation, role=Role.ORG_ADMIN, is_active=True
        )
        .exclude(pk=user.pk)
        .exists()
    )


LAST_ADMIN = gettext_lazy("The organisation must keep at least one active administrator.")


@transaction.atomic
def user_role_change(*, actor: User, user: User, role: str) -> None:
    _lock_admins(user.organisation)
    user = User.all_objects.select_for_update().get(pk=user.pk)
    if role not in STAFF_ROLES or user.role not in STAFF_ROLES:
        raise DomainError(_("Only staff roles can be given or taken here."))
    if user.role == role:
        return
    if _is_last_active_admin(user):
        raise DomainError(LAST_ADMIN)
    before = user.role
    user.role = role
    user.save(update_fields=["role"])
    audit_log(
        organisation=user.organisation,
        actor=actor,
        action="user.role_changed",
        target=user,
        data={"before": before, "after": role},
    )


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> None:
    _lock_admins(user.organisation)
    user = User.all_objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        return
    if not active:
        if user.pk == actor.pk:
            raise DomainError(_("You cannot deactivate your own account."))
        if _is_last_active_admin(user):
            raise DomainError(LAST_ADMIN)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_log(
        organisation=user.organisation,
        actor=actor,
        action="user.activated" if active else "user.deactivated",
        target=user,
    )


def two_factor_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def two_factor_begin(*, user: User) -> TOTPDevice:
    """The device being set up: a secret to scan, not yet trusted."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="default", confirmed=False)


@transaction.atomic
def two_factor_confirm(*, user: User, device: TOTPDevice, token: str) -> bool:
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    audit_log(organisation=user.organisation, actor=user, action="user.2fa_enabled", target=user)
    _notify(user, "two_factor_enabled")
    return True


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    if user.requires_2fa:
        raise DomainError(
            _("Your role requires two-factor authentication: it cannot be turned off.")
        )
    TOTPDevice.objects.filter(user=user).delete()
    audit_log(organisation=user.organisation, actor=user, action="user.2fa_disabled", target=user)
    _notify(user, "two_factor_disabled")


@transaction.atomic
def two_factor_reset(*, actor: User, user: User) -> None:
    """An administrator clears a colleague's lost device; they set up a new one at next
    sign-in (their role may require it)."""
    if user.pk == actor.pk:
        raise DomainError(_("Use “My account” to manage your own two-factor authentication."))
    deleted, _details = TOTPDevice.objects.filter(user=user).delete()
    if not deleted:
        raise DomainError(_("This person has no two-factor authentication to reset."))
    audit_log(organisation=user.organisation, actor=actor, action="user.2fa_reset", target=user)
    _notify(user, "two_factor_reset", {"actor": actor})
