"""The shapes of messages, broadcasts, announcements and reply templates; the rules are in
`inbox.services`."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from perisco.activities.models import Activity, Facility
from perisco.core.models import School
from perisco.families.forms import DateInput
from perisco.families.models import Child
from perisco.families.uploads import max_upload_bytes
from perisco.inbox.audiences import AUDIENCE_KINDS, Audience
from perisco.inbox.models import MAX_ATTACHMENTS, MAX_BODY_CHARS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); how many is checked by the
    service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _files_field() -> MultipleFileField:
    return MultipleFileField(
        label=_("Attachments (optional)"),
        required=False,
        help_text=_("Up to %(n)s files: PDF, JPEG or PNG, %(mb)s MB at most each.")
        % {"n": MAX_ATTACHMENTS, "mb": max_upload_bytes() // 1024 // 1024},
    )


def _body_field(label=None) -> forms.CharField:
    return forms.CharField(
        label=label or _("Message"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class ReplyForm(forms.Form):
    body = _body_field(_("Your answer"))
    files = MultipleFileField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"] = _files_field()


class ThreadForm(forms.Form):
    """A new message, from a family or to a family."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    child: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("About a child (optional)"),
        queryset=Child.objects.none(),
        required=False,
        empty_label=_("the whole family"),
    )
    facility: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("About a facility (optional)"),
        queryset=Facility.objects.none(),
        required=False,
        empty_label=_("none in particular"),
    )
    body = _body_field()
    files = MultipleFileField(required=False)

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["child"]).queryset = children
        cast(forms.ModelChoiceField, self.fields["facility"]).queryset = Facility.objects.order_by(
            "name"
        )
        self.fields["files"] = _files_field()


class BroadcastForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Who receives it"), choices=AUDIENCE_KINDS, widget=forms.RadioSelect
    )
    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.none(), required=False
    )
    school_class = forms.CharField(
        label=_("Class"),
        max_length=30,
        required=False,
        help_text=_(
            "As written on the children's files, e.g. CM2 (with the school above, only there)."
        ),
    )
    facility = forms.ModelChoiceField(
        label=_("Facility"), queryset=Facility.objects.none(), required=False
    )
    activity = forms.ModelChoiceField(
        label=_("Activity"), queryset=Activity.objects.none(), required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = _body_field()
    by_sms = forms.BooleanField(
        label=_("Also send a text message (the subject and a link) to guardians who accept them"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["school"]).queryset = School.objects.order_by(
            "name"
        )
        cast(forms.ModelChoiceField, self.fields["facility"]).queryset = Facility.objects.order_by(
            "name"
        )
        cast(
            forms.ModelChoiceField, self.fields["activity"]
        ).queryset = Activity.objects.select_related("facility").order_by("facility__name", "name")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        needed = {"school": "school", "facility": "facility", "activity": "activity"}
        if kind in needed and not data.get(needed[kind]):
            self.add_error(needed[kind], _("Choose which one."))
        if kind == "class" and not (data.get("school_class") or "").strip():
            self.add_error("school_class", _("Write the class, as on the children's files."))
        return data

    def audience(self) -> Audience:
        data = self.cleaned_data
        kind = data["kind"]
        target = {
            "school": data.get("school"),
            "class": data.get("school"),
            "facility": data.get("facility"),
            "activity": data.get("activity"),
        }.get(kind)
        return Audience(
            kind=kind,
            target_id=target.pk if target is not None else None,
            school_class=(data.get("school_class") or "").strip() if kind == "class" else "",
        )


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=150)
    body = forms.CharField(
        label=_("Text"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )
    start = forms.DateField(label=_("Shown from"), widget=DateInput())
    end = forms.DateField(label=_("Shown until (included)"), widget=DateInput())


class ReplyTemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    body = forms.CharField(
        label=_("Text"), max_length=MAX_BODY_CHARS, widget=forms.Textarea(attrs={"rows": 8})
    )
