"""A family sees what each service costs for each child (seed 002)."""

from datetime import date
from decimal import Decimal
from html import unescape

import pytest
import time_machine

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.billing.models import Tariff
from perisco.billing.services import tariff_save
from perisco.bookings.tests.conftest import enroll
from perisco.families.models import FamilyQuotient
from perisco.families.tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-11-23 10:00 +01:00", tick=False):
        yield


@pytest.fixture
def child(organisation, family):
    manager = UserFactory(organisation=organisation, role=Role.MANAGER)
    canteen = UnitFactory(activity=PeriodFactory(activity__organisation=organisation).activity)
    care = UnitFactory(
        activity=PeriodFactory(
            activity__organisation=organisation, activity__name="Garderie"
        ).activity,
        name="Matin",
    )
    tariff_save(
        actor=manager,
        tariff=Tariff(
            organisation=organisation,
            unit=canteen,
            valid_from=date(2026, 9, 1),
            basis=Tariff.Basis.BRACKETS,
            brackets=[{"qf_max": 700, "price": "1.90"}, {"qf_max": None, "price": "4.50"}],
        ),
    )
    tariff_save(
        actor=manager,
        tariff=Tariff(
            organisation=organisation,
            unit=care,
            valid_from=date(2026, 9, 1),
            per=Tariff.Per.HALF_HOUR,
            price=Decimal("0.90"),
        ),
    )
    kid = ChildFactory(organisation=organisation, families=[family], first_name="Léa")
    for unit in (canteen, care):
        enroll(kid, family, unit)
    return kid


def page(client, child):
    return unescape(client.get(f"/demo/famille/enfants/{child.pk}/").content.decode())


def test_each_service_shows_the_price_of_the_familys_bracket(client, family, child):
    FamilyQuotient.objects.create(
        organisation=family.organisation, family=family, value=650, valid_from=date(2026, 1, 1)
    )
    html = page(client, child)
    assert "1,90 €" in html and "Votre quotient familial (650 €) : QF ≤ 700" in html
    assert "0,90 € par demi-heure commencée" in html
    assert "Déclarez votre quotient familial" not in html


def test_without_a_valid_quotient_the_highest_price_says_why_and_how_to_change_it(
    client, family, child
):
    FamilyQuotient.objects.create(
        organisation=family.organisation,
        family=family,
        value=300,
        valid_from=date(2025, 1, 1),
        valid_until=date(2025, 12, 31),
    )
    html = page(client, child)
    assert "4,50 €" in html and "Prix le plus élevé : aucun quotient familial valide" in html
    assert "Déclarez votre quotient familial" in html
