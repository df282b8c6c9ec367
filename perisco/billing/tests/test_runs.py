"""Billing runs: what is billed, drafts, review, issue with gapless numbers, the previous
balance, a day never billed twice, adjustments of days changed after their invoice."""

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from hypothesis import given
from hypothesis import strategies as st

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.rules import PARIS
from perisco.billing import runs
from perisco.billing.billable import BILLED, Billed
from perisco.billing.models import (
    BilledDay,
    BillingRun,
    Invoice,
    InvoiceLine,
    ReversedDay,
    Tariff,
)
from perisco.billing.payments import family_balance, payment_record
from perisco.billing.runs import (
    invoice_exclude,
    invoice_redraft,
    run_create,
    run_discard,
    run_issue,
    run_issue_ask,
)
from perisco.bookings.models import AttendanceMark, AttendanceSheet, Booking, BookingChange
from perisco.bookings.states import Outcome, State
from perisco.core.errors import DomainError
from perisco.families.models import FamilyQuotient

D = Decimal
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)
NOV = date(2026, 11, 1)
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def meals(canteen, finance):
    return Tariff.objects.create(
        organisation=canteen.organisation,
        unit=canteen,
        valid_from=date(2026, 9, 1),
        basis=Tariff.Basis.BRACKETS,
        brackets=[{"qf_max": 700, "price": "1.90"}, {"qf_max": None, "price": "4.50"}],
        sibling_reductions=["10"],
    )


def book(child, family, unit, day, state=State.CONFIRMED, outcome=Outcome.NONE):
    return Booking.objects.create(
        organisation=family.organisation,
        child=child,
        family=family,
        activity=unit.activity,
        unit=unit,
        day=day,
        state=state,
        outcome=outcome,
        refusal_reason="Complet" if state == State.REFUSED else "",
    )


def november(n):
    """The n first canteen days of November 2026 (Mon, Tue, Thu, Fri; 11th is a holiday)."""
    days, day = [], date(2026, 11, 2)
    while len(days) < n:
        if day.weekday() in (0, 1, 3, 4) and day != date(2026, 11, 11):
            days.append(day)
        day += timedelta(days=1)
    return days


def drafted(finance, canteen, month=NOV, django_capture_on_commit_callbacks=None):
    with django_capture_on_commit_callbacks(execute=True):
        run = run_create(actor=finance, month=month, activities=[canteen.activity])
    run.refresh_from_db()
    return run


def issued(finance, run, capture):
    with capture(execute=True):
        run_issue_ask(actor=finance, run=run)
    run.refresh_from_db()
    return run


@pytest.fixture
def draft(finance, canteen, django_capture_on_commit_callbacks):
    return lambda month=NOV: drafted(finance, canteen, month, django_capture_on_commit_callbacks)


@pytest.fixture
def issue(finance, django_capture_on_commit_callbacks):
    return lambda run: issued(finance, run, django_capture_on_commit_callbacks)


def test_each_row_of_the_billed_table_is_billed_or_not(family, child, canteen, meals, draft):
    days = november(len(BILLED))
    expected = []
    for day, ((state, outcome), verdict) in zip(days, BILLED.items(), strict=True):
        book(child, family, canteen, day, state, outcome)
        if verdict != Billed.NO:
            expected.append(day.isoformat())
    run = draft()
    assert run.state == BillingRun.State.DRAFT
    invoice = Invoice.objects.get(run=run, family=family)
    assert sorted(d for line in invoice.lines.all() for d in line.days) == sorted(expected)
    # No quotient: the highest bracket, 4.50 €.
    assert invoice.total == D("4.50") * len(expected)


def test_present_without_booking_carries_the_surcharge(family, child, canteen, meals, draft):
    Tariff.objects.filter(pk=meals.pk).update(unbooked_surcharge=D("2.00"))
    book(child, family, canteen, november(1)[0], State.CONFIRMED, Outcome.PRESENT_UNBOOKED)
    (line,) = Invoice.objects.get(run=draft()).lines.all()
    assert (line.surcharge, line.amount) == (D("2.00"), D("6.50"))


