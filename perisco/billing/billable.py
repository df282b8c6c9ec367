"""What is billed (SPEC §6, seed 000): one table, read by the billing run, from a booking's
state and attendance outcome. Days closed by staff (a strike, a closure) cancel their
bookings, so they fall in the CANCELLED rows: never billed. Each household is billed for
the days it booked (garde alternée), which is the booking's own family."""

from enum import StrEnum

from perisco.bookings.states import Outcome, State


class Billed(StrEnum):
    NO = "no"
    YES = "yes"
    WITH_SURCHARGE = "with_surcharge"  # present without booking
    # A cancellation asked after the deadline and granted by the service: billed at the
    # tariff's late-cancellation share (0 % by default: not billed).
    LATE_CANCELLATION = "late_cancellation"


# (state, outcome) -> billed. A confirmed day nobody marked is billed as booked; a
# cancellation still awaiting the service's decision is billed until it is granted.
BILLED: dict[tuple[str, str], Billed] = {
    (State.CONFIRMED, Outcome.NONE): Billed.YES,
    (State.CONFIRMED, Outcome.PRESENT): Billed.YES,
    (State.CONFIRMED, Outcome.ABSENT_BILLED): Billed.YES,
    (State.CONFIRMED, Outcome.ABSENT_EXCUSED): Billed.NO,
    (State.CONFIRMED, Outcome.PRESENT_UNBOOKED): Billed.WITH_SURCHARGE,
    (State.CANCEL_REQUESTED, Outcome.NONE): Billed.YES,
    (State.CANCELLED, Outcome.NONE): Billed.NO,  # in time by the family, or by staff
    (State.REQUESTED, Outcome.NONE): Billed.NO,  # never decided: no service given
    (State.WAITING, Outcome.NONE): Billed.NO,
    (State.REFUSED, Outcome.NONE): Billed.NO,
}


def billed(state: str, outcome: str, *, late_cancellation: bool = False) -> Billed:
    """Unknown pairs are not billed: a family is never charged by a gap in the table.
    `late_cancellation`: the booking was cancelled by granting a request made after the
    deadline (a strike or a closure cancels directly: never billed)."""
    if late_cancellation and state == State.CANCELLED:
        return Billed.LATE_CANCELLATION
    return BILLED.get((state, outcome), Billed.NO)
