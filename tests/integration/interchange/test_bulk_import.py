"""The bulk import writes what the move-by-move replay writes: the same export, the same event
log to the last hash, the same trust sums, the same report, and the same problems."""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from accord.commitments.domain import MOVE_FIELDS, TERMS_REQUIRED, TRANSITIONS, Move, State, Who
from accord.commitments.orm import commitments_table
from accord.demo import build_demo
from accord.events.orm import events_table
from accord.interchange import bulk
from accord.interchange.exporter import export_document
from accord.interchange.importer import import_document, replay_document
from accord.interchange.report import ImportRefused, ImportReport
from accord.trust import repository as trust_repository
from accord.trust import service as trust_service
from accord.trust.orm import (
    trust_pairs_table,
    trust_snapshots_table,
    trust_state_table,
    trust_tracks_table,
)
from accord.trust.repository import TrustStore
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


def statements(
    engine: Engine, clock: Any, document: dict[str, Any], words: int = 3
) -> Counter[str]:
    """The statements importing `document` into `engine` runs, by their first `words`."""
    seen: Counter[str] = Counter()

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen[" ".join(statement.split()[:words])] += 1

    event.listen(engine, "before_cursor_execute", note)
    try:
        import_document(UnitOfWork(engine, clock=clock), OPERATOR, document)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def test_many_small_batches_are_written_as_the_replay_writes_them(
    engine, make_fresh_engine, clock, monkeypatch
):
    monkeypatch.setattr(bulk, "BATCH", 5)

    created, _, _ = assert_same(engine, make_fresh_engine, clock, random_document(4))

    assert created["commitments"] == 80


def test_the_pairs_sums_are_read_and_written_once_however_many_batches(engine, clock, monkeypatch):
    """Every batch touches the same pairs again: their sums are kept from one batch to the
    next, each read once (the document's two pairs) and all written at the end in one
    statement, not read and written again by each of the 16 batches."""
    monkeypatch.setattr(bulk, "BATCH", 5)

    seen = statements(engine, clock, random_document(4))

    pairs = {words: n for words, n in seen.items() if "trust_pairs" in words}
    assert seen["INSERT INTO commitments"] >= 16
    assert pairs.get("UPDATE trust_pairs SET", 0) == 0
    assert pairs["INSERT INTO trust_pairs"] == 1
    reads = sum(n for words, n in pairs.items() if words.startswith("SELECT"))
    assert 1 <= reads <= 2


def test_pairs_kept_through_rebases_are_written_as_the_upkeep_writes_them_each_batch(
    engine, make_fresh_engine, clock, monkeypatch
):
    """With the reference moved forward again and again (the table's sums scaled in it), the
    sums kept from batch to batch end as those written and read back by every batch."""
    monkeypatch.setattr(bulk, "BATCH", 5)
    monkeypatch.setattr(trust_repository, "MAX_EXPONENT", 0.01)
    document = random_document(5)
    # in time order, each batch later than the last: the reference moves at nearly every one
    document["commitments"].sort(key=lambda item: item["history"][0]["at"])
    rebases: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE trust_pairs SET ability_r=(trust_pairs.ability_r *"):
            rebases.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        kept = written(import_document, engine, clock, [document])
    finally:
        event.remove(engine, "before_cursor_execute", note)
    monkeypatch.setattr(TrustStore, "pairs_kept", lambda _self: contextlib.nullcontext())
    each_batch = written(import_document, make_fresh_engine(), clock, [document])

    assert len(rebases) >= 8
    assert kept == each_batch


def spaced_document(seed: int, count: int) -> dict[str, Any]:
    """`random_document`'s histories one after the other, 90 days apart (each spans less), so
    that each batch of the import begins after the periods of the one before: its moves end
    those periods, and their snapshots are written in the import's transaction."""
    doc = random_document(seed, count)
    doc["commitments"].sort(key=lambda item: item["history"][0]["at"])
    start = datetime(2026, 1, 12, tzinfo=UTC)
    for number, item in enumerate(doc["commitments"]):
        first = datetime.fromisoformat(item["history"][0]["at"])
        shift = start + timedelta(days=90 * number) - first
        for step in item["history"]:
            step["at"] = _iso(datetime.fromisoformat(step["at"]) + shift)
            if isinstance(step.get("due"), str) and "T" in step["due"]:
                step["due"] = _iso(datetime.fromisoformat(step["due"]) + shift)
            elif step.get("due"):
                day = datetime.fromisoformat(step["due"]).replace(tzinfo=UTC) + shift
                step["due"] = day.date().isoformat()
    return doc


def test_pairs_kept_are_written_before_a_snapshot_copies_them(
    engine, make_fresh_engine, clock, monkeypatch
):
    """The snapshots the upkeep writes between batches hold the sums as a batch at a time
    writes them (those the end of the import makes from the whole log are left out here)."""
    monkeypatch.setattr(bulk, "BATCH", 3)
    monkeypatch.setattr(trust_service, "refresh_snapshots", lambda *_a, **_k: None)
    document = spaced_document(6, 30)

    kept = written(import_document, engine, clock, [document])
    kept_snapshots = rows(engine, trust_snapshots_table)
    monkeypatch.setattr(TrustStore, "pairs_kept", lambda _self: contextlib.nullcontext())
    fresh = make_fresh_engine()
    each_batch = written(import_document, fresh, clock, [document])

    assert len(kept_snapshots) >= 5
    assert kept == each_batch
    assert kept_snapshots == rows(fresh, trust_snapshots_table)


def test_an_import_on_postgresql_reads_back_no_commitment_id(engine, clock, monkeypatch):
    """Its commitments get their ids from the sequence ahead of their COPY (the same ids, the
    tests above show): what follows a batch does not read them back by key."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite numbers the rows only as it inserts them")
    monkeypatch.setattr(bulk, "BATCH", 5)

    seen = statements(engine, clock, random_document(4), words=8)

    written = [words for words in seen if words.startswith("INSERT INTO commitments (id,")]
    assert sum(seen[words] for words in written) >= 16
    assert sum(n for words, n in seen.items() if words.startswith("SELECT nextval(")) >= 16
    by_key = [
        w for w in seen if w.startswith("SELECT commitments.key, commitments.id") and "WHERE" in w
    ]
    assert not by_key
