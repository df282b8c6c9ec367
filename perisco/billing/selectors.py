"""Reads of the billing app."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from perisco.activities.models import Enrollment, EnrollmentStatus, Unit
from perisco.billing.models import Invoice, Tariff
from perisco.billing.tariffs import Price, unit_price
from perisco.core.money import ZERO
from perisco.families.models import Child, Family, FamilyQuotient
from perisco.families.selectors import family_is_resident


@dataclass(frozen=True)
class UnitPrice:
    unit: Unit
    tariff: Tariff
    price: Price


def quotient_on(family: Family, day: date) -> int | None:
    quotient = (
        FamilyQuotient.objects.filter(family=family, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .order_by("-valid_from")
        .first()
    )
    return quotient.value if quotient else None


def child_prices(family: Family, child: Child, day: date) -> list[UnitPrice]:
    """What each unit of the child's validated enrollments costs this family on `day`
    (seed 002: "le tarif appliqué à chaque enfant"); units without a tariff that day are
    left out. A fixed number of queries."""
    activities = Enrollment.objects.filter(
        child=child,
        family=family,
        status=EnrollmentStatus.VALIDATED,
        end__gte=day,
    ).values("activity_id")
    tariffs = {
        t.unit_id: t
        for t in Tariff.objects.filter(unit__activity__in=activities, valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )
    }
    if not tariffs:
        return []
    qf = quotient_on(family, day)
    resident = family_is_resident(family)
    units = Unit.objects.filter(pk__in=list(tariffs)).select_related("activity")
    return [
        UnitPrice(
            unit, tariffs[unit.pk], unit_price(tariffs[unit.pk].rule(), qf=qf, resident=resident)
        )
        for unit in units.order_by("activity__name", "position", "name")
    ]


def overdue_amount(family: Family, today: date | None = None) -> Decimal:
    """What the family owes on invoices past their due date."""
    today = today or timezone.localdate()
    owed = Invoice.objects.filter(
        family=family, state=Invoice.State.ISSUED, due_date__lt=today, settled__lt=F("total")
    ).aggregate(s=Sum(F("total") - F("settled")))["s"]
    return owed or ZERO


def overdue_hold(family: Family) -> str | None:
    """Bookings are held back while the overdue amount exceeds the organisation's threshold
    (SPEC §6; off when no threshold is set)."""
    threshold = family.organisation.unpaid_block_threshold
    if threshold is None:
        return None
    owed = overdue_amount(family)
    if owed <= threshold:
        return None
    return _(
        "Bookings are held back: %(owed)s € of your invoices are past their due date. Once "
        "they are paid, you can book again."
    ) % {"owed": number_format(owed, 2)}
