"""The sections before the commitments (teams, people, purposes, partnerships) go in on one
quick pass, in one savepoint with no savepoint or write of each use case's own: what it writes
is what the use cases one by one write, ids and events alike, and a document with a problem
there is reported, and leaves the database, as the use-case-by-use-case pass does."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from accord.events.orm import events_table
from accord.interchange.exporter import export_document
from accord.interchange.importer import import_document, replay_document
from accord.interchange.report import ImportRefused
from accord.org.orm import memberships_table, people_table, teams_table
from accord.partnerships.orm import parties_table, partnerships_table
from accord.purposes.orm import measures_table, purposes_table
from accord.uow import UnitOfWork
from factories import OPERATOR
from interchange_documents import example

TABLES = (
    teams_table,
    people_table,
    memberships_table,
    purposes_table,
    measures_table,
    partnerships_table,
    parties_table,
    events_table,
)


def sections_only() -> dict[str, Any]:
    """The example without its commitments, and with teams and purposes below others listed
    between them (parents first, as a document gives them): written several at a time, the
    rows of a table that refers to itself would be ordered parents first, and get other ids."""
    document = example()
    document["commitments"] = []
    for key in ("health_checks", "stories"):
        document.pop(key, None)
    first, second = document["teams"]
    child = {**copy.deepcopy(first), "slug": "data-quality", "name": "Data Quality"}
    child["parent"] = first["slug"]
    document["teams"] = [first, child, second]
    purpose = document["purposes"][0]
    below = {**copy.deepcopy(purpose), "key": "churn-early", "title": "See churn early"}
    below["parent"] = purpose["key"]
    other = {**copy.deepcopy(purpose), "key": "growth", "title": "Grow accounts"}
    document["purposes"] = [purpose, below, other]
    document["people"][0]["memberships"].append({"team": "data-quality", "role": "member"})
    return document


def rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as connection:
        return {
            table.name: [
                dict(row)
                for row in connection.execute(
                    select(table).order_by(*table.primary_key.columns)
                ).mappings()
            ]
            for table in TABLES
        }


@contextmanager
def savepoints(engine: Engine) -> Iterator[list[str]]:
    """The SAVEPOINT statements run on `engine` inside."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("SAVEPOINT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_the_sections_are_written_as_the_use_cases_one_by_one_write_them(
    engine: Engine, make_fresh_engine: Callable[[], Engine], clock: Any
) -> None:
    document = sections_only()
    replay_document(UnitOfWork(engine, clock=clock), OPERATOR, document)
    fresh = make_fresh_engine()

    with savepoints(fresh) as seen:
        report = import_document(UnitOfWork(fresh, clock=clock), OPERATOR, document)

    assert report.created["teams"] == 3
    assert report.created["purposes"] == 3
    assert rows(fresh) == rows(engine)  # the same rows, ids and events (their hashes too)
    assert len(seen) == 1  # one savepoint for every use case of the sections


def test_importing_the_sections_again_changes_nothing(engine: Engine, clock: Any) -> None:
    document = sections_only()
    import_document(UnitOfWork(engine, clock=clock), OPERATOR, document)
    before = rows(engine)

    report = import_document(UnitOfWork(engine, clock=clock), OPERATOR, document)

    assert report.created["teams"] == 0
    assert report.unchanged["partnerships"] == 1
    assert rows(engine) == before


def broken(document: dict[str, Any]) -> dict[str, Any]:
    """An affirmation by someone who is not in the party's team, with items after it: the
    use case fails in the middle of the quick pass, which leaves what it did half done."""
    document = copy.deepcopy(document)
    document["partnerships"][0]["parties"][1]["affirmed_by"] = "ceo@example.org"
    later = copy.deepcopy(document["partnerships"][0])
    later["key"] = "churn-later"
    later["parties"][0]["team"] = "no-such-team"
    document["partnerships"].append(later)
    return document


@pytest.mark.parametrize("commitments", [False, True])
def test_a_problem_in_the_sections_is_reported_as_the_replay_reports_it(
    engine: Engine, make_fresh_engine: Callable[[], Engine], clock: Any, commitments: bool
) -> None:
    document = broken(example() if commitments else sections_only())
    with pytest.raises(ImportRefused) as by_replay:
        replay_document(UnitOfWork(engine, clock=clock), OPERATOR, document)
    fresh = make_fresh_engine()
    import_document(UnitOfWork(fresh, clock=clock), OPERATOR, {"format": "accord/1"})
    before = rows(fresh), export_document(UnitOfWork(fresh, clock=clock))

    with pytest.raises(ImportRefused) as in_bulk:
        import_document(UnitOfWork(fresh, clock=clock), OPERATOR, document)

    assert in_bulk.value.problems == by_replay.value.problems
    assert {p.path for p in in_bulk.value.problems} >= {
        "partnerships[0].parties[1]",
        "partnerships[1].parties[0].team",
    }
    assert (rows(fresh), export_document(UnitOfWork(fresh, clock=clock))) == before
