"""A household's month priced into invoice lines — pure, no ORM (the billing run loads the
data, calls `family_lines`, and stores the lines it returns).

Each billable day (`billing.billable`) is priced with the unit's tariff valid that day and
the household's quotient valid that day (so a quotient changing mid-month splits a line);
days of the same child, unit and price make one line, whose days are listed. The 2nd and
later children of the household billed that month (eldest first) get the tariff's
reductions; a child of separated parents is ranked in each household that books it. A
day without a tariff is not billed silently: it is returned apart for staff to fix.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from operator import attrgetter
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


class BillableDay(NamedTuple):
    """One day to bill (a run reads `BillableDays`; a day is handy for tests and callers
    with a few days)."""

    child_id: int
    unit_id: int
    day: date
    billed: Billed
    arrival: time | None = None  # for units charged by the half-hour
    departure: time | None = None
    booking_id: int = 0


Times = tuple[time | None, time | None]  # arrival, departure


class BillableDays(NamedTuple):
    """A child's days in one unit billed the same way, in order: what a run reads (a
    town's month is ~20,000 of these rather than ~400,000 days)."""

    child_id: int
    unit_id: int
    billed: Billed
    days: Sequence[date]
    bookings: Sequence[int]  # the days' bookings, in the same order
    times: Sequence[Times] = ()  # the days' times, for units charged by the half-hour


def group_days(days: Iterable[BillableDay]) -> list[BillableDays]:
    groups: dict[tuple[int, int, Billed], list[BillableDay]] = defaultdict(list)
    for billable in days:
        groups[billable.child_id, billable.unit_id, billable.billed].append(billable)
    out = []
    for (child, unit, billed), items in groups.items():
        items.sort(key=attrgetter("day"))
        timed = any(d.arrival or d.departure for d in items)
        out.append(
            BillableDays(
                child,
                unit,
                billed,
                tuple(d.day for d in items),
                tuple(d.booking_id for d in items),
                tuple((d.arrival, d.departure) for d in items) if timed else (),
            )
        )
    return out


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
    parts: tuple["Part", ...] = ()  # its days' bookings, by how they are billed


class Part(NamedTuple):
    """The bookings of a line billed one way, in the order of its days."""

    billed: Billed
    bookings: tuple[int, ...]
    quantities: tuple[int, ...] | None  # None: one each


def valid_on(periods: Sequence[Valid], day: date):
    return next((p.value for p in periods if p.covers(day)), None)


def ranks(first_days: Mapping[int, date]) -> dict[int, int]:
    """Children ranked for sibling reductions, eldest first: child id -> 1, 2, 3…
    `first_days` maps each child billed this month to its birth date."""
    order = sorted(first_days, key=lambda child: (first_days[child], child))
    return {child: rank for rank, child in enumerate(order, start=1)}


class Memo:
    """What stays the same from one household to the next in a run (each tariff by unit
    and day, each price, each reduction, the days a unit's tariff changes on): looked up
    once for the whole town. One memo serves one `tariffs` mapping: its tariffs are keyed
    by unit and day."""

    def __init__(self) -> None:
        self.tariff_on: dict[tuple[int, date], Tariff | None] = {}
        self.prices: dict[tuple[int, int | None, bool], Price] = {}
        self.reductions: dict[tuple[int, int], Decimal] = {}
        self.cuts: dict[int, list[date]] = {}


def cuts(periods: Iterable[Valid]) -> list[date]:
    """The days a value over `periods` may change on: each start, each day after an end."""
    out = set()
    for period in periods:
        out.add(period.start)
        if period.end is not None:
            out.add(period.end + timedelta(days=1))
    return sorted(out)


def segments(days: Sequence[date], *changes: Sequence[date]) -> list[tuple[int, int]]:
    """`days` (in order) split where a value may change: index ranges [i, j) over which
    every period's value holds, whatever the periods' overlaps."""
    first, last = days[0], days[-1]
    inner = sorted({c for dates in changes for c in dates if first < c <= last})
    out, i = [], 0
    for change in inner:
        j = bisect_left(days, change, lo=i)
        if j > i:
            out.append((i, j))
            i = j
    out.append((i, len(days)))  # the last change is on or before the last day
    return out


