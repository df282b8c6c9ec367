import uuid
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from perisco.core.colours import darker, validate_brand_colour
from perisco.core.scoping import OrganisationOwned, ScopedManager

# First path segments the platform uses itself: no organisation may take them as its slug.
RESERVED_SLUGS = frozenset(
    {"admin", "api", "healthz", "i18n", "langue", "media", "plateforme", "static", "robots.txt"}
)


# Booking reminders go out at most two weeks before a deadline.
MAX_REMINDER_NOTICE_HOURS = 14 * 24


class HolidayZone(models.TextChoices):
    A = "A", _("Zone A")
    B = "B", _("Zone B")
    C = "C", _("Zone C")


class PublicHolidayRegion(models.TextChoices):
    METROPOLE = "metropole", _("Metropolitan France")
    ALSACE_MOSELLE = "alsace_moselle", _("Alsace-Moselle (Good Friday and 26 December)")


# First words of organisation names, by the article French puts before them.
_FEMININE = {"ville", "commune", "communauté", "métropole", "mairie", "agglomération", "caisse"}
_MASCULINE = {"syndicat", "sivu", "sivom", "centre", "pays", "district", "village", "canton"}
_VOWELS = "aeiouyhàâäéèêëîïôöùûü"


def french_of_name(name: str) -> str:
    """A sensible guess at "de" + `name` in French: "de la Ville de Démo", "du Syndicat
    scolaire", "de l'Agglomération…", "du Havre" (Le Havre), "d'Annecy", "de Bordeaux"."""
    words = name.split(maxsplit=1)
    first = words[0].lower() if words else ""
    elided = name[:1].lower() in _VOWELS
    if first == "le" and len(words) == 2:
        return f"du {words[1]}"
    if first == "les" and len(words) == 2:
        return f"des {words[1]}"
    if first in _FEMININE:
        return f"de l'{name}" if elided else f"de la {name}"
    if first in _MASCULINE:
        return f"de l'{name}" if elided else f"du {name}"
    return f"d'{name}" if elided else f"de {name}"


