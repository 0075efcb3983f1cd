"""The bulk import writes what the move-by-move replay writes: the same export, the same event
log to the last hash, the same trust sums, the same report, and the same problems."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from accord.commitments.domain import MOVE_FIELDS, TERMS_REQUIRED, TRANSITIONS, Move, State, Who
from accord.commitments.orm import commitments_table
from accord.demo import build_demo
from accord.events.orm import events_table
from accord.interchange.exporter import export_document
from accord.interchange.importer import import_document, replay_document
from accord.interchange.report import ImportRefused, ImportReport
from accord.trust.orm import trust_pairs_table, trust_state_table, trust_tracks_table
from accord.uow import UnitOfWork
from factories import OPERATOR
from interchange_documents import example

R, P, BOTH = "bo@example.org", "ana@example.org", "kim@example.org"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def random_document(seed: int, count: int = 80) -> dict[str, Any]:
    """The example's organization with `count` random histories: every move of the table, by
    either side or by a member of both teams, with due dates already past, accepts without a
    value and dates given without a time."""
    rng = random.Random(seed)
    doc = example()
    doc["people"].append(
        {
            "email": BOTH,
            "name": "Kim Both",
            "memberships": [{"team": "data-platform"}, {"team": "customer-success"}],
        }
    )
    teams = {"R": "customer-success", "P": "data-platform"}
    doc["commitments"] = []
    for number in range(count):
        requester, performer = teams["R"], teams["P"]
        movers = {"R": R, "P": P}
        if rng.random() < 0.3:
            requester, performer = performer, requester
            movers = {"R": P, "P": R}
        at = datetime(2026, 1, 12, tzinfo=UTC) + timedelta(hours=rng.randint(0, 2000))
        due = at + timedelta(days=rng.choice([-2, 5, 20, 40]))
        history: list[dict[str, Any]] = [
            {
                "move": "request",
                "by": rng.choice([movers["R"], BOTH]),
                "at": _iso(at),
                "title": f"Thing {number}",
                "due": _iso(due) if rng.random() < 0.8 else due.date().isoformat(),
                "reliance": rng.choice(["none", "low", "high", "critical"]),
            }
        ]
        latest_due = due
        state: State | None = State.REQUESTED
        pending_by = None
        for _ in range(rng.randint(0, 7)):
            choices = [(m, t) for (s, m), t in TRANSITIONS.items() if s == state]
            if not choices:
                break
            move, transition = rng.choice(choices)
            at += timedelta(hours=rng.randint(1, 200))
            if move == Move.MARK_MISSED and at <= latest_due + timedelta(days=1):
                at = latest_due + timedelta(days=1, hours=1)
            side = transition.who.value
            if transition.who == Who.EITHER:
                side = rng.choice("RP")
            elif transition.who == Who.OTHER:
                side = "R" if pending_by == "P" else "P"
            by = BOTH if rng.random() < 0.15 else movers[side]
            if by == BOTH and transition.who == Who.EITHER:
                side = "P"  # a member of both teams moves for the performer
            step: dict[str, Any] = {"move": move.value, "by": by, "at": _iso(at)}
            allowed, required = MOVE_FIELDS[move]
            for name in sorted(required - {"value"}):
                step[name] = f"{name} {number}"
            if move == Move.ACCEPT and rng.random() < 0.8:
                step["value"] = rng.randint(1, 5)
            if "note" in allowed and rng.random() < 0.3:
                step["note"] = f"  note {number}  "
            if move in TERMS_REQUIRED:
                due = at + timedelta(days=rng.choice([-1, 10, 30]))
                latest_due = max(latest_due, due)
                step["due"] = _iso(due)
            if move in (Move.COUNTER, Move.PROPOSE_CHANGE):
                pending_by = side
            history.append(step)
            state = transition.to
        doc["commitments"].append(
            {
                "key": f"r-{number}",
                "partnership": "churn-signals",
                "requester": requester,
                "performer": performer,
                "history": history,
            }
        )
    return doc


def with_problems() -> dict[str, Any]:
    """Histories each broken in another way, with good ones between them."""
    doc = random_document(7, 12)
    items = doc["commitments"]
    items[1]["history"].append({"move": "promise", "by": P, "at": "2027-01-01T00:00:00Z"})
    items[1]["history"].append({"move": "promise", "by": P, "at": "2027-01-02T00:00:00Z"})
    items[2]["history"][0]["by"] = "nobody@example.org"
    items[3]["key"] = items[5]["key"]
    items[4]["performer"] = "no-such-team"
    items[6]["history"][0]["move"] = "promise"
    items[7]["partnership"] = "no-such-partnership"
    items[8]["history"][0]["due"] = None
    items[9]["key"] = "Not A Key"
    return doc


def with_a_bad_shape() -> dict[str, Any]:
    doc = with_problems()
    doc["commitments"][10]["history"][0]["at"] = "2026-01-12T10:00:00"
    doc["commitments"][11]["surprise"] = True
    doc["people"][0]["surprise"] = True
    return doc


def rows(engine: Engine, table: Any, *, leave: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        found = connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()
        return [{k: v for k, v in row.items() if k not in leave} for row in found]


def stored(engine: Engine) -> dict[str, Any]:
    """Everything an import writes that the two ways must agree on."""
    return {
        "commitments": rows(engine, commitments_table),
        "events": rows(engine, events_table),
        "pairs": rows(engine, trust_pairs_table),
        "tracks": rows(engine, trust_tracks_table),
        # the version counts the upkeep's runs, which the bulk import batches
        "state": rows(engine, trust_state_table, leave=("version",)),
    }


Importer = Callable[..., ImportReport]


def outcome(importer: Importer, uow: UnitOfWork, document: dict[str, Any]) -> Any:
    try:
        report = importer(uow, OPERATOR, document)
    except ImportRefused as refused:
        return refused.problems
    return report.created, report.unchanged, report.adjustments


def written(importer: Importer, engine: Engine, clock: Any, documents: list[Any]) -> Any:
    """What importing `documents` one after the other answers each time, and what it wrote."""
    outcomes = [outcome(importer, UnitOfWork(engine, clock=clock), d) for d in documents]
    return outcomes, stored(engine), export_document(UnitOfWork(engine, clock=clock))


def assert_same(engine: Engine, fresh: Callable[[], Engine], clock: Any, *documents: Any) -> Any:
    """Import the documents by replay into `engine`, then in bulk into a fresh database: the
    answers and everything written are the same. Returns the last answer."""
    by_replay = written(replay_document, engine, clock, list(documents))
    in_bulk = written(import_document, fresh(), clock, list(documents))

    assert in_bulk[0] == by_replay[0]
    assert in_bulk[1] == by_replay[1]
    assert in_bulk[2] == by_replay[2]
    return in_bulk[0][-1]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_document_is_written_as_the_replay_writes_it(
    engine, make_fresh_engine, clock, seed
):
    created, _, adjustments = assert_same(engine, make_fresh_engine, clock, random_document(seed))

    assert created["commitments"] == 80
    assert adjustments  # past due dates, members of both teams, accepts without a value


def test_importing_again_changes_nothing_and_says_so_alike(engine, make_fresh_engine, clock):
    document = random_document(3)

    _, unchanged, _ = assert_same(engine, make_fresh_engine, clock, document, document)

    assert unchanged["commitments"] == 80


def test_a_changed_history_under_a_known_key_is_refused_alike(engine, make_fresh_engine, clock):
    document = random_document(4, 10)
    changed = random_document(4, 10)
    changed["commitments"][3]["history"][0]["title"] = "Another thing"
    changed["commitments"].append(random_document(5, 1)["commitments"][0] | {"key": "new"})

    problems = assert_same(engine, make_fresh_engine, clock, document, changed)

    assert [p.path for p in problems] == ["commitments[3]"]


@pytest.mark.parametrize(("document", "found"), [(with_problems, 8), (with_a_bad_shape, 4)])
def test_every_problem_is_found_alike_and_nothing_is_written(
    engine, make_fresh_engine, clock, document, found
):
    problems = assert_same(engine, make_fresh_engine, clock, document())

    assert len(problems) == found
    assert rows(engine, events_table) == []


@pytest.mark.slow
def test_the_demo_is_written_as_the_replay_writes_it(engine, make_fresh_engine, clock):
    created, _, _ = assert_same(engine, make_fresh_engine, clock, build_demo(seed=3))

    assert created["commitments"] > 100


def people_looked_up(engine: Engine, clock: Any, document: dict[str, Any]) -> int:
    """How many queries importing `document` into `engine` makes for a person by e-mail."""
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM people" in statement and "people.email =" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        import_document(UnitOfWork(engine, clock=clock), OPERATOR, document)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return len(statements)


def test_the_people_an_import_made_are_not_looked_up_again_for_its_moves(
    engine, make_fresh_engine, clock
):
    """The commitments' moves name the people the import made: they are taken as it made them,
    not asked for again (one query each before), with the same outcome (tests above)."""
    with_history = random_document(9, 20)
    without = {**with_history, "commitments": []}

    alone = people_looked_up(engine, clock, without)
    moved = people_looked_up(make_fresh_engine(), clock, with_history)

    assert moved == alone
