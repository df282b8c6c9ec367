from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from perisco.billing import tariffs
from perisco.core.scoping import OrganisationOwned


class Tariff(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A unit's price over a period of validity (SPEC §6): the data of
    `billing.tariffs.Tariff`, which prices it. Periods of one unit never overlap
    (`billing.services.tariff_save`)."""

    class Basis(models.TextChoices):
        FLAT = tariffs.Basis.FLAT.value, _("Flat price")
        BRACKETS = tariffs.Basis.BRACKETS.value, _("By quotient-familial bracket")
        EFFORT_RATE = tariffs.Basis.EFFORT_RATE.value, _("Effort rate (QF × rate)")

    class Per(models.TextChoices):
        UNIT = tariffs.Per.UNIT.value, _("Per unit booked")
        HALF_HOUR = tariffs.Per.HALF_HOUR.value, _("Per started half-hour of presence")

    unit = models.ForeignKey(
        "activities.Unit", on_delete=models.PROTECT, related_name="tariffs", verbose_name=_("unit")
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until (included)"), null=True, blank=True)
    basis = models.CharField(_("basis"), max_length=12, choices=Basis, default=Basis.FLAT)
    per = models.CharField(_("charged"), max_length=10, choices=Per, default=Per.UNIT)
    price = models.DecimalField(
        _("price (€)"), default=Decimal("0"), max_digits=12, decimal_places=2
    )
    # [{"qf_max": 400, "price": "0.80"}, …, {"qf_max": null, "price": "4.50"}]
    brackets = models.JSONField(_("brackets"), default=list, blank=True)
    rate = models.DecimalField(
        _("effort rate"), max_digits=9, decimal_places=6, default=Decimal("0")
    )
    floor = models.DecimalField(
        _("floor (€)"), default=Decimal("0"), max_digits=12, decimal_places=2
    )
    ceiling = models.DecimalField(
        _("ceiling (€)"), null=True, blank=True, max_digits=12, decimal_places=2
    )
    non_resident_price = models.DecimalField(
        _("price for non-residents (€)"), null=True, blank=True, max_digits=12, decimal_places=2
    )
    # Percent off for the 2nd child, the 3rd and later ones: ["10", "20"].
    sibling_reductions = models.JSONField(
        _("reductions for siblings (%)"), default=list, blank=True
    )
    unbooked_surcharge = models.DecimalField(
        _("surcharge for a child present without booking (€)"),
        default=Decimal("0"),
        max_digits=12,
        decimal_places=2,
    )
    # Percent of the price billed for a day whose cancellation came after the deadline
    # and was granted by the service (0: such days are not billed).
    late_cancellation_share = models.DecimalField(
        _("share billed for a late cancellation (%)"),
        default=Decimal("0"),
        max_digits=5,
        decimal_places=2,
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["unit", "-valid_from"]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="tariff_dates_in_order",
                violation_error_message=_("The last day cannot precede the first day."),
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0) & Q(floor__gte=0) & Q(unbooked_surcharge__gte=0),
                name="tariff_amounts_not_negative",
                violation_error_message=_("A price cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["unit", "valid_from"], name="tariff_unit_from_idx")]

    def __str__(self) -> str:
        return f"{self.unit} ({self.valid_from:%d/%m/%Y})"

    def rule(self) -> tariffs.Tariff:
        """The pure tariff the engine prices with (raises TariffError if it makes no sense)."""
        return tariffs.Tariff(
            basis=tariffs.Basis(self.basis),
            per=tariffs.Per(self.per),
            price=Decimal(self.price),
            brackets=tuple(
                tariffs.Bracket(b["qf_max"], Decimal(str(b["price"]))) for b in self.brackets
            ),
            rate=Decimal(self.rate),
            floor=Decimal(self.floor),
            ceiling=None if self.ceiling is None else Decimal(self.ceiling),
            non_resident_price=(
                None if self.non_resident_price is None else Decimal(self.non_resident_price)
            ),
            sibling_reductions=tuple(Decimal(str(r)) for r in self.sibling_reductions),
            unbooked_surcharge=Decimal(self.unbooked_surcharge),
            late_cancellation_share=Decimal(self.late_cancellation_share),
        )


# Billing runs, invoices, credit notes and payments (SPEC §6). Issued invoices and credit
# notes are snapshots: what they say is copied from the family file and the tariffs when
# they are issued, and never changes (`billing.invoices` guards it).


class BillingRun(OrganisationOwned):  # type: ignore[django-manager-missing]
    """One month of some activities billed: drafts per family, reviewed, then issued. Its
    work is done by background tasks (`billing.runs`), whose progress it records."""

    class State(models.TextChoices):
        DRAFTING = "drafting", _("Preparing the drafts")
        DRAFT = "draft", _("Drafts to review")
        ISSUING = "issuing", _("Issuing")
        ISSUED = "issued", _("Issued")
        DISCARDED = "discarded", _("Discarded")

    OPEN = (State.DRAFTING, State.DRAFT, State.ISSUING)

    month = models.DateField(_("month"))  # its first day
    activities = models.ManyToManyField(
        "activities.Activity", related_name="+", verbose_name=_("activities")
    )
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.DRAFTING)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # Days that could not be priced (no tariff) and other figures of the drafts.
    summary = models.JSONField(default=dict, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-month", "-created_at"]
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        constraints = [
            # One run in progress at a time: two drafts of the same days would bill them twice.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(state__in=["drafting", "draft", "issuing"]),
                name="billingrun_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%m/%Y}"


class Invoice(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A family's invoice: a draft of a run, then issued with its number, frozen."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        EXCLUDED = "excluded", _("Left out of the run")
        ISSUED = "issued", _("Issued")

    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, related_name="invoices")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.DRAFT)
    month = models.DateField(_("month"))
    # Numbered when issued: gapless per organisation and year (`core.sequences`).
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    # The family's balance before this invoice, when it was issued (seed 002).
    previous_balance = models.DecimalField(
        _("previous balance"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    # Payments and credit notes allocated to it; paid when it reaches the total.
    settled = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # Snapshots, copied when drafted and frozen when issued.
    family_number = models.CharField(max_length=20)
    recipient = models.TextField()  # name and address lines
    sender = models.TextField()  # the organisation's identity lines
    created_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(null=True, blank=True)
    pdf = models.FileField(max_length=200, blank=True)

    class Meta:
        ordering = ["-year", "-sequence", "-pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "sequence"],
                condition=Q(sequence__isnull=False),
                name="invoice_unique_number",
            ),
            # Drafting batches side by side, or a second drafter of the run: never two.
            models.UniqueConstraint(fields=["run", "family"], name="invoice_one_per_run_family"),
            models.CheckConstraint(
                condition=Q(state="issued", sequence__isnull=False, issue_date__isnull=False)
                | (~Q(state="issued") & Q(sequence__isnull=True)),
                name="invoice_issued_has_number",
            ),
        ]
        indexes = [
            models.Index(fields=["family", "state"], name="invoice_family_state_idx"),
            models.Index(fields=["run", "state"], name="invoice_run_state_idx"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("draft"))

    @property
    def number(self) -> str:
        return f"{self.year}-{self.sequence:06d}" if self.sequence else ""

    # What may still change on an issued invoice: how much of it is paid, its cached PDF.
    MUTABLE_WHEN_ISSUED = frozenset({"settled", "pdf"})

    def save(self, *args, **kwargs):
        if self.pk and self.state == self.State.ISSUED:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= self.MUTABLE_WHEN_ISSUED:
                raise ValueError("an issued invoice never changes: credit it instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.state == self.State.ISSUED:
            raise ValueError("an issued invoice is never deleted")
        return super().delete(*args, **kwargs)

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.settled if self.state == self.State.ISSUED else Decimal("0")

    @property
    def amount_due(self) -> Decimal:
        """What the family owed with this invoice when it was issued."""
        return self.previous_balance + self.total


class InvoiceLine(models.Model):
    """A child's days of one unit at one price; labels copied so the invoice never moves."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("Service")
        ADJUSTMENT = "adjustment", _("Adjustment of a past month")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.SERVICE)
    # The child and unit as they were (names copied below): no foreign-key constraints in
    # the database, which would check two rows for each of a run's ~40,000 lines (~1 s);
    # Django still sets them to null if either is deleted. No index on the unit (its
    # bookings keep it from being deleted); one on the child, whose deletion (an
    # unverified registration purged) looks its lines up.
    child = models.ForeignKey(
        "families.Child",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_constraint=False,
    )
    child_name = models.CharField(max_length=300)
    unit = models.ForeignKey(
        "activities.Unit",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    unit_name = models.CharField(max_length=300)  # "Restauration scolaire — Repas"
    label = models.CharField(max_length=100)  # the rule applied: "QF 401–700", "flat"…
    missing_qf = models.BooleanField(default=False)
    per = models.CharField(max_length=10, default=tariffs.Per.UNIT.value)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.IntegerField()  # days or half-hours; negative for an adjustment
    reduction = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    surcharge = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    share = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("100"))
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    days = models.JSONField(default=list)  # ISO dates
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["invoice", "position"]

    def __str__(self) -> str:
        return f"{self.child_name} — {self.unit_name}"

    def save(self, *args, **kwargs):
        if Invoice.objects.filter(pk=self.invoice_id, state=Invoice.State.ISSUED).exists():
            raise ValueError("the lines of an issued invoice never change")
        super().save(*args, **kwargs)


