"""Finance's invoice pages: the list (search, filters, pages), an invoice (lines, what
settled it, credit notes given from the page), credit notes, reminders, aged debt."""

from datetime import date, datetime
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.rules import PARIS
from perisco.billing.models import (
    BillingRun,
    CreditNote,
    Invoice,
    InvoiceLine,
    Payment,
    UnpaidReminder,
)
from perisco.billing.payments import credit_note_create, payment_record
from perisco.billing.selectors import aged_debt
from perisco.billing.tests.factories import issued_invoice
from perisco.conftest import sign_in
from perisco.core.urls import org_reverse
from perisco.families.models import Guardian
from perisco.families.tests.factories import FamilyFactory, guardian_user

pytestmark = pytest.mark.django_db
D = Decimal
# Wednesday 2 December 2026. September's invoices were due on 17 October, October's on
# 17 November, November's are due on 17 December.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)
SEPTEMBER, OCTOBER, NOVEMBER = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff(client, finance):
    return sign_in(client, finance)


@pytest.fixture
def en(staff):
    staff.cookies["perisco_language"] = "en"
    return staff


@pytest.fixture
def dupont(organisation):
    return FamilyFactory(organisation=organisation, name="DUPONT", number="900101")


@pytest.fixture
def martin(organisation):
    return FamilyFactory(organisation=organisation, name="MARTIN", number="900202")


def page(client, name="backoffice:invoices", query="", **kwargs):
    response = client.get(org_reverse(client.organisation, name, **kwargs) + query)
    assert response.status_code == 200
    return unescape(response.content.decode())


@pytest.fixture(autouse=True)
def _client_organisation(client, organisation):
    client.organisation = organisation


def numbers(html, invoices):
    return [invoice.number for invoice in invoices if invoice.number in html]


def test_the_list_shows_each_invoice_with_its_figures_and_family_link(
    staff, organisation, dupont, finance
):
    invoice = issued_invoice(dupont, "30.00", month=SEPTEMBER)
    payment_record(
        actor=finance,
        family=dupont,
        method=Payment.Method.CASH,
        amount=D("12.50"),
        received_on=date(2026, 11, 2),
    )
    html = page(staff)
    assert invoice.number in html
    assert org_reverse(organisation, "backoffice:invoice", pk=invoice.pk) in html
    assert org_reverse(organisation, "backoffice:family", pk=dupont.pk) in html
    assert "DUPONT" in html and "sept. 2026" in html
    assert "02/10/2026" in html and "17/10/2026" in html  # issued, due
    assert "30,00 €" in html and "12,50 €" in html and "17,50 €" in html


def test_filters_unpaid_overdue_and_month(staff, dupont, martin, finance):
    september = issued_invoice(dupont, "30.00", month=SEPTEMBER)  # overdue
    paid = issued_invoice(martin, "20.00", month=SEPTEMBER)
    payment_record(
        actor=finance,
        family=martin,
        method=Payment.Method.CHEQUE,
        amount=D("20.00"),
        received_on=date(2026, 11, 2),
    )
    november = issued_invoice(dupont, "25.00", month=NOVEMBER)  # not due yet
    everything = [september, paid, november]

    assert numbers(page(staff), everything) == [s.number for s in everything]
    assert numbers(page(staff, query="?filtre=unpaid"), everything) == [
        september.number,
        november.number,
    ]
    assert numbers(page(staff, query="?filtre=overdue"), everything) == [september.number]
    assert numbers(page(staff, query="?mois=2026-09"), everything) == [
        september.number,
        paid.number,
    ]
    assert numbers(page(staff, query="?filtre=unpaid&mois=2026-11"), everything) == [
        november.number
    ]
    html = page(staff, query=f"?famille={martin.pk}")
    assert numbers(html, everything) == [paid.number]


