"""A signed-in user's own account: password, login e-mail, two-factor authentication; for
a guardian, booking reminders and the address of the family's calendar for phones."""

from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from perisco.accounts import services
from perisco.accounts.permissions import Permission
from perisco.accounts.tokens import Purpose, read_token
from perisco.bookings.feeds import calendar_feed_get, calendar_feed_renew, calendar_feed_revoke
from perisco.core.errors import DomainError
from perisco.core.urls import org_absolute_url, org_reverse
from perisco.families.models import Guardian
from perisco.families.selectors import access_guardian
from perisco.families.services import guardian_reminders_set
from perisco.web.access import home_url, public, require_login, require_permission
from perisco.web.forms import (
    BookingRemindersForm,
    EmailChangeForm,
    PasswordChangeForm,
    TokenForm,
    TwoFactorDisableForm,
)


@require_login()
def overview(request: HttpRequest) -> HttpResponse:
    context = {"two_factor_device": services.two_factor_device(request.user)}
    if request.user.is_guardian and request.organisation is not None:
        context.update(_guardian_context(request))
    return render(request, "web/account.html", context)


def _guardian_context(request: HttpRequest) -> dict:
    try:
        guardian = request.user.guardian
    except Guardian.DoesNotExist:
        return {}
    feed = calendar_feed_get(guardian)
    feed_url = (
        org_absolute_url(request.organisation, "web:calendar_feed", token=feed.token)
        if feed is not None
        else ""
    )
    return {
        "guardian": guardian,
        "reminders_form": BookingRemindersForm(
            initial={"booking_reminders": guardian.booking_reminders}
        ),
        "notice_hours": request.organisation.reminder_notice_hours,
        "feed": feed,
        "feed_url": feed_url,
        # One tap on a phone opens its calendar's "subscribe" screen (iPhone, Thunderbird…).
        "feed_webcal_url": "webcal://" + feed_url.split("://", 1)[1] if feed_url else "",
    }


@require_POST
@require_permission(Permission.USE_PORTAL)
def booking_reminders(request: HttpRequest) -> HttpResponse:
    guardian = access_guardian(request.user)
    form = BookingRemindersForm(request.POST)
    form.is_valid()  # a box ticked or not: always valid
    enabled = form.cleaned_data["booking_reminders"]
    guardian_reminders_set(actor=request.user, guardian=guardian, enabled=enabled)
    if enabled:
        messages.success(
            request,
            _(
                "Reminders are on: we will e-mail you before a booking deadline when next "
                "week is not fully booked."
            ),
        )
    else:
        messages.success(request, _("Reminders are off: we will not e-mail you about deadlines."))
    return redirect(org_reverse(request.organisation, "web:account") + "#reminders-title")


@require_POST
@require_permission(Permission.USE_PORTAL)
def calendar_feed_new(request: HttpRequest) -> HttpResponse:
    """Create the address, or replace it by a new one (the old one stops working)."""
    guardian = access_guardian(request.user)
    renewing = calendar_feed_get(guardian) is not None
    calendar_feed_renew(actor=request.user, guardian=guardian)
    if renewing:
        messages.success(
            request,
            _(
                "Your calendar has a new address: the old one no longer works. Subscribe "
                "again with the new one on your devices."
            ),
        )
    else:
        messages.success(
            request, _("Your calendar address is ready: add it to your phone's calendar.")
        )
    return redirect(org_reverse(request.organisation, "web:account") + "#calendar-title")


@require_POST
@require_permission(Permission.USE_PORTAL)
def calendar_feed_delete(request: HttpRequest) -> HttpResponse:
    guardian = access_guardian(request.user)
    if calendar_feed_revoke(actor=request.user, guardian=guardian):
        messages.success(
            request,
            _(
                "The calendar address is deleted: calendars subscribed to it no longer "
                "receive your bookings."
            ),
        )
    return redirect(org_reverse(request.organisation, "web:account") + "#calendar-title")


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@require_login(account_setup=True)
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_change(user=request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect(home_url(request.user))
    return render(
        request, "web/password_change.html", {"form": form}, status=429 if form.locked_out else 200
    )


@sensitive_post_parameters("password")
@never_cache
@require_login()
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.email_change_request(user=request.user, new_email=form.cleaned_data["new_email"])
        messages.success(
            request,
            _(
                "We sent a link to %(email)s. Open it to confirm the change; until then you "
                "keep signing in with your current address."
            )
            % {"email": form.cleaned_data["new_email"]},
        )
        return redirect(org_reverse(request.organisation, "web:account"))
    return render(
        request, "web/email_change.html", {"form": form}, status=429 if form.locked_out else 200
    )


@public
@never_cache
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Opened from the new mailbox, maybe on another device: the link is the proof."""
    found = read_token(token, Purpose.EMAIL_CHANGE, request.organisation)
    if found is None:
        return render(
            request, "web/link_invalid.html", {"purpose": str(Purpose.EMAIL_CHANGE)}, status=400
        )
    user, payload = found
    if request.method == "POST":
        try:
            services.email_change_confirm(user=user, new_email=payload["e"])
        except DomainError as error:
            return render(request, "web/link_invalid.html", {"error": error.message}, status=400)
        messages.success(
            request,
            _("Your login e-mail is now %(email)s.") % {"email": payload["e"]},
        )
        if request.user.is_authenticated:
            return redirect(org_reverse(request.organisation, "web:account"))
        return redirect(org_reverse(request.organisation, "web:login"))
    return render(request, "web/email_change_confirm.html", {"new_email": payload["e"]})


@sensitive_post_parameters("password", "token")
@never_cache
@require_login(account_setup=True)
def two_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = services.two_factor_device(user)
    if device is not None:
        form = TwoFactorDisableForm(request, request.POST or None)
        if request.method == "POST" and form.is_valid():
            if not device.verify_token(form.cleaned_data["token"]):
                form.add_error("token", _("This code is not valid."))
            else:
                try:
                    services.two_factor_disable(user=user)
                except DomainError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(request, _("Two-factor authentication is turned off."))
                    return redirect(org_reverse(request.organisation, "web:account"))
        return render(
            request,
            "web/two_factor_enabled.html",
            {"form": form, "device": device},
            status=429 if form.locked_out else 200,
        )

    pending = services.two_factor_begin(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.two_factor_confirm(user=user, device=pending, token=form.cleaned_data["token"]):
            pending.refresh_from_db()
            otp_login(request, pending)
            messages.success(
                request,
                _("Two-factor authentication is on: you will be asked for a code at each sign-in."),
            )
            return redirect(home_url(user))
        form.add_error(
            "token", _("This code is not valid. Check the time of your phone and retry.")
        )
    secret = b32encode(pending.bin_key).decode()
    return render(
        request,
        "web/two_factor_setup.html",
        {
            "form": form,
            "qr_code": segno.make(pending.config_url, error="m").svg_data_uri(scale=4),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )
