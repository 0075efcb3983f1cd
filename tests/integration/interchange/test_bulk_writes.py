"""How the bulk import writes: commitments and events in one go (COPY on PostgreSQL), the
search index of the commitments made at the end of each batch, and a log whose hash chain holds
whatever the payloads say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, select

from accord.commitments import service as commitments
from accord.db import COPY_FROM, insert_rows
from accord.events import service as events
from accord.events.catalog import commitment_moved
from accord.events.domain import event_hash
from accord.events.orm import events_table
from accord.interchange.importer import import_document
from accord.org.domain import Person
from accord.search import service as search
from accord.trust.orm import EVIDENCE_COLUMNS, trust_pairs_table
from accord.uow import UnitOfWork
from factories import OPERATOR, make_team
from interchange_documents import example, with_commitments


def test_search_finds_what_an_import_wrote_and_what_was_made_after(uow: UnitOfWork) -> None:
    report = import_document(uow, OPERATOR, with_commitments(COPY_FROM + 10))
    assert report.created["commitments"] == COPY_FROM + 11
    with uow:
        bo = uow.org.person("bo@example.org")
    assert isinstance(bo, Person)

    found = search.search(uow, bo, "zebra 17")
    commitments.request(
        uow,
        bo,
        partnership="churn-signals",
        requester="customer-success",
        performer="data-platform",
        title="Monthly zebra census",
        due=datetime.now(UTC) + timedelta(days=30),
        key="census",
    )
    later = search.search(uow, bo, "census")

    assert ("commitment", "bulk-17") in {(hit.kind.value, hit.key) for hit in found}
    # the index's trigger is there again: a commitment made live is found too
    assert ("commitment", "census") in {(hit.kind.value, hit.key) for hit in later}


def test_an_import_that_is_refused_leaves_no_index_and_the_trigger_in_place(
    uow: UnitOfWork,
) -> None:
    document = with_commitments(COPY_FROM)
    document["commitments"][-1]["history"][0]["by"] = "nobody@example.org"

    with pytest.raises(Exception, match="refused"):
        import_document(uow, OPERATOR, document)
    import_document(uow, OPERATOR, example())
    with uow:
        bo = uow.org.person("bo@example.org")
    assert isinstance(bo, Person)

    assert search.search(uow, bo, "zebra") == []
    assert [hit.key for hit in search.search(uow, bo, "churn-risk")] == ["c-1"]


@pytest.mark.parametrize("count", [2, COPY_FROM + 5])
def test_appended_events_chain_whatever_their_payloads_hold(uow: UnitOfWork, count: int) -> None:
    """A few events go in by one statement, many by COPY on PostgreSQL: either way each reads
    back as given, and the chain checks out, with quotes, backslashes, tabs, line breaks and
    letters beyond ASCII in the texts hashed."""
    at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    odd = 'a "quoted"\\ back\tslash\nnew line, é, 東京, \u2028'
    pending = [
        commitment_moved(
            f"k{number}",
            None if number % 3 == 0 else f"{odd}@example.org",
            at + timedelta(seconds=number),
            {
                "move": "request",
                "from": None,
                "to": "requested",
                "version": 1,
                "side": "R",
                "args": {"title": odd, "due": "2026-02-01T00:00:00Z", "number": number / 3},
                "partnership": odd,
                "requester": "care",
                "performer": "data",
            },
        )
        for number in range(count)
    ]
    with uow:
        ids = uow.events.append(pending)
        uow.commit()

    with uow:
        stored = uow.session.execute(select(events_table).order_by(events_table.c.id)).all()
    assert ids == [row.id for row in stored] == list(range(1, count + 1))
    assert [row.at for row in stored] == [event.at for event in pending]
    assert [row.actor for row in stored] == [event.actor for event in pending]
    assert [row.payload for row in stored] == [event.payload() for event in pending]
    assert events.verify(uow).ok
    with uow:
        assert all(event_hash(event) == event.hash for event in uow.events.scan())


def test_many_rows_go_in_by_a_binary_copy_on_postgresql(
    engine: Engine, uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL then parses no text and the driver escapes none; the rows are those an INSERT
    writes (the tests above, and the bulk import's against the replay's)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no COPY")
    copied: list[str] = []
    copy = psycopg.Cursor.copy

    def noted(cursor: psycopg.Cursor[Any], statement: Any, *args: Any, **kwargs: Any) -> Any:
        copied.append(str(statement))
        return copy(cursor, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", noted)
    import_document(uow, OPERATOR, with_commitments(COPY_FROM + 10))

    assert sorted(statement.split()[1] for statement in copied) == ["commitments", "events"]
    assert all(statement.endswith("FROM STDIN (FORMAT BINARY)") for statement in copied)


PAIR_COLUMNS = ("requester_id", "performer_id", *EVIDENCE_COLUMNS)
SUMS = [1 / 3, 0.1, 1e-300, 5e-324, 123456.789, 2.0**-40]


def some_pairs(uow: UnitOfWork, teams: int) -> list[tuple[Any, ...]]:
    """A row of sums for every ordered pair of `teams` new teams (more than COPY_FROM for 8)."""
    ids = [make_team(uow, f"team-{number}").id for number in range(teams)]
    return [
        (r, p, *(value * (i + 1) for i, value in enumerate(SUMS)))
        for r in ids
        for p in ids
        if r != p
    ]


def test_many_rows_of_sums_read_back_as_they_were_given(uow: UnitOfWork) -> None:
    """Floats to the last bit, the smallest among them, in a binary COPY on PostgreSQL."""
    rows = some_pairs(uow, 8)
    assert len(rows) >= COPY_FROM
    with uow:
        insert_rows(uow.session, trust_pairs_table, PAIR_COLUMNS, rows)
        uow.commit()

    with uow:
        columns = [trust_pairs_table.c[name] for name in PAIR_COLUMNS]
        stored = uow.session.execute(select(*columns)).all()
    assert sorted(tuple(row) for row in stored) == sorted(rows)


def test_an_integer_its_column_cannot_hold_is_refused_by_name(
    engine: Engine, uow: UnitOfWork
) -> None:
    """As PostgreSQL refuses it from a text COPY or an INSERT, and nothing goes in; in binary
    the driver would keep its low 32 bits (2**32 + an id is that id)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's integers all have 64 bits")
    rows = some_pairs(uow, 8)
    rows[-1] = (2**32 + rows[-1][0], *rows[-1][1:])

    out_of_range = rf"^{rows[-1][0]} is out of range for trust_pairs\.requester_id "
    with uow, pytest.raises(ValueError, match=out_of_range):
        insert_rows(uow.session, trust_pairs_table, PAIR_COLUMNS, rows)
    with uow:
        assert uow.session.execute(select(trust_pairs_table)).all() == []
