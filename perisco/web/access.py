"""Permission checks for views: the only way a view says who may see it."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from perisco.accounts.permissions import PLATFORM_PERMISSIONS, Permission, has_permission
from perisco.accounts.roles import Role
from perisco.core.urls import org_reverse


def home_url(user) -> str:
    if user.role == Role.GUARDIAN:
        return org_reverse(user.organisation, "portal:home")
    if user.role == Role.PLATFORM_ADMIN:
        return reverse("hosting:organisations")
    return org_reverse(user.organisation, "backoffice:home")


def redirect_to_login(request: HttpRequest):
    login_url = org_reverse(request.organisation, "web:login")
    return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")


def account_state_redirect(request: HttpRequest):
    """Where a signed-in user must go before anything else, or None."""
    user = request.user
    if user.must_change_password:
        messages.info(request, _("Please choose a new password before you continue."))
        return redirect(org_reverse(request.organisation, "web:password_change"))
    if user.requires_2fa and not user.is_verified():
        messages.info(
            request,
            _("Your role requires two-factor authentication: please set it up to continue."),
        )
        return redirect(org_reverse(request.organisation, "web:two_factor"))
    return None


PUBLIC = "public"


def open_before_account_setup(view):
    """Marks a page a user who must first change their password or set up a second factor
    may still open (that set-up itself, signing out, the language switch). Every other
    page sends them there first: `AccountStateMiddleware` checks it for every view, so a
    page cannot forget to."""
    view.open_before_account_setup = True
    return view


def public(view):
    """Marks a page anyone may open (sign-in, links from e-mails): an explicit choice, which
    the suite checks every page has made."""
    view.required_permission = PUBLIC
    return view


def require_permission(permission: Permission):
    """Anonymous: to the login page. Signed in without the permission: 403. A page of an
    organisation asked on the platform site, or the reverse: 404."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            on_platform = request.organisation is None
            if on_platform != (permission in PLATFORM_PERMISSIONS):
                raise Http404
            if on_platform and request.user.is_authenticated and not request.user.is_platform_admin:
                raise Http404  # the operator's pages are not part of any organisation's site
            if not request.user.is_authenticated:
                return redirect_to_login(request)
            if not has_permission(request.user, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator


def require_login(*, account_setup: bool = False):
    """Pages every signed-in user has (their account). `account_setup` pages are those a
    user is sent to before anything else (new password, two-factor set-up)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request)
            return view(request, *args, **kwargs)

        wrapped.required_permission = None
        if account_setup:
            open_before_account_setup(wrapped)
        return wrapped

    return decorator
