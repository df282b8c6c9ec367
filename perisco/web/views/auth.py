"""Sign in (with a second factor when the account has one), sign out, forgotten password,
invitations."""

import time

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from perisco.accounts import services
from perisco.accounts.models import User
from perisco.accounts.tasks import send_password_reset
from perisco.accounts.tokens import Purpose, read_token
from perisco.core.errors import DomainError, InvalidRequest
from perisco.core.urls import org_reverse
from perisco.web.access import home_url, open_before_account_setup, public
from perisco.web.forms import LoginForm, NewPasswordForm, PasswordResetRequestForm, TokenForm
from perisco.web.params import same_site_path
from perisco.web.ratelimits import email_rate_limit, limited_message, limited_response

PENDING_2FA_KEY = "perisco_pending_2fa"
PENDING_2FA_SECONDS = 300


def _safe_next(request: HttpRequest) -> str:
    return same_site_path(request, request.POST.get("next") or request.GET.get("next") or "")


def finish_login(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    auth_login(request, user)
    response = redirect(next_url or home_url(user))
    response.set_cookie(
        "perisco_language", user.language, samesite="Lax", secure=request.is_secure()
    )
    return response


@public
@sensitive_post_parameters("password")
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(home_url(request.user))
    form = LoginForm(request, data=request.POST or None)
    next_url = _safe_next(request)
    if request.method == "POST" and form.is_valid():
        user = form.user
        device = services.two_factor_device(user)
        if device is not None:
            request.session.cycle_key()
            request.session[PENDING_2FA_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "next": next_url,
            }
            return redirect(org_reverse(request.organisation, "web:login_verify"))
        return finish_login(request, user, next_url)
    return render(
        request,
        "web/login.html",
        {"form": form, "next": next_url},
        status=429 if form.locked_out else 200,
    )


def lockout_response(request, original_response, credentials):
    """django-axes hook: the login page already says the account is locked; keep it, with
    the status that tells clients to slow down."""
    if original_response is None:
        return render(request, "web/login.html", {"form": LoginForm(request)}, status=429)
    original_response.status_code = 429
    return original_response


@public
@sensitive_post_parameters("token")
@never_cache
def login_verify(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_2FA_KEY)
    if not pending or time.time() - pending["at"] > PENDING_2FA_SECONDS:
        request.session.pop(PENDING_2FA_KEY, None)
        messages.error(request, _("Your sign-in took too long. Please sign in again."))
        return redirect(org_reverse(request.organisation, "web:login"))
    user = User.all_objects.filter(pk=pending["user"], organisation=request.organisation).first()
    if user is None:
        # The password step was passed on another organisation's site (or the account
        # is gone): there is no sign-in to finish here; the other site's stays pending.
        raise InvalidRequest(
            _(
                "This sign-in was started on another organisation's site: finish it there, "
                "or sign in on this site's login page."
            )
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.two_factor_device(user)
        if device is not None and device.verify_token(form.cleaned_data["token"]):
            del request.session[PENDING_2FA_KEY]
            user.backend = pending["backend"]
            user.otp_device = device  # django-otp marks the session as verified on login
            return finish_login(request, user, pending["next"])
        form.add_error(
            "token",
            _("This code is not valid. Wait for a new code in your app, then type it."),
        )
    return render(request, "web/login_verify.html", {"form": form})


@public
@open_before_account_setup
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    auth_logout(request)
    messages.success(request, _("You are signed out."))
    return redirect(org_reverse(organisation, "web:login"))


@public
@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        limited = email_rate_limit(request, purpose="password_reset", address=email)
        if limited is not None:
            form.add_error(None, limited_message(limited))
            return limited_response(
                render(request, "web/password_reset.html", {"form": form}), limited
            )
        # The lookup happens in the task: this request does the same work (one task queued)
        # whether the address has an account or not, so its time tells nothing.
        organisation = request.organisation
        send_password_reset.enqueue(organisation.pk if organisation else None, email)
        return render(request, "web/password_reset_sent.html", {"email": email})
    return render(request, "web/password_reset.html", {"form": form})


def _password_from_token(request, token, purpose, template, service, success_message):
    found = read_token(token, purpose, request.organisation)
    if found is None:
        return render(request, "web/link_invalid.html", {"purpose": str(purpose)}, status=400)
    user = found[0]
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(user=user, password=form.cleaned_data["new_password1"])
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(org_reverse(request.organisation, "web:login"))
        messages.success(request, success_message)
        user.refresh_from_db()
        if services.two_factor_device(user) is not None:
            return redirect(org_reverse(request.organisation, "web:login"))
        user.backend = "perisco.accounts.backends.OrganisationEmailBackend"
        return finish_login(request, user, "")
    return render(request, template, {"form": form, "account": user})


@public
@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def password_reset_confirm(request: HttpRequest, token: str) -> HttpResponse:
    return _password_from_token(
        request,
        token,
        Purpose.PASSWORD_RESET,
        "web/password_reset_confirm.html",
        services.password_reset_complete,
        _("Your password has been changed."),
    )


@public
@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    return _password_from_token(
        request,
        token,
        Purpose.INVITATION,
        "web/invitation.html",
        services.invitation_accept,
        _("Welcome! Your password is set and you are signed in."),
    )
