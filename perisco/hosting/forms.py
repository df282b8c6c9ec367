from django import forms
from django.utils.translation import gettext_lazy as _

from perisco.core.models import Organisation
from perisco.web.forms import EmailField


class OrganisationCreateForm(forms.ModelForm):
    admin_first_name = forms.CharField(label=_("Administrator's first name"), max_length=150)
    admin_last_name = forms.CharField(label=_("Administrator's last name"), max_length=150)
    admin_email = EmailField(label=_("Administrator's e-mail address"))

    class Meta:
        model = Organisation
        fields = ["name", "slug", "email"]