def test_search_by_invoice_number_family_name_or_number(staff, dupont, martin):
    first = issued_invoice(dupont, "30.00", month=SEPTEMBER)
    second = issued_invoice(martin, "20.00", month=SEPTEMBER)
    both = [first, second]
    assert numbers(page(staff, query=f"?q={second.number}"), both) == [second.number]
    assert numbers(page(staff, query="?q=dupont"), both) == [first.number]
    assert numbers(page(staff, query="?q=900202"), both) == [second.number]
    assert numbers(page(staff, query="?q=nobody"), both) == []


def test_the_list_answers_an_htmx_search_with_the_results_only(staff, dupont):
    invoice = issued_invoice(dupont, "30.00", month=SEPTEMBER)
    url = org_reverse(staff.organisation, "backoffice:invoices") + "?q=dupont"
    html = staff.get(url, headers={"HX-Request": "true"}).content.decode()
    assert invoice.number in html and "<h1>" not in html


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_a_page_of_invoices_costs_the_same_queries_whatever_its_rows(staff, organisation, finance):
    url = org_reverse(organisation, "backoffice:invoices") + "?filtre=unpaid"
    families = [FamilyFactory(organisation=organisation) for _ in range(3)]
    for family in families:
        issued_invoice(family, "30.00", month=SEPTEMBER)
    few = _queries(staff, url)
    for family in [FamilyFactory(organisation=organisation) for _ in range(30)]:
        issued_invoice(family, "30.00", month=OCTOBER)
        payment_record(
            actor=finance,
            family=family,
            method=Payment.Method.CASH,
            amount=D("5.00"),
            received_on=date(2026, 11, 2),
        )
    assert _queries(staff, url) == few


def _draft(family, lines):
    run = BillingRun.objects.create(
        organisation=family.organisation, month=NOVEMBER, state=BillingRun.State.DRAFT
    )
    invoice = Invoice.objects.create(
        organisation=family.organisation,
        run=run,
        family=family,
        month=NOVEMBER,
        total=sum((D(amount) for _c, _u, amount in lines), D(0)),
        family_number=family.number,
        recipient=f"Famille {family.name}\n1 rue de la Mairie",
        sender=family.organisation.name,
    )
    for position, (child, unit, amount) in enumerate(lines):
        InvoiceLine.objects.create(
            invoice=invoice,
            child_name=child,
            unit_name=unit,
            label="QF 401–700",
            unit_price=D("2.50"),
            quantity=int(D(amount) / D("2.50")),
            reduction=D("10") if child == "Hugo" else D("0"),
            amount=D(amount),
            days=["2026-11-02", "2026-11-03"],
            position=position,
        )
    return invoice


def test_an_invoice_shows_its_lines_by_child_totals_and_what_settled_it(
    en, organisation, dupont, finance
):
    invoice = issued_invoice(dupont, "30.00", month=SEPTEMBER, previous_balance="4.00")
    payment_record(
        actor=finance,
        family=dupont,
        method=Payment.Method.CHEQUE,
        amount=D("20.00"),
        received_on=date(2026, 11, 2),
        note="Chèque n° 1234567",
    )
    note = credit_note_create(
        actor=finance, invoice=invoice, amount=D("5.00"), reason="Sortie annulée"
    )
    html = page(en, "backoffice:invoice", pk=invoice.pk)
    assert f"Invoice {invoice.number}" in html
    assert "Restauration scolaire — Repas" in html and "Famille DUPONT" in html
    assert "Payment of 20.00 € (Cheque)" in html and "Chèque n° 1234567" in html
    assert f"Credit note {note.number}" in html and "Sortie annulée" in html
    assert "34.00 €" in html  # due when issued: the previous balance and the total
    assert "Give a credit note" in html and "at most 25.00 € more" in html


