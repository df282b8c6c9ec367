"""A household's month priced into invoice lines — pure, no ORM (the billing run loads the
data, calls `family_lines`, and stores the lines it returns).

Each billable day (`billing.billable`) is priced with the unit's tariff valid that day and
the household's quotient valid that day (so a quotient changing mid-month splits a line);
days of the same child, unit and price make one line, whose days are listed. The 2nd and
later children of the household billed that month (eldest first) get the tariff's
reductions; a child of separated parents is ranked in each household that books it. A
day without a tariff is not billed silently: it is returned apart for staff to fix.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

from perisco.billing.billable import Billed
from perisco.billing.tariffs import (
    HUNDRED,
    Per,
    Price,
    Tariff,
    half_hours,
    line_amount,
    sibling_reduction,
)
from perisco.billing.tariffs import unit_price as price_of
from perisco.core.money import ZERO


class BillableDay(NamedTuple):  # a tuple: a town's run makes ~400,000 of them
    child_id: int
    unit_id: int
    day: date
    billed: Billed
    arrival: time | None = None  # for units charged by the half-hour
    departure: time | None = None
    booking_id: int = 0


@dataclass(frozen=True, slots=True)
class Valid:
    """A value over a period of days (a tariff, a quotient); `end` None: open-ended."""

    start: date
    end: date | None
    value: object

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Line:
    child_id: int
    unit_id: int
    label: str  # the bracket or rule applied ("QF 401–700"), copied onto the invoice
    unit_price: Decimal
    quantity: int  # days, or half-hours
    reduction: Decimal  # percent
    surcharge: Decimal  # per unit, for presence without booking
    amount: Decimal
    days: tuple[date, ...]
    missing_qf: bool = False
    share: Decimal = HUNDRED  # percent billed (a late cancellation)
    per: str = Per.UNIT.value
    # (booking id, quantity, how it is billed) of each day
    bookings: tuple[tuple[int, int, str], ...] = ()


def valid_on(periods: Sequence[Valid], day: date):
    return next((p.value for p in periods if p.covers(day)), None)


def ranks(first_days: Mapping[int, date]) -> dict[int, int]:
    """Children ranked for sibling reductions, eldest first: child id -> 1, 2, 3…
    `first_days` maps each child billed this month to its birth date."""
    order = sorted(first_days, key=lambda child: (first_days[child], child))
    return {child: rank for rank, child in enumerate(order, start=1)}


class Memo:
    """What stays the same from one household to the next in a run (each tariff by unit
    and day, each price, each reduction): looked up once for the whole town. One memo
    serves one `tariffs` mapping: its tariffs are keyed by unit and day."""

    def __init__(self) -> None:
        self.tariff_on: dict[tuple[int, date], Tariff | None] = {}
        self.prices: dict[tuple[int, int | None, bool], Price] = {}
        self.reductions: dict[tuple[int, int], Decimal] = {}


_BY_DAY = itemgetter(2, 0, 1)  # day, child, unit


def family_lines(
    days: Sequence[BillableDay],
    *,
    tariffs: Mapping[int, Sequence[Valid]],  # unit id -> its tariffs (value: Tariff)
    quotients: Sequence[Valid],  # the household's quotients (value: int)
    birth_dates: Mapping[int, date],
    unit_minutes: Mapping[int, int] | None = None,  # a unit's length, when no times
    resident: bool = True,
    memo: Memo | None = None,  # shared by the households of one run
) -> tuple[list[Line], list[BillableDay]]:
    """(lines, days without a tariff). Days not billed are ignored."""
    billed = [d for d in days if d.billed != Billed.NO]
    rank = ranks({d.child_id: birth_dates[d.child_id] for d in billed})
    groups: dict[tuple, list[tuple[BillableDay, int]]] = defaultdict(list)
    unpriced = []
    minutes = unit_minutes or {}
    memo = memo or Memo()
    tariff_on, prices, reductions = memo.tariff_on, memo.prices, memo.reductions
    # Most households have one quotient for the whole month: no lookup per day then.
    single = quotients[0] if len(quotients) == 1 else None
    qf_on: dict[date, int | None] = {}
    qf: int | None
    for billable in sorted(billed, key=_BY_DAY):
        day, unit = billable.day, billable.unit_id
        try:
            tariff = tariff_on[unit, day]
        except KeyError:
            tariff = tariff_on[unit, day] = valid_on(tariffs.get(unit, ()), day)
        if tariff is None:
            unpriced.append(billable)
            continue
        if not quotients:
            qf = None
        elif single is not None:
            qf = single.value if single.covers(day) else None  # type: ignore[assignment]
        elif day in qf_on:
            qf = qf_on[day]
        else:
            qf = qf_on[day] = valid_on(quotients, day)
        try:
            price = prices[id(tariff), qf, resident]
        except KeyError:
            price = prices[id(tariff), qf, resident] = price_of(tariff, qf=qf, resident=resident)
        surcharge = tariff.unbooked_surcharge if billable.billed == Billed.WITH_SURCHARGE else ZERO
        share = HUNDRED
        if billable.billed == Billed.LATE_CANCELLATION:
            share = tariff.late_cancellation_share
            if not share:
                continue
        child_rank = rank[billable.child_id]
        try:
            reduction = reductions[id(tariff), child_rank]
        except KeyError:
            reduction = reductions[id(tariff), child_rank] = sibling_reduction(tariff, child_rank)
        quantity = 1 if tariff.per == Per.UNIT else _quantity(tariff, billable, minutes)
        key = (
            billable.child_id,
            unit,
            price.label,
            price.amount,
            reduction,
            surcharge,
            price.missing_qf,
            share,
            tariff.per,
        )
        groups[key].append((billable, quantity))
    lines = []
    for key, items in groups.items():
        child, unit, label, amount, reduction, surcharge, missing, share, per = key
        quantity = sum(q for _d, q in items)
        lines.append(
            Line(
                child,
                unit,
                label,
                amount,
                quantity,
                reduction,
                surcharge,
                line_amount(
                    amount, quantity, reduction=reduction, surcharge=surcharge, share=share
                ),
                tuple(d.day for d, _q in items),
                missing,
                share,
                str(per),
                tuple((d.booking_id, q, d.billed.value) for d, q in items),
            )
        )
    lines.sort(key=lambda line: (rank[line.child_id], line.unit_id, line.days[0]))
    return lines, unpriced


def _quantity(tariff: Tariff, billable: BillableDay, unit_minutes: Mapping[int, int]) -> int:
    if tariff.per != Per.HALF_HOUR:
        return 1
    if billable.arrival and billable.departure:
        return half_hours(billable.arrival, billable.departure)
    # Booked but no times taken (absent billed, a sheet without times): the unit's length.
    minutes = unit_minutes.get(billable.unit_id, 30)
    return max(1, -(-minutes // 30))
