"""A large import builds the secondary indexes of the commitments and the log once after its
rows, inside its transaction, when the organization has no commitment yet: the same rows, log
and trust as with the indexes kept row by row, the same indexes afterwards, all of them back
after a refusal, and none set aside when there are commitments already or (PostgreSQL) someone
is reading the tables. The partnerships the histories are requested in are loaded together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from accord.commitments.repository import CommitmentRepository
from accord.demo import build_demo
from accord.interchange import bulk
from accord.interchange.exporter import export_document
from accord.interchange.importer import import_document
from accord.interchange.report import ImportRefused, ImportReport
from accord.uow import UnitOfWork
from factories import OPERATOR
from interchange_documents import example, with_commitments

# the secondary indexes of the two tables (each database's own catalogue), as made
SECONDARY = {
    "postgresql": text(
        "SELECT indexdef FROM pg_indexes WHERE tablename IN ('commitments', 'events') "
        "AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%' ORDER BY indexname"
    ),
    "sqlite": text(
        "SELECT sql FROM sqlite_master WHERE type = 'index' "
        "AND tbl_name IN ('commitments', 'events') AND sql IS NOT NULL ORDER BY name"
    ),
}
# every index of the two tables, a constraint's too
ALL = {
    "postgresql": text(
        "SELECT indexname, indexdef FROM pg_indexes "
        "WHERE tablename IN ('commitments', 'events') ORDER BY indexname"
    ),
    "sqlite": text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
        "AND tbl_name IN ('commitments', 'events') ORDER BY name"
    ),
}


@pytest.fixture
def empty(make_fresh_engine: Callable[[], Engine]) -> Engine:
    return make_fresh_engine()


@pytest.fixture
def pg(empty: Engine) -> Engine:
    if empty.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: on SQLite the import holds the write lock from its start")
    return empty


def secondary(session: Session) -> list[str]:
    found = session.execute(SECONDARY[session.get_bind().dialect.name]).scalars()
    return [str(made) for made in found]


@pytest.fixture
def seen_at_writes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The secondary indexes of the two tables as each batch of commitments is written, read in
    the import's own transaction; batches of 4 commitments."""
    seen: list[list[str]] = []
    insert_many = CommitmentRepository.insert_many

    def noted(self: CommitmentRepository, commitments: Any) -> None:
        seen.append(secondary(self.session))
        insert_many(self, commitments)

    monkeypatch.setattr(CommitmentRepository, "insert_many", noted)
    monkeypatch.setattr(bulk, "BATCH", 4)
    return seen