def test_a_draft_is_shown_as_such_with_its_lines_grouped_by_child_and_no_credit(
    en, organisation, dupont
):
    draft = _draft(
        dupont,
        [
            ("Léa", "Cantine — Repas", "5.00"),
            ("Hugo", "Cantine — Repas", "7.50"),
            ("Léa", "Garderie — Soir", "2.50"),
        ],
    )
    html = page(en, "backoffice:invoice", pk=draft.pk)
    assert "Draft invoice" in html and "cannot be credited" in html
    assert "Give a credit note" not in html
    # Léa's two lines under her name, then Hugo's.
    lea, hugo = html.index(">Léa</h3>"), html.index(">Hugo</h3>")
    assert lea < html.index("Garderie — Soir") < hugo
    assert "10 %" in html and "02/11, 03/11" in html

    response = en.post(
        org_reverse(organisation, "backoffice:invoice", pk=draft.pk),
        {"amount": "5", "reason": "Erreur"},
        follow=True,
    )
    assert "Only an issued invoice can be credited." in unescape(response.content.decode())
    assert not CreditNote.objects.exists()


def test_finance_gives_a_credit_note_from_the_invoice_page_with_a_comma_amount(
    staff, organisation, dupont
):
    invoice = issued_invoice(dupont, "30.00", month=SEPTEMBER)
    url = org_reverse(organisation, "backoffice:invoice", pk=invoice.pk)
    response = staff.post(url, {"amount": "10,50", "reason": "Repas non servi (grève)"})
    assert response.status_code == 302 and response.url == url
    note = CreditNote.objects.get()
    assert (note.invoice, note.amount, note.reason) == (
        invoice,
        D("10.50"),
        "Repas non servi (grève)",
    )
    invoice.refresh_from_db()
    assert invoice.settled == D("10.50")
    html = page(staff, "backoffice:invoice", pk=invoice.pk)
    assert note.number in html and "19,50 €" in html


def test_a_credit_note_larger_than_what_is_left_is_refused_with_the_reason(
    en, organisation, dupont, finance
):
    invoice = issued_invoice(dupont, "30.00", month=SEPTEMBER)
    credit_note_create(actor=finance, invoice=invoice, amount=D("20.00"), reason="Erreur")
    url = org_reverse(organisation, "backoffice:invoice", pk=invoice.pk)
    response = en.post(url, {"amount": "10.01", "reason": "Encore"})
    assert response.status_code == 200
    assert "At most 10.00 € of this invoice is left to credit." in response.content.decode()
    assert CreditNote.objects.count() == 1


def test_credit_notes_are_listed_with_their_invoice_and_family(
    staff, organisation, dupont, finance
):
    invoice = issued_invoice(dupont, "30.00", month=SEPTEMBER)
    note = credit_note_create(actor=finance, invoice=invoice, amount=D("7.00"), reason="Grève")
    html = page(staff, "backoffice:credit_notes")
    assert note.number in html and invoice.number in html and "7,00 €" in html
    assert "Grève" in html and org_reverse(organisation, "backoffice:family", pk=dupont.pk) in html


def test_another_organisations_invoice_is_a_404(client, organisation, other_organisation):
    theirs = issued_invoice(FamilyFactory(organisation=other_organisation), "30.00")
    sign_in(client, UserFactory(organisation=organisation, role=Role.MANAGER))
    assert (
        client.get(org_reverse(organisation, "backoffice:invoice", pk=theirs.pk)).status_code == 404
    )
    # Nor through the other organisation's site.
    url = org_reverse(other_organisation, "backoffice:invoice", pk=theirs.pk)
    assert client.get(url).status_code == 404
    assert client.post(url, {"amount": "1", "reason": "x"}).status_code == 404
    assert not CreditNote.objects.exists()


def test_a_family_of_another_organisation_is_a_404_as_a_filter(
    client, organisation, other_organisation
):
    sign_in(client, UserFactory(organisation=organisation, role=Role.FINANCE))
    theirs = FamilyFactory(organisation=other_organisation)
    url = org_reverse(organisation, "backoffice:invoices") + f"?famille={theirs.pk}"
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "name", ["invoices", "credit_notes", "aged_debt", "aged_debt_csv", "invoice"]
)
def test_agents_do_not_see_the_finance_pages(client, organisation, dupont, name):
    invoice = issued_invoice(dupont, "30.00")
    sign_in(client, UserFactory(organisation=organisation, role=Role.AGENT))
    kwargs = {"pk": invoice.pk} if name == "invoice" else {}
    assert client.get(org_reverse(organisation, f"backoffice:{name}", **kwargs)).status_code in (
        403,
        404,
    )


