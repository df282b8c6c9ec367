from datetime import date
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from perisco.activities.models import (
    WEEKDAYS,
    Activity,
    ActivityType,
    AgeGroupCapacity,
    CapacityOverride,
    Closure,
    DayOverride,
    Facility,
    Period,
    Unit,
)
from perisco.activities.selectors import school_classes
from perisco.activities.wording import unit_explanations, unit_facts
from perisco.core.forms import BLANK_CHOICE, ScopedModelForm
from perisco.families.forms import DateInput


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class FacilityForm(ScopedModelForm):
    class Meta:
        model = Facility
        fields = ["name", "address", "school"]


class ActivityTypeForm(ScopedModelForm):
    class Meta:
        model = ActivityType
        fields = ["name"]


class ActivityForm(ScopedModelForm):
    class Meta:
        model = Activity
        fields = [
            "name",
            "facility",
            "activity_type",
            "description",
            "season",
            "min_age",
            "max_age",
            "requires_enrollment",
            "confirmation",
            "booking_days",
            "booking_counted_in",
            "booking_cutoff",
            "cancellation_days",
            "cancellation_counted_in",
            "cancellation_cutoff",
            "horizon_days",
            "is_active",
        ]
        widgets = {
            "booking_cutoff": TimeInput(),
            "cancellation_cutoff": TimeInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "booking_cutoff": {"invalid": _("Give a time between 00:00 and 23:59, e.g. 09:00.")},
            "cancellation_cutoff": {
                "invalid": _("Give a time between 00:00 and 23:59, e.g. 09:00.")
            },
        }

    FIELDSETS = (
        (
            _("Activity"),
            (
                "name",
                "facility",
                "activity_type",
                "description",
                "season",
                "min_age",
                "max_age",
                "is_active",
            ),
        ),
        (
            _("Booking"),
            (
                "requires_enrollment",
                "confirmation",
                "booking_days",
                "booking_counted_in",
                "booking_cutoff",
                "horizon_days",
            ),
        ),
        (
            _("Cancellation"),
            ("cancellation_days", "cancellation_counted_in", "cancellation_cutoff"),
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["facility"]).queryset = Facility.objects.all()
        cast(
            forms.ModelChoiceField, self.fields["activity_type"]
        ).queryset = ActivityType.objects.all()

    def fieldsets(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]


class WeekdaysField(forms.TypedMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, **kwargs
        )


class PeriodForm(ScopedModelForm):
    weekdays = WeekdaysField(label=_("Opening days"))

    class Meta:
        model = Period
        fields = ["name", "kind", "start", "end", "weekdays"]
        widgets = {"start": DateInput(), "end": DateInput()}


class UnitForm(ScopedModelForm):
    class Meta:
        model = Unit
        fields = [
            "name",
            "start_time",
            "end_time",
            "capacity",
            "position",
            "includes_meal",
            "exclusive_with",
            "requires",
        ]
        widgets = {
            "start_time": TimeInput(),
            "end_time": TimeInput(),
            "exclusive_with": forms.CheckboxSelectMultiple,
            "requires": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        others = Unit.objects.select_related("activity").exclude(pk=self.instance.pk)
        for name in ("exclusive_with", "requires"):
            cast(forms.ModelMultipleChoiceField, self.fields[name]).queryset = others

    def many(self) -> dict[str, list[Any]]:
        return {name: list(self.cleaned_data[name]) for name in ("exclusive_with", "requires")}


class CapacityOverrideForm(ScopedModelForm):
    class Meta:
        model = CapacityOverride
        fields = ["unit", "date", "capacity"]
        widgets = {"date": DateInput()}


class AgeGroupForm(ScopedModelForm):
    class Meta:
        model = AgeGroupCapacity
        fields = ["unit", "name", "min_age", "max_age", "capacity"]


class DayOverrideForm(ScopedModelForm):
    class Meta:
        model = DayOverride
        fields = ["date", "is_open", "reason"]
        widgets = {"date": DateInput()}


class ClosureForm(ScopedModelForm):
    class Meta:
        model = Closure
        fields = ["label", "start", "end", "facility", "activity"]
        widgets = {"start": DateInput(), "end": DateInput()}
        help_texts = {
            "facility": _("Empty: every facility."),
            "activity": _("Empty: every activity of the facility (or of the organisation)."),
        }


# --- Enrollments ---------------------------------------------------------------------


class TypicalWeekFields:
    """One box per opening weekday and unit of a period: the typical week."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_week_fields(self, period: Period) -> None:
        self.units = list(period.activity.units.prefetch_related("exclusive_with", "requires"))
        # Where the family chooses: what each unit is and what it goes (or not) with.
        self.unit_help = unit_explanations(unit_facts(self.units))
        self.week_fields: list[tuple[str, list[tuple[str, Unit]]]] = []
        for weekday, label in WEEKDAYS:
            if weekday not in period.weekdays:
                continue
            boxes = []
            for unit in self.units:
                name = f"week_{weekday}_{unit.pk}"
                self.fields[name] = forms.BooleanField(
                    label=f"{label} – {unit.name}", required=False
                )
                boxes.append((name, unit))
            self.week_fields.append((str(label), boxes))

    def typical_week(self) -> dict[int, list[int]]:
        week: dict[int, list[int]] = {}
        for name, value in self.cleaned_data.items():
            if name.startswith("week_") and value:
                _prefix, weekday, unit = name.split("_")
                week.setdefault(int(weekday), []).append(int(unit))
        return week

    def week_rows(self):
        return [
            (day, [(self[name], unit) for name, unit in boxes])  # type: ignore[index]
            for day, boxes in getattr(self, "week_fields", [])
        ]


class EnrollmentForm(TypicalWeekFields, forms.Form):
    """Dates within the period (the whole period by default, seed 003) and the typical
    week: one box per opening weekday and unit."""

    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def __init__(self, *args, period: Period, today: date | None = None, **kwargs):
        # Days already past cannot be asked for: the later of today and the period's start.
        start = max(today or timezone.localdate(), period.start)
        kwargs.setdefault("initial", {"start": start, "end": period.end})
        super().__init__(*args, **kwargs)
        self.period = period
        self.add_week_fields(period)


class RefuseEnrollmentForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the family)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class BulkEnrollmentForm(TypicalWeekFields, forms.Form):
    """An activity's period and a class. A school's activity offers only that school's
    classes (its after-school care is for its own pupils). Once the period is chosen, a
    typical week booked for every child enrolled."""

    period = forms.ModelChoiceField(label=_("Activity and period"), queryset=Period.objects.none())
    # Checked in clean(): a class of another school gets a message that says why.
    group = forms.CharField(
        label=_("Class"),
        help_text=_("Choose the activity first: a school's activity lists its classes only."),
        widget=forms.Select,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        period_field = cast(forms.ModelChoiceField, self.fields["period"])
        period_field.queryset = Period.objects.select_related(
            "activity__facility__school"
        ).order_by("activity__name", "start")
        period_field.label_from_instance = lambda p: f"{p.activity.name} – {p.name}"
        self.chosen_period = self._period_from_data()
        only = self.chosen_period.activity.facility.school if self.chosen_period else None
        self.fields["group"].widget.choices = [BLANK_CHOICE] + [  # type: ignore[attr-defined]
            (
                school.name,
                [(f"{school.pk}:", _("Every class of %(school)s") % {"school": school.name})]
                + [(f"{school.pk}:{name}", f"{name} – {school.name}") for name in classes],
            )
            for school, classes in school_classes(only.pk if only else None)
        ]
        if self.chosen_period is not None:
            self.add_week_fields(self.chosen_period)

    def _period_from_data(self) -> Period | None:
        value = self.data.get("period", "") if self.is_bound else self.initial.get("period", "")
        if not str(value).isdigit():
            return None
        return (
            cast(forms.ModelChoiceField, self.fields["period"])
            .queryset.filter(pk=int(value))
            .first()
        )

    def clean(self):
        data = super().clean()
        period, group = data.get("period"), data.get("group")
        if group is None:
            return data
        school_pk, _colon, school_class = group.partition(":")
        if not school_pk.isdigit():
            self.add_error("group", _("Choose a class from the list."))
            return data
        if period is None:
            return data
        school = period.activity.facility.school
        if school is not None and int(school_pk) != school.pk:
            self.add_error(
                "group",
                _("%(activity)s is for the pupils of %(school)s: choose one of its classes.")
                % {"activity": period.activity.name, "school": school.name},
            )
        data["school_id"], data["school_class"] = int(school_pk), school_class
        return data
