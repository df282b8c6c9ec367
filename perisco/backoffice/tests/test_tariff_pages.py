"""Managers edit a unit's tariffs."""

from decimal import Decimal
from html import unescape

import pytest

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.billing.models import Tariff
from perisco.conftest import sign_in
from perisco.core.urls import org_reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit(organisation):
    return UnitFactory(activity=PeriodFactory(activity__organisation=organisation).activity)


def brackets_form(**extra):
    return {
        "valid_from": "2026-09-01",
        "basis": "brackets",
        "per": "unit",
        "price": "0",
        "rate": "0",
        "floor": "0",
        "unbooked_surcharge": "1.00",
        "qf_max_0": "400",
        "bracket_price_0": "0.80",
        "qf_max_1": "",
        "bracket_price_1": "4.50",
        "sibling_2": "10",
        **extra,
    }


def test_a_manager_adds_a_tariff_by_brackets_and_sees_it_listed(client, organisation, unit):
    sign_in(client, UserFactory(organisation=organisation, role=Role.MANAGER))
    url = org_reverse(
        organisation, "backoffice:tariff_new", activity_pk=unit.activity_id, unit_pk=unit.pk
    )

    page = unescape(client.post(url, brackets_form(), follow=True).content.decode())

    tariff = Tariff.objects.get()
    assert tariff.brackets == [
        {"qf_max": 400, "price": "0.80"},
        {"qf_max": None, "price": "4.50"},
    ]
    assert tariff.sibling_reductions == ["10"]
    assert tariff.rule().unbooked_surcharge == Decimal("1.00")
    assert "Le tarif est enregistré." in page and "0,80 € / 4,50 €" in page


def test_an_overlapping_period_is_refused_on_the_form(client, organisation, unit):
    sign_in(client, UserFactory(organisation=organisation, role=Role.MANAGER))
    url = org_reverse(
        organisation, "backoffice:tariff_new", activity_pk=unit.activity_id, unit_pk=unit.pk
    )
    client.post(url, brackets_form())

    page = unescape(client.post(url, brackets_form(valid_from="2026-10-01")).content.decode())

    assert "chevauche le tarif valable à partir du 01/09/2026" in page
    assert Tariff.objects.count() == 1


def test_brackets_without_an_open_last_one_are_refused_in_words(client, organisation, unit):
    sign_in(client, UserFactory(organisation=organisation, role=Role.MANAGER))
    url = org_reverse(
        organisation, "backoffice:tariff_new", activity_pk=unit.activity_id, unit_pk=unit.pk
    )
    page = unescape(client.post(url, brackets_form(qf_max_1="900")).content.decode())
    assert "la dernière sans limite haute" in page
    assert not Tariff.objects.exists()


@pytest.mark.parametrize("role", [Role.FINANCE, Role.AGENT])
def test_only_managers_edit_tariffs(client, organisation, unit, role):
    sign_in(client, UserFactory(organisation=organisation, role=role))
    url = org_reverse(organisation, "backoffice:tariffs", activity_pk=unit.activity_id)
    assert client.get(url).status_code in (403, 404)


def test_another_organisations_unit_is_a_404(client, organisation, other_organisation, unit):
    sign_in(client, UserFactory(organisation=other_organisation, role=Role.MANAGER))
    url = org_reverse(
        other_organisation, "backoffice:tariff_new", activity_pk=unit.activity_id, unit_pk=unit.pk
    )
    assert client.get(url).status_code == 404