def test_reminders_from_the_overdue_list_say_how_many_families_were_emailed(
    en, organisation, django_capture_on_commit_callbacks
):
    emailed = Guardian.objects.get(user=guardian_user(organisation)).family
    silent = Guardian.objects.get(user=guardian_user(organisation)).family
    Guardian.objects.filter(family=silent).update(consent_email=False)
    issued_invoice(emailed, "30.00", month=SEPTEMBER)
    issued_invoice(silent, "30.00", month=SEPTEMBER)
    html = page(en, query="?filtre=overdue")
    action = org_reverse(organisation, "backoffice:unpaid_reminders")
    assert f'action="{action}"' in html and "Send reminders" in html
    assert f'action="{action}"' not in page(en)  # only with the overdue filter

    with django_capture_on_commit_callbacks(execute=True):
        response = en.post(action, follow=True)
    html = unescape(response.content.decode())
    assert "Reminders e-mailed to 1 family (1 e-mail)." in html
    assert list(UnpaidReminder.objects.values_list("family_id", flat=True)) == [emailed.pk]
    # Again the same day: nobody.
    html = unescape(en.post(action, follow=True).content.decode())
    assert "Reminders e-mailed to 0 families (0 e-mails)." in html


def test_the_aged_debt_sorts_what_is_owed_by_age_since_the_due_date(
    staff, organisation, dupont, martin, finance
):
    issued_invoice(dupont, "10.00", month=NOVEMBER)  # due 17 December: not yet due
    issued_invoice(dupont, "20.00", month=OCTOBER)  # due 17 November: 15 days late
    issued_invoice(martin, "40.00", month=SEPTEMBER)  # due 17 October: 46 days late
    issued_invoice(
        martin, "80.00", month=date(2026, 6, 1), due_date=date(2026, 7, 15)
    )  # 140 days late
    paid = issued_invoice(FamilyFactory(organisation=organisation), "5.00", month=SEPTEMBER)
    payment_record(
        actor=finance,
        family=paid.family,
        method=Payment.Method.CASH,
        amount=D("5.00"),
        received_on=date(2026, 11, 2),
    )

    with CaptureQueriesContext(connection) as queries:
        debt = aged_debt()
    assert len(queries) == 2
    assert debt.bands == [D("10.00"), D("20.00"), D("40.00"), D("0"), D("80.00")]
    assert (debt.total, debt.families_count) == (D("150.00"), 2)
    assert [(f.name, f.total) for f in debt.families] == [
        ("MARTIN", D("120.00")),
        ("DUPONT", D("30.00")),
    ]

    html = page(staff, "backoffice:aged_debt")
    assert "150,00 €" in html and "120,00 €" in html
    assert org_reverse(organisation, "backoffice:family", pk=martin.pk) in html
    csv = staff.get(org_reverse(organisation, "backoffice:aged_debt_csv")).content.decode()
    assert "MARTIN;900202;0,00;0,00;40,00;0,00;80,00;120,00" in csv


def test_the_family_page_shows_its_account_to_finance(staff, organisation, dupont, finance):
    issued_invoice(dupont, "30.00", month=SEPTEMBER)
    issued_invoice(dupont, "25.00", month=NOVEMBER)
    html = page(staff, "backoffice:family", pk=dupont.pk)
    assert "55,00 €" in html  # owed, on two unpaid invoices
    assert "30,00 €" in html  # overdue
    assert f"{org_reverse(organisation, 'backoffice:invoices')}?famille={dupont.pk}" in html
    assert f"{org_reverse(organisation, 'backoffice:payment_new')}?famille={dupont.pk}" in html
