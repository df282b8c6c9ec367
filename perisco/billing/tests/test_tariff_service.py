"""Tariffs as managers save them: validity periods that never overlap, amounts that make sense."""

from datetime import date
from decimal import Decimal

import pytest

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.tests.factories import UnitFactory
from perisco.billing.models import Tariff
from perisco.billing.services import tariff_for, tariff_save
from perisco.billing.tariffs import Basis
from perisco.core.errors import DomainError
from perisco.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(organisation):
    return UserFactory(organisation=organisation, role=Role.MANAGER)


@pytest.fixture
def unit(organisation):
    return UnitFactory(activity__organisation=organisation)


def tariff(unit, start, end=None, **fields):
    return Tariff(
        organisation=unit.organisation,
        unit=unit,
        valid_from=start,
        valid_until=end,
        **{"basis": Basis.FLAT, "price": Decimal("3.10"), **fields},
    )


def test_a_tariff_is_found_for_the_days_it_is_valid(manager, unit):
    tariff_save(actor=manager, tariff=tariff(unit, date(2026, 9, 1), date(2026, 12, 31)))
    tariff_save(
        actor=manager,
        tariff=tariff(
            unit,
            date(2027, 1, 1),
            basis=Basis.BRACKETS,
            brackets=[{"qf_max": 700, "price": "1.90"}, {"qf_max": None, "price": "4.50"}],
        ),
    )

    assert tariff_for(unit.pk, date(2026, 12, 31)).price == Decimal("3.10")
    assert tariff_for(unit.pk, date(2027, 1, 1)).rule().brackets[0].price == Decimal("1.90")
    assert tariff_for(unit.pk, date(2026, 8, 31)) is None
    assert AuditEntry.objects.filter(action="billing.tariff_created").count() == 2


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 12, 1), date(2027, 1, 31)),  # across the end of the first
        (date(2026, 8, 1), date(2026, 9, 1)),  # its first day
        (date(2026, 10, 1), None),  # open-ended, from inside
    ],
)
def test_overlapping_periods_are_refused(manager, unit, start, end):
    tariff_save(actor=manager, tariff=tariff(unit, date(2026, 9, 1), date(2026, 12, 31)))

    with pytest.raises(DomainError, match="chevauche le tarif valable à partir du 01/09/2026"):
        tariff_save(actor=manager, tariff=tariff(unit, start, end))
    assert Tariff.objects.count() == 1


def test_a_tariff_can_be_changed_without_overlapping_itself(manager, unit):
    saved = tariff_save(actor=manager, tariff=tariff(unit, date(2026, 9, 1)))
    saved.price = Decimal("3.20")
    tariff_save(actor=manager, tariff=saved)
    assert Tariff.objects.get().price == Decimal("3.20")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"price": Decimal("-1")}, "ne peut pas être négatif"),
        ({"basis": Basis.BRACKETS, "brackets": [{"qf_max": 400, "price": "1"}]}, "sans limite"),
        ({"basis": Basis.EFFORT_RATE, "rate": Decimal("0.003")}, "plafond"),
        ({"sibling_reductions": ["150"]}, "100 %"),
    ],
)
def test_a_tariff_that_makes_no_sense_is_refused_in_words(manager, unit, fields, message):
    with pytest.raises(DomainError, match=message):
        tariff_save(actor=manager, tariff=tariff(unit, date(2026, 9, 1), **fields))
    assert not Tariff.objects.exists()


def test_only_staff_who_manage_activities_change_tariffs(organisation, unit):
    finance = UserFactory(organisation=organisation, role=Role.FINANCE)
    with pytest.raises(DomainError):
        tariff_save(actor=finance, tariff=tariff(unit, date(2026, 9, 1)))
