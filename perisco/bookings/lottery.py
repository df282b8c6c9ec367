"""Fair allocation of a holiday session's places (SPEC §5): pure functions, no ORM.

Families ask for days during a request window, in any order; at closing the places go by
priority (the organisation's points), then by a lottery drawn from a kept seed, so the
draw can be audited and run again identically. Siblings asking for the same day get
places together or wait together; places left at the end go down the waiting list one
child at a time rather than stay empty.
"""

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Criterion(StrEnum):
    RESIDENT = "resident"  # lives in the town
    WORKING = "working"  # every guardian of the household works
    REFUSED_LAST_TIME = "refused_last_time"  # waited without a place at the last session
    STAFF_BONUS = "staff_bonus"  # points staff give a family, with a note


# Points a criterion is worth when the window is created; staff change them per window.
DEFAULT_WEIGHTS: dict[str, int] = {
    Criterion.RESIDENT: 4,
    Criterion.WORKING: 2,
    Criterion.REFUSED_LAST_TIME: 1,
}


@dataclass(frozen=True)
class Applicant:
    family_id: int
    # Criteria the family meets (STAFF_BONUS: see `bonus`).
    criteria: frozenset[str] = frozenset()
    bonus: int = 0
    # Day -> the family's children asking for it.
    days: Mapping[date, tuple[int, ...]] = field(default_factory=dict)

    def points(self, weights: Mapping[str, int]) -> int:
        return self.bonus + sum(weights.get(c, 0) for c in self.criteria)


@dataclass
class Allocation:
    seed: int
    draw: list[int]  # family ids in lottery order
    order: list[int]  # family ids in the order they were served (priority, then draw)
    points: dict[int, int]
    granted: dict[tuple[int, date], int] = field(default_factory=dict)  # (child, day) -> rank
    waiting: list[tuple[int, date]] = field(default_factory=list)  # in waiting-list order
    # Children granted a day without a sibling who asked for it too (places left over).
    split: set[tuple[int, date]] = field(default_factory=set)


def draw_order(family_ids: Sequence[int], seed: int) -> list[int]:
    """The lottery: a shuffle of the families in id order, fixed by the seed."""
    order = sorted(family_ids)
    # Reproducible by design; the seed itself is drawn with `secrets`.
    random.Random(seed).shuffle(order)  # noqa: S311
    return order


def allocate(
    applicants: Sequence[Applicant],
    places: Mapping[date, int | None],
    *,
    seed: int,
    weights: Mapping[str, int],
    siblings_together: bool = True,
) -> Allocation:
    """`places`: the places still free each day (None: no limit; a day absent: none)."""
    draw = draw_order([a.family_id for a in applicants], seed)
    rank = {family_id: position for position, family_id in enumerate(draw)}
    points = {a.family_id: a.points(weights) for a in applicants}
    served = sorted(applicants, key=lambda a: (-points[a.family_id], rank[a.family_id]))
    result = Allocation(seed, draw, [a.family_id for a in served], points)
    left: dict[date, int | None] = dict(places)
    for applicant in served:
        for day in sorted(applicant.days):
            children = sorted(applicant.days[day])
            free = left.get(day, 0)
            if free is None:
                taken = len(children)
            elif siblings_together:
                taken = len(children) if free >= len(children) else 0
            else:
                taken = min(free, len(children))
            for child in children[:taken]:
                result.granted[child, day] = len(result.granted) + 1
            result.waiting.extend((child, day) for child in children[taken:])
            if free is not None:
                left[day] = free - taken
    # Places nobody could take together: the waiting list in its order, child by child.
    still_waiting = []
    for child, day in result.waiting:
        free = left.get(day, 0)
        if free:
            result.granted[child, day] = len(result.granted) + 1
            result.split.add((child, day))
            left[day] = free - 1
        else:
            still_waiting.append((child, day))
    result.waiting = still_waiting
    return result
