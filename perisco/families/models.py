import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from perisco.core.scoping import OrganisationOwned
from perisco.families.validators import validate_bic, validate_iban, validate_not_in_future


class FamilyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    UNVERIFIED = "unverified", _("Registration: e-mail not confirmed yet")
    PENDING = "pending", _("Registration awaiting validation")
    REFUSED = "refused", _("Registration refused")


class MaritalStatus(models.TextChoices):
    MARRIED = "married", _("Married")
    CIVIL_UNION = "pacs", _("Civil union (PACS)")
    COHABITING = "cohabiting", _("Living together")
    SINGLE = "single", _("Single")
    SEPARATED = "separated", _("Separated")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")


class AllowanceRegime(models.TextChoices):
    CAF = "caf", _("General scheme (CAF)")
    MSA = "msa", _("Agricultural scheme (MSA)")
    OTHER = "other", _("Other scheme")
    NONE = "none", _("No family allowance")


class Family(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A household ("foyer"): its guardians, the children it looks after, its account."""

    number = models.CharField(_("family number"), max_length=20)
    name = models.CharField(_("name"), max_length=150)
    status = models.CharField(
        _("status"), max_length=12, choices=FamilyStatus, default=FamilyStatus.ACTIVE
    )
    marital_status = models.CharField(
        _("family situation"), max_length=12, choices=MaritalStatus, blank=True
    )
    allowance_regime = models.CharField(
        _("family allowance scheme"), max_length=8, choices=AllowanceRegime, blank=True
    )
    allowance_number = models.CharField(_("allowance number (CAF/MSA)"), max_length=20, blank=True)
    allowance_holder = models.CharField(_("allowance holder"), max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Names, number and e-mails of the family, its guardians and children, lower-cased and
    # without accents, for the staff's search (see `families.search`).
    search_text = models.TextField(blank=True, default="", editable=False)

    history = HistoricalRecords(excluded_fields=["created_at", "search_text"])

    class Meta:
        ordering = ["name", "number"]
        verbose_name = _("family")
        verbose_name_plural = _("families")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="family_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class Civility(models.TextChoices):
    MRS = "mme", _("Mrs")
    MR = "m", _("Mr")


class GuardianQuality(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    LEGAL_GUARDIAN = "guardian", _("Legal guardian")
    STEP_PARENT = "step_parent", _("Step-parent")
    GRANDPARENT = "grandparent", _("Grandparent")
    OTHER = "other", _("Other")


class SocioProfessionalCategory(models.TextChoices):
    """INSEE's first-level categories (PCS 2020)."""

    FARMER = "1", _("Farmer")
    SELF_EMPLOYED = "2", _("Craftsman, shopkeeper, business owner")
    EXECUTIVE = "3", _("Executive, higher intellectual profession")
    INTERMEDIATE = "4", _("Intermediate profession")
    EMPLOYEE = "5", _("Employee")
    WORKER = "6", _("Manual worker")
    RETIRED = "7", _("Retired")
    NOT_WORKING = "8", _("Not in work")


class Guardian(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A parent or legal guardian ("responsable") of a family; may have a login.

    Rank 1 is the family's main contact ("responsable"), rank 2 the second guardian
    ("conjoint") of seed 001.
    """

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="guardians")
    rank = models.PositiveSmallIntegerField(_("rank"), default=1, choices=[(1, "1"), (2, "2")])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="guardian",
        verbose_name=_("login account"),
    )
    civility = models.CharField(_("civility"), max_length=3, choices=Civility, blank=True)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    quality = models.CharField(
        _("relationship"), max_length=12, choices=GuardianQuality, blank=True
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    phone_home = models.CharField(_("home phone"), max_length=30, blank=True)
    phone_work = models.CharField(_("work phone"), max_length=30, blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    profession = models.CharField(_("profession"), max_length=100, blank=True)
    employer = models.CharField(_("employer"), max_length=150, blank=True)
    employer_address = models.CharField(_("employer's address"), max_length=200, blank=True)
    socio_professional_category = models.CharField(
        _("socio-professional category"),
        max_length=2,
        choices=SocioProfessionalCategory,
        blank=True,
    )
    consent_email = models.BooleanField(_("agrees to receive e-mails"), default=True)
    consent_sms = models.BooleanField(_("agrees to receive text messages"), default=False)
    # The guardian's own choice on "My account" (not part of the file staff validate).
    booking_reminders = models.BooleanField(
        _("e-mail reminders before booking deadlines"), default=False
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["rank", "last_name", "first_name"]
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        constraints = [
            models.UniqueConstraint(fields=["family", "rank"], name="guardian_unique_rank")
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class FamilyQuotient(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A quotient familial and the dates it applies to; billing uses the one valid on the
    day of the service."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="quotients")
    value = models.PositiveIntegerField(_("quotient familial (€)"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    attestation = models.ForeignKey(
        "families.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attestation"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("quotient familial")
        verbose_name_plural = _("quotients familiaux")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="quotient_period_in_order",
                violation_error_message=_("The end of validity cannot precede its start."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.value} €"


class BankAccount(OrganisationOwned):  # type: ignore[django-manager-missing]
    """The account a family's invoices are debited from, and its SEPA mandate."""

    family = models.OneToOneField(Family, on_delete=models.CASCADE, related_name="bank_account")
    holder = models.CharField(_("account holder"), max_length=150)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, validators=[validate_bic], blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    mandate_reference = models.CharField(_("mandate reference (RUM)"), max_length=35, blank=True)
    mandate_signed_on = models.DateField(_("mandate signed on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bank details")
        verbose_name_plural = _("bank details")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "mandate_reference"],
                condition=~Q(mandate_reference=""),
                name="bank_unique_mandate_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.holder} {mask_iban(self.iban)}"


def mask_iban(iban: str) -> str:
    """FR76 •••• •••• •••• •••• ••12 3: enough to recognise one's account, not to use it."""
    compact = iban.replace(" ", "")
    if len(compact) < 8:
        return "•" * len(compact)
    hidden = compact[:4] + "•" * (len(compact) - 7) + compact[-3:]
    return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))


