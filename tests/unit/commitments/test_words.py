"""A commitment in one sentence, state by state, and its history in words: old → new terms,
notes, and people by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from accord.commitments import words
from accord.commitments.domain import Commitment, Move, Side, State
from accord.events.domain import EventView
from accord.org.domain import Membership, Person, Team
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose, PurposeStatus

T0 = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)  # a Monday
DUE = datetime(2025, 12, 8, 17, 0, tzinfo=UTC)  # Mon 8 Dec
LATER = datetime(2025, 12, 12, 17, 0, tzinfo=UTC)  # Fri 12 Dec
R = frozenset({Side.REQUESTER})
P = frozenset({Side.PERFORMER})
SIDES = {Side.REQUESTER: R, Side.PERFORMER: P}
ANA = Person(email="ana.lima@example.org", name="Ana Lima")
BO = Person(email="bo.berg@example.org", name="Bo Berg")


def day(moment: datetime) -> str:
    """Days as the pages say them, with the year always left out."""
    return f"{moment.astimezone(UTC):%a} {moment.day} {moment:%b}"


class Story:
    """Customer Success (Bo) asks Data Platform (Ana) for a billing data feed; each move is kept
    as the event the history shows."""

    def __init__(self) -> None:
        self.requester = Team(slug="customer-success", name="Customer Success")
        self.performer = Team(slug="data-platform", name="Data Platform")
        self.requester.memberships.append(Membership(person=BO, team=self.requester))
        self.performer.memberships.append(Membership(person=ANA, team=self.performer))
        purpose = Purpose(key="churn", title="Halve churn", status=PurposeStatus.ACTIVE)
        partnership = Partnership(key="p-1", name="Billing", purpose=purpose)
        partnership.add_party(self.requester, "knows the customers")
        partnership.add_party(self.performer, "runs the data")
        self.at = T0
        self.c, payload = Commitment.request(
            key="c-241",
            partnership=partnership,
            requester=self.requester,
            performer=self.performer,
            measure=None,
            sides=R,
            at=self.at,
            args={"title": "Billing data feed", "due": DUE, "conditions_of_satisfaction": "Daily"},
        )
        self.events = [self.event(BO, payload)]

    def event(self, who: Person, payload: dict[str, Any]) -> EventView:
        return EventView(
            id=len(getattr(self, "events", [])) + 1,
            at=self.at,
            actor=who.email,
            type=f"commitment.{payload['move']}",
            subject=f"commitment:{self.c.key}",
            payload=payload,
            prev_hash=None,
            hash=None,
        )

    def move(self, move: Move, side: Side, **args: Any) -> Story:
        self.at += timedelta(hours=1)
        who = BO if side == Side.REQUESTER else ANA
        payload = self.c.apply(
            move,
            sides=SIDES[side],
            at=self.at,
            expected_version=self.c.version,
            args=args,
            actor=who.email,
        )
        self.events.append(self.event(who, payload))
        return self


def story(*moves: tuple[Move, Side, dict[str, Any]]) -> Story:
    told = Story()
    for move, side, args in moves:
        told.move(move, side, **args)
    return told


PROMISE = (Move.PROMISE, Side.PERFORMER, {})
DONE = (Move.REPORT_DONE, Side.PERFORMER, {"note": "live since Monday"})
SENTENCES: dict[State, tuple[list[tuple[Move, Side, dict[str, Any]]], str]] = {
    State.REQUESTED: (
        [],
        "Customer Success asks Data Platform for Billing data feed, due Mon 8 Dec",
    ),
    State.COUNTERED: (
        [(Move.COUNTER, Side.PERFORMER, {"due": LATER, "note": "the vendor is slow"})],
        "Data Platform offers Customer Success Billing data feed on other terms "
        "(due Mon 8 Dec → Fri 12 Dec)",
    ),
    State.PROMISED: (
        [PROMISE],
        "Data Platform promised Customer Success Billing data feed, due Mon 8 Dec",
    ),
    State.RENEGOTIATING: (
        [PROMISE, (Move.PROPOSE_CHANGE, Side.REQUESTER, {"title": "Hourly billing feed"})],
        "Data Platform promised Customer Success Billing data feed, due Mon 8 Dec; "
        "Customer Success proposes a change (what Billing data feed → Hourly billing feed)",
    ),
    State.DELIVERED: (
        [PROMISE, DONE],
        "Data Platform delivered Billing data feed to Customer Success, to be accepted",
    ),
    State.ACCEPTED: (
        [PROMISE, DONE, (Move.ACCEPT, Side.REQUESTER, {"value": 4})],
        "Customer Success accepted Billing data feed from Data Platform",
    ),
    State.DECLINED: (
        [(Move.DECLINE, Side.PERFORMER, {"reason": "not ours"})],
        "Data Platform declined Customer Success's request for Billing data feed",
    ),
    State.WITHDRAWN: (
        [(Move.WITHDRAW, Side.REQUESTER, {})],
        "Customer Success withdrew its request to Data Platform for Billing data feed",
    ),
    State.REVOKED: (
        [PROMISE, (Move.REVOKE, Side.PERFORMER, {"reason": "lost staff"})],
        "Data Platform revoked its promise to Customer Success of Billing data feed",
    ),
}


@pytest.mark.parametrize("state", list(SENTENCES), ids=str)
def test_each_state_says_who_owes_whom_in_the_direction_it_runs(state: State) -> None:
    moves, said = SENTENCES[state]
    told = story(*moves)

    assert told.c.state == state
    assert words.sentence(told.c, day) == said


def test_a_missed_commitment_says_who_missed_it_and_its_due_date() -> None:
    told = story(PROMISE)
    told.at = DUE
    told.move(Move.MARK_MISSED, Side.REQUESTER)

    assert told.c.state == State.MISSED
    assert words.sentence(told.c, day) == (
        "Data Platform missed Billing data feed for Customer Success, due Mon 8 Dec"
    )


def test_every_state_has_its_own_sentence() -> None:
    assert set(SENTENCES) | {State.MISSED} == set(State)


def test_a_request_never_says_promised_and_a_promise_never_says_asks() -> None:
    asked = words.sentence(story().c, day)
    promised = words.sentence(story(PROMISE).c, day)

    assert "promise" not in asked
    assert asked.startswith("Customer Success asks Data Platform")
    assert "asks" not in promised
    assert promised.startswith("Data Platform promised Customer Success")


def test_the_day_is_in_utc_by_default_with_the_year_when_not_this_one() -> None:
    evening_in_lima = datetime(2001, 1, 2, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    today = datetime.now(UTC)

    assert words.day_utc(evening_in_lima) == "Wed 3 Jan 2001"
    assert words.day_utc(today) == f"{today:%a} {today.day} {today:%b}"


def test_terms_change_says_only_what_changes_old_to_new() -> None:
    old = {"title": "Feed", "due": DUE, "conditions_of_satisfaction": ""}

    assert words.terms_change(old, {"due": LATER.isoformat(), "title": "Feed"}, day) == [
        ("due", "Mon 8 Dec", "Fri 12 Dec")
    ]
    assert words.terms_change(old, {"conditions_of_satisfaction": "Daily", "title": "Hourly"}) == [
        ("what", "Feed", "Hourly"),
        ("conditions", "—", "Daily"),
    ]
    assert words.terms_change(old, {"due": DUE.isoformat()}) == []
    assert words.terms_change(old, {}) == []


def test_the_same_terms_offered_again_are_said_as_such() -> None:
    told = story((Move.COUNTER, Side.PERFORMER, {"due": LATER}))
    told.c.pending = {"due": DUE.isoformat()}

    assert words.sentence(told.c, day).endswith("on other terms (the same terms)")


def test_the_history_names_people_and_their_team_and_tells_each_move() -> None:
    told = story(PROMISE, DONE, (Move.ACCEPT, Side.REQUESTER, {"value": 5, "note": "great"}))

    steps = words.steps(told.c, told.events)

    assert [(s.person, s.team.name if s.team else None, s.done) for s in steps] == [
        ("Bo Berg", "Customer Success", "asked"),
        ("Ana Lima", "Data Platform", "promised"),
        ("Ana Lima", "Data Platform", "reported it done"),
        ("Bo Berg", "Customer Success", "accepted the delivery"),
    ]
    assert [s.to for s in steps] == ["requested", "promised", "delivered", "accepted"]
    assert steps[2].note == "live since Monday"
    assert (steps[3].value, steps[3].note) == (5, "great")
    assert all("@" not in s.person for s in steps)


def test_the_history_shows_each_counter_change_and_revision_old_to_new_with_its_note() -> None:
    told = story(
        (Move.COUNTER, Side.PERFORMER, {"due": LATER, "note": "the vendor is slow"}),
        (Move.REVISE, Side.REQUESTER, {"title": "Weekly billing feed", "reliance": "high"}),
        PROMISE,
        (Move.PROPOSE_CHANGE, Side.PERFORMER, {"due": LATER, "note": "one more week"}),
        (Move.ACCEPT_CHANGE, Side.REQUESTER, {}),
    )

    changes = {
        s.move: [(c.label, c.old, c.new) for c in s.changes]
        for s in words.steps(told.c, told.events)
    }

    assert changes["counter"] == [("due", DUE, LATER)]
    assert changes["revise"] == [
        ("what", "Billing data feed", "Weekly billing feed"),
        ("reliance", "none", "high"),
    ]
    assert changes["propose_change"] == [("due", DUE, LATER)]
    assert changes["accept_change"] == [("due", DUE, LATER)]
    notes = {s.move: s.note for s in words.steps(told.c, told.events)}
    assert notes["counter"] == "the vendor is slow"
    assert notes["propose_change"] == "one more week"


def test_the_proposal_waiting_for_an_answer_is_the_last_counter_or_change() -> None:
    waiting = story((Move.COUNTER, Side.PERFORMER, {"due": LATER, "note": "slow vendor"}))
    answered = story(
        (Move.COUNTER, Side.PERFORMER, {"due": LATER}), (Move.ACCEPT_COUNTER, Side.REQUESTER, {})
    )

    found = words.proposal(words.steps(waiting.c, waiting.events))

    assert found is not None
    assert (found.note, found.person) == ("slow vendor", "Ana Lima")
    assert words.proposal(words.steps(answered.c, answered.events)) is None
    assert [(c.label, c.new) for c in words.pending_changes(waiting.c)] == [("due", LATER)]


def test_someone_no_longer_known_is_someone_never_an_address() -> None:
    told = story(PROMISE)

    steps = words.steps(told.c, told.events, names={})

    assert [s.person for s in steps] == ["someone", "someone"]
    assert words.names_of(told.c) == {BO.email: "Bo Berg", ANA.email: "Ana Lima"}
