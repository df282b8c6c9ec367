from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from perisco.activities.rules import END_OF_DAY, CountedIn, Deadline, Season
from perisco.core.scoping import OrganisationOwned


def dates_in_order(name: str) -> models.CheckConstraint:
    """`end` on or after `start` (periods, closures, enrollments)."""
    return models.CheckConstraint(
        condition=Q(end__gte=F("start")),
        name=name,
        violation_error_message=_("The last day cannot precede the first day."),
    )


# Longest a deadline or a horizon may count (keeps calendars small and mistakes visible).
MAX_DEADLINE_DAYS = 60  # also in the fields' help text
MAX_HORIZON_DAYS = 400
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class Facility(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A place activities happen ("structure"): a school's after-school care, a leisure
    centre."""

    name = models.CharField(_("name"), max_length=150)
    address = models.CharField(_("address"), max_length=200, blank=True)
    school = models.ForeignKey(
        "core.School",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="facility_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ActivityType(OrganisationOwned):  # type: ignore[django-manager-missing]
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="activity_type_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Confirmation(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic while places remain")
    MANUAL = "manual", _("Validated by staff")


def _deadline_days_field(label):
    return models.PositiveSmallIntegerField(
        label,
        default=3,
        validators=[MaxValueValidator(MAX_DEADLINE_DAYS)],
        help_text=_("From 0 to 60 days."),
    )


def _counted_in_field():
    return models.CharField(
        _("counted in"),
        max_length=10,
        choices=[
            (CountedIn.WORKING, _("working days (Monday to Friday, public holidays excluded)")),
            (CountedIn.CALENDAR, _("calendar days")),
        ],
        default=CountedIn.WORKING,
    )


def _cutoff_field():
    return models.TimeField(
        _("before (time)"),
        null=True,
        blank=True,
        default=time(9, 0),
        help_text=_("Empty: all that day."),
    )


class Activity(OrganisationOwned):  # type: ignore[django-manager-missing]
    """What families book: canteen, morning care, leisure centre… with its booking rules."""

    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="activities", verbose_name=_("facility")
    )
    activity_type = models.ForeignKey(
        ActivityType, on_delete=models.PROTECT, related_name="activities", verbose_name=_("type")
    )
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    season = models.CharField(
        _("open"),
        max_length=12,
        choices=[
            (Season.SCHOOL_TIME, _("during school time (closed in the school holidays)")),
            (Season.HOLIDAYS, _("during the school holidays only")),
            (Season.ALL_YEAR, _("all year")),
        ],
        default=Season.SCHOOL_TIME,
    )
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    requires_enrollment = models.BooleanField(_("enrollment needed before booking"), default=True)
    confirmation = models.CharField(
        _("confirmation of bookings"),
        max_length=10,
        choices=Confirmation,
        default=Confirmation.AUTOMATIC,
    )
    booking_days = _deadline_days_field(_("book at the latest … days before"))
    booking_counted_in = _counted_in_field()
    booking_cutoff = _cutoff_field()
    cancellation_days = _deadline_days_field(_("cancel at the latest … days before"))
    cancellation_counted_in = _counted_in_field()
    cancellation_cutoff = _cutoff_field()
    horizon_days = models.PositiveSmallIntegerField(
        _("booking opens … days ahead"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_HORIZON_DAYS)],
        help_text=_("Empty: as soon as the period is open."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["facility__name", "name"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(max_age__gte=F("min_age")),
                name="activity_ages_in_order",
                violation_error_message=_("The maximum age cannot be below the minimum age."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def booking_deadline(self) -> Deadline:
        return Deadline(
            self.booking_days, CountedIn(self.booking_counted_in), self.booking_cutoff or END_OF_DAY
        )

    @property
    def cancellation_deadline(self) -> Deadline:
        return Deadline(
            self.cancellation_days,
            CountedIn(self.cancellation_counted_in),
            self.cancellation_cutoff or END_OF_DAY,
        )


class PeriodKind(models.TextChoices):
    SCHOOL_YEAR = "school_year", _("School year")
    HOLIDAY_SESSION = "holiday_session", _("Holiday session")


def validate_weekdays(value) -> None:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, int) and 0 <= v <= 6 for v in value)
    ):
        raise ValidationError(_("Choose at least one day of the week."))


class Period(OrganisationOwned):  # type: ignore[django-manager-missing]
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="periods", verbose_name=_("activity")
    )
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(
        _("kind"), max_length=20, choices=PeriodKind, default=PeriodKind.SCHOOL_YEAR
    )
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    weekdays = models.JSONField(_("opening days"), default=list, validators=[validate_weekdays])

    class Meta:
        ordering = ["start"]
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        constraints = [dates_in_order("period_in_order")]

    def __str__(self) -> str:
        return self.name


class Unit(OrganisationOwned):  # type: ignore[django-manager-missing]
    """What is booked and billed: morning, meal, afternoon, day…"""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="units", verbose_name=_("activity")
    )
    name = models.CharField(_("name"), max_length=100)
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("to"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("places per day"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    includes_meal = models.BooleanField(
        _("includes a meal"),
        default=False,
        help_text=_("Counted in the kitchen counts (lunch, a full day with lunch)."),
    )
    exclusive_with = models.ManyToManyField(
        "self",
        blank=True,
        symmetrical=True,
        verbose_name=_("cannot be booked the same day as"),
    )
    requires = models.ManyToManyField(
        "self",
        blank=True,
        symmetrical=False,
        related_name="required_by",
        verbose_name=_("only on days the child also has"),
    )

    class Meta:
        ordering = ["activity", "position", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__isnull=True)
                | Q(end_time__isnull=True)
                | Q(end_time__gt=F("start_time")),
                name="unit_times_in_order",
                violation_error_message=_("The end time must come after the start time."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity.name} – {self.name}"


class CapacityOverride(OrganisationOwned):  # type: ignore[django-manager-missing]
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="capacity_overrides", verbose_name=_("unit")
    )
    date = models.DateField(_("date"))
    capacity = models.PositiveIntegerField(_("places that day"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("capacity of a day")
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="capacity_override_unique")
        ]


class AgeGroupCapacity(OrganisationOwned):  # type: ignore[django-manager-missing]
    """Places by age group (e.g. 16 for the 3–5 year-olds, 24 for the 6–11)."""

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="age_groups", verbose_name=_("unit")
    )
    name = models.CharField(_("name"), max_length=60)
    min_age = models.PositiveSmallIntegerField(_("from age"))
    max_age = models.PositiveSmallIntegerField(_("to age"))
    capacity = models.PositiveIntegerField(_("places per day"))

    class Meta:
        ordering = ["min_age"]
        verbose_name = _("age group")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_age__gte=F("min_age")),
                name="age_group_in_order",
                violation_error_message=_("The maximum age cannot be below the minimum age."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Closure(OrganisationOwned):  # type: ignore[django-manager-missing]
    """Days an activity (or every activity of a facility, or of the organisation) closes."""

    facility = models.ForeignKey(
        Facility,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("facility"),
    )
    activity = models.ForeignKey(
        Activity,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("activity"),
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to (included)"))
    label = models.CharField(_("reason"), max_length=150)

    class Meta:
        ordering = ["start"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [dates_in_order("closure_in_order")]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        # A closure naming a facility and another facility's activity would close nothing
        # (it applies where both match): refuse it rather than save it silently.
        activity, facility = self.activity, self.facility
        if activity is None or facility is None or activity.facility_id == facility.pk:
            return
        raise ValidationError(
            {
                "activity": _(
                    "%(activity)s belongs to %(facility)s, not to %(chosen)s: choose an "
                    "activity of that facility, or leave the facility empty."
                )
                % {
                    "activity": activity.name,
                    "facility": activity.facility.name,
                    "chosen": facility.name,
                }
            }
        )


class DayOverride(OrganisationOwned):  # type: ignore[django-manager-missing]
    """Staff open a day the calendar closes, or close a day it opens."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="day_overrides", verbose_name=_("activity")
    )
    date = models.DateField(_("date"))
    is_open = models.BooleanField(_("open that day"))
    reason = models.CharField(_("reason"), max_length=150, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("opening exception")
        constraints = [
            models.UniqueConstraint(fields=["activity", "date"], name="day_override_unique")
        ]


class EnrollmentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting validation")
    VALIDATED = "validated", _("Validated")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


class Enrollment(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A child registered for an activity over (part of) a period ("inscription"), with
    the units they usually attend each weekday ("semaine type")."""

    child = models.ForeignKey(
        "families.Child",
        on_delete=models.CASCADE,
        related_name="enrollments",
        verbose_name=_("child"),
    )
    family = models.ForeignKey(
        "families.Family",
        on_delete=models.CASCADE,
        related_name="enrollments",
        verbose_name=_("family"),
    )
    activity = models.ForeignKey(
        Activity, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("activity")
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("period")
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    # Weekday ("0" = Monday) -> unit ids.
    typical_week = models.JSONField(_("typical week"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=EnrollmentStatus, default=EnrollmentStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            dates_in_order("enrollment_in_order"),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
                name="enrollment_refusal_has_reason",
            ),
        ]

    # Not stored: how many e-mails the last service call queued for the family, so the
    # page says whether the family was told.
    family_emailed: int = 0

    def __str__(self) -> str:
        return f"{self.child} – {self.activity} ({self.period})"

    def typical_units(self) -> dict[int, list[int]]:
        return {int(day): list(units) for day, units in self.typical_week.items()}


class RequestWindow(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A holiday session whose places are given by a draw instead of a race (SPEC §5):
    families ask for days while the window is open, in any order; at closing, staff run
    the allocation (priorities, then a lottery from a kept seed), preview it and publish
    it. Until it is published, the unit's days of the session are booked only through it."""

    period = models.OneToOneField(
        Period, on_delete=models.CASCADE, related_name="request_window", verbose_name=_("session")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="request_windows", verbose_name=_("unit")
    )
    opens_at = models.DateTimeField(_("requests open on"))
    closes_at = models.DateTimeField(_("requests close on"))
    # Criterion (bookings.lottery.Criterion) -> points.
    weights = models.JSONField(default=dict)
    siblings_together = models.BooleanField(_("keep siblings together"), default=True)
    # Family id (as text) -> {"points": n, "note": "…"}: a staff bonus, with its reason.
    bonuses = models.JSONField(default=dict, blank=True)
    # The draw, kept so that it can be audited and run again identically.
    seed = models.PositiveBigIntegerField(null=True, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # {"draw": [family ids], "order": [...], "points": {id: n}, "criteria": {id: [...]}}
    draw = models.JSONField(default=dict, blank=True)
    # Publishing books every answer through the booking service (seconds for a large
    # session): asked by staff, done by a background task.
    publish_asked_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("request window")
        verbose_name_plural = _("request windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="request_window_in_order",
                violation_error_message=_("The window must close after it opens."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.period.name} – {self.unit.name}"

    def is_open(self, now) -> bool:
        return self.opens_at <= now < self.closes_at and self.published_at is None