class Sex(models.TextChoices):
    FEMALE = "F", _("Girl")
    MALE = "M", _("Boy")


def for_sex(sex: str, *, girl: str, boy: str, unknown: str) -> str:
    """The sentence that agrees with the child ("inscrite", "inscrit"), or `unknown` when
    the file does not say (callers pass `pgettext("girl", …)`, `pgettext("boy", …)`)."""
    return {Sex.FEMALE: girl, Sex.MALE: boy}.get(sex, unknown)  # type: ignore[call-overload]


class Diet(models.TextChoices):
    NO_PORK = "no_pork", _("No pork")
    NO_MEAT = "no_meat", _("No meat")
    VEGETARIAN = "vegetarian", _("Vegetarian")
    PACKED_MEAL = "packed_meal", _("Packed meal (PAI)")


# Each includes the one before it: no meat means no pork, vegetarian (the canteens' sense,
# as in the EGalim law) means neither meat nor fish. Ticking two would leave the kitchen
# guessing which one the family means.
NESTED_DIETS = (Diet.NO_PORK, Diet.NO_MEAT, Diet.VEGETARIAN)
DIETS_HELP = _(
    "“No meat” already excludes pork, and “Vegetarian” excludes meat and fish: tick only "
    "one of these three."
)


def validate_diets(value: list[str]) -> None:
    unknown = [diet for diet in value if diet not in Diet.values]
    if unknown:
        raise ValidationError(
            _("Unknown diet: %(diets)s."), params={"diets": ", ".join(unknown)}, code="unknown"
        )
    if sum(diet in value for diet in NESTED_DIETS) > 1:
        raise ValidationError(
            _(
                "Tick only one of “No pork”, “No meat” and “Vegetarian”: “No meat” already "
                "excludes pork, and “Vegetarian” excludes meat and fish."
            ),
            code="nested_diets",
        )


class Child(OrganisationOwned):  # type: ignore[django-manager-missing]
    # Identity and school
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    birth_date = models.DateField(_("birth date"), validators=[validate_not_in_future])
    sex = models.CharField(_("sex"), max_length=1, choices=Sex)
    school = models.ForeignKey(
        "core.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("school"),
    )
    school_class = models.CharField(_("class"), max_length=30, blank=True)
    photo = models.ForeignKey(
        "families.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )
    # Authorisations
    image_rights = models.BooleanField(_("may be photographed or filmed"), default=False)
    leave_alone = models.BooleanField(_("may go home alone"), default=False)
    medical_intervention = models.BooleanField(
        _("staff may call emergency services and have the child treated"), default=True
    )
    outings = models.BooleanField(_("may go on outings and take the bus"), default=True)
    # Health record ("fiche sanitaire"), shared by every household of the child
    diets = models.JSONField(
        _("diet"), default=list, blank=True, validators=[validate_diets], help_text=DIETS_HELP
    )
    allergies = models.TextField(_("allergies"), blank=True)
    treatments = models.TextField(_("current treatments"), blank=True)
    vaccinations_up_to_date = models.BooleanField(
        _("compulsory vaccinations up to date"), default=True
    )
    last_dtp_vaccination = models.DateField(
        _("last DTP vaccination"), null=True, blank=True, validators=[validate_not_in_future]
    )
    doctor_name = models.CharField(_("family doctor"), max_length=150, blank=True)
    doctor_phone = models.CharField(_("doctor's phone"), max_length=30, blank=True)
    has_pai = models.BooleanField(_("individual care plan (PAI)"), default=False)
    pai_details = models.TextField(_("PAI details"), blank=True)
    health_notes = models.TextField(_("other health information"), blank=True)
    # Complementary information
    glasses = models.BooleanField(_("wears glasses"), default=False)
    hearing_aid = models.BooleanField(_("wears a hearing aid"), default=False)
    dental_appliance = models.BooleanField(_("wears a dental appliance"), default=False)
    other_needs = models.TextField(_("other needs"), blank=True)

    # A child of separated parents belongs to both households (SPEC §3, "garde alternée").
    families = models.ManyToManyField(Family, through="FamilyChild", related_name="children")

    history = HistoricalRecords(m2m_fields=[])

    class Meta:
        ordering = ["first_name", "last_name"]
        verbose_name = _("child")
        verbose_name_plural = _("children")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    def diet_labels(self) -> list[str]:
        labels = dict(Diet.choices)
        return [str(labels.get(diet, diet)) for diet in self.diets]


class FamilyChild(OrganisationOwned):  # type: ignore[django-manager-missing]
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["family", "child"], name="family_child_unique")
        ]


