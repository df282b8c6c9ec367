"""Forms for the family file, built from the kinds table: the family's request forms and
the staff's direct-edit forms show the same fields, with the same labels."""

from typing import Any, cast

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban

from perisco.core.forms import BLANK_CHOICE
from perisco.core.models import School
from perisco.families.kinds import CONTACT_FIELDS, KindSpec, from_json
from perisco.families.models import (
    FAMILY_DOCUMENT_KINDS,
    PUBLISHED_DOCUMENT_KINDS,
    Child,
    ChildContact,
    Civility,
    Diet,
    GuardianQuality,
    MaritalStatus,
    RequestKind,
    Sex,
)
from perisco.families.uploads import max_upload_bytes


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class IbanField(forms.CharField):
    def to_python(self, value):
        return stdnum_iban.compact(super().to_python(value) or "")


class BicField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value) or ""
        return stdnum_bic.compact(value) if value else ""


def _formfield(spec: KindSpec, name: str) -> forms.Field:
    model_field = spec.field(name)
    label = capfirst(model_field.verbose_name)
    if name == "diets":
        return forms.MultipleChoiceField(
            label=label,
            choices=Diet.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=model_field.help_text,
            validators=model_field.validators,
        )
    if name == "iban":
        return IbanField(label=label, max_length=42)
    if name == "bic":
        return BicField(label=label, max_length=14, required=False)
    if name == "school":
        return forms.ModelChoiceField(label=label, queryset=School.objects.all(), required=False)
    field = model_field.formfield()
    if isinstance(field, forms.DateField):
        field.widget = DateInput()
    if isinstance(field, forms.CharField) and isinstance(field.widget, forms.Textarea):
        field.widget.attrs["rows"] = 3
    return field  # type: ignore[return-value]


class KindForm(forms.Form):
    """The fields of one kind of request, filled with the record's current values."""

    spec: KindSpec

    def __init__(
        self,
        data=None,
        files=None,
        *,
        spec: KindSpec,
        initial_values: dict[str, Any],
        staff: bool,
    ):
        self.spec = spec
        names = [n for n in spec.fields if staff or n not in spec.staff_only_fields]
        initial = {}
        for name in names:
            value = initial_values.get(name)
            if name not in ("diets", "school") and value is not None:
                value = from_json(spec.field(name), value)
            initial[name] = value
        super().__init__(data, files, initial=initial)
        for name in names:
            self.fields[name] = _formfield(spec, name)
        if not staff:
            required = spec.kind == RequestKind.FISCAL
            self.fields["attachment"] = forms.FileField(
                label=_("Attestation (CAF, MSA or tax notice)")
                if required
                else _("Supporting document (optional)"),
                required=required,
                help_text=_("PDF, JPEG or PNG, %(mb)s MB at most.")
                % {"mb": max_upload_bytes() // 1024 // 1024},
            )

    def values(self) -> dict[str, Any]:
        return {n: v for n, v in self.cleaned_data.items() if n in self.spec.fields}


class ContactForm(forms.ModelForm):
    class Meta:
        model = ChildContact
        fields = list(CONTACT_FIELDS)


ContactFormSet = forms.formset_factory(ContactForm, extra=1, can_delete=True, max_num=10)


class PhotoForm(forms.Form):
    file = forms.FileField(
        label=_("Photo"),
        help_text=_("A recent photo of the face, JPEG or PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


def contact_values(formset) -> dict[str, Any]:
    return {
        "contacts": [
            {name: form.cleaned_data[name] for name in CONTACT_FIELDS}
            for form in formset.forms
            if form.has_changed() and not form.cleaned_data.get("DELETE")
        ]
    }


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of document"),
        choices=[(k.value, k.label) for k in FAMILY_DOCUMENT_KINDS],
    )
    title = forms.CharField(label=_("Title (optional)"), max_length=200, required=False)
    child: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("About"),
        queryset=Child.objects.none(),
        required=False,
        empty_label=_("the whole family"),
    )
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["child"]).queryset = children
        self.fields["file"].help_text = _("PDF, JPEG or PNG, %(mb)s MB at most.") % {
            "mb": max_upload_bytes() // 1024 // 1024
        }


class PublishedDocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k.value, k.label) for k in PUBLISHED_DOCUMENT_KINDS]
    )
    public = forms.BooleanField(
        label=_("Visible without signing in (e.g. the rules, read before registering)"),
        required=False,
    )
    file = forms.FileField(label=_("File"), help_text=_("PDF, JPEG or PNG."))


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the family)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class CertificationForm(forms.Form):
    file_up_to_date = forms.BooleanField(
        label=_("I certify that the information in my family file is accurate and up to date.")
    )
    rules_accepted = forms.BooleanField(
        label=_("I have read and accept the rules of the childhood services.")
    )
    data_processing_acknowledged = forms.BooleanField(
        label=_("I have read how my family's personal data is used by the childhood services.")
    )


# --- Self-registration ---------------------------------------------------------------


class RegistrationGuardianForm(forms.Form):
    civility = forms.ChoiceField(label=_("Civility"), choices=Civility.choices)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    quality = forms.ChoiceField(
        label=_("Relationship to the children"), choices=GuardianQuality.choices
    )
    email = forms.EmailField(label=_("E-mail address"))
    mobile_phone = forms.CharField(label=_("Mobile phone"), max_length=30)


class RegistrationSecondGuardianForm(RegistrationGuardianForm):
    """Optional: left empty, there is no second guardian."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        cast(forms.ChoiceField, self.fields["civility"]).choices = [BLANK_CHOICE, *Civility.choices]
        cast(forms.ChoiceField, self.fields["quality"]).choices = [
            BLANK_CHOICE,
            *GuardianQuality.choices,
        ]

    def clean(self):
        data = super().clean() or {}
        if data.get("first_name") or data.get("last_name"):
            for name in ("first_name", "last_name", "quality"):
                if not data.get(name):
                    self.add_error(name, _("Needed for the second guardian."))
        return data


class RegistrationHouseholdForm(forms.Form):
    address = forms.CharField(label=_("Address"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10)
    city = forms.CharField(label=_("City"), max_length=100)
    phone_home = forms.CharField(label=_("Home phone"), max_length=30, required=False)
    marital_status = forms.ChoiceField(
        label=_("Family situation"), choices=[BLANK_CHOICE, *MaritalStatus.choices], required=False
    )


class RegistrationChildForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput())
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    school: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.none(), required=False
    )
    school_class = forms.CharField(label=_("Class"), max_length=30, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["school"]).queryset = School.objects.all()

    def clean_birth_date(self):
        from perisco.families.validators import validate_not_in_future

        value = self.cleaned_data["birth_date"]
        validate_not_in_future(value)
        return value


def kind_form(spec: KindSpec, current: dict[str, Any], *, staff: bool, data=None, files=None):
    """The form of one kind, filled with the current values (`kinds.snapshot`)."""
    if spec.kind == RequestKind.CONTACTS:
        return ContactFormSet(data, initial=current["contacts"], prefix="contacts")
    if spec.kind == RequestKind.PHOTO:
        return PhotoForm(data, files)
    return KindForm(data, files, spec=spec, initial_values=current, staff=staff)


def kind_form_values(form) -> tuple[dict[str, Any], Any]:
    """(values, uploaded file or None) from a valid form of `kind_form`."""
    if isinstance(form, forms.BaseFormSet):
        return contact_values(form), None
    if isinstance(form, PhotoForm):
        return {}, form.cleaned_data["file"]
    return form.values(), form.cleaned_data.get("attachment")
