import itertools

import pytest

from perisco.bookings.states import (
    HOLDING,
    LIVE,
    TRANSITIONS,
    IllegalTransition,
    Outcome,
    State,
    check_outcome,
    check_transition,
)

ALLOWED = {
    (None, State.REQUESTED),
    (None, State.CONFIRMED),
    (None, State.WAITING),
    (State.REQUESTED, State.CONFIRMED),
    (State.REQUESTED, State.WAITING),
    (State.REQUESTED, State.REFUSED),
    (State.REQUESTED, State.CANCELLED),
    (State.WAITING, State.CONFIRMED),
    (State.WAITING, State.REQUESTED),
    (State.WAITING, State.REFUSED),
    (State.WAITING, State.CANCELLED),
    (State.CONFIRMED, State.CANCEL_REQUESTED),
    (State.CONFIRMED, State.CANCELLED),
    (State.CANCEL_REQUESTED, State.CONFIRMED),
    (State.CANCEL_REQUESTED, State.CANCELLED),
}


@pytest.mark.parametrize(("before", "after"), list(itertools.product([None, *State], list(State))))
def test_every_pair_of_states_is_allowed_or_refused_as_the_table_says(before, after):
    if (before, after) in ALLOWED:
        check_transition(before, after)
    else:
        with pytest.raises(IllegalTransition):
            check_transition(before, after)


def test_the_table_names_every_state():
    assert set(TRANSITIONS) == {None, *State}


def test_refused_and_cancelled_are_final_and_not_live():
    for state in (State.REFUSED, State.CANCELLED):
        assert TRANSITIONS[state] == frozenset()
        assert state not in LIVE
    assert HOLDING < LIVE and State.WAITING in LIVE - HOLDING


@pytest.mark.parametrize(("state", "outcome"), list(itertools.product(State, Outcome)))
def test_attendance_is_recorded_on_confirmed_bookings_only(state, outcome):
    if outcome == Outcome.NONE or state == State.CONFIRMED:
        check_outcome(state, outcome)
    else:
        with pytest.raises(IllegalTransition):
            check_outcome(state, outcome)
