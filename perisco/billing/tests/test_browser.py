"""Billing pages in Chromium at phone and desktop widths, with axe-core."""

from datetime import date

import pytest

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.billing.models import BillingRun, Tariff
from perisco.billing.runs import run_draft
from perisco.billing.tests.test_runs import book, november
from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting(transactional_db):
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    manager = UserFactory(organisation=org, role=Role.MANAGER)
    family = Guardian.objects.get(user=guardian_user(org)).family
    child = ChildFactory(organisation=org, first_name="Louise", families=[family])
    canteen = UnitFactory(
        activity=PeriodFactory(
            activity__organisation=org, activity__name="Restauration scolaire"
        ).activity,
        name="Repas",
    )
    Tariff.objects.create(organisation=org, unit=canteen, valid_from=date(2026, 9, 1), price=3)
    for day in november(3):
        book(child, family, canteen, day)
    run = BillingRun.objects.create(organisation=org, month=date(2026, 11, 1), created_by=manager)
    run.activities.set([canteen.activity])
    run_draft(run.pk)
    return manager, run


@pytest.mark.parametrize("width", WIDTHS)
def test_the_billing_run_pages_are_accessible(page, live_server, setting, width):
    manager, run = setting
    sign_in_browser(page, live_server, manager)
    for name, path in [
        ("runs", "/demo/gestion/facturation/"),
        ("run", f"/demo/gestion/facturation/{run.pk}/"),
    ]:
        check_page(page, live_server.url + path, name=name, width=width)