class BilledDay(OrganisationOwned):  # type: ignore[django-manager-missing]
    """The line a booking is billed on: one row per booking, keyed by it, so a day is
    billed once. When a later run takes the day back (its booking no longer says what was
    billed), the row moves to `ReversedDay` and the day is billed again as it now stands.

    A town's run writes ~400,000 of these in one go, so the table is lean: its primary key
    is its only index (each more costs about a second a run: docs/performance.md) and it
    has no foreign-key constraints in the database (each would lock and check a row per
    day). The rows are written only by `billing.runs`, from the bookings and lines it has
    just read or written in the same transaction, and read by booking; Django still
    applies `on_delete` (a billed booking cannot be deleted)."""

    booking = models.OneToOneField(
        "bookings.Booking",
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_constraint=False,
        db_index=False,
    )
    # No index: a run deletes its drafts' days by booking (`runs._drafts_delete`).
    line = models.ForeignKey(
        InvoiceLine,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    quantity = models.IntegerField(default=1)
    # How it was billed (`billing.billable.Billed`): a later run takes the day back when
    # the booking's state or attendance no longer says the same.
    billed = models.CharField(max_length=20, default="yes")


class ReversedDay(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A billed day taken back by an adjustment line (`reversed_by`): an absence excused,
    a presence recorded or a cancellation granted after its invoice."""

    booking = models.ForeignKey("bookings.Booking", on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField(default=1)
    billed = models.CharField(max_length=20, default="yes")
    reversed_by = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="+")


class CreditNote(OrganisationOwned):  # type: ignore[django-manager-missing]
    """An amount given back on an issued invoice (an error, a cancelled day): numbered in
    its own gapless sequence, never changed."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    issue_date = models.DateField(_("issue date"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("reason"))
    # Allocated to invoices (first the one it refers to); the rest is the family's credit.
    settled = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-year", "-sequence"]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "sequence"], name="creditnote_unique_number"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="creditnote_positive"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"AV-{self.year}-{self.sequence:06d}"


class DirectDebitBatch(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A monthly SEPA direct-debit file (pain.008) of the invoices of families with an
    active mandate; its payments are confirmed when finance marks it debited."""

    class State(models.TextChoices):
        EXPORTED = "exported", _("Exported, awaiting the debit")
        DEBITED = "debited", _("Debited")

    collection_date = models.DateField(_("collection date"))
    message_id = models.CharField(max_length=35)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.EXPORTED)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    count = models.PositiveIntegerField(_("debits"))
    xml = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    debited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("direct-debit file")
        verbose_name_plural = _("direct-debit files")


class Payment(OrganisationOwned):  # type: ignore[django-manager-missing]
    """Money from a family: its own row and state (pretix's OrderPayment); confirmed once,
    then allocated to the invoices it pays (`billing.payments`)."""

    class Method(models.TextChoices):
        CARD = "card", _("Card (online)")
        DIRECT_DEBIT = "direct_debit", _("Direct debit")
        CASH = "cash", _("Cash")
        CHEQUE = "cheque", _("Cheque")
        CESU = "cesu", _("CESU vouchers")
        TRANSFER = "transfer", _("Bank transfer")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Received")
        FAILED = "failed", _("Failed or abandoned")
        REJECTED = "rejected", _("Rejected by the bank")

    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("method"), max_length=12, choices=Method)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PENDING)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    # Ours, sent to the provider and back in its notification; unique.
    reference = models.CharField(max_length=64, unique=True)
    provider_reference = models.CharField(_("provider's reference"), max_length=100, blank=True)
    # The invoices the family chose to pay (card) or debited (direct debit).
    invoices = models.ManyToManyField(Invoice, related_name="payments", blank=True)
    batch = models.ForeignKey(
        DirectDebitBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)  # cheque number, bank…
    # Allocated to invoices; what is left is the family's credit.
    settled = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(_("reason for the rejection"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive")]
        indexes = [models.Index(fields=["family", "state"], name="payment_family_state_idx")]


class Allocation(OrganisationOwned):  # type: ignore[django-manager-missing]
    """Part of a payment or of a credit note settling part of an invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        CreditNote, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(payment__isnull=True, credit_note__isnull=False)
                | Q(payment__isnull=False, credit_note__isnull=True),
                name="allocation_one_source",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
        ]


class UnpaidReminder(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A family e-mailed about its overdue invoices: at most one every
    `payments.UNPAID_REMINDER_DAYS` days (`billing.payments.unpaid_reminders_send`)."""

    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    # The overdue amount the e-mail named.
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["family", "sent_at"], name="unpaidreminder_family_idx")]