class ChildContact(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A person who may pick the child up, or be called in an emergency (or both)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    relationship = models.CharField(_("relationship to the child"), max_length=100)
    phone = models.CharField(_("phone"), max_length=30)
    can_pick_up = models.BooleanField(_("may pick the child up"), default=True)
    emergency_contact = models.BooleanField(_("to call in an emergency"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("authorised person")
        verbose_name_plural = _("authorised persons")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.relationship})"


class DocumentKind(models.TextChoices):
    # Sent by families
    QF_ATTESTATION = "qf_attestation", _("Quotient familial attestation")
    VACCINATIONS = "vaccinations", _("Vaccination record")
    INSURANCE = "insurance", _("Insurance certificate")
    ABSENCE = "absence", _("Absence justification")
    PHOTO = "photo", _("Photo")
    OTHER = "other", _("Other document")
    # Published by the organisation
    FORM = "form", _("Form to fill in")
    INFORMATION = "information", _("Information")
    RULES = "rules", _("Rules (règlement intérieur)")


FAMILY_DOCUMENT_KINDS = (
    DocumentKind.QF_ATTESTATION,
    DocumentKind.VACCINATIONS,
    DocumentKind.INSURANCE,
    DocumentKind.ABSENCE,
    DocumentKind.OTHER,
)
PUBLISHED_DOCUMENT_KINDS = (DocumentKind.FORM, DocumentKind.INFORMATION, DocumentKind.RULES)


def _document_path(document: "Document", filename: str) -> str:
    # Random names: a file's address says nothing about whose it is.
    return f"documents/{document.organisation_id}/{document.uuid}{_extension(document)}"


def _extension(document: "Document") -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
        document.content_type, ""
    )


class Document(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A file sent by a family (its file, a child, a request) or published by the
    organisation. Never served from a public URL: see `web.views.documents`."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(upload_to=_document_path, max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    family = models.ForeignKey(
        Family, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    request = models.ForeignKey(
        "families.ChangeRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
    )
    # Published documents (family is empty): visible to the organisation's families, or to
    # anyone when public (the rules must be readable before registering).
    is_published = models.BooleanField(_("published"), default=False)
    is_public = models.BooleanField(_("visible without signing in"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class RequestKind(models.TextChoices):
    GUARDIAN = "guardian", _("Main guardian")
    SPOUSE = "spouse", _("Second guardian")
    SITUATION = "situation", _("Family situation and CAF")
    FISCAL = "fiscal", _("Quotient familial")
    BANK = "bank", _("Bank details")
    NEW_CHILD = "new_child", _("New child")
    CHILD = "child", _("Identity and school")
    AUTHORISATIONS = "authorisations", _("Authorisations")
    HEALTH = "health", _("Health record and diet")
    COMPLEMENTARY = "complementary", _("Complementary information")
    CONTACTS = "contacts", _("Authorised persons")
    PHOTO = "photo", _("Photo")
    REGISTRATION = "registration", _("Registration of a new family")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChangeRequest(OrganisationOwned):  # type: ignore[django-manager-missing]
    """What a family asks to change, as it was and as it would be, until staff decide.

    `changes` maps each field to {"before": ..., "after": ...} in JSON form; for a
    creation (new child, new quotient) "before" is null.
    """

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="requests")
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, null=True, blank=True, related_name="requests"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus, default=RequestStatus.PENDING
    )
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="supersedes"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        indexes = [
            models.Index(fields=["organisation", "status", "kind"], name="request_queue_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
                name="request_refusal_has_reason",
            )
        ]

    # Not stored: how many e-mails the last decision queued for the family (set by the
    # services in `families.requests`, so the page says whether the family was told).
    family_emailed: int = 0

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING


class RequestKindSetting(OrganisationOwned):  # type: ignore[django-manager-missing]
    """Per organisation and kind: validated by staff (default) or accepted at once."""

    kind = models.CharField(max_length=20, choices=RequestKind)
    auto_accept = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind"], name="request_setting_unique")
        ]


class FamilyCertification(OrganisationOwned):  # type: ignore[django-manager-missing]
    """Once a school year, a guardian certifies the file is up to date and accepts the
    rules and consents; booking needs it (`families.selectors.family_booking_block`)."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="certifications")
    school_year = models.PositiveSmallIntegerField(_("school year (starting year)"))
    rules = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    certified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["family", "school_year"], name="certification_once_a_year"
            )
        ]


def school_year_of(day: date) -> int:
    """The starting year of the school year a day belongs to (September to August)."""
    return day.year if day.month >= 9 else day.year - 1


def check_quotient_period(valid_from: date, valid_until: date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise ValidationError({"valid_until": _("The end of validity cannot precede its start.")})
