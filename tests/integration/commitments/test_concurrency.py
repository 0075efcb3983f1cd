"""Two people move the same commitment version at once: one wins, the other gets a Conflict."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from accord.commitments import service as commitments
from accord.errors import Conflict
from accord.notify.orm import notifications_table
from accord.trust import service as trust
from accord.trust.orm import trust_pairs_table, trust_state_table, trust_tracks_table
from factories import (
    OPERATOR,
    SETTINGS,
    chain_ok,
    checkout,
    events_after,
    last_event_id,
    make_commitment,
    make_person,
)

ROUNDS = 5
WINNER_STATE = {"promise": "promised", "decline": "declined", "withdraw": "withdrawn"}


@pytest.fixture
def org(uow):
    partners = checkout(uow)
    return {
        "r": partners["rita"],
        "p": partners["paul"],
        "p2": make_person(uow, "pia@example.org", teams={"platform": "member"}),
    }


def race(make_uow, moves: list[tuple[Any, str, dict[str, Any]]], key: str) -> list[Any]:
    """Run each (actor, move, args) at version 1 in its own thread and unit of work, together."""
    barrier = threading.Barrier(len(moves))
    outcomes: list[Any] = [None] * len(moves)

    def run(index: int, actor: Any, move: str, args: dict[str, Any]) -> None:
        uow = make_uow()
        barrier.wait(timeout=30)
        try:
            outcomes[index] = commitments.move(uow, actor, key, move, version=1, **args)
        except Exception as error:  # the test looks at what each thread got
            outcomes[index] = error

    threads = [
        threading.Thread(target=run, args=(i, actor, move, args))
        for i, (actor, move, args) in enumerate(moves)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("p", "promise", {}), ("p2", "decline", {"reason": "We are full"})),
        (("p", "promise", {}), ("r", "withdraw", {"reason": "Not needed"})),
        (("p", "promise", {}), ("p2", "promise", {})),
    ],
    ids=["promise-vs-decline", "promise-vs-withdraw", "promise-vs-promise"],
)
def test_exactly_one_of_two_simultaneous_moves_wins(uow, make_uow, org, first, second):
    for round_ in range(ROUNDS):
        key = f"race-{round_}"
        make_commitment(uow, "checkout", org["r"], "payments", "platform", key=key)
        mark = last_event_id(uow)
        moves = [(org[who], move, args) for who, move, args in (first, second)]

        outcomes = race(make_uow, moves, key)

        winners = [i for i, o in enumerate(outcomes) if not isinstance(o, Exception)]
        losers = [o for o in outcomes if isinstance(o, Exception)]
        assert len(winners) == 1, outcomes
        assert len(losers) == 1
        assert isinstance(losers[0], Conflict), repr(losers[0])
        [winner] = winners
        won_move = moves[winner][1]
        stored = commitments.get_commitment(uow, key).commitment
        assert (stored.version, stored.state.value) == (2, WINNER_STATE[won_move])
        [event] = events_after(uow, mark)
        assert (event.subject, event.payload["move"], event.payload["version"]) == (
            f"commitment:{key}",
            won_move,
            2,
        )
        assert event.actor == moves[winner][0].email
    assert chain_ok(uow)


def test_simultaneous_moves_on_different_commitments_all_land_in_one_chain(uow, make_uow, org):
    keys = [f"parallel-{i}" for i in range(4)]
    for key in keys:
        make_commitment(uow, "checkout", org["r"], "payments", "platform", key=key)
    mark = last_event_id(uow)
    barrier = threading.Barrier(len(keys))
    outcomes: dict[str, Any] = {}

    def run(key: str, actor: Any) -> None:
        unit = make_uow()
        barrier.wait(timeout=30)
        try:
            outcomes[key] = commitments.move(unit, actor, key, "promise", version=1)
        except Exception as error:  # the test looks at what each thread got
            outcomes[key] = error

    actors = [org["p"], org["p2"]] * 2
    threads = [threading.Thread(target=run, args=pair) for pair in zip(keys, actors, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert not [o for o in outcomes.values() if isinstance(o, Exception)], outcomes
    appended = events_after(uow, mark)
    assert [e.id for e in appended] == list(range(mark + 1, mark + 1 + len(keys)))
    assert sorted(e.subject for e in appended) == [f"commitment:{key}" for key in keys]
    assert chain_ok(uow)


def _stored_trust(engine: Any) -> dict[str, Any]:
    """The stored sums, tracks and bookkeeping (its version aside), to compare with a rebuild."""
    with engine.connect() as connection:
        state = dict(connection.execute(select(trust_state_table)).mappings().one())
        state.pop("version")
        for name in ("overdue_notice", "overdue_silent"):
            state[name] = pytest.approx(state[name], rel=1e-9, abs=1e-9)
        pairs = select(trust_pairs_table).order_by(
            trust_pairs_table.c.requester_id, trust_pairs_table.c.performer_id
        )
        tracks = select(trust_tracks_table).order_by(trust_tracks_table.c.commitment_id)
        return {
            "state": state,
            "pairs": [dict(r) for r in connection.execute(pairs).mappings()],
            "tracks": [dict(r) for r in connection.execute(tracks).mappings()],
        }


def test_simultaneous_moves_in_one_pair_keep_trust_and_notices_as_the_log_tells(
    engine, uow, make_uow, org
):
    """Moves read who hears of them and the ids the trust upkeep needs before the log's head is
    locked, and fold the sums after: run at once in one pair (outcomes that change the pair's
    sums, and new requests), the sums equal a rebuild from the log and every notice names the
    event it tells of."""
    delivered = [f"done-{i}" for i in range(3)]
    for key in delivered:
        make_commitment(uow, "checkout", org["r"], "payments", "platform", key=key)
        commitments.move(uow, org["p"], key, "promise", version=1)
        commitments.move(uow, org["p"], key, "report_done", version=2)
    mark = last_event_id(uow)
    due = uow.now() + timedelta(days=20)
    jobs: list[Any] = [
        lambda unit, key=key, value=value: commitments.move(
            unit, org["r"], key, "accept", version=3, value=value
        )
        for key, value in zip(delivered, (5, 2, 4), strict=True)
    ] + [
        lambda unit, i=i: commitments.request(
            unit,
            org["r"],
            partnership="checkout",
            requester="payments",
            performer="platform",
            title=f"Fresh ask {i}",
            due=due,
            key=f"ask-{i}",
        )
        for i in range(3)
    ]
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        unit = make_uow()
        barrier.wait(timeout=30)
        try:
            outcomes[index] = jobs[index](unit)
        except Exception as error:  # the test looks at what each thread got
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    appended = events_after(uow, mark)
    assert [e.id for e in appended] == list(range(mark + 1, mark + 1 + len(jobs)))
    assert chain_ok(uow)
    # every move was told to the performer's people (paul and pia), keyed by its own event
    hearers = {org["p"].id, org["p2"].id}
    with engine.connect() as connection:
        n = notifications_table.c
        query = select(n.event_id, n.key, n.person_id).where(n.event_id > mark)
        noticed = {tuple(row) for row in connection.execute(query)}
    assert noticed == {(e.id, f"e{e.id}:p{pid}", pid) for e in appended for pid in hearers}
    kept = _stored_trust(engine)
    assert kept["pairs"], "no outcome reached the pair's sums"
    trust.rebuild(uow, SETTINGS, OPERATOR)
    assert _stored_trust(engine) == kept
