from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from perisco.accounts.models import User, normalize_email
from perisco.accounts.passwords import MAX_PASSWORD_LENGTH, PasswordPolicy

LOCKOUT_MESSAGE = _(
    "Too many unsuccessful sign-in attempts: signing in is suspended for 15 minutes. "
    "If you have forgotten your password, use “Forgotten password?” to choose a new one."
)

CURRENT_PASSWORD_LOCKOUT_MESSAGE = _(
    "Too many incorrect passwords: this is suspended for 15 minutes, and so is signing in "
    "with this account. If you have forgotten your password, sign out and use “Forgotten "
    "password?” to choose a new one."
)


def current_password_check(request: HttpRequest, user: User, password: str) -> None:
    """Ask for the password of a signed-in user before a sensitive change (login e-mail,
    password, second factor).

    A wrong password counts as a failed sign-in of the account and of the client's address
    (django-axes), so someone holding an open session cannot guess the password here when
    the sign-in page would stop them: the same limit locks both, for the same time.
    """
    credentials = {"email": user.email}
    if not AxesProxyHandler.is_allowed(request, credentials):
        raise ValidationError(CURRENT_PASSWORD_LOCKOUT_MESSAGE, code="locked_out")
    if user.check_password(password):
        return
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        raise ValidationError(CURRENT_PASSWORD_LOCKOUT_MESSAGE, code="locked_out")
    raise ValidationError(_("Your current password is incorrect."), code="incorrect")


class CurrentPasswordForm(forms.Form):
    """A form with the user's current password in its `password` field."""

    def __init__(self, request: HttpRequest, *args, **kwargs):
        self.request = request
        self.user = request.user
        super().__init__(*args, **kwargs)

    @property
    def locked_out(self) -> bool:
        return self.has_error("password", "locked_out")

    def _clean_current_password(self) -> str:
        password = self.cleaned_data["password"]
        current_password_check(self.request, self.user, password)
        return password


class EmailField(forms.EmailField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("E-mail address"))
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)
        self.widget.attrs.update(autocomplete="email", spellcheck="false", autocapitalize="none")

    def clean(self, value):
        return normalize_email(super().clean(value))


class PasswordField(forms.CharField):
    def __init__(self, *, autocomplete: str, **kwargs):
        kwargs.setdefault("strip", False)
        kwargs.setdefault("max_length", MAX_PASSWORD_LENGTH)
        super().__init__(widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}), **kwargs)


class LoginForm(forms.Form):
    email = EmailField()
    password = PasswordField(label=_("Password"), autocomplete="current-password")

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    @property
    def locked_out(self) -> bool:
        return bool(getattr(self.request, "axes_locked_out", False))

    def clean(self):
        email, password = self.cleaned_data.get("email"), self.cleaned_data.get("password")
        if email and password:
            self.user = authenticate(
                self.request,
                email=email,
                password=password,
                organisation=self.request.organisation,
            )
            if self.locked_out:
                raise ValidationError(LOCKOUT_MESSAGE, code="locked_out")
            if self.user is None:
                raise ValidationError(
                    _("E-mail address or password incorrect. Check both and try again."),
                    code="invalid_login",
                )
        return self.cleaned_data


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise ValidationError(_("The code is made of six digits."))
        return token


class PasswordResetRequestForm(forms.Form):
    email = EmailField()


class NewPasswordForm(forms.Form):
    """Choose a password under the policy of the user's organisation."""

    new_password1 = PasswordField(label=_("New password"), autocomplete="new-password")
    new_password2 = PasswordField(label=_("New password again"), autocomplete="new-password")

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        rules = PasswordPolicy.for_organisation(user.organisation).rules()
        self.fields["new_password1"].help_text = _("Your password needs: %(rules)s.") % {
            "rules": ", ".join(str(rule) for rule in rules)
        }

    def clean_new_password2(self):
        password1 = self.cleaned_data.get("new_password1")
        password2 = self.cleaned_data["new_password2"]
        if password1 and password1 != password2:
            raise ValidationError(_("The two passwords differ. Type the same one twice."))
        return password2

    def clean(self):
        password = self.cleaned_data.get("new_password1")
        if password and not self.errors:
            try:
                password_validation.validate_password(password, self.user)
            except ValidationError as error:
                self.add_error("new_password1", error)
        return self.cleaned_data


class PasswordChangeForm(NewPasswordForm):
    old_password = PasswordField(label=_("Current password"), autocomplete="current-password")

    field_order = ["old_password", "new_password1", "new_password2"]

    def __init__(self, request: HttpRequest, *args, **kwargs):
        self.request = request
        super().__init__(request.user, *args, **kwargs)

    @property
    def locked_out(self) -> bool:
        return self.has_error("old_password", "locked_out")

    def clean_old_password(self):
        password = self.cleaned_data["old_password"]
        current_password_check(self.request, self.user, password)
        return password


class EmailChangeForm(CurrentPasswordForm):
    new_email = EmailField(label=_("New e-mail address"))
    password = PasswordField(label=_("Current password"), autocomplete="current-password")

    def clean_new_email(self):
        email = self.cleaned_data["new_email"]
        if email == self.user.email:
            raise ValidationError(_("This is already your address."))
        return email

    def clean_password(self):
        return self._clean_current_password()


class TwoFactorDisableForm(CurrentPasswordForm, TokenForm):
    password = PasswordField(label=_("Current password"), autocomplete="current-password")

    field_order = ["password", "token"]

    def clean_password(self):
        return self._clean_current_password()


class BookingRemindersForm(forms.Form):
    booking_reminders = forms.BooleanField(
        label=_("E-mail me before a booking deadline when next week is not fully booked"),
        required=False,
    )
