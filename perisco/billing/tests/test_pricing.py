"""A household's month priced into lines: quotients changing mid-month, no quotient,
siblings, half-hours, presence without booking, days without a tariff."""

from datetime import date, time, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from perisco.billing.billable import Billed
from perisco.billing.pricing import BillableDay, Memo, Valid, family_lines, valid_on
from perisco.billing.tariffs import Basis, Bracket, Per, Tariff, unit_price

D = Decimal
CANTEEN, CARE = 1, 2
MEALS = Tariff(
    Basis.BRACKETS,
    brackets=(Bracket(700, D("1.90")), Bracket(None, D("4.50"))),
    sibling_reductions=(D("10"), D("20")),
    unbooked_surcharge=D("1.00"),
)
CHILDCARE = Tariff(Basis.FLAT, per=Per.HALF_HOUR, price=D("0.90"), late_cancellation_share=D("50"))
TARIFFS = {
    CANTEEN: [Valid(date(2026, 9, 1), None, MEALS)],
    CARE: [Valid(date(2026, 9, 1), None, CHILDCARE)],
}
BIRTHS = {10: date(2016, 5, 1), 11: date(2018, 3, 1), 12: date(2020, 1, 1)}
DEC = [date(2026, 12, d) for d in (1, 3, 4, 7, 8, 10, 11)]


def meals(child, days, billed=Billed.YES):
    return [BillableDay(child, CANTEEN, d, billed) for d in days]


def price(days, quotients=(), **kwargs):
    return family_lines(
        days,
        tariffs=TARIFFS,
        quotients=list(quotients),
        birth_dates=BIRTHS,
        unit_minutes={CARE: 60},
        **kwargs,
    )


def test_a_quotient_changing_mid_month_splits_the_line_at_its_date():
    lines, _ = price(
        meals(10, DEC),
        [Valid(date(2026, 1, 1), date(2026, 12, 6), 650), Valid(date(2026, 12, 7), None, 900)],
    )
    assert [(line.label, line.unit_price, line.quantity, line.amount) for line in lines] == [
        ("QF ≤ 700", D("1.90"), 3, D("5.70")),
        ("QF > 700", D("4.50"), 4, D("18.00")),
    ]


def test_without_a_valid_quotient_the_highest_price_applies_and_is_flagged():
    (line,), _ = price(meals(10, DEC[:2]), [Valid(date(2025, 1, 1), date(2025, 12, 31), 300)])
    assert (line.unit_price, line.missing_qf) == (D("4.50"), True)


def test_the_second_and_third_children_get_their_reductions_eldest_first():
    lines, _ = price(
        meals(12, DEC[:2]) + meals(10, DEC[:2]) + meals(11, DEC[:2]),
        [Valid(date(2026, 1, 1), None, 500)],
    )
    assert [(line.child_id, line.reduction, line.amount) for line in lines] == [
        (10, D("0"), D("3.80")),
        (11, D("10"), D("3.42")),
        (12, D("20"), D("3.04")),
    ]


def test_a_child_billed_alone_in_the_other_household_is_that_households_first():
    (line,), _ = price(meals(12, DEC[:1]), [Valid(date(2026, 1, 1), None, 500)])
    assert line.reduction == D("0")


def test_childcare_is_charged_per_started_half_hour_or_the_units_length_without_times():
    days = [
        BillableDay(10, CARE, DEC[0], Billed.YES, time(16, 30), time(17, 31)),  # 3
        BillableDay(10, CARE, DEC[1], Billed.YES),  # absent billed: 60 min, 2
    ]
    (line,), _ = price(days)
    assert (line.quantity, line.amount) == (5, D("4.50"))


def test_presence_without_booking_is_its_own_line_with_the_surcharge():
    days = meals(10, DEC[:2]) + meals(10, DEC[2:3], Billed.WITH_SURCHARGE)
    lines, _ = price(days, [Valid(date(2026, 1, 1), None, 500)])
    assert [(line.quantity, line.surcharge, line.amount) for line in lines] == [
        (2, D("0"), D("3.80")),
        (1, D("1.00"), D("2.90")),
    ]


def test_days_not_billed_are_ignored_and_days_without_a_tariff_returned_apart():
    early = BillableDay(10, CANTEEN, date(2026, 8, 31), Billed.YES)
    lines, unpriced = price([early, *meals(10, DEC[:1], Billed.NO)])
    assert (lines, unpriced) == ([], [early])


