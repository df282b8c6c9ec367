"""Writes of the billing app: tariffs (runs, invoices and payments come next)."""

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from perisco.accounts.models import User
from perisco.accounts.permissions import Permission, has_permission
from perisco.activities.models import Unit
from perisco.billing.models import Tariff
from perisco.billing.tariffs import TariffError
from perisco.core.audit import audit_log
from perisco.core.errors import DomainError


def _tariff_error(error: TariffError) -> str:
    return {
        "negative": _("A price, rate or reduction cannot be negative."),
        "reduction_over_100": _("A reduction or a share is at most 100 %."),
        "brackets_open_end": _(
            "Give the brackets in increasing order of quotient, the last one without an upper "
            "limit (it is the price of the highest quotients and of families without one)."
        ),
        "brackets_order": _("The brackets' upper limits must increase."),
        "effort_rate_ceiling": _(
            "An effort rate needs a ceiling: families without a valid quotient pay it."
        ),
        "ceiling_below_floor": _("The ceiling cannot be below the floor."),
    }.get(error.code, _("This tariff is not valid."))


@transaction.atomic
def tariff_save(*, actor: User, tariff: Tariff) -> Tariff:
    """Create or change a unit's tariff: it must make sense and not overlap another period
    of the same unit (two prices for one day would make a bill a guess)."""
    if not has_permission(actor, Permission.MANAGE_ACTIVITIES):
        raise DomainError(_("Only the childhood service can change tariffs."))
    try:
        tariff.rule()
    except TariffError as error:
        raise DomainError(_tariff_error(error)) from None
    if tariff.valid_until is not None and tariff.valid_until < tariff.valid_from:
        raise DomainError(_("The last day cannot precede the first day."), field="valid_until")
    # One writer per unit at a time, so two overlapping periods cannot both pass.
    Unit.objects.select_for_update().filter(pk=tariff.unit_id).first()
    end = tariff.valid_until or date.max
    overlapping = (
        Tariff.objects.filter(unit_id=tariff.unit_id, valid_from__lte=end)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=tariff.valid_from))
        .exclude(pk=tariff.pk)
        .order_by("valid_from")
        .first()
    )
    if overlapping is not None:
        raise DomainError(
            _(
                "This period overlaps the tariff valid from %(start)s%(end)s: change its "
                "dates first."
            )
            % {
                "start": overlapping.valid_from.strftime("%d/%m/%Y"),
                "end": (
                    _(" to %(day)s") % {"day": overlapping.valid_until.strftime("%d/%m/%Y")}
                    if overlapping.valid_until
                    else ""
                ),
            },
            field="valid_from",
        )
    created = tariff.pk is None
    if created:
        tariff.created_by = actor
    tariff.save()
    audit_log(
        organisation=tariff.organisation,
        actor=actor,
        action="billing.tariff_created" if created else "billing.tariff_changed",
        target=tariff,
        data={"valid_from": tariff.valid_from.isoformat(), "basis": tariff.basis},
    )
    return tariff


def tariff_for(unit_id: int, day: date) -> Tariff | None:
    """The tariff of a unit valid on `day`, if any."""
    return (
        Tariff.objects.filter(unit_id=unit_id, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .first()
    )
