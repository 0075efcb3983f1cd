"""Two people move the same commitment version at once: one wins, the other gets a Conflict."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from accord.commitments import service as commitments
from accord.errors import Conflict
from factories import (
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