def test_a_late_cancellation_granted_by_the_service_is_billed_at_the_tariffs_share(
    family, child, canteen, meals, draft
):
    Tariff.objects.filter(pk=meals.pk).update(late_cancellation_share=D("50"))
    late, strike = november(2)
    for day in (late, strike):
        booking = book(child, family, canteen, day, State.CANCELLED)
    BookingChange.objects.create(
        organisation=family.organisation,
        booking=Booking.objects.get(day=late),
        before_state=State.CANCEL_REQUESTED,
        after_state=State.CANCELLED,
    )
    assert booking.day == strike  # cancelled straight away (a strike): never billed
    (line,) = Invoice.objects.get(run=draft()).lines.all()
    assert (line.days, line.share, line.amount) == ([late.isoformat()], D("50"), D("2.25"))


def test_the_quotient_of_each_day_applies_when_it_changes_mid_month(
    family, child, canteen, meals, draft
):
    days = november(6)
    for day in days:
        book(child, family, canteen, day)
    FamilyQuotient.objects.create(
        organisation=family.organisation,
        family=family,
        value=650,
        valid_from=days[3],
    )
    lines = list(Invoice.objects.get(run=draft()).lines.order_by("position"))
    assert [(line.label, line.quantity, line.missing_qf) for line in lines] == [
        ("QF > 700", 3, True),
        ("QF ≤ 700", 3, False),
    ]
    assert sum(line.amount for line in lines) == D("4.50") * 3 + D("1.90") * 3


def test_childcare_is_billed_per_started_half_hour_from_the_attendance_times(
    family, child, canteen, draft, finance
):
    from perisco.activities.tests.factories import UnitFactory

    care = UnitFactory(activity=canteen.activity, name="Garderie du soir", capacity=10)
    Tariff.objects.create(
        organisation=care.organisation,
        unit=care,
        valid_from=date(2026, 9, 1),
        per=Tariff.Per.HALF_HOUR,
        price=D("0.80"),
    )
    day = november(1)[0]
    book(child, family, care, day, State.CONFIRMED, Outcome.PRESENT)
    sheet = AttendanceSheet.objects.create(organisation=care.organisation, unit=care, day=day)
    AttendanceMark.objects.create(
        organisation=care.organisation,
        client_id=uuid.uuid4(),
        sheet=sheet,
        child=child,
        status=AttendanceMark.Status.PRESENT,
        arrival=time(16, 30),
        departure=time(17, 31),
        made_at=NOW,
    )
    (line,) = Invoice.objects.get(run=draft()).lines.all()
    assert (line.per, line.quantity, line.amount) == ("half_hour", 3, D("2.40"))


def test_siblings_are_ranked_in_each_household_of_a_child_in_two(
    family, other_family, child, canteen, meals, make_child, draft
):
    # Louise (the fixture's child) lives in both households; her younger brother only in the
    # first. Each household is billed for its own days; the second child gets 10 % off.
    from perisco.families.models import Child, FamilyChild

    Child.objects.filter(pk=child.pk).update(birth_date=date(2016, 1, 1))
    FamilyChild.objects.create(organisation=family.organisation, family=other_family, child=child)
    brother = make_child(family, canteen, birth_date=date(2019, 1, 1))
    first, second = november(2)
    book(child, family, canteen, first)
    book(brother, family, canteen, first)
    book(child, other_family, canteen, second)
    run = draft()
    mine = Invoice.objects.get(run=run, family=family)
    theirs = Invoice.objects.get(run=run, family=other_family)
    assert sorted((line.child_id, line.reduction) for line in mine.lines.all()) == [
        (child.pk, D("0")),
        (brother.pk, D("10")),
    ]
    assert [(line.child_id, line.days) for line in theirs.lines.all()] == [
        (child.pk, [second.isoformat()])
    ]
    assert (mine.total, theirs.total) == (D("4.50") + D("4.05"), D("4.50"))


