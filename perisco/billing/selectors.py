"""Reads of the billing app."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from perisco.activities.models import Enrollment, EnrollmentStatus, Unit
from perisco.billing.models import Tariff
from perisco.billing.tariffs import Price, unit_price
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