def _logo_path(instance: "Organisation", filename: str) -> str:
    # A new name for each logo: caches (browsers, mail clients) never show the old one.
    return f"logos/{instance.slug}-{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Organisation(models.Model):
    """A municipality or group of municipalities: the tenant every other row belongs to."""

    name = models.CharField(_("name"), max_length=150)
    name_with_de = models.CharField(
        _("name after “of” in French"),
        max_length=160,
        blank=True,
        help_text=_(
            "How French sentences say “of” your organisation, with its article: “de la "
            "Ville de Démo”, “du Syndicat scolaire”, “d'Annecy”. Left empty, it is guessed "
            "from the name."
        ),
    )
    slug = models.SlugField(
        _("address on the site"),
        max_length=50,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                _("Use lower-case letters, digits and single hyphens only."),
            )
        ],
        help_text=_("The site of the organisation lives at /<address>/."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    opening_hours = models.TextField(_("opening hours"), blank=True)
    website = models.URLField(_("website"), blank=True)
    publication_director = models.CharField(
        _("director of publication"),
        max_length=200,
        blank=True,
        help_text=_("Usually the mayor or the president, named in the legal notices."),
    )
    # Shown in the header of the site and of the e-mails (core.services.organisation_logo_set).
    logo = models.FileField(_("logo"), upload_to=_logo_path, max_length=200, blank=True)
    brand_colour = models.CharField(
        _("main colour"),
        max_length=7,
        blank=True,
        validators=[validate_brand_colour],
        help_text=_(
            "The colour of the header and buttons, as # and six hexadecimal digits "
            "(e.g. #1f4e99). White text must be readable on it. Leave empty for the default."
        ),
    )

    password_min_length = models.PositiveSmallIntegerField(
        _("minimum password length"),
        default=8,
        validators=[MinValueValidator(8), MaxValueValidator(64)],
    )
    password_require_upper = models.BooleanField(_("require an upper-case letter"), default=True)
    password_require_lower = models.BooleanField(_("require a lower-case letter"), default=True)
    password_require_digit = models.BooleanField(_("require a digit"), default=True)
    password_require_symbol = models.BooleanField(_("require a symbol"), default=False)
    staff_2fa_required = models.BooleanField(
        _("two-factor authentication required for all staff"),
        default=False,
        help_text=_("It is always required for organisation administrators."),
    )
    school_holiday_zone = models.CharField(
        _("school holiday zone"), max_length=1, choices=HolidayZone, default=HolidayZone.A
    )
    public_holiday_region = models.CharField(
        _("public holidays"),
        max_length=20,
        choices=PublicHolidayRegion,
        default=PublicHolidayRegion.METROPOLE,
    )
    whit_monday_is_holiday = models.BooleanField(
        _("Whit Monday is a public holiday"),
        default=True,
        help_text=_("Untick if your services open on Whit Monday (journée de solidarité)."),
    )
    reminder_notice_hours = models.PositiveSmallIntegerField(
        _("booking reminders: hours before the deadline"),
        default=48,
        validators=[MaxValueValidator(MAX_REMINDER_NOTICE_HOURS)],
        help_text=_(
            "Families who asked for reminders are e-mailed when next week is not fully "
            "booked and its booking deadline is this close. 0 sends no reminders."
        ),
    )
    # Billing and payment (SPEC §6).
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    invoice_due_days = models.PositiveSmallIntegerField(
        _("invoices: days to pay"),
        default=15,
        validators=[MaxValueValidator(90)],
        help_text=_("The due date is this many days after the issue date."),
    )
    payment_instructions = models.TextField(
        _("how to pay, printed on invoices"),
        blank=True,
        help_text=_("For example: cheques payable to the Trésor public, at the town hall's desk."),
    )
    unpaid_block_threshold = models.DecimalField(
        _("hold back bookings above this overdue amount (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Empty: bookings are never held back for unpaid invoices."),
    )
    payfip_client_id = models.CharField(
        _("PayFiP client number"),
        max_length=6,
        blank=True,
        help_text=_("Given by the DGFiP; empty: no online card payment."),
    )
    sepa_creditor_id = models.CharField(
        _("SEPA creditor identifier (ICS)"), max_length=35, blank=True
    )
    sepa_iban = models.CharField(_("IBAN of the account credited"), max_length=34, blank=True)
    sepa_bic = models.CharField(_("BIC of the account credited"), max_length=11, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def of_name(self) -> str:
        """ "of" and the name, as the active language says it, for sentences such as
        "Family portal {of_name}": French needs the name's article ("Portail famille de la
        Ville de Démo"), English does not."""
        if (translation.get_language() or "fr").startswith("fr"):
            return self.name_with_de or french_of_name(self.name)
        return f"of {self.name}"

    @property
    def theme_colour(self) -> str:
        """The main colour to paint with: the chosen one if it is (still) valid."""
        try:
            validate_brand_colour(self.brand_colour)
        except ValidationError:
            return ""
        return self.brand_colour

    @property
    def theme_colour_dark(self) -> str:
        return darker(self.theme_colour) if self.theme_colour else ""


class SchoolKind(models.TextChoices):
    NURSERY = "maternelle", _("Nursery school")
    ELEMENTARY = "elementaire", _("Elementary school")
    PRIMARY = "primaire", _("Primary school")


class School(OrganisationOwned):  # type: ignore[django-manager-missing]
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=SchoolKind)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="school_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class SequenceCounter(OrganisationOwned):
    """Last number handed out for a key (family numbers, invoice numbers of a year).

    Rows are locked with SELECT ... FOR UPDATE by `core.sequences.next_value`, so numbers
    have no gaps and no duplicates under concurrency.
    """

    key = models.CharField(max_length=50)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="sequence_unique_key")
        ]


class AuditEntry(models.Model):
    """Who changed what, when. Platform-level actions have no organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedManager(organisation="organisation")  # type: ignore[django-manager-missing]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    @property
    def action_label(self) -> str:
        from perisco.core.audit import action_label

        return action_label(self.action)

    @property
    def target_kind(self) -> str:
        """What the target is ("Family", "Unit"…), in the reader's language."""
        try:
            model = apps.get_model(self.target_type)
        except (LookupError, ValueError):
            return ""
        return capfirst(str(model._meta.verbose_name))
