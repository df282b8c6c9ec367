from django import forms
from django.utils.translation import gettext_lazy as _

from perisco.accounts.models import Language
from perisco.accounts.roles import STAFF_ROLES, Role
from perisco.core.forms import BLANK_CHOICE
from perisco.core.models import Organisation
from perisco.core.services import SETTINGS_FIELDS
from perisco.families.models import Civility
from perisco.web.forms import EmailField

STAFF_ROLE_CHOICES = [(role.value, role.label) for role in Role if role in STAFF_ROLES]


class StaffInviteForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = EmailField()
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)
    language = forms.ChoiceField(label=_("Language of e-mails"), choices=Language.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)


class OrganisationSettingsForm(forms.ModelForm):
    FIELDSETS = (
        (
            _("Contact details shown to families"),
            (
                "name",
                "address",
                "postal_code",
                "city",
                "phone",
                "email",
                "opening_hours",
                "website",
            ),
        ),
        (
            _("Password policy"),
            (
                "password_min_length",
                "password_require_upper",
                "password_require_lower",
                "password_require_digit",
                "password_require_symbol",
            ),
        ),
        (_("Security"), ("staff_2fa_required",)),
        (
            _("Calendars"),
            ("school_holiday_zone", "public_holiday_region", "whit_monday_is_holiday"),
        ),
    )

    def fieldsets(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    class Meta:
        model = Organisation
        fields = list(SETTINGS_FIELDS)
        widgets = {"opening_hours": forms.Textarea(attrs={"rows": 4})}


class FamilyCreateForm(forms.Form):
    """A file opened by staff: its first guardian; the rest is filled from the file page."""

    civility = forms.ChoiceField(
        label=_("Civility"), choices=[BLANK_CHOICE, *Civility.choices], required=False
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    mobile_phone = forms.CharField(label=_("Mobile phone"), max_length=30, required=False)
