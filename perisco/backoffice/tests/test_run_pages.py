"""Finance prepares, reviews and issues a month's invoices from the billing-run pages."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.rules import PARIS
from perisco.billing.models import BillingRun, Invoice, Tariff
from perisco.billing.tests.test_runs import book, november
from perisco.conftest import sign_in
from perisco.core.tests.factories import OrganisationFactory
from perisco.core.urls import org_reverse

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def finance(client, organisation):
    user = UserFactory(organisation=organisation, role=Role.FINANCE)
    sign_in(client, user)
    return user


@pytest.fixture
def billable(family, child, canteen):
    Tariff.objects.create(
        organisation=canteen.organisation, unit=canteen, valid_from=date(2026, 9, 1), price=3
    )
    for day in november(4):
        book(child, family, canteen, day)


def test_finance_prepares_reviews_and_issues_a_month(
    client, organisation, finance, family, canteen, billable, django_capture_on_commit_callbacks
):
    url = org_reverse(organisation, "backoffice:billing_runs")
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"month": "2026-11", "activities": [canteen.activity_id]})
    run = BillingRun.objects.get()
    assert response.url == org_reverse(organisation, "backoffice:billing_run", pk=run.pk)
    page = client.get(response.url).content.decode()
    assert run.state == "drafting" or BillingRun.objects.get().state == "draft"
    assert family.name in page and "12,00 €" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            org_reverse(organisation, "backoffice:billing_run_issue", pk=run.pk),
            {"issue_date": "2026-12-02"},
        )
    invoice = Invoice.objects.get()
    assert (invoice.state, invoice.number, invoice.total) == (
        "issued",
        "2026-000001",
        Decimal("12.00"),
    )
    assert "2026-000001" in client.get(response.url).content.decode()


def test_a_family_left_out_then_brought_back(
    client, organisation, finance, family, canteen, billable, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            org_reverse(organisation, "backoffice:billing_runs"),
            {"month": "2026-11", "activities": [canteen.activity_id]},
        )
    run = BillingRun.objects.get()
    url = org_reverse(organisation, "backoffice:billing_run_family", pk=run.pk, family_pk=family.pk)
    client.post(url, {"action": "exclude"})
    assert not Invoice.objects.exists()
    assert (
        family.name
        in client.get(
            org_reverse(organisation, "backoffice:billing_run", pk=run.pk)
        ).content.decode()
    )
    client.post(url, {"action": "redraft"})
    assert Invoice.objects.get().total == Decimal("12.00")


def test_a_run_in_progress_is_polled_and_its_bar_shown(client, organisation, finance, canteen):
    run = BillingRun.objects.create(
        organisation=organisation, month=date(2026, 11, 1), progress_total=10, progress_done=4
    )
    response = client.get(
        org_reverse(organisation, "backoffice:billing_run", pk=run.pk), HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert 'hx-trigger="every 2s"' in page and 'value="4"' in page and "<h1>" not in page


def test_another_organisations_run_is_not_found_and_agents_may_not_bill(
    client, organisation, canteen
):
    elsewhere = BillingRun.objects.create(
        organisation=OrganisationFactory(), month=date(2026, 11, 1)
    )
    sign_in(client, UserFactory(organisation=organisation, role=Role.FINANCE))
    assert (
        client.get(org_reverse(organisation, "backoffice:billing_run", pk=elsewhere.pk)).status_code
        == 404
    )
    client.logout()
    sign_in(client, UserFactory(organisation=organisation, role=Role.AGENT))
    assert client.get(org_reverse(organisation, "backoffice:billing_runs")).status_code == 403
