from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from stdnum.eu import at_02
from stdnum.fr import siret

from perisco.accounts.models import Language
from perisco.accounts.roles import STAFF_ROLES, Role
from perisco.activities.models import WEEKDAYS
from perisco.billing.sepa import creditor_id_is_valid
from perisco.core.errors import DomainError
from perisco.core.forms import BLANK_CHOICE
from perisco.core.models import Organisation, french_of_name
from perisco.core.services import LOGO_MAX_BYTES, SETTINGS_FIELDS
from perisco.families.forms import BicField, DateInput, IbanField
from perisco.families.models import Civility
from perisco.families.uploads import check_upload
from perisco.families.validators import validate_bic, validate_iban
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
                "name_with_de",
                "address",
                "postal_code",
                "city",
                "phone",
                "email",
                "opening_hours",
                "website",
                "publication_director",
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
        (_("Appearance"), ("brand_colour", "logo", "remove_logo")),
        (_("Security"), ("staff_2fa_required",)),
        (
            _("Calendars"),
            ("school_holiday_zone", "public_holiday_region", "whit_monday_is_holiday"),
        ),
        (_("Booking reminders"), ("reminder_notice_hours",)),
        (
            _("Billing and payment"),
            (
                "siret",
                "invoice_due_days",
                "payment_instructions",
                "unpaid_block_threshold",
                "payfip_client_id",
                "sepa_creditor_id",
                "sepa_iban",
                "sepa_bic",
            ),
        ),
    )

    sepa_iban = IbanField(
        label=_("IBAN of the account credited"),
        max_length=42,
        required=False,
        validators=[validate_iban],
        help_text=_("The account direct debits are paid into (the public treasury's)."),
    )
    sepa_bic = BicField(
        label=_("BIC of the account credited"),
        max_length=14,
        required=False,
        validators=[validate_bic],
    )

    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG or JPEG, at most 2 MB; shown in the header of the site and e-mails."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What is used while the field is empty.
        self.fields["name_with_de"].widget.attrs["placeholder"] = french_of_name(self.instance.name)
        self.fields["brand_colour"].widget.attrs.update(
            {"placeholder": "#1f4e99", "autocomplete": "off", "spellcheck": "false"}
        )
        if not self.instance.logo:
            del self.fields["remove_logo"]

    def fieldsets(self):
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.FIELDSETS
        ]

    def clean_brand_colour(self) -> str:
        return self.cleaned_data["brand_colour"].strip().lower()

    def clean_siret(self) -> str:
        value = siret.compact(self.cleaned_data["siret"] or "")
        if value and not siret.is_valid(value):
            raise forms.ValidationError(
                _("This SIRET is not valid: check its 14 digits on a document of the INSEE.")
            )
        return value

    def clean_payfip_client_id(self) -> str:
        value = self.cleaned_data["payfip_client_id"].strip()
        if value and not (value.isdigit() and len(value) == 6):
            raise forms.ValidationError(
                _("The PayFiP client number has 6 digits, as given by the DGFiP.")
            )
        return value

    def clean_sepa_creditor_id(self) -> str:
        value = at_02.compact(self.cleaned_data["sepa_creditor_id"] or "")
        if value and not creditor_id_is_valid(value):
            raise forms.ValidationError(
                _(
                    "This creditor identifier is not valid: a French one reads FR, 2 check "
                    "digits, ZZZ and 6 characters (e.g. FR72ZZZ123456)."
                )
            )
        return value

    def clean_logo(self) -> bytes | None:
        """The logo's bytes, checked like every upload (type read from the content,
        re-encoded) and within the logo's own limit."""
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size is None or upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(
                _("This logo is too large: send a PNG or JPEG image of at most 2 MB.")
            )
        try:
            return check_upload(upload, images_only=True).content.read()
        except DomainError as error:
            raise forms.ValidationError(error.message) from error

    class Meta:
        model = Organisation
        fields = list(SETTINGS_FIELDS)
        widgets = {
            "opening_hours": forms.Textarea(attrs={"rows": 4}),
            "payment_instructions": forms.Textarea(attrs={"rows": 3}),
        }
        localized_fields = ("unpaid_block_threshold",)  # "150,00" as French staff type it
        help_texts = {
            "sepa_creditor_id": _(
                "Given by the Banque de France through your bank: FR, 2 check digits, ZZZ "
                "and 6 characters. Needed, with the account below, for direct debits."
            ),
        }


