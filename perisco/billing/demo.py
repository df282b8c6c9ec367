"""Demo tariffs (issue 10): the canteens by quotient-familial bracket (0,80 € to 4,50 €),
childcare by the started half-hour, homework club flat, the leisure centre by effort rate
(QF × rate between a floor and a ceiling), from 1 September 2026."""

from datetime import date
from decimal import Decimal

from perisco.accounts.models import User
from perisco.activities.models import Unit
from perisco.billing.models import Tariff
from perisco.billing.services import tariff_save

START = date(2026, 9, 1)
CANTEEN = {
    "basis": Tariff.Basis.BRACKETS,
    "brackets": [
        {"qf_max": 400, "price": "0.80"},
        {"qf_max": 700, "price": "1.90"},
        {"qf_max": 1000, "price": "3.10"},
        {"qf_max": 1400, "price": "3.90"},
        {"qf_max": None, "price": "4.50"},
    ],
    "non_resident_price": Decimal("5.20"),
    "sibling_reductions": ["10", "20"],
    "unbooked_surcharge": Decimal("1.00"),
}
CHILDCARE = {"basis": Tariff.Basis.FLAT, "per": Tariff.Per.HALF_HOUR, "price": Decimal("0.90")}
STUDY = {"basis": Tariff.Basis.FLAT, "price": Decimal("2.50")}
CENTRE_DAY = {
    "basis": Tariff.Basis.EFFORT_RATE,
    "rate": Decimal("0.012"),
    "floor": Decimal("4.00"),
    "ceiling": Decimal("18.00"),
    "sibling_reductions": ["10"],
}
CENTRE_HALF_DAY = {
    **CENTRE_DAY,
    "rate": Decimal("0.006"),
    "floor": Decimal("2.00"),
    "ceiling": Decimal("9.00"),
}
CENTRE_MEAL = {"basis": Tariff.Basis.FLAT, "price": Decimal("3.50")}


def _fields(unit: Unit) -> dict:
    activity = unit.activity.name
    if activity.startswith("Restauration"):
        return CANTEEN
    if activity.startswith("Accueil soir + étude"):
        return STUDY
    if activity.startswith(("Garderie", "Accueil soir")):
        return CHILDCARE
    if unit.name == "Repas":
        return CENTRE_MEAL
    if unit.name == "Journée":
        return CENTRE_DAY
    return CENTRE_HALF_DAY


def demo_tariffs(organisation, manager: User) -> None:
    if Tariff.objects.exists():
        return
    for unit in Unit.objects.select_related("activity").order_by("pk"):
        tariff_save(
            actor=manager,
            tariff=Tariff(organisation=organisation, unit=unit, valid_from=START, **_fields(unit)),
        )
