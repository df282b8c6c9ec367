from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from perisco.bookings.states import LIVE, Outcome, State
from perisco.core.scoping import OrganisationOwned


class BookingAction(OrganisationOwned):  # type: ignore[django-manager-missing]
    """One action of a family or of staff on a family's bookings (many days at once): it
    is confirmed by one e-mail and listed in "Mes demandes" with its report."""

    class Source(models.TextChoices):
        FAMILY = "family", _("Family")
        STAFF = "staff", _("Childhood service, for the family")
        TYPICAL_WEEK = "typical_week", _("Typical week")
        WAITING_LIST = "waiting_list", _("Waiting list")
        ALLOCATION = "allocation", _("Holiday session draw")

    family = models.ForeignKey(
        "families.Family", on_delete=models.CASCADE, related_name="booking_actions"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    source = models.CharField(max_length=12, choices=Source, default=Source.FAMILY)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Staff past a deadline say why; shown with the action.
    override_reason = models.TextField(blank=True)
    # What was asked and what came of it, day by day (see services.ActionReport.as_json).
    report = models.JSONField(default=dict)

    # Not stored: how many e-mails the action queued for the family, so the page says
    # whether the family was told.
    family_emailed: int = 0

    class Meta:
        ordering = ["-created_at", "-pk"]


class Booking(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A child × unit × day, booked by one household (SPEC §5)."""

    # Each index is written by every booking (an action writes ~80 at the opening rush):
    # the foreign keys are indexed by the composite indexes below, or not at all when
    # only deleting their target (rare, and refused while bookings exist) would use one.
    organisation = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
    )
    child = models.ForeignKey(
        "families.Child", on_delete=models.CASCADE, related_name="bookings", db_index=False
    )
    # The household that booked (garde alternée: each household books and pays its days).
    family = models.ForeignKey(
        "families.Family", on_delete=models.CASCADE, related_name="bookings", db_index=False
    )
    activity = models.ForeignKey(
        "activities.Activity", on_delete=models.PROTECT, related_name="bookings", db_index=False
    )
    unit = models.ForeignKey(
        "activities.Unit", on_delete=models.PROTECT, related_name="bookings", db_index=False
    )
    day = models.DateField(_("day"))
    state = models.CharField(_("state"), max_length=16, choices=State)
    outcome = models.CharField(
        _("attendance"), max_length=16, choices=Outcome, default=Outcome.NONE, blank=True
    )
    # The capacity counter the booking holds a place in (0: the unit's places, else the
    # age group's id); fixed when the booking is made.
    group = models.PositiveBigIntegerField(default=0)
    # Position on the waiting list is by time of request.
    requested_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    absence = models.ForeignKey(
        "bookings.Absence",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
        db_index=False,  # the partial index below: most bookings have no absence
    )

    class Meta:
        ordering = ["day", "unit__position", "pk"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "unit", "day"],
                condition=Q(state__in=sorted(LIVE)),
                name="booking_one_live_per_child_unit_day",
            ),
            models.CheckConstraint(
                condition=~Q(state=State.REFUSED) | ~Q(refusal_reason=""),
                name="booking_refusal_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "day", "state"], name="booking_unit_day_idx"),
            models.Index(fields=["child", "day"], name="booking_child_day_idx"),
            models.Index(fields=["family", "day"], name="booking_family_day_idx"),
            models.Index(
                fields=["absence"], condition=Q(absence__isnull=False), name="booking_absence_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child} – {self.unit.name} – {self.day:%d/%m/%Y}"


class BookingChange(OrganisationOwned):  # type: ignore[django-manager-missing]
    """Every change of a booking: who, when, from which state, on whose behalf, why."""

    organisation = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # read by booking or by action, never by organisation alone
    )

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="changes")
    action = models.ForeignKey(
        BookingAction, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Staff acting for the family (on the phone, at the desk).
    on_behalf = models.BooleanField(default=False)
    before_state = models.CharField(max_length=16, choices=State, blank=True)
    after_state = models.CharField(max_length=16, choices=State)
    before_outcome = models.CharField(max_length=16, choices=Outcome, blank=True)
    after_outcome = models.CharField(max_length=16, choices=Outcome, blank=True)
    reason = models.TextField(blank=True)

    @classmethod
    def of(
        cls,
        booking: "Booking",
        *,
        at,
        actor,
        state: str | None = None,
        outcome: str | None = None,
        reason: str = "",
        on_behalf: bool = True,
        before_state: str | None = None,
    ) -> "BookingChange":
        """The change of `booking` to `state` and `outcome` (each unchanged when None),
        not saved: the caller saves it (or many at once) and moves the booking."""
        return cls(
            organisation_id=booking.organisation_id,
            booking=booking,
            at=at,
            actor=actor,
            on_behalf=on_behalf,
            before_state=booking.state if before_state is None else before_state,
            after_state=booking.state if state is None else state,
            before_outcome=booking.outcome,
            after_outcome=booking.outcome if outcome is None else outcome,
            reason=reason,
        )

    class Meta:
        ordering = ["at", "pk"]

    @property
    def reason_display(self) -> str:
        """The reason in words: an absence's outcome change keeps its reason's code."""
        if self.before_outcome != self.after_outcome and self.reason in AbsenceReason.values:
            return str(AbsenceReason(self.reason).label)
        return self.reason


class PlaceCounter(OrganisationOwned):  # type: ignore[django-manager-missing]
    """Places held on a unit's day (per age group when it has some): the row writers lock,
    in a fixed order, before counting and inserting, so capacity holds under concurrency
    without locking the table."""

    unit = models.ForeignKey("activities.Unit", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    group = models.PositiveBigIntegerField(default=0)
    taken = models.PositiveIntegerField(default=0)
    # Children on the day's waiting list: a new one's position without counting the list.
    waiting = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "day", "group"], name="place_counter_unique")
        ]


class AbsenceReason(models.TextChoices):
    ILLNESS = "illness", _("Illness")
    FAMILY = "family", _("Family event")
    OTHER = "other", _("Other reason")


class Absence(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A family says a child will not come on some booked days, with a reason and maybe a
    justification. Before the cancellation deadline the days are cancelled; after it they
    stay billed until staff excuse them."""

    class Review(models.TextChoices):
        NONE = "", _("Nothing to review")
        TO_REVIEW = "to_review", _("To review")
        EXCUSED = "excused", _("Excused")
        KEPT = "kept", _("Kept billed")

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    child = models.ForeignKey("families.Child", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=10, choices=AbsenceReason)
    note = models.TextField(_("details"), blank=True)
    document = models.ForeignKey(
        "families.Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    declared_at = models.DateTimeField(default=timezone.now)
    review = models.CharField(max_length=10, choices=Review, default=Review.NONE, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-declared_at", "-pk"]


class AttendanceSheet(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A unit's day as the agents take it ("pointage", seed 000): open while they mark the
    children; closing it turns the marks into the bookings' outcomes, which billing reads.
    A manager may correct a closed day: each correction is kept in the booking's history."""

    unit = models.ForeignKey("activities.Unit", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="attendance_sheet_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.day:%Y-%m-%d}"

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class AttendanceMark(OrganisationOwned):  # type: ignore[django-manager-missing]
    """One tap of an agent, kept as made. The device names each mark (`client_id`), so a
    mark sent again after a lost connection is recognised, never counted twice; of a
    child's marks on a sheet, the last made (by the device's clock) counts."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")

    client_id = models.UUIDField()
    sheet = models.ForeignKey(AttendanceSheet, on_delete=models.CASCADE, related_name="marks")
    child = models.ForeignKey("families.Child", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status)
    # Units billed by the half-hour (garderie): when the child came and left.
    arrival = models.TimeField(null=True, blank=True)
    departure = models.TimeField(null=True, blank=True)
    made_at = models.DateTimeField()  # on the device
    received_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "client_id"], name="attendance_mark_client_id_unique"
            )
        ]
        indexes = [models.Index(fields=["sheet", "child", "made_at"], name="mark_sheet_child_idx")]


class ReminderSent(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A booking reminder e-mailed to a guardian about a child's week (SPEC §5, opt-in):
    kept so that `send_booking_reminders`, run every hour, never sends it twice. The
    unique constraint also stops two overlapping runs: the second one's insert fails and
    its e-mail, written in the same transaction, is rolled back with it."""

    guardian = models.ForeignKey("families.Guardian", on_delete=models.CASCADE, related_name="+")
    child = models.ForeignKey("families.Child", on_delete=models.CASCADE, related_name="+")
    week = models.DateField()  # its Monday
    # The earliest booking deadline the e-mail gave.
    deadline = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["guardian", "child", "week"], name="reminder_sent_unique"
            )
        ]


class CalendarFeed(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A guardian's private address of the family's bookings as an iCalendar feed, which a
    phone's calendar subscribes to without signing in: the address is the key. Renewing
    it gives a new token (the old address answers 404); revoking deletes the row."""

    guardian = models.OneToOneField(
        "families.Guardian", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    # Kept to show the address again on "My account"; looked up by its SHA-256 only, so
    # that no comparison of the secret itself can be timed (see bookings.feeds).
    token = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        # Never the token: this is what the activity log keeps of it.
        return str(self.guardian)


class PlaceRequest(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A family's request for a child's day of a holiday session under a request window;
    the draw answers it, and publishing turns the answer into a booking."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Awaiting the draw")
        GRANTED = "granted", _("Place given")
        WAITING = "waiting", _("Waiting list")

    window = models.ForeignKey(
        "activities.RequestWindow", on_delete=models.CASCADE, related_name="requests"
    )
    family = models.ForeignKey(
        "families.Family", on_delete=models.CASCADE, related_name="place_requests"
    )
    child = models.ForeignKey(
        "families.Child", on_delete=models.CASCADE, related_name="place_requests"
    )
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=8, choices=Result, default=Result.PENDING)
    # Order in the draw's answer: the n-th place given, or the n-th on the waiting list.
    rank = models.PositiveIntegerField(null=True, blank=True)
    # Given from places left over although a sibling waits (siblings could not be kept
    # together).
    split = models.BooleanField(default=False)

    class Meta:
        ordering = ["day", "child__first_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["window", "child", "day"], name="place_request_one_per_child_day"
            )
        ]
        indexes = [models.Index(fields=["window", "family"], name="place_request_family_idx")]

    def __str__(self) -> str:
        return f"{self.child} – {self.day:%d/%m/%Y}"