class FamilyCreateForm(forms.Form):
    """A file opened by staff: its first guardian; the rest is filled from the file page."""

    civility = forms.ChoiceField(
        label=_("Civility"), choices=[BLANK_CHOICE, *Civility.choices], required=False
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    mobile_phone = forms.CharField(label=_("Mobile phone"), max_length=30, required=False)


class BookingDecisionForm(forms.Form):
    """Accept or refuse the ticked requests of the bookings queue."""

    decision = forms.ChoiceField(choices=[("accept", "accept"), ("refuse", "refuse")])
    reason = forms.CharField(
        label=_("Reason for a refusal (sent to the family)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )


# A school year and a bit: the service refuses more than its maximum of changes anyway.
MAX_RANGE_DAYS = 400


class FamilyBookingForm(forms.Form):
    """Staff book or cancel days for a family: a child, a unit, a range of days, weekdays."""

    child = forms.TypedChoiceField(label=_("Child"), coerce=int)
    unit = forms.TypedChoiceField(label=_("Activity and unit"), coerce=int)
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"}))
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days of the week"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=[0, 1, 2, 3, 4],
    )
    op = forms.ChoiceField(
        label=_("What to do"),
        choices=[("book", _("Book")), ("cancel", _("Cancel"))],
        widget=forms.RadioSelect,
        initial="book",
    )
    override_reason = forms.CharField(
        label=_("Pass the deadline: why (leave empty to respect it)"),
        help_text=_("Recorded with the bookings and shown in the child's history."),
        max_length=500,
        required=False,
    )

    def __init__(self, *args, children, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].choices = [(c.pk, f"{c.first_name} {c.last_name}") for c in children]
        self.fields["unit"].choices = [(u.pk, f"{u.activity.name} – {u.name}") for u in units]

    def clean_late_cancellation_share(self):
        return self.cleaned_data.get("late_cancellation_share") or Decimal("0")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The last day comes before the first."))
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("end", _("Choose at most a school year at a time."))
        return data


class TypicalWeekReapplyForm(forms.Form):
    """Staff apply an enrollment's typical week again, from a day (today by default)."""

    start = forms.DateField(label=_("From"), widget=DateInput())
    override_reason = FamilyBookingForm.base_fields["override_reason"]

    def __init__(self, *args, enrollment, today, **kwargs):
        kwargs.setdefault("initial", {"start": min(max(today, enrollment.start), enrollment.end)})
        super().__init__(*args, **kwargs)
        self.fields["start"].widget.attrs.update(
            {"min": enrollment.start.isoformat(), "max": enrollment.end.isoformat()}
        )


class DaysCancelForm(forms.Form):
    """The service cancels a facility's days (strike, school trip)."""

    facility = forms.TypedChoiceField(label=_("Facility"), coerce=int)
    activity = forms.TypedChoiceField(
        label=_("Activity (leave empty for all the facility's)"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Written in the e-mail each family gets, e.g. “Grève des enseignants”."),
        max_length=150,
    )

    def __init__(self, *args, facilities, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [(f.pk, f.name) for f in facilities]
        self.fields["activity"].choices = [("", _("— All —"))] + [
            (a.pk, f"{a.name} ({a.facility.name})") for a in activities
        ]


class RequestWindowForm(forms.Form):
    """A holiday session's request window and the organisation's priorities."""

    unit = forms.TypedChoiceField(label=_("Unit the draw gives"), coerce=int)
    opens_at = forms.DateTimeField(
        label=_("Requests open on"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    closes_at = forms.DateTimeField(
        label=_("Requests close on"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    resident = forms.IntegerField(
        label=_("Points: lives in the town"),
        min_value=0,
        max_value=20,
        help_text=_("The first guardian's postal code and town are the organisation's."),
    )
    working = forms.IntegerField(
        label=_("Points: every guardian works"),
        min_value=0,
        max_value=20,
        help_text=_("From the socio-professional category, or a profession given."),
    )
    refused_last_time = forms.IntegerField(
        label=_("Points: waited without a place at the previous session's draw"),
        min_value=0,
        max_value=20,
    )
    siblings_together = forms.BooleanField(
        label=_("Keep siblings together (they get places together or wait together)"),
        required=False,
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]

    def window(self) -> dict:
        """The service's keyword arguments."""
        data = self.cleaned_data
        return {
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "siblings_together": data["siblings_together"],
            "weights": {k: data[k] for k in ("resident", "working", "refused_last_time")},
        }


class BonusForm(forms.Form):
    family = forms.IntegerField(widget=forms.HiddenInput)
    points = forms.IntegerField(label=_("Bonus points"), min_value=0, max_value=20)
    note = forms.CharField(label=_("Why"), max_length=200, required=False)


BRACKET_ROWS = 6


class TariffForm(forms.ModelForm):
    """A unit's tariff; brackets as up to six rows of (quotient up to, price), the last
    filled row without a limit."""

    sibling_2 = forms.DecimalField(
        label=_("Reduction for the 2nd child (%)"),
        min_value=0,
        max_value=100,
        required=False,
        localize=True,
    )
    sibling_3 = forms.DecimalField(
        label=_("Reduction for the 3rd child and later (%)"),
        min_value=0,
        max_value=100,
        required=False,
        localize=True,
    )

    class Meta:
        from perisco.billing.models import Tariff

        model = Tariff
        fields = [
            "valid_from",
            "valid_until",
            "basis",
            "per",
            "price",
            "rate",
            "floor",
            "ceiling",
            "non_resident_price",
            "unbooked_surcharge",
            "late_cancellation_share",
        ]
        widgets = {
            "valid_from": DateInput(),
            "valid_until": DateInput(),
            "basis": forms.RadioSelect,
            "per": forms.RadioSelect,
        }
        localized_fields = "__all__"  # "0,80" as French staff type it
        help_texts = {
            "rate": _("A share of the quotient: 0.012 is 1.2 % (a quotient of 1,000 € pays 12 €)."),
            "ceiling": _("Also what a family without a valid quotient pays."),
            "late_cancellation_share": _(
                "When the service grants a cancellation asked after the deadline: 0 bills "
                "nothing, 100 the whole price."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["late_cancellation_share"].required = False
        brackets = list(self.instance.brackets or [])
        for index in range(BRACKET_ROWS):
            bracket = brackets[index] if index < len(brackets) else {}
            self.fields[f"qf_max_{index}"] = forms.IntegerField(
                label=_("Bracket %(n)s: quotient up to (€)") % {"n": index + 1},
                min_value=0,
                required=False,
                initial=bracket.get("qf_max"),
            )
            self.fields[f"bracket_price_{index}"] = forms.DecimalField(
                label=_("Bracket %(n)s: price (€)") % {"n": index + 1},
                min_value=0,
                decimal_places=2,
                required=False,
                localize=True,
                initial=Decimal(str(bracket["price"])) if "price" in bracket else None,
            )
        reductions = list(self.instance.sibling_reductions or [])
        self.fields["sibling_2"].initial = reductions[0] if reductions else None
        self.fields["sibling_3"].initial = reductions[1] if len(reductions) > 1 else None

    def bracket_rows(self):
        return [(self[f"qf_max_{i}"], self[f"bracket_price_{i}"]) for i in range(BRACKET_ROWS)]

    def clean(self):
        data = super().clean()
        rows = [
            (data.get(f"qf_max_{i}"), data.get(f"bracket_price_{i}")) for i in range(BRACKET_ROWS)
        ]
        rows = [(limit, price) for limit, price in rows if price is not None]
        self.instance.brackets = [{"qf_max": limit, "price": str(price)} for limit, price in rows]
        second, third = data.get("sibling_2"), data.get("sibling_3")
        # [2nd] or [2nd, 3rd and later]: a 3rd-child reduction alone leaves the 2nd at 0.
        reductions = [second or 0, third] if third is not None else [second]
        self.instance.sibling_reductions = [str(r) for r in reductions if r is not None]
        return data


class DebitBatchForm(forms.Form):
    """The collection date of a new direct-debit file; with the preview's figures when
    finance confirms it (the file is refused if they changed meanwhile)."""

    collection_date = forms.DateField(
        label=_("Collection date"),
        widget=DateInput(),
        help_text=_("A bank working day, at least 2 working days from today."),
    )
    expected_count = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    expected_total = forms.DecimalField(
        widget=forms.HiddenInput, required=False, decimal_places=2, max_digits=14
    )

    def expected(self) -> tuple[int, Decimal] | None:
        count, total = (
            self.cleaned_data.get("expected_count"),
            self.cleaned_data.get("expected_total"),
        )
        return None if count is None or total is None else (count, total)


class DebitRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason given by the bank"),
        max_length=200,
        help_text=_("E.g. “AM04 – insufficient funds”, “AC04 – account closed”."),
    )
