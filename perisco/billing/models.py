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
        )
