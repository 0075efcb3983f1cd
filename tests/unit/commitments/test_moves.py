"""Commitment.request and Commitment.apply, move by move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from accord.commitments.domain import (
    FINAL,
    MOVE_FIELDS,
    TRANSITIONS,
    Commitment,
    Move,
    Reliance,
    Side,
    State,
    Who,
    normalize_args,
)
from accord.errors import Conflict, Forbidden, Invalid, RuleBroken
from accord.org.domain import Team
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose, PurposeStatus

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
DUE = T0 + timedelta(days=30)
NEW_DUE = DUE + timedelta(days=7)
R = frozenset({Side.REQUESTER})
P = frozenset({Side.PERFORMER})
BOTH = frozenset({Side.REQUESTER, Side.PERFORMER})
NOBODY: frozenset[Side] = frozenset()
SIDE = {Side.REQUESTER: R, Side.PERFORMER: P}

Step = tuple[Move, frozenset[Side], dict[str, Any], datetime]


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def make_teams() -> tuple[Partnership, Team, Team]:
    requester = Team(slug="payments", name="Payments")
    performer = Team(slug="platform", name="Platform")
    purpose = Purpose(key="halve-churn", title="Halve churn", status=PurposeStatus.ACTIVE)
    partnership = Partnership(key="checkout", name="Checkout", purpose=purpose)
    partnership.add_party(requester, "owns the checkout flow")
    partnership.add_party(performer, "runs the payment rails")
    return partnership, requester, performer


def request(at: datetime = T0, sides: frozenset[Side] = R, **args: Any) -> Commitment:
    partnership, requester, performer = make_teams()
    commitment, _ = Commitment.request(
        key="c-1",
        partnership=partnership,
        requester=requester,
        performer=performer,
        measure=None,
        sides=sides,
        at=at,
        args={
            "title": "Card vault API",
            "due": DUE,
            "conditions_of_satisfaction": "p99 < 50ms",
            "reliance": "high",
            **args,
        },
    )
    return commitment


# How to reach each state from `requested`; the last step's time is the state's time.
PATHS: dict[State, list[Step]] = {
    State.REQUESTED: [],
    State.COUNTERED: [(Move.COUNTER, P, {"due": NEW_DUE, "title": "Card vault API v1"}, hours(1))],
    State.PROMISED: [(Move.PROMISE, P, {}, hours(1))],
    State.RENEGOTIATING: [
        (Move.PROMISE, P, {}, hours(1)),
        (Move.PROPOSE_CHANGE, P, {"due": NEW_DUE}, hours(2)),
    ],
    State.DELIVERED: [(Move.PROMISE, P, {}, hours(1)), (Move.REPORT_DONE, P, {}, hours(2))],
    State.ACCEPTED: [
        (Move.PROMISE, P, {}, hours(1)),
        (Move.REPORT_DONE, P, {}, hours(2)),
        (Move.ACCEPT, R, {"value": 5}, hours(3)),
    ],
    State.DECLINED: [(Move.DECLINE, P, {"reason": "no capacity"}, hours(1))],
    State.WITHDRAWN: [(Move.WITHDRAW, R, {}, hours(1))],
    State.REVOKED: [
        (Move.PROMISE, P, {}, hours(1)),
        (Move.REVOKE, P, {"reason": "lost staff"}, hours(2)),
    ],
    State.MISSED: [
        (Move.PROMISE, P, {}, hours(1)),
        (Move.MARK_MISSED, R, {}, DUE + timedelta(hours=1)),
    ],
}
LATER = DUE + timedelta(days=1)

VALID_ARGS: dict[Move, dict[str, Any]] = {
    Move.COUNTER: {"due": NEW_DUE + timedelta(days=1), "note": "we can do it a week later"},
    Move.DECLINE: {"reason": "not our service"},
    Move.REVISE: {"title": "Card vault API, read only", "reliance": "critical"},
    Move.PROPOSE_CHANGE: {"conditions_of_satisfaction": "p99 < 80ms"},
    Move.REVOKE: {"reason": "the vendor pulled out"},
    Move.ACCEPT: {"value": 4, "note": "works well"},
    Move.REJECT: {"reason": "fails the load test"},
}


def at_state(target: State) -> Commitment:
    commitment = request()
    for move, sides, args, at in PATHS[target]:
        commitment.apply(move, sides=sides, at=at, expected_version=commitment.version, args=args)
    assert commitment.state == target
    return commitment


def snapshot(c: Commitment) -> tuple[Any, ...]:
    return (
        c.state,
        c.version,
        c.title,
        c.due,
        c.conditions_of_satisfaction,
        c.reliance,
        dict(c.pending) if c.pending else None,
        c.pending_by,
        c.delivered_at,
        c.value,
        c.updated_at,
    )


def right_sides(c: Commitment, who: Who) -> list[frozenset[Side]]:
    if who == Who.R:
        return [R, BOTH]
    if who == Who.P:
        return [P, BOTH]
    if who == Who.EITHER:
        return [R, P, BOTH]
    assert c.pending_by is not None
    other = Side.REQUESTER if c.pending_by == Side.PERFORMER else Side.PERFORMER
    return [SIDE[other], BOTH]


def wrong_sides(c: Commitment, who: Who) -> list[frozenset[Side]]:
    if who == Who.R:
        return [P, NOBODY]
    if who == Who.P:
        return [R, NOBODY]
    if who == Who.EITHER:
        return [NOBODY]
    assert c.pending_by is not None
    return [SIDE[c.pending_by], NOBODY]


def move_time(move: Move) -> datetime:
    return LATER if move == Move.MARK_MISSED else hours(10)


ROWS = [(s, m) for (s, m) in TRANSITIONS if s is not None]


def row_id(row: tuple[State, Move]) -> str:
    return f"{row[0]}-{row[1]}"


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_every_row_works_for_the_right_side(row: tuple[State, Move]) -> None:
    source, move = row
    transition = TRANSITIONS[row]
    for sides in right_sides(at_state(source), transition.who):
        commitment = at_state(source)
        version = commitment.version
        payload = commitment.apply(
            move,
            sides=sides,
            at=move_time(move),
            expected_version=version,
            args=VALID_ARGS.get(move, {}),
        )
        assert commitment.state == transition.to
        assert commitment.version == version + 1
        assert commitment.updated_at == move_time(move)
        assert payload["move"] == move.value
        assert payload["from"] == source.value
        assert payload["to"] == transition.to.value
        assert payload["version"] == version + 1
        assert Side(payload["side"]) in sides


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_every_row_refuses_the_wrong_side(row: tuple[State, Move]) -> None:
    source, move = row
    transition = TRANSITIONS[row]
    for sides in wrong_sides(at_state(source), transition.who):
        commitment = at_state(source)
        before = snapshot(commitment)
        with pytest.raises(Forbidden) as refused:
            commitment.apply(
                move,
                sides=sides,
                at=move_time(move),
                expected_version=commitment.version,
                args=VALID_ARGS.get(move, {}),
            )
        assert refused.value.rule == "commitment.wrong_side"
        assert snapshot(commitment) == before


WRONG_STATE = [
    (s, m) for s in State for m in Move if m != Move.REQUEST and (s, m) not in TRANSITIONS
]


@pytest.mark.parametrize("row", WRONG_STATE, ids=row_id)
def test_moves_outside_the_table_are_refused(row: tuple[State, Move]) -> None:
    source, move = row
    commitment = at_state(source)
    before = snapshot(commitment)
    with pytest.raises(RuleBroken) as refused:
        commitment.apply(
            move,
            sides=BOTH,
            at=LATER + timedelta(days=1),
            expected_version=commitment.version,
            args=VALID_ARGS.get(move, {}),
        )
    assert refused.value.rule == "commitment.move_not_allowed"
    assert f"is {source.value}" in refused.value.message
    assert snapshot(commitment) == before


def test_wrong_state_message_names_needed_and_actual_state() -> None:
    commitment = at_state(State.PROMISED)
    with pytest.raises(RuleBroken) as refused:
        commitment.apply(
            Move.ACCEPT, sides=R, at=hours(5), expected_version=None, args={"value": 3}
        )
    assert refused.value.message == "'accept' needs state delivered, is promised"
    assert str(refused.value) == refused.value.message


def test_withdraw_message_lists_every_state_it_needs() -> None:
    commitment = at_state(State.DELIVERED)
    with pytest.raises(RuleBroken) as refused:
        commitment.apply(Move.WITHDRAW, sides=R, at=hours(5), expected_version=None, args={})
    for name in ("requested", "countered", "promised", "renegotiating"):
        assert name in refused.value.message
    assert refused.value.message.endswith("is delivered")


@pytest.mark.parametrize("sides", [R, P, BOTH])
def test_request_cannot_be_applied_to_an_existing_commitment(sides: frozenset[Side]) -> None:
    commitment = request()
    with pytest.raises(RuleBroken) as refused:
        commitment.apply(
            Move.REQUEST,
            sides=sides,
            at=hours(1),
            expected_version=1,
            args={"title": "again", "due": DUE},
        )
    assert refused.value.rule == "commitment.move_not_allowed"
    assert commitment.version == 1


def test_final_states_refuse_every_move() -> None:
    for final in FINAL:
        commitment = at_state(final)
        for move in Move:
            before = snapshot(commitment)
            with pytest.raises(RuleBroken):
                commitment.apply(
                    move,
                    sides=BOTH,
                    at=LATER + timedelta(days=2),
                    expected_version=commitment.version,
                    args=VALID_ARGS.get(move, {}),
                )
            assert snapshot(commitment) == before


@pytest.mark.parametrize("offset", [-1, 1, 5])
def test_stale_version_is_a_conflict(offset: int) -> None:
    commitment = at_state(State.PROMISED)
    before = snapshot(commitment)
    with pytest.raises(Conflict) as refused:
        commitment.apply(
            Move.REPORT_DONE,
            sides=P,
            at=hours(5),
            expected_version=commitment.version + offset,
            args={},
        )
    assert refused.value.rule == "commitment.version_stale"
    assert f"version {commitment.version}" in refused.value.message
    assert snapshot(commitment) == before


def test_no_expected_version_skips_the_version_check() -> None:
    commitment = at_state(State.PROMISED)
    commitment.apply(Move.REPORT_DONE, sides=P, at=hours(5), expected_version=None, args={})
    assert commitment.state == State.DELIVERED
    assert commitment.version == 3


def test_request_opens_a_commitment_with_its_terms() -> None:
    partnership, requester, performer = make_teams()
    commitment, payload = Commitment.request(
        key="c-9",
        partnership=partnership,
        requester=requester,
        performer=performer,
        measure=None,
        sides=R,
        at=T0,
        args={"title": "  Card vault API ", "due": DUE, "reliance": "critical"},
    )
    assert commitment.state == State.REQUESTED
    assert commitment.version == 1
    assert commitment.title == "Card vault API"
    assert commitment.conditions_of_satisfaction == ""
    assert commitment.reliance == Reliance.CRITICAL
    assert commitment.requested_at == commitment.updated_at == T0
    assert commitment.requester is requester
    assert commitment.performer is performer
    assert payload["move"] == "request"
    assert payload["from"] is None
    assert payload["to"] == "requested"
    assert payload["version"] == 1
    assert payload["args"]["due"] == "2025-04-02T09:00:00Z"


def test_request_defaults_reliance_to_none() -> None:
    partnership, requester, performer = make_teams()
    commitment, _ = Commitment.request(
        key="c-9",
        partnership=partnership,
        requester=requester,
        performer=performer,
        measure=None,
        sides=R,
        at=T0,
        args={"title": "x", "due": DUE},
    )
    assert commitment.reliance == Reliance.NONE


@pytest.mark.parametrize("sides", [P, NOBODY])
def test_only_the_requester_side_may_request(sides: frozenset[Side]) -> None:
    with pytest.raises(Forbidden) as refused:
        request(sides=sides)
    assert refused.value.rule == "commitment.wrong_side"


def test_requester_cannot_be_the_performer() -> None:
    partnership, requester, _ = make_teams()
    with pytest.raises(RuleBroken) as refused:
        Commitment.request(
            key="c-1",
            partnership=partnership,
            requester=requester,
            performer=requester,
            measure=None,
            sides=BOTH,
            at=T0,
            args={"title": "x", "due": DUE},
        )
    assert refused.value.rule == "commitment.same_team"


@pytest.mark.parametrize("due", [T0, T0 - timedelta(seconds=1), T0 - timedelta(days=3)])
def test_request_due_must_be_after_the_request(due: datetime) -> None:
    with pytest.raises(RuleBroken) as refused:
        request(due=due)
    assert refused.value.rule == "commitment.due_in_past"


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        ({"title": None}, "commitment.missing_field"),
        ({"due": None}, "commitment.missing_field"),
        ({"title": "   "}, "commitment.text_empty"),
        ({"title": "x" * 201}, "commitment.text_too_long"),
        ({"title": 42}, "commitment.text_invalid"),
        ({"due": datetime(2025, 5, 1, 9, 0)}, "commitment.due_invalid"),
        ({"due": "2025-05-01"}, "commitment.due_invalid"),
        ({"reliance": "enormous"}, "commitment.reliance_invalid"),
        ({"value": 3}, "commitment.unknown_field"),
    ],
)
def test_request_refuses_bad_arguments(args: dict[str, Any], rule: str) -> None:
    with pytest.raises(Invalid) as refused:
        request(**args)
    assert refused.value.rule == rule


def test_due_in_another_time_zone_is_the_same_instant() -> None:
    paris = timezone(timedelta(hours=1))
    commitment = request(due=datetime(2025, 4, 2, 10, 0, tzinfo=paris))
    assert commitment.due == DUE


def test_counter_then_accept_counter_takes_the_counter_terms() -> None:
    commitment = request()
    commitment.apply(
        Move.COUNTER,
        sides=P,
        at=hours(1),
        expected_version=1,
        args={
            "title": "Vault API, read only",
            "due": NEW_DUE,
            "conditions_of_satisfaction": "p99 < 80ms",
        },
    )
    assert commitment.state == State.COUNTERED
    assert commitment.pending_by == Side.PERFORMER
    assert commitment.title == "Card vault API"
    assert commitment.due == DUE
    payload = commitment.apply(
        Move.ACCEPT_COUNTER, sides=R, at=hours(2), expected_version=2, args={}
    )
    assert commitment.state == State.PROMISED
    assert commitment.title == "Vault API, read only"
    assert commitment.conditions_of_satisfaction == "p99 < 80ms"
    assert commitment.due == NEW_DUE
    assert commitment.pending is None
    assert commitment.pending_by is None
    assert payload["terms"] == {
        "title": "Vault API, read only",
        "conditions_of_satisfaction": "p99 < 80ms",
        "due": "2025-04-09T09:00:00Z",
    }


def test_counter_keeps_terms_it_does_not_change() -> None:
    commitment = request()
    commitment.apply(Move.COUNTER, sides=P, at=hours(1), expected_version=1, args={"due": NEW_DUE})
    commitment.apply(Move.ACCEPT_COUNTER, sides=R, at=hours(2), expected_version=2, args={})
    assert commitment.title == "Card vault API"
    assert commitment.conditions_of_satisfaction == "p99 < 50ms"
    assert commitment.due == NEW_DUE


def test_revise_takes_new_terms_and_goes_back_to_requested() -> None:
    commitment = at_state(State.COUNTERED)
    commitment.apply(
        Move.REVISE,
        sides=R,
        at=hours(3),
        expected_version=2,
        args={"title": "Smaller ask", "reliance": "low"},
    )
    assert commitment.state == State.REQUESTED
    assert commitment.title == "Smaller ask"
    assert commitment.reliance == Reliance.LOW
    assert commitment.due == DUE
    assert commitment.pending is None
    assert commitment.pending_by is None


@pytest.mark.parametrize("move", [Move.COUNTER, Move.PROPOSE_CHANGE])
def test_counter_and_propose_change_need_new_terms(move: Move) -> None:
    commitment = at_state(State.REQUESTED if move == Move.COUNTER else State.PROMISED)
    with pytest.raises(Invalid) as refused:
        commitment.apply(
            move, sides=P, at=hours(5), expected_version=None, args={"note": "just talking"}
        )
    assert refused.value.rule == "commitment.no_new_terms"


@pytest.mark.parametrize("proposer", [Side.REQUESTER, Side.PERFORMER])
def test_reject_change_keeps_the_old_terms(proposer: Side) -> None:
    commitment = at_state(State.PROMISED)
    commitment.apply(
        Move.PROPOSE_CHANGE,
        sides=SIDE[proposer],
        at=hours(2),
        expected_version=2,
        args={"due": NEW_DUE, "title": "Renamed"},
    )
    assert commitment.state == State.RENEGOTIATING
    assert commitment.pending_by == proposer
    assert commitment.pending == {"due": "2025-04-09T09:00:00Z", "title": "Renamed"}
    other = Side.REQUESTER if proposer == Side.PERFORMER else Side.PERFORMER
    commitment.apply(
        Move.REJECT_CHANGE,
        sides=SIDE[other],
        at=hours(3),
        expected_version=3,
        args={"reason": "we need it on time"},
    )
    assert commitment.state == State.PROMISED
    assert commitment.due == DUE
    assert commitment.title == "Card vault API"
    assert commitment.pending is None
    assert commitment.pending_by is None


@pytest.mark.parametrize("proposer", [Side.REQUESTER, Side.PERFORMER])
def test_accept_change_takes_the_new_terms(proposer: Side) -> None:
    commitment = at_state(State.PROMISED)
    commitment.apply(
        Move.PROPOSE_CHANGE,
        sides=SIDE[proposer],
        at=hours(2),
        expected_version=2,
        args={"due": NEW_DUE},
    )
    other = Side.REQUESTER if proposer == Side.PERFORMER else Side.PERFORMER
    payload = commitment.apply(
        Move.ACCEPT_CHANGE, sides=SIDE[other], at=hours(3), expected_version=3, args={}
    )
    assert commitment.state == State.PROMISED
    assert commitment.due == NEW_DUE
    assert commitment.due.utcoffset() == timedelta(0)
    assert commitment.title == "Card vault API"
    assert commitment.pending is None
    assert payload["side"] == other.value
    assert payload["terms"]["due"] == "2025-04-09T09:00:00Z"


@pytest.mark.parametrize("proposer", [Side.REQUESTER, Side.PERFORMER])
@pytest.mark.parametrize("answer", [Move.ACCEPT_CHANGE, Move.REJECT_CHANGE])
def test_the_proposing_side_cannot_answer_its_own_change(proposer: Side, answer: Move) -> None:
    commitment = at_state(State.PROMISED)
    commitment.apply(
        Move.PROPOSE_CHANGE,
        sides=SIDE[proposer],
        at=hours(2),
        expected_version=2,
        args={"due": NEW_DUE},
    )
    before = snapshot(commitment)
    with pytest.raises(Forbidden) as refused:
        commitment.apply(answer, sides=SIDE[proposer], at=hours(3), expected_version=3, args={})
    assert refused.value.rule == "commitment.wrong_side"
    assert snapshot(commitment) == before


def test_propose_change_by_both_sides_counts_as_the_performer() -> None:
    commitment = at_state(State.PROMISED)
    payload = commitment.apply(
        Move.PROPOSE_CHANGE, sides=BOTH, at=hours(2), expected_version=2, args={"due": NEW_DUE}
    )
    assert commitment.pending_by == Side.PERFORMER
    assert payload["side"] == "P"


@pytest.mark.parametrize("at", [DUE - timedelta(days=1), DUE - timedelta(microseconds=1), DUE])
def test_mark_missed_before_due_is_refused(at: datetime) -> None:
    commitment = at_state(State.PROMISED)
    before = snapshot(commitment)
    with pytest.raises(RuleBroken) as refused:
        commitment.apply(Move.MARK_MISSED, sides=R, at=at, expected_version=2, args={})
    assert refused.value.rule == "commitment.not_yet_due"
    assert snapshot(commitment) == before


@pytest.mark.parametrize("source", [State.PROMISED, State.RENEGOTIATING])
def test_mark_missed_after_due_is_allowed(source: State) -> None:
    commitment = at_state(source)
    commitment.apply(
        Move.MARK_MISSED,
        sides=R,
        at=DUE + timedelta(microseconds=1),
        expected_version=None,
        args={"note": "nothing arrived"},
    )
    assert commitment.state == State.MISSED
    assert commitment.pending is None


def test_mark_missed_uses_the_due_in_force_not_the_proposed_one() -> None:
    commitment = at_state(State.PROMISED)
    commitment.apply(
        Move.PROPOSE_CHANGE, sides=P, at=hours(2), expected_version=2, args={"due": NEW_DUE}
    )
    commitment.apply(
        Move.MARK_MISSED, sides=R, at=DUE + timedelta(hours=1), expected_version=3, args={}
    )
    assert commitment.state == State.MISSED


def test_mark_missed_after_an_accepted_later_due_waits_for_it() -> None:
    commitment = at_state(State.PROMISED)
    commitment.apply(
        Move.PROPOSE_CHANGE, sides=P, at=hours(2), expected_version=2, args={"due": NEW_DUE}
    )
    commitment.apply(Move.ACCEPT_CHANGE, sides=R, at=hours(3), expected_version=3, args={})
    with pytest.raises(RuleBroken) as refused:
        commitment.apply(
            Move.MARK_MISSED, sides=R, at=DUE + timedelta(hours=1), expected_version=4, args={}
        )
    assert refused.value.rule == "commitment.not_yet_due"


def test_report_done_sets_delivered_at_to_the_last_report() -> None:
    commitment = at_state(State.PROMISED)
    assert commitment.delivered_at is None
    commitment.apply(
        Move.REPORT_DONE, sides=P, at=hours(5), expected_version=2, args={"note": "deployed"}
    )
    assert commitment.delivered_at == hours(5)
    commitment.apply(
        Move.REJECT,
        sides=R,
        at=hours(6),
        expected_version=3,
        args={"reason": "fails the load test"},
    )
    assert commitment.state == State.PROMISED
    commitment.apply(Move.REPORT_DONE, sides=P, at=hours(9), expected_version=4, args={})
    assert commitment.delivered_at == hours(9)


def test_report_done_from_renegotiating_drops_the_proposal() -> None:
    commitment = at_state(State.RENEGOTIATING)
    commitment.apply(Move.REPORT_DONE, sides=P, at=hours(5), expected_version=None, args={})
    assert commitment.state == State.DELIVERED
    assert commitment.pending is None
    assert commitment.due == DUE


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5])
def test_accept_records_value(value: int) -> None:
    commitment = at_state(State.DELIVERED)
    payload = commitment.apply(
        Move.ACCEPT, sides=R, at=hours(5), expected_version=3, args={"value": value}
    )
    assert commitment.state == State.ACCEPTED
    assert commitment.value == value
    assert payload["args"] == {"value": value}


@pytest.mark.parametrize("value", [0, 6, -1, 3.5, 4.0, True, "4"])
def test_accept_refuses_values_outside_1_to_5(value: object) -> None:
    commitment = at_state(State.DELIVERED)
    before = snapshot(commitment)
    with pytest.raises(Invalid) as refused:
        commitment.apply(
            Move.ACCEPT, sides=R, at=hours(5), expected_version=3, args={"value": value}
        )
    assert refused.value.rule == "commitment.value_invalid"
    assert snapshot(commitment) == before


def test_accept_needs_a_value() -> None:
    commitment = at_state(State.DELIVERED)
    with pytest.raises(Invalid) as refused:
        commitment.apply(
            Move.ACCEPT, sides=R, at=hours(5), expected_version=3, args={"note": "great"}
        )
    assert refused.value.rule == "commitment.missing_field"
    assert commitment.value is None


REASON_MOVES = [
    (State.REQUESTED, Move.DECLINE, P),
    (State.PROMISED, Move.REVOKE, P),
    (State.RENEGOTIATING, Move.REVOKE, P),
    (State.DELIVERED, Move.REJECT, R),
]


@pytest.mark.parametrize(("source", "move", "sides"), REASON_MOVES)
@pytest.mark.parametrize(
    ("args", "rule"),
    [
        ({}, "commitment.missing_field"),
        ({"reason": None}, "commitment.missing_field"),
        ({"reason": "  \n "}, "commitment.text_empty"),
        ({"reason": 7}, "commitment.text_invalid"),
    ],
)
def test_moves_that_need_a_reason_refuse_without_one(
    source: State, move: Move, sides: frozenset[Side], args: dict[str, Any], rule: str
) -> None:
    commitment = at_state(source)
    before = snapshot(commitment)
    with pytest.raises(Invalid) as refused:
        commitment.apply(move, sides=sides, at=hours(5), expected_version=None, args=args)
    assert refused.value.rule == rule
    assert snapshot(commitment) == before


@pytest.mark.parametrize(("source", "move", "sides"), REASON_MOVES)
def test_reason_is_kept_trimmed_in_the_payload(
    source: State, move: Move, sides: frozenset[Side]
) -> None:
    commitment = at_state(source)
    payload = commitment.apply(
        move, sides=sides, at=hours(5), expected_version=None, args={"reason": "  out of budget "}
    )
    assert payload["args"] == {"reason": "out of budget"}


@pytest.mark.parametrize(
    ("source", "move", "sides"),
    [
        (State.REQUESTED, Move.COUNTER, P),
        (State.COUNTERED, Move.REVISE, R),
        (State.PROMISED, Move.PROPOSE_CHANGE, R),
        (State.PROMISED, Move.PROPOSE_CHANGE, P),
    ],
)
@pytest.mark.parametrize("due", [hours(5), hours(4), T0 - timedelta(days=1)])
def test_new_due_must_be_after_the_move(
    source: State, move: Move, sides: frozenset[Side], due: datetime
) -> None:
    commitment = at_state(source)
    before = snapshot(commitment)
    with pytest.raises(RuleBroken) as refused:
        commitment.apply(move, sides=sides, at=hours(5), expected_version=None, args={"due": due})
    assert refused.value.rule == "commitment.due_in_past"
    assert snapshot(commitment) == before


@pytest.mark.parametrize("source", [s for s in State if s not in FINAL])
def test_time_cannot_go_backwards(source: State) -> None:
    commitment = at_state(source)
    assert commitment.updated_at is not None
    move, transition = next(
        (m, t) for (s, m), t in TRANSITIONS.items() if s == source and m != Move.MARK_MISSED
    )
    before = snapshot(commitment)
    with pytest.raises(RuleBroken) as refused:
        commitment.apply(
            move,
            sides=BOTH,
            at=commitment.updated_at - timedelta(microseconds=1),
            expected_version=None,
            args=VALID_ARGS.get(move, {}),
        )
    assert refused.value.rule == "commitment.time_backwards"
    assert snapshot(commitment) == before
    commitment.apply(
        move,
        sides=BOTH,
        at=commitment.updated_at,
        expected_version=None,
        args=VALID_ARGS.get(move, {}),
    )
    assert commitment.state == transition.to


def test_unknown_field_is_refused_and_named() -> None:
    commitment = at_state(State.REQUESTED)
    with pytest.raises(Invalid, match="'promise' does not take due, title") as refused:
        commitment.apply(
            Move.PROMISE,
            sides=P,
            at=hours(5),
            expected_version=1,
            args={"title": "x", "due": NEW_DUE},
        )
    assert refused.value.rule == "commitment.unknown_field"
    assert commitment.state == State.REQUESTED


def test_normalize_args_canonical_form() -> None:
    assert normalize_args(Move.PROMISE, {"note": "  ok  "}) == {"note": "ok"}
    assert normalize_args(Move.PROMISE, {"note": "   "}) == {}
    assert normalize_args(Move.PROMISE, {"note": None}) == {}
    assert normalize_args(Move.REVISE, {"reliance": Reliance.HIGH}) == {"reliance": "high"}
    assert normalize_args(Move.COUNTER, {"conditions_of_satisfaction": "  "}) == {
        "conditions_of_satisfaction": ""
    }
    assert normalize_args(Move.REQUEST, {"title": "t", "due": DUE}) == {
        "title": "t",
        "due": DUE,
        "conditions_of_satisfaction": "",
        "reliance": "none",
    }


def test_every_move_has_fields_and_required_is_a_subset() -> None:
    assert set(MOVE_FIELDS) == set(Move)
    for move, (allowed, required) in MOVE_FIELDS.items():
        assert required <= allowed, move


@pytest.mark.parametrize(
    ("source", "now", "overdue"),
    [
        (State.PROMISED, DUE + timedelta(microseconds=1), True),
        (State.PROMISED, DUE, False),
        (State.PROMISED, DUE - timedelta(days=1), False),
        (State.RENEGOTIATING, DUE + timedelta(days=1), True),
        (State.REQUESTED, DUE + timedelta(days=1), False),
        (State.COUNTERED, DUE + timedelta(days=1), False),
        (State.DELIVERED, DUE + timedelta(days=1), False),
        (State.ACCEPTED, DUE + timedelta(days=1), False),
        (State.MISSED, DUE + timedelta(days=1), False),
        (State.REVOKED, DUE + timedelta(days=1), False),
    ],
)
def test_is_overdue(source: State, now: datetime, overdue: bool) -> None:
    assert at_state(source).is_overdue(now) is overdue


@pytest.mark.parametrize(
    ("source", "sides", "now", "expected"),
    [
        (State.REQUESTED, R, hours(5), {Move.WITHDRAW}),
        (State.REQUESTED, P, hours(5), {Move.PROMISE, Move.COUNTER, Move.DECLINE}),
        (State.REQUESTED, NOBODY, hours(5), set()),
        (State.COUNTERED, R, hours(5), {Move.ACCEPT_COUNTER, Move.REVISE, Move.WITHDRAW}),
        (State.COUNTERED, P, hours(5), set()),
        (State.PROMISED, R, hours(5), {Move.WITHDRAW, Move.PROPOSE_CHANGE}),
        (State.PROMISED, R, LATER, {Move.WITHDRAW, Move.PROPOSE_CHANGE, Move.MARK_MISSED}),
        (State.PROMISED, P, LATER, {Move.PROPOSE_CHANGE, Move.REVOKE, Move.REPORT_DONE}),
        (State.RENEGOTIATING, R, hours(5), {Move.WITHDRAW, Move.ACCEPT_CHANGE, Move.REJECT_CHANGE}),
        (State.RENEGOTIATING, P, hours(5), {Move.REVOKE, Move.REPORT_DONE}),
        (State.DELIVERED, R, hours(5), {Move.ACCEPT, Move.REJECT}),
        (State.DELIVERED, P, hours(5), set()),
        (State.ACCEPTED, BOTH, LATER, set()),
        (State.WITHDRAWN, BOTH, LATER, set()),
    ],
)
def test_allowed_moves(
    source: State, sides: frozenset[Side], now: datetime, expected: set[Move]
) -> None:
    moves = at_state(source).allowed_moves(sides, now)
    assert set(moves) == expected
    assert len(moves) == len(set(moves))


@pytest.mark.parametrize("source", list(State))
@pytest.mark.parametrize("sides", [R, P, BOTH, NOBODY])
def test_allowed_moves_are_exactly_the_moves_that_succeed(
    source: State, sides: frozenset[Side]
) -> None:
    for now in (hours(10), LATER):
        allowed = set(at_state(source).allowed_moves(sides, now))
        for move in Move:
            if move == Move.REQUEST:
                continue
            commitment = at_state(source)
            try:
                commitment.apply(
                    move,
                    sides=sides,
                    at=now,
                    expected_version=commitment.version,
                    args=VALID_ARGS.get(move, {}),
                )
            except (Forbidden, RuleBroken):
                assert move not in allowed, (source, move, now)
            else:
                assert move in allowed, (source, move, now)


@pytest.mark.parametrize(
    ("proposal", "answer"),
    [
        (Move.COUNTER, Move.ACCEPT_COUNTER),
        (Move.PROPOSE_CHANGE, Move.ACCEPT_CHANGE),
        (Move.PROPOSE_CHANGE, Move.REJECT_CHANGE),
    ],
)
def test_nobody_answers_their_own_proposal_even_in_both_teams(proposal: Move, answer: Move) -> None:
    commitment = request()
    if proposal == Move.PROPOSE_CHANGE:
        commitment.apply(Move.PROMISE, sides=P, at=hours(1), expected_version=1, args={})
    commitment.apply(
        proposal,
        sides=BOTH,
        at=hours(2),
        expected_version=None,
        args={"due": NEW_DUE},
        actor="both@example.org",
    )
    before = snapshot(commitment)

    with pytest.raises(Forbidden) as refused:
        commitment.apply(
            answer,
            sides=BOTH,
            at=hours(3),
            expected_version=None,
            args={},
            actor="both@example.org",
        )

    assert refused.value.rule == "commitment.own_proposal"
    assert snapshot(commitment) == before
    commitment.apply(
        answer,
        sides=BOTH,
        at=hours(3),
        expected_version=None,
        args={},
        actor="colleague@example.org",
    )
    assert commitment.state == State.PROMISED
    assert commitment.pending_proposer is None