def test_issue_numbers_without_gaps_in_name_order_with_dates_and_previous_balance(
    family, other_family, child, canteen, meals, make_child, draft, issue, finance
):
    from perisco.families.models import Family

    Family.objects.filter(pk=family.pk).update(name="Zola")
    Family.objects.filter(pk=other_family.pk).update(name="Aubert")
    other_child = make_child(other_family, canteen)
    october, day = date(2026, 10, 5), november(1)[0]
    book(child, family, canteen, october)
    book(child, family, canteen, day)
    book(other_child, other_family, canteen, day)
    first = issue(draft(date(2026, 10, 1)))
    assert first.state == BillingRun.State.ISSUED
    (october_invoice,) = Invoice.objects.filter(run=first)
    assert october_invoice.number == "2026-000001"
    payment_record(
        actor=finance,
        family=family,
        method="cheque",
        amount=D("1.00"),
        received_on=date(2026, 12, 1),
    )
    second = issue(draft())
    aubert, zola = Invoice.objects.filter(run=second).order_by("sequence")
    assert (aubert.family_id, aubert.number) == (other_family.pk, "2026-000002")
    assert (zola.family_id, zola.number) == (family.pk, "2026-000003")
    assert (zola.issue_date, zola.due_date) == (date(2026, 12, 2), date(2026, 12, 17))
    assert zola.previous_balance == D("3.50")  # October's 4.50 less the 1.00 paid
    assert zola.amount_due == D("8.00")
    assert family_balance(family) == D("8.00")


def test_running_a_month_again_never_bills_a_day_twice(family, child, canteen, meals, draft, issue):
    days = november(3)
    for day in days[:2]:
        book(child, family, canteen, day)
    issue(draft())
    book(child, family, canteen, days[2])  # added after the run (a child present unbooked)
    again = draft()
    (invoice,) = Invoice.objects.filter(run=again)
    assert [line.days for line in invoice.lines.all()] == [[days[2].isoformat()]]
    assert BilledDay.objects.count() == 3


def test_the_database_refuses_a_second_bill_for_a_day_and_deleting_a_billed_booking(
    family, child, canteen, meals, draft
):
    booking = book(child, family, canteen, november(1)[0])
    draft()
    billed = BilledDay.objects.get(booking=booking)
    with pytest.raises(IntegrityError), transaction.atomic():
        BilledDay.objects.create(
            organisation=family.organisation, booking=booking, line_id=billed.line_id
        )
    with pytest.raises(ProtectedError):
        Booking.objects.filter(pk=booking.pk).delete()


def test_a_day_excused_after_its_invoice_is_taken_back_on_the_next_run(
    family, child, canteen, meals, draft, issue
):
    days = november(2)
    bookings = [book(child, family, canteen, day) for day in days]
    issue(draft())
    Booking.objects.filter(pk=bookings[0].pk).update(
        outcome=Outcome.ABSENT_EXCUSED, updated_at=NOW + timedelta(minutes=1)
    )
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        run = draft()
    (line,) = Invoice.objects.get(run=run).lines.all()
    assert (line.kind, line.quantity, line.amount) == ("adjustment", -1, D("-4.50"))
    assert Invoice.objects.get(run=run).total == D("-4.50")
    taken_back = ReversedDay.objects.get()
    assert (taken_back.booking_id, taken_back.reversed_by_id) == (bookings[0].pk, line.pk)
    assert list(BilledDay.objects.values_list("booking_id", flat=True)) == [bookings[1].pk]
    # Discarding the run gives the day back to its first invoice.
    first_line = taken_back.line_id
    run_discard(actor=UserFactory(organisation=family.organisation, role=Role.FINANCE), run=run)
    assert not ReversedDay.objects.exists()
    assert sorted(BilledDay.objects.values_list("booking_id", "line_id")) == [
        (bookings[0].pk, first_line),
        (bookings[1].pk, first_line),
    ]