def family_lines(
    days: Iterable[BillableDay | BillableDays],
    *,
    tariffs: Mapping[int, Sequence[Valid]],  # unit id -> its tariffs (value: Tariff)
    quotients: Sequence[Valid],  # the household's quotients (value: int)
    birth_dates: Mapping[int, date],
    unit_minutes: Mapping[int, int] | None = None,  # a unit's length, when no times
    resident: bool = True,
    memo: Memo | None = None,  # shared by the households of one run
) -> tuple[list[Line], list[BillableDay]]:
    """(lines, days without a tariff). Days not billed are ignored. Each group of days is
    priced once per stretch over which its tariff and quotient hold, not once a day."""
    days = list(days)
    groups = [d for d in days if isinstance(d, BillableDays)]
    groups += group_days(d for d in days if isinstance(d, BillableDay))
    groups = [g for g in groups if g.billed != Billed.NO and g.days]
    rank = ranks({g.child_id: birth_dates[g.child_id] for g in groups})
    pieces: dict[tuple, list[tuple[BillableDays, int, int, tuple[int, ...] | None]]] = defaultdict(
        list
    )
    unpriced = []
    minutes = unit_minutes or {}
    memo = memo or Memo()
    tariff_on, prices, reductions = memo.tariff_on, memo.prices, memo.reductions
    quotient_cuts = cuts(quotients)
    single = quotients[0] if len(quotients) == 1 else None
    for group in groups:
        unit = group.unit_id
        unit_tariffs = tariffs.get(unit, ())
        try:
            tariff_cuts = memo.cuts[unit]
        except KeyError:
            tariff_cuts = memo.cuts[unit] = cuts(unit_tariffs)
        for i, j in segments(group.days, tariff_cuts, quotient_cuts):
            day = group.days[i]
            try:
                tariff = tariff_on[unit, day]
            except KeyError:
                tariff = tariff_on[unit, day] = valid_on(unit_tariffs, day)
            if tariff is None:
                unpriced += _days(group, i, j)
                continue
            qf: int | None
            if single is not None:  # most households: one quotient
                qf = single.value if single.covers(day) else None  # type: ignore[assignment]
            else:
                qf = valid_on(quotients, day) if quotients else None
            try:
                price = prices[id(tariff), qf, resident]
            except KeyError:
                price = prices[id(tariff), qf, resident] = price_of(
                    tariff, qf=qf, resident=resident
                )
            surcharge = tariff.unbooked_surcharge if group.billed == Billed.WITH_SURCHARGE else ZERO
            share = HUNDRED
            if group.billed == Billed.LATE_CANCELLATION:
                share = tariff.late_cancellation_share
                if not share:
                    continue
            child_rank = rank[group.child_id]
            try:
                reduction = reductions[id(tariff), child_rank]
            except KeyError:
                reduction = reductions[id(tariff), child_rank] = sibling_reduction(
                    tariff, child_rank
                )
            quantities = None
            if tariff.per == Per.HALF_HOUR:
                length = minutes.get(unit, 30)
                times = group.times or ((None, None),) * len(group.days)
                quantities = tuple(_half_hours(times[k], length) for k in range(i, j))
            key = (
                group.child_id,
                unit,
                price.label,
                price.amount,
                reduction,
                surcharge,
                price.missing_qf,
                share,
                tariff.per,
            )
            pieces[key].append((group, i, j, quantities))
    lines = []
    for key, items in pieces.items():
        child, unit, label, amount, reduction, surcharge, missing, share, per = key
        parts = tuple(Part(g.billed, tuple(g.bookings[i:j]), q) for g, i, j, q in items)
        quantity = sum(j - i if q is None else sum(q) for _g, i, j, q in items)
        if len(items) == 1:
            group, i, j, _q = items[0]
            line_days = tuple(group.days[i:j])
        else:  # several groups or stretches at the same price: one line, days in order
            line_days = tuple(sorted(d for g, i, j, _q in items for d in g.days[i:j]))
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
                line_days,
                missing,
                share,
                str(per),
                parts,
            )
        )
    lines.sort(key=lambda line: (rank[line.child_id], line.unit_id, line.days[0]))
    return lines, unpriced


def _days(group: BillableDays, i: int, j: int) -> list[BillableDay]:
    times = group.times or ((None, None),) * len(group.days)
    return [
        BillableDay(
            group.child_id,
            group.unit_id,
            group.days[k],
            group.billed,
            times[k][0],
            times[k][1],
            group.bookings[k],
        )
        for k in range(i, j)
    ]


def _half_hours(times: Times, unit_minutes: int) -> int:
    arrival, departure = times
    if arrival and departure:
        return half_hours(arrival, departure)
    # Booked but no times taken (absent billed, a sheet without times): the unit's length.
    return max(1, -(-unit_minutes // 30))