def indexes(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [(row[0], row[1]) for row in connection.execute(ALL[engine.dialect.name])]


def written(engine: Engine, clock: Any) -> Any:
    with engine.connect() as connection:
        commitments = connection.execute(text("SELECT * FROM commitments ORDER BY id")).all()
        events = connection.execute(text("SELECT * FROM events ORDER BY id")).all()
        pairs = connection.execute(
            text("SELECT * FROM trust_pairs ORDER BY requester_id, performer_id")
        ).all()
        tracks = connection.execute(text("SELECT * FROM trust_tracks ORDER BY commitment_id")).all()
    return commitments, events, pairs, tracks, export_document(UnitOfWork(engine, clock=clock))


def test_a_large_import_into_no_commitments_builds_the_indexes_after_its_rows(
    empty: Engine,
    make_fresh_engine: Callable[[], Engine],
    clock: Any,
    seen_at_writes: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = indexes(empty)
    assert len([made for _, made in before if made and "INDEX ix_commitments_" in made]) >= 8
    document = with_commitments(10)

    report = import_document(UnitOfWork(empty, clock=clock), OPERATOR, document)

    assert report.created["commitments"] == 11
    assert len(seen_at_writes) == 3
    assert seen_at_writes == [[], [], []]  # every batch went in without them
    assert indexes(empty) == before  # the very same, made again
    if empty.dialect.name == "postgresql":
        assert ("ix_commitments_search",) in {(name,) for name, _ in before}
        with empty.connect() as connection:  # the rebuilt full-text index answers
            found = connection.execute(
                text(
                    "SELECT key FROM commitments WHERE to_tsvector('english', title || ' ' || "
                    "conditions_of_satisfaction) @@ plainto_tsquery('english', 'zebra report 7')"
                )
            ).scalars()
            assert list(found) == ["bulk-7"]
    if empty.dialect.name == "sqlite":
        with empty.connect() as connection:  # a rebuilt index is the one a query takes
            plan = connection.execute(
                text("EXPLAIN QUERY PLAN SELECT id FROM commitments WHERE partnership_id = 1")
            ).all()
            assert "ix_commitments_partnership_id" in " ".join(str(row[-1]) for row in plan)
    ours = written(empty, clock)

    # the same import with the indexes kept row by row writes the same
    monkeypatch.setattr(bulk.DeferredIndexes, "set_aside", lambda self: False)
    again = make_fresh_engine()  # the same database, emptied
    import_document(UnitOfWork(again, clock=clock), OPERATOR, document)
    assert written(again, clock) == ours


def test_a_refused_large_import_leaves_every_index_in_place(
    empty: Engine, clock: Any, seen_at_writes: list[list[str]]
) -> None:
    before = indexes(empty)
    document = with_commitments(10)
    document["commitments"][9]["history"][0]["by"] = "nobody@example.org"

    with pytest.raises(ImportRefused):
        import_document(UnitOfWork(empty, clock=clock), OPERATOR, document)

    assert seen_at_writes == [[], []]  # two batches went in, then the problem was found
    assert indexes(empty) == before
    with empty.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM commitments")).scalar() == 0


def test_no_index_is_set_aside_when_there_are_commitments_already(
    empty: Engine, clock: Any, seen_at_writes: list[list[str]]
) -> None:
    import_document(UnitOfWork(empty, clock=clock), OPERATOR, example())  # one commitment
    before = indexes(empty)
    seen_at_writes.clear()

    report = import_document(UnitOfWork(empty, clock=clock), OPERATOR, with_commitments(9))

    assert report.created["commitments"] == 9
    assert len(seen_at_writes) == 3
    assert all(len(seen) == len(seen_at_writes[0]) > 0 for seen in seen_at_writes)
    assert indexes(empty) == before


def test_no_index_is_set_aside_while_someone_reads_the_commitments(
    pg: Engine, clock: Any, seen_at_writes: list[list[str]]
) -> None:
    before = indexes(pg)
    with pg.connect() as reader:
        reader.execute(text("SELECT count(*) FROM commitments"))  # its transaction stays open

        report = import_document(UnitOfWork(pg, clock=clock), OPERATOR, with_commitments(9))

        reader.rollback()
    assert report.created["commitments"] == 10
    assert all(len(seen) > 0 for seen in seen_at_writes)
    assert indexes(pg) == before


def test_the_partnerships_of_the_histories_are_loaded_in_one_statement(
    engine: Engine, clock: Any
) -> None:
    document = build_demo(seed=3)
    used = {item["partnership"] for item in document["commitments"]}
    assert len(used) > 3
    report, statements = imported_reading(engine, clock, document, "partnerships")
    assert report.created["commitments"] == len(document["commitments"])
    one_each = [s for s in statements if "partnerships.key =" in s]
    together = [s for s in statements if "partnerships.key IN" in s]
    assert (len(one_each), len(together)) == (0, 1)


def test_the_people_of_a_document_are_looked_up_together(engine: Engine, clock: Any) -> None:
    """Which of the document's people are stored is read in one statement, not one each; the
    people it makes are then taken as made (none is looked up by its e-mail)."""
    document = example()
    report, statements = imported_reading(engine, clock, document, "people")
    assert report.created["people"] == len(document["people"])
    assert [s for s in statements if "people.email IN" in s] != []
    assert [s for s in statements if "people.email =" in s] == []


def imported_reading(
    engine: Engine, clock: Any, document: dict[str, Any], table: str
) -> tuple[ImportReport, list[str]]:
    """`document` imported, and the statements it sent that read `table` (unquoted: SQLite
    quotes the column "key")."""
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if f"FROM {table}" in statement:
            statements.append(statement.replace('"', ""))

    event.listen(engine, "before_cursor_execute", note)
    try:
        report = import_document(UnitOfWork(engine, clock=clock), OPERATOR, document)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return report, statements
