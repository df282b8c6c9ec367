from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from perisco.accounts.models import User, normalize_email
from perisco.core.urls import PLATFORM_SLUG


class OrganisationEmailBackend(BaseBackend):
    """Login by e-mail within one organisation (or, with organisation=None, the platform)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        email: str | None = None,
        password: str | None = None,
        organisation=None,
        **kwargs,
    ) -> User | None:
        if not email or password is None:
            return None
        user = User.all_objects.filter(
            email=normalize_email(email), organisation=organisation
        ).first()
        if user is None:
            # Hash anyway, so the response time does not tell whether the account exists.
            User().set_password(password)
            return None
        if user.is_active and user.check_password(password):
            return user
        return None

    def get_user(self, user_id) -> User | None:
        return (
            # A guardian's family with it: the portal's pages need it, with no query more.
            User.all_objects.select_related("organisation", "guardian__family")
            .filter(pk=user_id, is_active=True)
            .first()
        )


def lockout_key(request: HttpRequest, credentials: dict | None) -> str:
    """What django-axes counts failures against: the e-mail within the site being used.

    An unknown e-mail is counted and locked exactly like a known one, so the lockout message
    never tells whether an account exists.
    """
    email = (credentials or {}).get("email") or request.POST.get("email", "")
    return _key(getattr(request, "organisation", None), email)


def lockout_key_for(user: User) -> str:
    return _key(user.organisation, user.email)


def _key(organisation, email: str) -> str:
    site = organisation.slug if organisation is not None else PLATFORM_SLUG
    return f"{site}:{normalize_email(email)}"
