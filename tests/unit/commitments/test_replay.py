"""A move replayed from an imported history: the rules only live moves keep let it pass, noted.

Live moves (no `Replay`) keep every rule; test_moves.py holds those.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from test_moves import BOTH, DUE, NEW_DUE, PATHS, T0, P, R, hours, make_teams, request, snapshot

from accord.commitments.domain import (
    Commitment,
    Move,
    Replay,
    Side,
    State,
    normalize_args,
)
from accord.errors import Forbidden, Invalid, RuleBroken
from accord.org.domain import Operator

LATE = DUE + timedelta(days=2)
BOTH_EMAIL = "both@example.org"


def replay() -> Replay:
    return Replay(Operator("test"))


def at_state(target: State) -> Commitment:
    commitment = request()
    for move, sides, args, at in PATHS[target]:
        commitment.apply(move, sides=sides, at=at, expected_version=None, args=args)
    return commitment


def test_a_request_due_before_it_was_made_is_let_through_and_noted() -> None:
    partnership, requester, performer = make_teams()
    notes = replay()

    commitment, payload = Commitment.request(
        key="c-1",
        partnership=partnership,
        requester=requester,
        performer=performer,
        measure=None,
        sides=R,
        at=T0,
        replay=notes,
        args={"title": "Card vault API", "due": T0 - timedelta(days=1)},
    )

    assert commitment.due == T0 - timedelta(days=1)
    assert payload["args"]["due"] == "2025-03-02T09:00:00Z"
    assert notes.notes == [
        "'request' sets a due date 2025-03-02T09:00:00Z already past at 2025-03-03T09:00:00Z"
    ]


def test_a_promise_after_its_due_date_is_noted_once() -> None:
    commitment = request()
    notes = replay()

    commitment.apply(Move.PROMISE, sides=P, at=LATE, expected_version=1, args={}, replay=notes)

    assert commitment.state == State.PROMISED
    assert notes.notes == [
        "promised after its due date 2025-04-02T09:00:00Z; counted as late unless a new due "
        "date is agreed"
    ]
    assert commitment.is_overdue(LATE)


def test_a_promise_before_its_due_date_notes_nothing() -> None:
    commitment = request()
    notes = replay()

    commitment.apply(Move.PROMISE, sides=P, at=hours(1), expected_version=1, args={}, replay=notes)

    assert notes.notes == []


def test_a_counter_accepted_after_its_due_date_is_let_through_and_noted() -> None:
    commitment = request()
    commitment.apply(Move.COUNTER, sides=P, at=hours(1), expected_version=1, args={"due": hours(5)})
    live = snapshot(commitment)
    with pytest.raises(RuleBroken) as refused:
        commitment.apply(Move.ACCEPT_COUNTER, sides=R, at=hours(6), expected_version=2, args={})
    assert refused.value.rule == "commitment.due_in_past"
    assert snapshot(commitment) == live
    notes = replay()

    commitment.apply(
        Move.ACCEPT_COUNTER, sides=R, at=hours(6), expected_version=2, args={}, replay=notes
    )

    assert (commitment.state, commitment.due) == (State.PROMISED, hours(5))
    assert notes.notes == [
        "counter accepted after its due date 2025-03-03T14:00:00Z; counted as late unless a "
        "new due date is agreed"
    ]


@pytest.mark.parametrize(
    ("source", "move", "sides"),
    [
        (State.REQUESTED, Move.COUNTER, P),
        (State.COUNTERED, Move.REVISE, R),
        (State.PROMISED, Move.PROPOSE_CHANGE, R),
    ],
)
def test_a_new_due_date_already_past_is_let_through_and_noted(
    source: State, move: Move, sides: frozenset[Side]
) -> None:
    commitment = at_state(source)
    notes = replay()

    commitment.apply(
        move,
        sides=sides,
        at=hours(5),
        expected_version=None,
        args={"due": hours(4)},
        replay=notes,
    )

    assert notes.notes == [
        f"'{move}' sets a due date 2025-03-03T13:00:00Z already past at 2025-03-03T14:00:00Z"
    ]


@pytest.mark.parametrize(
    ("proposal", "answer", "answerer"),
    [
        (Move.COUNTER, Move.ACCEPT_COUNTER, "the requester"),
        (Move.PROPOSE_CHANGE, Move.ACCEPT_CHANGE, "the requester"),
        (Move.PROPOSE_CHANGE, Move.REJECT_CHANGE, "the requester"),
    ],
)
def test_a_member_of_both_teams_may_answer_their_own_proposal_when_replayed(
    proposal: Move, answer: Move, answerer: str
) -> None:
    commitment = request()
    if proposal == Move.PROPOSE_CHANGE:
        commitment.apply(Move.PROMISE, sides=P, at=hours(1), expected_version=None, args={})
    commitment.apply(
        proposal,
        sides=BOTH,
        at=hours(2),
        expected_version=None,
        args={"due": NEW_DUE},
        actor=BOTH_EMAIL,
    )
    notes = replay()

    payload = commitment.apply(
        answer,
        sides=BOTH,
        at=hours(3),
        expected_version=None,
        args={},
        actor=BOTH_EMAIL,
        replay=notes,
    )

    assert commitment.state == State.PROMISED
    assert payload["side"] == "R"
    assert notes.notes == [
        f"'{answer}' answers a proposal {BOTH_EMAIL} made themselves, a member of both teams; "
        f"taken as {answerer}'s answer"
    ]


def test_a_move_whose_side_a_member_of_both_teams_chooses_is_noted() -> None:
    commitment = at_state(State.PROMISED)
    notes = replay()

    payload = commitment.apply(
        Move.PROPOSE_CHANGE,
        sides=BOTH,
        at=hours(2),
        expected_version=None,
        args={"due": NEW_DUE},
        actor=BOTH_EMAIL,
        replay=notes,
    )

    assert payload["side"] == "P"
    assert notes.notes == [
        f"'propose_change' by {BOTH_EMAIL}, a member of both teams; taken as the performer's move"
    ]


@pytest.mark.parametrize(("move", "sides"), [(Move.REPORT_DONE, BOTH), (Move.PROMISE, BOTH)])
def test_a_move_only_one_side_may_make_is_not_noted_for_a_member_of_both(
    move: Move, sides: frozenset[Side]
) -> None:
    commitment = at_state(State.PROMISED if move == Move.REPORT_DONE else State.REQUESTED)
    notes = replay()

    commitment.apply(
        move,
        sides=sides,
        at=hours(2),
        expected_version=None,
        args={},
        actor=BOTH_EMAIL,
        replay=notes,
    )

    assert notes.notes == []


def test_an_accept_without_a_value_is_let_through_without_a_value() -> None:
    commitment = at_state(State.DELIVERED)
    notes = replay()

    payload = commitment.apply(
        Move.ACCEPT,
        sides=R,
        at=hours(5),
        expected_version=None,
        args={"note": "fine"},
        replay=notes,
    )

    assert (commitment.state, commitment.value) == (State.ACCEPTED, None)
    assert payload["args"] == {"note": "fine"}
    assert notes.notes == ["accepted without a value: no value evidence"]


def test_only_the_value_of_an_accept_may_be_missing_on_import() -> None:
    assert normalize_args(Move.ACCEPT, {}, imported=True) == {}
    with pytest.raises(Invalid):
        normalize_args(Move.ACCEPT, {})
    with pytest.raises(Invalid):
        normalize_args(Move.DECLINE, {}, imported=True)
    with pytest.raises(Invalid):
        normalize_args(Move.ACCEPT, {"value": 6}, imported=True)


def _mark_missed_early(c: Commitment, notes: Replay) -> None:
    c.apply(Move.MARK_MISSED, sides=R, at=hours(2), expected_version=None, args={}, replay=notes)


def _wrong_side(c: Commitment, notes: Replay) -> None:
    c.apply(Move.REPORT_DONE, sides=R, at=hours(2), expected_version=None, args={}, replay=notes)


def _wrong_state(c: Commitment, notes: Replay) -> None:
    c.apply(
        Move.ACCEPT, sides=R, at=hours(2), expected_version=None, args={"value": 3}, replay=notes
    )


def _backwards(c: Commitment, notes: Replay) -> None:
    c.apply(Move.REPORT_DONE, sides=P, at=T0, expected_version=None, args={}, replay=notes)


def _unknown_field(c: Commitment, notes: Replay) -> None:
    c.apply(
        Move.REPORT_DONE,
        sides=P,
        at=hours(2),
        expected_version=None,
        args={"value": 3},
        replay=notes,
    )


@pytest.mark.parametrize(
    ("make", "error", "rule"),
    [
        (_mark_missed_early, RuleBroken, "commitment.not_yet_due"),
        (_wrong_side, Forbidden, "commitment.wrong_side"),
        (_wrong_state, RuleBroken, "commitment.move_not_allowed"),
        (_backwards, RuleBroken, "commitment.time_backwards"),
        (_unknown_field, Invalid, "commitment.unknown_field"),
    ],
    ids=["mark-missed-before-due", "wrong-side", "wrong-state", "time-backwards", "unknown-field"],
)
def test_a_replay_keeps_every_other_rule(make: Any, error: type[Exception], rule: str) -> None:
    commitment = at_state(State.PROMISED)
    before = snapshot(commitment)

    with pytest.raises(error) as refused:
        make(commitment, replay())

    assert getattr(refused.value, "rule", None) == rule
    assert snapshot(commitment) == before


def test_a_live_promise_after_its_due_date_stays_allowed() -> None:
    commitment = request()
    commitment.apply(Move.PROMISE, sides=P, at=LATE, expected_version=1, args={})
    assert commitment.is_overdue(LATE + timedelta(seconds=1))
