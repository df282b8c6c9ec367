"""A booking's lifecycle (SPEC §5) as one table, checked in one place.

The lifecycle (`State`) and what happened on the day (`Outcome`) are separate fields: a
confirmed booking becomes present, absent excused or absent billed; a cancelled one never
gets an outcome.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class State(models.TextChoices):
    REQUESTED = "requested", _("Requested (awaiting the service)")
    CONFIRMED = "confirmed", pgettext_lazy("booking state", "Booked")
    WAITING = "waiting", _("Waiting list")
    REFUSED = "refused", pgettext_lazy("booking state", "Refused")
    CANCEL_REQUESTED = "cancel_requested", _("Cancellation requested")
    CANCELLED = "cancelled", pgettext_lazy("booking state", "Cancelled")


class Outcome(models.TextChoices):
    NONE = "", pgettext_lazy("booking outcome", "Not recorded")
    PRESENT = "present", _("Present")
    ABSENT_EXCUSED = "absent_excused", _("Absent, excused (not billed)")
    ABSENT_BILLED = "absent_billed", _("Absent, billed")
    # A child who came without a booking: staff add the booking with this outcome.
    PRESENT_UNBOOKED = "present_unbooked", _("Present without booking")


# States in which a booking is "live": at most one per child, unit and day (a partial
# unique constraint holds it in the database).
LIVE = frozenset({State.REQUESTED, State.CONFIRMED, State.WAITING, State.CANCEL_REQUESTED})
# States that hold a place (and the unit, for exclusivity and dependency).
HOLDING = frozenset({State.REQUESTED, State.CONFIRMED, State.CANCEL_REQUESTED})

# from -> the states it may go to. None: a booking being created.
TRANSITIONS: dict[State | None, frozenset[State]] = {
    None: frozenset({State.REQUESTED, State.CONFIRMED, State.WAITING}),
    # Staff confirm or refuse a request; a place may be lost to the list; the family
    # withdraws it.
    State.REQUESTED: frozenset({State.CONFIRMED, State.WAITING, State.REFUSED, State.CANCELLED}),
    # A freed place: confirmed at once, or offered to staff (manual activities, past the
    # deadline); staff may refuse; the family leaves the list.
    State.WAITING: frozenset({State.CONFIRMED, State.REQUESTED, State.REFUSED, State.CANCELLED}),
    State.CONFIRMED: frozenset({State.CANCEL_REQUESTED, State.CANCELLED}),
    # Staff accept the cancellation, or refuse it (the booking stands).
    State.CANCEL_REQUESTED: frozenset({State.CONFIRMED, State.CANCELLED}),
    State.REFUSED: frozenset(),
    State.CANCELLED: frozenset(),
}

# Outcomes are recorded on confirmed bookings only, and corrected freely until billed.
OUTCOME_STATES = frozenset({State.CONFIRMED})


class IllegalTransition(Exception):
    def __init__(self, before: str | None, after: str):
        super().__init__(f"a booking cannot go from {before or 'nothing'} to {after}")
        self.before, self.after = before, after


def check_transition(before: str | None, after: str) -> None:
    allowed = TRANSITIONS[State(before) if before is not None else None]
    if State(after) not in allowed:
        raise IllegalTransition(before, after)


def check_outcome(state: str, outcome: str) -> None:
    if outcome != Outcome.NONE and State(state) not in OUTCOME_STATES:
        raise IllegalTransition(state, f"outcome {outcome}")
