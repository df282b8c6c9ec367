from django import forms
from django.utils.translation import gettext_lazy as _

from perisco.activities.selectors import days_between
from perisco.bookings.models import AbsenceReason


class AbsenceForm(forms.Form):
    first = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(
        label=_("Last day"),
        required=False,
        help_text=_("Leave empty for a single day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=AbsenceReason, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Details"),
        required=False,
        help_text=_("Required for another reason."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    file = forms.FileField(
        label=_("Justification (optional)"),
        required=False,
        help_text=_("A medical certificate, for instance: PDF, JPEG or PNG."),
    )

    def clean(self):
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last") or data.get("first")
        if first and last and last < first:
            self.add_error("last", _("The last day comes after the first."))
        data["last"] = last
        if data.get("reason") == AbsenceReason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", _("Say what the reason is."))
        return data

    def days(self):
        first, last = self.cleaned_data["first"], self.cleaned_data["last"]
        return days_between(first, last)
