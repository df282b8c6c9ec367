"""Tariffs (SPEC §6, seed 002): what one unit of service costs a family — pure functions,
`Decimal` in and out, no ORM. The billing run copies the price it applied and the bracket
onto each invoice line, so an invoice never changes when a tariff does.

A tariff is flat, by quotient-familial bracket, or an effort rate (QF × rate, between a
floor and a ceiling, as CAF-funded centres do); it is charged per unit booked or per started
half-hour of presence (childcare). Options: a non-resident price, a reduction for the second
and the third child (and later ones), a surcharge for a child present without booking.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from enum import StrEnum

from perisco.core.money import ZERO, quantize


class Basis(StrEnum):
    FLAT = "flat"
    BRACKETS = "brackets"  # by quotient-familial bracket
    EFFORT_RATE = "effort_rate"  # QF × rate, between a floor and a ceiling


class Per(StrEnum):
    UNIT = "unit"  # each unit booked (a meal, a morning)
    HALF_HOUR = "half_hour"  # each started half-hour between arrival and departure


class TariffError(ValueError):
    """A tariff that makes no sense; `code` names which rule it breaks (the service words
    it for people)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Bracket:
    """Up to `qf_max` euros of quotient (included); None: above every other bracket."""

    qf_max: int | None
    price: Decimal


@dataclass(frozen=True, slots=True)
class Tariff:
    basis: Basis
    per: Per = Per.UNIT
    price: Decimal = ZERO  # FLAT
    brackets: tuple[Bracket, ...] = ()  # BRACKETS, in increasing qf_max, the last None
    rate: Decimal = ZERO  # EFFORT_RATE: a share of the QF (0.0035 = 0.35 %)
    floor: Decimal = ZERO
    ceiling: Decimal | None = None
    non_resident_price: Decimal | None = None  # what families outside the town pay
    # Percent off for the 2nd child, the 3rd (and any later one) of a household.
    sibling_reductions: tuple[Decimal, ...] = ()
    unbooked_surcharge: Decimal = ZERO  # added to a unit of a child present without booking
    # Percent of the price billed for a late cancellation granted by the service.
    late_cancellation_share: Decimal = ZERO

    def __post_init__(self) -> None:
        amounts = [self.price, self.rate, self.floor, self.unbooked_surcharge]
        amounts.append(self.late_cancellation_share)
        amounts += [b.price for b in self.brackets] + list(self.sibling_reductions)
        amounts += [a for a in (self.ceiling, self.non_resident_price) if a is not None]
        if any(not isinstance(a, Decimal) for a in amounts):
            raise TypeError("tariff amounts are Decimals")
        if any(a < 0 for a in amounts):
            raise TariffError("negative")
        if any(r > 100 for r in (*self.sibling_reductions, self.late_cancellation_share)):
            raise TariffError("reduction_over_100")
        if self.basis == Basis.BRACKETS:
            limits = [b.qf_max for b in self.brackets]
            if not limits or limits[-1] is not None or None in limits[:-1]:
                raise TariffError("brackets_open_end")
            if limits[:-1] != sorted(set(limits[:-1])):  # type: ignore[type-var]
                raise TariffError("brackets_order")
        if self.basis == Basis.EFFORT_RATE and self.ceiling is None:
            raise TariffError("effort_rate_ceiling")
        if self.ceiling is not None and self.ceiling < self.floor:
            raise TariffError("ceiling_below_floor")


@dataclass(frozen=True, slots=True)
class Price:
    """What one unit costs, and why (copied onto the invoice line)."""

    amount: Decimal
    # The rule applied, for the line: a bracket ("QF 701–1000"), or "flat", "non-resident",
    # "effort_rate", "floor", "ceiling" (worded by the page or the invoice).
    label: str
    qf: int | None  # the quotient used (None: none valid that day)
    missing_qf: bool = False  # priced at the highest bracket for want of a valid QF


def unit_price(tariff: Tariff, *, qf: int | None, resident: bool = True) -> Price:
    """The price of one unit (or one half-hour) for a family with quotient `qf` on the
    day of service. No valid quotient: the highest bracket (or the ceiling), said so."""
    if not resident and tariff.non_resident_price is not None:
        return Price(tariff.non_resident_price, "non-resident", qf)
    if tariff.basis == Basis.FLAT:
        return Price(tariff.price, "flat", qf)
    if tariff.basis == Basis.BRACKETS:
        if qf is None:
            last = len(tariff.brackets) - 1
            return Price(
                tariff.brackets[last].price, _bracket_label(tariff.brackets, last), None, True
            )
        index = next(i for i, b in enumerate(tariff.brackets) if b.qf_max is None or qf <= b.qf_max)
        return Price(tariff.brackets[index].price, _bracket_label(tariff.brackets, index), qf)
    # Effort rate: a share of the quotient, kept between the floor and the ceiling (which
    # a family without a valid quotient pays).
    if qf is None:
        return Price(tariff.ceiling or ZERO, "ceiling", None, True)
    amount = quantize(Decimal(qf) * tariff.rate)
    if amount < tariff.floor:
        return Price(tariff.floor, "floor", qf)
    if tariff.ceiling is not None and amount > tariff.ceiling:
        return Price(tariff.ceiling, "ceiling", qf)
    return Price(amount, "effort_rate", qf)


def _bracket_label(brackets: Sequence[Bracket], index: int) -> str:
    """ "QF ≤ 700", "QF 701–1000", "QF > 1000": a bracket's quotients, in euros."""
    low = brackets[index - 1].qf_max if index > 0 else None
    high = brackets[index].qf_max
    if low is None and high is not None:
        return f"QF ≤ {high}"
    if high is None:
        return f"QF > {low}" if low is not None else "QF"
    return f"QF {low + 1}–{high}"  # type: ignore[operator]


def half_hours(arrival: time, departure: time) -> int:
    """Started half-hours between arrival and departure: 1 h 01 min is three (seed 000's
    childcare billed by the half-hour); a departure not after the arrival is one."""
    minutes = (departure.hour * 60 + departure.minute + departure.second / 60) - (
        arrival.hour * 60 + arrival.minute + arrival.second / 60
    )
    return max(1, math.ceil(minutes / 30))


def sibling_reduction(tariff: Tariff, rank: int) -> Decimal:
    """Percent off for the household's `rank`-th child billed this month (1: none); the
    last reduction applies to every later child."""
    if rank <= 1 or not tariff.sibling_reductions:
        return ZERO
    return tariff.sibling_reductions[min(rank - 2, len(tariff.sibling_reductions) - 1)]


HUNDRED = Decimal(100)


def line_amount(
    price: Decimal,
    quantity: int,
    *,
    reduction: Decimal = ZERO,
    surcharge: Decimal = ZERO,
    share: Decimal = HUNDRED,
) -> Decimal:
    """One invoice line: ((price − reduction %) × share % + surcharge) × quantity, rounded
    once (`share`: the part billed for a late cancellation)."""
    reduced = price * (HUNDRED - reduction) / HUNDRED * share / HUNDRED
    return quantize((reduced + surcharge) * quantity)
