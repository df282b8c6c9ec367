"""The staff home page: what awaits the service, today's attendance sheets, unpaid
invoices; each part for the roles that act on it, in a fixed number of queries."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.catalogue_cache import changed
from perisco.activities.rules import PARIS
from perisco.billing.tests.factories import issued_invoice
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.tests.conftest import MON_30, NOW, TUE_1
from perisco.conftest import sign_in

# Monday 30 November, 10:00: the canteen opens today.
TODAY = datetime(2026, 11, 30, 10, 0, tzinfo=PARIS)


@pytest.fixture
def canteen_day(parent, family, canteen, make_child):
    """Three children booked today (capacity 2: one waits) and tomorrow."""
    kids = [make_child(family, canteen) for _ in range(3)]
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(k.pk, canteen.pk, d) for k in kids for d in (MON_30, TUE_1)],
        now=NOW,
    )
    return kids


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def page(client, role, organisation):
    sign_in(client, UserFactory(organisation=organisation, role=role))
    return client.get("/demo/gestion/").text


def test_a_manager_sees_what_awaits_and_today_s_sheets(client, organisation, canteen_day):
    html = page(client, Role.MANAGER, organisation)
    assert "À traiter" in html
    assert 'href="/demo/gestion/reservations/occupation/">Jours en liste d&#x27;attente' in html
    # One child waits today, one tomorrow.
    assert "Jours en liste d'attente, à partir d'aujourd'hui</a> <strong class=\"badge\">2<" in (
        html.replace("&#x27;", "'")
    )
    assert "Pointage du jour, lundi 30 novembre" in html
    assert "2 enfants attendus, 0 pointé" in html
    assert 'href="/demo/gestion/pointage/' in html


def test_finance_sees_unpaid_invoices_and_messages_and_no_other_queue(
    client, organisation, family, canteen_day
):
    issued_invoice(family, total=Decimal("42.50"), due_date=date(2026, 11, 15))
    issued_invoice(family, total=Decimal("10.00"), due_date=date(2026, 12, 15))
    html = page(client, Role.FINANCE, organisation)
    assert "52,50 € dus par 1 famille, dont 42,50 € en retard." in html
    assert 'href="/demo/gestion/messages/"' in html
    assert "inscriptions de familles à examiner" not in html  # the requests queue
    assert "Pointage du jour" not in html


def test_a_manager_without_debts_reads_zero(client, organisation):
    html = page(client, Role.MANAGER, organisation)
    assert "0,00 € dus par 0 famille, dont 0,00 € en retard." in html
    assert "Aucune prestation n'ouvre aujourd'hui." in html.replace("&#x27;", "'")


def test_the_dashboard_costs_the_same_queries_with_more_children_and_units(
    client, organisation, parent, family, canteen, make_child
):
    from perisco.activities.tests.factories import UnitFactory

    sign_in(client, UserFactory(organisation=organisation, role=Role.ORG_ADMIN))

    def queries():
        changed(organisation.pk)
        with CaptureQueriesContext(connection) as done:
            assert client.get("/demo/gestion/").status_code == 200
        return len(done)

    before = queries()
    for n in range(4):
        unit = UnitFactory(activity=canteen.activity, name=f"Garderie {n}", capacity=None)
        kid = make_child(family, canteen)
        bookings_apply(
            actor=parent, family=family, changes=[Change(kid.pk, unit.pk, MON_30)], now=NOW
        )
    assert queries() == before


def test_an_agent_still_starts_with_the_children(client, organisation):
    sign_in(client, UserFactory(organisation=organisation, role=Role.AGENT))
    assert client.get("/demo/gestion/")["Location"] == "/demo/gestion/enfants/"
