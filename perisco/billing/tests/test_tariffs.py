"""The tariff engine: brackets at their boundaries, effort rates, reductions, half-hours."""

from datetime import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perisco.billing.billable import BILLED, Billed, billed
from perisco.billing.tariffs import (
    Basis,
    Bracket,
    Tariff,
    half_hours,
    line_amount,
    sibling_reduction,
    unit_price,
)
from perisco.bookings.states import Outcome, State
from perisco.core.money import quantize

D = Decimal
CANTEEN = Tariff(
    Basis.BRACKETS,
    brackets=(
        Bracket(400, D("0.80")),
        Bracket(700, D("1.90")),
        Bracket(1000, D("3.10")),
        Bracket(None, D("4.50")),
    ),
    non_resident_price=D("5.20"),
    sibling_reductions=(D("10"), D("20")),
    unbooked_surcharge=D("1.00"),
)


@pytest.mark.parametrize(
    ("qf", "price", "label"),
    [
        (0, "0.80", "QF ≤ 400"),
        (400, "0.80", "QF ≤ 400"),
        (401, "1.90", "QF 401–700"),
        (700, "1.90", "QF 401–700"),
        (1000, "3.10", "QF 701–1000"),
        (1001, "4.50", "QF > 1000"),
    ],
)
def test_a_quotient_on_a_bracket_limit_pays_that_brackets_price(qf, price, label):
    assert (unit_price(CANTEEN, qf=qf).amount, unit_price(CANTEEN, qf=qf).label) == (
        D(price),
        label,
    )


def test_without_a_valid_quotient_the_highest_bracket_applies_and_says_so():
    price = unit_price(CANTEEN, qf=None)
    assert (price.amount, price.missing_qf) == (D("4.50"), True)


def test_non_residents_pay_their_own_price_whatever_their_quotient():
    assert unit_price(CANTEEN, qf=300, resident=False).amount == D("5.20")


def test_an_effort_rate_stays_between_its_floor_and_its_ceiling():
    centre = Tariff(Basis.EFFORT_RATE, rate=D("0.0035"), floor=D("1.50"), ceiling=D("9.00"))
    assert (unit_price(centre, qf=200).amount, unit_price(centre, qf=200).label) == (
        D("1.50"),
        "floor",
    )
    assert unit_price(centre, qf=1000).amount == D("3.50")
    assert unit_price(centre, qf=5000).amount == D("9.00")
    assert unit_price(centre, qf=None).amount == D("9.00")


@pytest.mark.parametrize(
    ("arrival", "departure", "count"),
    [
        (time(16, 30), time(17, 0), 1),
        (time(16, 30), time(17, 31), 3),  # 1 h 01 min
        (time(7, 30), time(8, 30), 2),
        (time(16, 30), time(16, 31), 1),
        (time(17, 0), time(17, 0), 1),
    ],
)
def test_childcare_is_billed_by_started_half_hour(arrival, departure, count):
    assert half_hours(arrival, departure) == count


def test_the_second_and_later_children_get_their_reductions():
    assert [sibling_reduction(CANTEEN, rank) for rank in (1, 2, 3, 4)] == [
        D("0"),
        D("10"),
        D("20"),
        D("20"),
    ]
    assert line_amount(D("3.10"), 20, reduction=D("10")) == D("55.80")
    assert line_amount(D("1.90"), 1, surcharge=D("1.00")) == D("2.90")


@pytest.mark.parametrize(
    "tariff",
    [
        dict(basis=Basis.FLAT, price=D("-1")),
        dict(basis=Basis.BRACKETS, brackets=(Bracket(400, D("1")),)),
        dict(
            basis=Basis.BRACKETS,
            brackets=(Bracket(700, D("1")), Bracket(400, D("2")), Bracket(None, D("3"))),
        ),
        dict(basis=Basis.EFFORT_RATE, rate=D("0.01"), floor=D("5"), ceiling=D("2")),
        dict(basis=Basis.FLAT, sibling_reductions=(D("120"),)),
    ],
)
def test_a_tariff_that_makes_no_sense_is_refused(tariff):
    with pytest.raises(ValueError):
        Tariff(**tariff)


def test_amounts_must_be_decimals_never_floats():
    with pytest.raises(TypeError):
        Tariff(Basis.FLAT, price=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        quantize(2.5)  # type: ignore[arg-type]


quotients = st.one_of(st.none(), st.integers(min_value=0, max_value=10_000))


@given(qf=quotients, resident=st.booleans())
def test_a_price_is_always_one_of_the_tariffs_amounts(qf, resident):
    amount = unit_price(CANTEEN, qf=qf, resident=resident).amount
    assert amount in {b.price for b in CANTEEN.brackets} | {CANTEEN.non_resident_price}


@given(low=st.integers(min_value=0, max_value=5000), high=st.integers(min_value=0, max_value=5000))
def test_a_higher_quotient_never_pays_less(low, high):
    low, high = sorted((low, high))
    centre = Tariff(Basis.EFFORT_RATE, rate=D("0.004"), floor=D("1"), ceiling=D("12"))
    for tariff in (CANTEEN, centre):
        assert unit_price(tariff, qf=low).amount <= unit_price(tariff, qf=high).amount


@given(
    price=st.decimals(min_value=0, max_value=100, places=2),
    quantity=st.integers(min_value=0, max_value=31),
    reduction=st.decimals(min_value=0, max_value=100, places=0),
)
def test_a_line_is_rounded_to_the_cent_and_never_negative(price, quantity, reduction):
    amount = line_amount(price, quantity, reduction=reduction)
    assert amount == amount.quantize(D("0.01")) and amount >= 0
    assert amount <= quantize(price * quantity)


@pytest.mark.parametrize(
    ("state", "outcome", "expected"),
    [
        (State.CONFIRMED, Outcome.PRESENT, Billed.YES),
        (State.CANCELLED, Outcome.NONE, Billed.NO),
        (State.CONFIRMED, Outcome.ABSENT_EXCUSED, Billed.NO),
        (State.CONFIRMED, Outcome.ABSENT_BILLED, Billed.YES),
        (State.CONFIRMED, Outcome.PRESENT_UNBOOKED, Billed.WITH_SURCHARGE),
        (State.CONFIRMED, Outcome.NONE, Billed.YES),
        (State.WAITING, Outcome.NONE, Billed.NO),
        (State.REQUESTED, Outcome.NONE, Billed.NO),
        (State.REFUSED, Outcome.NONE, Billed.NO),
        (State.CANCEL_REQUESTED, Outcome.NONE, Billed.YES),
    ],
)
def test_what_is_billed(state, outcome, expected):
    assert billed(state, outcome) == expected


def test_every_state_is_in_the_table_and_an_unknown_pair_is_not_billed():
    assert {state for state, _outcome in BILLED} == set(State.values)
    assert billed(State.CANCELLED, Outcome.PRESENT) == Billed.NO
