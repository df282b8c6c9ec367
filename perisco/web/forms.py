from django import forms
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from perisco.accounts.models import User, normalize_email
from perisco.accounts.passwords import MAX_PASSWORD_LENGTH, PasswordPolicy

LOCKOUT_MESSAGE = _(
    "Too many unsuccessful sign-in attempts: signing in is suspended for 15 minutes. "
    "If you have forgotten your password, use “Forgotten password?” to choose a new one."
)


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

    def clean_old_password(self):
        password = self.cleaned_data["old_password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Your current password is incorrect."))
        return password


class EmailChangeForm(forms.Form):
    new_email = EmailField(label=_("New e-mail address"))
    password = PasswordField(label=_("Current password"), autocomplete="current-password")

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_new_email(self):
        email = self.cleaned_data["new_email"]
        if email == self.user.email:
            raise ValidationError(_("This is already your address."))
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Your current password is incorrect."))
        return password


class TwoFactorDisableForm(TokenForm):
    password = PasswordField(label=_("Current password"), autocomplete="current-password")

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Your current password is incorrect."))
        return password