@given(
    st.lists(
        st.tuples(
            st.sampled_from([10, 11, 12]),
            st.sampled_from([CANTEEN, CARE]),
            st.integers(min_value=0, max_value=29),
            st.sampled_from(list(Billed)),
        ),
        max_size=60,
        unique_by=lambda t: (t[0], t[1], t[2]),
    ),
    st.integers(min_value=0, max_value=2000) | st.none(),
)
def test_every_billed_day_is_in_exactly_one_line_and_amounts_add_up(entries, qf):
    days = [
        BillableDay(child, unit, date(2026, 12, 1) + timedelta(days=n), billed)
        for child, unit, n, billed in entries
    ]
    quotients = [] if qf is None else [Valid(date(2026, 1, 1), None, qf)]
    lines, unpriced = price(days, quotients)
    listed = [(line.child_id, line.unit_id, d) for line in lines for d in line.days]
    # Meals cancelled late are not billed (share 0 %); childcare's are, at half price.
    billed = [
        (d.child_id, d.unit_id, d.day)
        for d in days
        if d.billed != Billed.NO
        and not (d.billed == Billed.LATE_CANCELLATION and d.unit_id == CANTEEN)
    ]
    assert sorted(listed) == sorted(billed) and not unpriced
    for line in lines:
        assert line.amount >= 0 and line.amount == line.amount.quantize(D("0.01"))
        assert line.quantity >= len(line.days)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([10, 11, 12]),
            st.integers(min_value=0, max_value=29),
            st.sampled_from(list(Billed)),
            st.integers(min_value=0, max_value=1500) | st.none(),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_households_priced_with_one_shared_memo_get_the_lines_they_get_alone(households):
    """A run shares one `Memo` across its households: what one household looked up must
    never change another's lines (its quotient, residency, siblings)."""
    memo = Memo()
    for child, n, billed, qf, resident in households:
        days = [
            BillableDay(child, unit, date(2026, 12, 1) + timedelta(days=n + k), billed)
            for k in range(3)
            for unit in (CANTEEN, CARE)
        ] + meals(10, DEC[:2])
        quotients = [] if qf is None else [Valid(date(2026, 1, 1), None, qf)]
        shared = price(days, quotients, resident=resident, memo=memo)
        assert shared == price(days, quotients, resident=resident)


def test_a_late_cancellation_is_billed_at_the_tariffs_share_or_not_at_all():
    late = [
        BillableDay(10, CARE, DEC[0], Billed.LATE_CANCELLATION),
        BillableDay(10, CANTEEN, DEC[0], Billed.LATE_CANCELLATION),
    ]
    lines, _ = price(late)
    (line,) = lines
    # Two half-hours at 0.90, half of it billed.
    assert (line.unit_id, line.quantity, line.share, line.amount) == (CARE, 2, D("50"), D("0.90"))


FLAT = [Tariff(Basis.FLAT, price=D(p)) for p in ("1.00", "2.00", "3.00")]


@st.composite
def periods(draw, values, max_size=3):
    """Up to `max_size` periods in December 2026, possibly overlapping or open-ended."""
    out = []
    for _ in range(draw(st.integers(min_value=0, max_value=max_size))):
        start = date(2026, 11, 25) + timedelta(days=draw(st.integers(0, 40)))
        length = draw(st.integers(0, 20) | st.none())
        end = None if length is None else start + timedelta(days=length)
        out.append(Valid(start, end, draw(values)))
    return out


@given(
    st.sets(st.integers(min_value=0, max_value=30), max_size=31),
    periods(st.sampled_from(FLAT)),
    periods(st.integers(min_value=0, max_value=1500)),
)
def test_each_day_is_priced_with_the_tariff_and_quotient_valid_that_day(offsets, tariffs, qfs):
    """Days are priced a stretch at a time: each must get what a lookup of that very day
    gives, whatever the periods' overlaps and gaps."""
    days = [date(2026, 12, 1) + timedelta(days=n) for n in sorted(offsets)]
    meals_tariff = [
        Valid(t.start, t.end, MEALS if t.value is FLAT[0] else t.value) for t in tariffs
    ]
    lines, unpriced = family_lines(
        meals(10, days), tariffs={CANTEEN: meals_tariff}, quotients=qfs, birth_dates=BIRTHS
    )
    priced = {d: line for line in lines for d in line.days}
    for day in days:
        tariff = valid_on(meals_tariff, day)
        if tariff is None:
            assert day not in priced and day in [u.day for u in unpriced]
            continue
        expected = unit_price(tariff, qf=valid_on(qfs, day))
        line = priced[day]
        assert (line.unit_price, line.label, line.missing_qf) == (
            expected.amount,
            expected.label,
            expected.missing_qf,
        )
    assert sum(line.quantity for line in lines) + len(unpriced) == len(days)