def test_leaving_out_a_family_gives_back_the_days_its_adjustment_took_back(
    family, child, canteen, meals, draft, issue, finance
):
    days = november(2)
    bookings = [book(child, family, canteen, day) for day in days]
    issue(draft())
    Booking.objects.filter(pk=bookings[1].pk).update(
        outcome=Outcome.ABSENT_EXCUSED, updated_at=NOW + timedelta(minutes=1)
    )
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        run = draft()
    first_line = ReversedDay.objects.get().line_id
    invoice_exclude(actor=finance, invoice=Invoice.objects.get(run=run))
    assert not ReversedDay.objects.exists()
    assert sorted(BilledDay.objects.values_list("booking_id", "line_id")) == [
        (bookings[0].pk, first_line),
        (bookings[1].pk, first_line),
    ]
    invoice_redraft(actor=finance, run=run, family=family)
    (line,) = Invoice.objects.get(run=run).lines.all()
    assert (line.kind, line.days) == ("adjustment", [days[1].isoformat()])


def test_a_family_left_out_is_drafted_again_once_its_file_is_fixed(
    family, other_family, child, canteen, meals, make_child, draft, finance
):
    other_child = make_child(other_family, canteen)
    day = november(1)[0]
    book(child, family, canteen, day)
    book(other_child, other_family, canteen, day)
    run = draft()
    invoice = Invoice.objects.get(run=run, family=family)
    invoice_exclude(actor=finance, invoice=invoice)
    assert not Invoice.objects.filter(run=run, family=family).exists()
    assert not BilledDay.objects.filter(booking__family=family).exists()
    FamilyQuotient.objects.create(
        organisation=family.organisation, family=family, value=500, valid_from=date(2026, 9, 1)
    )
    invoice_redraft(actor=finance, run=run, family=family)
    assert Invoice.objects.get(run=run, family=family).total == D("1.90")


def test_a_run_is_refused_for_a_month_not_begun_or_while_another_is_open(
    family, child, canteen, meals, draft, finance
):
    with pytest.raises(DomainError):
        run_create(actor=finance, month=date(2027, 1, 1), activities=[canteen.activity])
    with pytest.raises(DomainError):
        run_create(actor=finance, month=NOV, activities=[])
    draft()
    with pytest.raises(DomainError, match="déjà en cours"):
        run_create(actor=finance, month=NOV, activities=[canteen.activity])


def test_issuing_twice_is_refused_and_numbers_nothing_twice(
    family, child, canteen, meals, draft, issue, finance
):
    book(child, family, canteen, november(1)[0])
    run = issue(draft())
    with pytest.raises(DomainError):
        run_issue_ask(actor=finance, run=run)
    assert run_issue(run.pk) == 0
    assert Invoice.objects.get().sequence == 1


def test_an_issued_invoice_never_changes(family, child, canteen, meals, draft, issue):
    book(child, family, canteen, november(1)[0])
    invoice = Invoice.objects.get(run=issue(draft()))
    invoice.total = D("1.00")
    with pytest.raises(ValueError):
        invoice.save()
    with pytest.raises(ValueError):
        invoice.delete()
    line = invoice.lines.get()
    line.amount = D("0.10")
    with pytest.raises(ValueError):
        line.save()
    invoice.refresh_from_db()
    assert invoice.total == D("4.50")


def test_agents_cannot_bill(organisation, canteen):
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    with pytest.raises(DomainError):
        run_create(actor=agent, month=NOV, activities=[canteen.activity])
    assert not BillingRun.objects.exists() and not InvoiceLine.objects.exists()


@given(families=st.integers(0, 200), batch=st.integers(1, 40), drafters=st.integers(1, 3))
def test_batches_take_each_family_once_in_order_none_too_big(families, batch, drafters):
    ids = list(range(1, families + 1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runs, "BATCH", batch)
        patch.setattr(runs, "DRAFTERS", drafters)
        batches = runs._batches(ids)
    assert [i for b in batches for i in b] == ids
    assert all(0 < len(b) <= batch for b in batches)
    if len(batches) > 2:  # the first and last halves keep two drafters half a batch apart
        size = len(batches[1])
        assert len(batches[0]) == (size // 2 or size)
        assert all(len(b) == size for b in batches[1:-1])


def test_a_town_of_10000_families_is_drafted_in_five_batches_two_of_them_halves():
    batches = runs._batches(list(range(10_000)))
    assert [len(b) for b in batches] == [1250, 2500, 2500, 2500, 1250]
