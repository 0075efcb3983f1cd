"""Random conversations: whatever is tried, the commitment only moves as the table allows."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from accord.commitments.domain import (
    FINAL,
    MOVE_FIELDS,
    TERMS_REQUIRED,
    TRANSITIONS,
    Commitment,
    Move,
    Reliance,
    Side,
    State,
    Who,
)
from accord.errors import AccordError
from accord.org.domain import Team
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose, PurposeStatus

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
FIRST_DUE = T0 + timedelta(days=10)
SIDES = st.sampled_from(
    [
        frozenset({Side.REQUESTER}),
        frozenset({Side.PERFORMER}),
        frozenset({Side.REQUESTER, Side.PERFORMER}),
        frozenset(),
    ]
)
WORDS = st.text(alphabet="abcdefgh", min_size=1, max_size=8)
FIELD_NAMES = sorted({name for allowed, _ in MOVE_FIELDS.values() for name in allowed})
JUNK = st.one_of(
    st.none(),
    st.just(""),
    st.just("   "),
    st.just("x" * 4001),
    WORDS,
    st.integers(-2, 7),
    st.booleans(),
    st.floats(allow_nan=True),
    st.just("enormous"),
    st.just(datetime(2025, 6, 1, 12, 0)),  # naive
)


def reachable_states() -> set[State]:
    reached: set[State] = set()
    queue: deque[State | None] = deque([None])
    while queue:
        current = queue.popleft()
        for (source, _), transition in TRANSITIONS.items():
            if source == current and transition.to not in reached:
                reached.add(transition.to)
                queue.append(transition.to)
    return reached


REACHABLE = reachable_states()


def snapshot(c: Commitment) -> dict[str, Any]:
    return {
        "state": c.state,
        "version": c.version,
        "title": c.title,
        "due": c.due,
        "conditions": c.conditions_of_satisfaction,
        "reliance": c.reliance,
        "pending": dict(c.pending) if c.pending is not None else None,
        "pending_by": c.pending_by,
        "delivered_at": c.delivered_at,
        "value": c.value,
        "updated_at": c.updated_at,
    }


def valid_value(name: str, now: datetime) -> st.SearchStrategy[Any]:
    if name == "due":
        return st.integers(1, 60 * 24 * 30).map(lambda m: now + timedelta(minutes=m))
    if name == "value":
        return st.integers(1, 5)
    if name == "reliance":
        return st.sampled_from(list(Reliance))
    if name == "conditions_of_satisfaction":
        return st.text(alphabet="abc ", max_size=8)
    return WORDS


def valid_args(move: Move, now: datetime) -> st.SearchStrategy[dict[str, Any]]:
    allowed, required = MOVE_FIELDS[move]
    optional = sorted(allowed - required)
    if move in TERMS_REQUIRED:
        required = required | {"due"}
        optional = [name for name in optional if name != "due"]
    return st.fixed_dictionaries(
        {name: valid_value(name, now) for name in sorted(required)},
        optional={name: valid_value(name, now) for name in optional},
    )


def junk_args(now: datetime) -> st.SearchStrategy[dict[str, Any]]:
    past_due = st.integers(0, 60 * 24 * 30).map(lambda m: now - timedelta(minutes=m))
    return st.dictionaries(
        st.sampled_from([*FIELD_NAMES, "bogus"]), st.one_of(JUNK, past_due), max_size=4
    )


class CommitmentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.start()

    def start(self) -> None:
        requester = Team(slug="payments", name="Payments")
        performer = Team(slug="platform", name="Platform")
        purpose = Purpose(key="p", title="Halve churn", status=PurposeStatus.ACTIVE)
        partnership = Partnership(key="k", name="Checkout", purpose=purpose)
        partnership.add_party(requester, "checkout flow")
        partnership.add_party(performer, "payment rails")
        self.commitment, _ = Commitment.request(
            key="c-1",
            partnership=partnership,
            requester=requester,
            performer=performer,
            measure=None,
            sides=frozenset({Side.REQUESTER}),
            at=T0,
            args={"title": "Card vault API", "due": FIRST_DUE},
        )
        self.now = T0
        self.successes = 0
        self.final: dict[str, Any] | None = None

    @rule(
        data=st.data(),
        sides=SIDES,
        minutes=st.one_of(st.integers(0, 60 * 24 * 3), st.integers(0, 60 * 24 * 40)),
        version_offset=st.sampled_from([0] * 12 + [-1, 1, None]),
    )
    def try_a_move(
        self,
        data: st.DataObject,
        sides: frozenset[Side],
        minutes: int,
        version_offset: int | None,
    ) -> None:
        self.now += timedelta(minutes=minutes)
        c = self.commitment
        # Mostly moves the table has for this state with well-formed arguments, so that
        # conversations get deep; sometimes anything at all.
        likely = [m for (s, m) in TRANSITIONS if s == c.state]
        pick_likely = bool(likely) and data.draw(st.integers(0, 9), label="bias") < 7
        move = data.draw(st.sampled_from(likely if pick_likely else list(Move)), label="move")
        well_formed = data.draw(st.integers(0, 4), label="well-formed") < 4
        args = data.draw(
            valid_args(move, self.now) if well_formed else junk_args(self.now), label="args"
        )
        expected = None if version_offset is None else c.version + version_offset
        before = snapshot(c)
        if data.draw(st.sampled_from([False] * 12 + [True]), label="back in time"):
            assert c.updated_at is not None
            earlier = c.updated_at - timedelta(minutes=data.draw(st.integers(1, 60 * 24 * 5)))
            try:
                c.apply(move, sides=sides, at=earlier, expected_version=expected, args=args)
            except AccordError:
                assert snapshot(c) == before
                return
            raise AssertionError(f"{move} at {earlier} went through after {c.updated_at}")
        try:
            payload = c.apply(move, sides=sides, at=self.now, expected_version=expected, args=args)
        except AccordError:
            assert snapshot(c) == before
            return
        self.successes += 1
        old_state = before["state"]
        assert old_state not in FINAL
        assert (old_state, move) in TRANSITIONS
        transition = TRANSITIONS[(old_state, move)]
        assert c.state == transition.to
        assert c.version == before["version"] + 1
        assert expected in (None, before["version"])
        assert c.updated_at == self.now
        permitted = {
            Who.R: {Side.REQUESTER},
            Who.P: {Side.PERFORMER},
            Who.EITHER: {Side.REQUESTER, Side.PERFORMER},
            Who.OTHER: {
                Side.PERFORMER if before["pending_by"] == Side.REQUESTER else Side.REQUESTER
            },
        }[transition.who]
        assert sides & permitted
        assert Side(payload["side"]) in sides & permitted
        assert (payload["from"], payload["to"]) == (old_state.value, c.state.value)
        assert payload["version"] == c.version
        if move == Move.MARK_MISSED:
            assert self.now > before["due"]
        if move == Move.REPORT_DONE:
            assert c.delivered_at == self.now
        if move in (Move.COUNTER, Move.PROPOSE_CHANGE, Move.REVISE) and args.get("due"):
            assert args["due"] > self.now  # a due given as None is no new due

    @precondition(lambda self: self.commitment.state in FINAL)
    @rule()
    def open_another_after_a_final_state(self) -> None:
        # A final commitment only ever refuses; a fresh one keeps the conversation going.
        self.final_states_never_move()
        self.start()

    @invariant()
    def state_is_reachable(self) -> None:
        assert self.commitment.state in REACHABLE

    @invariant()
    def version_counts_successful_moves(self) -> None:
        assert self.commitment.version == 1 + self.successes

    @invariant()
    def final_states_never_move(self) -> None:
        current = snapshot(self.commitment)
        if self.final is not None:
            assert current == self.final
        elif self.commitment.state in FINAL:
            self.final = current

    @invariant()
    def pending_only_while_a_proposal_is_open(self) -> None:
        c = self.commitment
        open_proposal = c.state in (State.COUNTERED, State.RENEGOTIATING)
        assert (c.pending is not None) == open_proposal
        assert (c.pending_by is not None) == open_proposal
        if c.state == State.COUNTERED:
            assert c.pending_by == Side.PERFORMER

    @invariant()
    def value_and_delivery_match_the_state(self) -> None:
        c = self.commitment
        assert (c.value is not None) == (c.state == State.ACCEPTED)
        if c.value is not None:
            assert 1 <= c.value <= 5
        if c.state in (State.DELIVERED, State.ACCEPTED):
            assert c.delivered_at is not None
        assert c.due.tzinfo is not None
        assert c.updated_at is not None
        assert c.requested_at is not None
        assert c.updated_at >= c.requested_at


CommitmentMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=30, deadline=None
)
TestCommitmentConversation = CommitmentMachine.TestCase
