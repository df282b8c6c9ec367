"""Signed, expiring, single-use links (password reset, invitation, e-mail change).

A token carries the user id and a fingerprint of the account's state (password hash,
last login, e-mail). Setting a password or logging in changes that state, so a link works
once; the signature's timestamp makes it expire.
"""

from datetime import timedelta
from enum import StrEnum

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from perisco.accounts.models import User


class Purpose(StrEnum):
    PASSWORD_RESET = "password-reset"  # noqa: S105 (a purpose, not a password)
    INVITATION = "invitation"
    EMAIL_CHANGE = "email-change"
    REGISTRATION = "registration"


MAX_AGE = {
    Purpose.PASSWORD_RESET: timedelta(hours=24),
    Purpose.INVITATION: timedelta(days=7),
    Purpose.EMAIL_CHANGE: timedelta(days=3),
    Purpose.REGISTRATION: timedelta(days=3),
}


def _fingerprint(user: User, purpose: Purpose) -> str:
    state = f"{user.pk}|{user.password}|{user.email}|{user.is_active}"
    if purpose == Purpose.PASSWORD_RESET:
        # Logging in with the old password also ends a reset link's life. Not so for an
        # e-mail change: the person may sign in again before opening their new mailbox.
        last_login = user.last_login.replace(microsecond=0) if user.last_login else ""
        state += f"|{last_login}"
    return salted_hmac(f"perisco.tokens.{purpose}", state, algorithm="sha256").hexdigest()[:24]


def make_token(user: User, purpose: Purpose, **extra: str) -> str:
    payload = {"u": user.pk, "f": _fingerprint(user, purpose), **extra}
    return signing.dumps(payload, salt=f"perisco.tokens.{purpose}", compress=True)


def read_token(token: str, purpose: Purpose, organisation) -> tuple[User, dict] | None:
    """The user a valid token was made for, and its extra data; None if invalid or used."""
    try:
        payload = signing.loads(token, salt=f"perisco.tokens.{purpose}", max_age=MAX_AGE[purpose])
    except signing.BadSignature:
        return None
    user = User.all_objects.filter(
        pk=payload.get("u"), organisation=organisation, is_active=True
    ).first()
    if user is None or not constant_time_compare(payload.get("f", ""), _fingerprint(user, purpose)):
        return None
    return user, payload
