"""A `DirectRead` reads on a connection what SQLAlchemy's execution of its statement reads: the
same rows, with its parameters (None too) and values converted by their types (aware UTC
instants, a StrEnum, booleans, NULL, a UNION), in a transaction begun as an execution begins
it, seen by SQLAlchemy's events, and errors raised as SQLAlchemy's; on a session, in the
session's transaction. A column without a name, a parameter the database cannot take by its
name and an IN of parameters are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    cast,
    event,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from accord.db import DirectRead, UTCDateTime, enum_type
from accord.org.domain import GlobalRole, Team
from accord.org.orm import teams_table
from statements import statements_during

probe = Table(
    "direct_read_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=True),
    Column("role", enum_type(GlobalRole, "direct_read_role"), nullable=True),
    Column("flag", Boolean, nullable=True),
    Column("amount", Float, nullable=True),
    Column("label", String(40), nullable=True),
)
START = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
ROWS = [
    {
        "id": n,
        "at": START + timedelta(hours=n) if n % 5 else None,
        "role": [GlobalRole.ADMIN, GlobalRole.MEMBER, None][n % 3],
        "flag": [True, False, None][(n // 2) % 3],
        "amount": n * 1.25 if n % 4 else None,
        "label": f"row {n}",
    }
    for n in range(1, 41)
]


@pytest.fixture
def probed(engine: Engine) -> Iterator[Engine]:
    probe.create(engine)
    with engine.begin() as connection:
        connection.execute(probe.insert(), ROWS)
    yield engine
    probe.drop(engine)


def executed(engine: Engine, statement: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(statement, params)]


def direct(engine: Engine, read: DirectRead, params: dict[str, Any]) -> list[Any]:
    with engine.connect() as connection:
        return read.rows(connection, params)


def test_a_filtered_read_gives_sqlalchemy_s_rows_and_values(probed: Engine) -> None:
    statement = (
        select(probe)
        .where(
            probe.c.at < bindparam("moment"),
            or_(probe.c.role == bindparam("role"), probe.c.role == GlobalRole.MEMBER),
            probe.c.label != bindparam("label"),
        )
        .order_by(probe.c.id)
    )
    read = DirectRead(statement)
    params = {"moment": START + timedelta(hours=30), "label": "row 7", "role": GlobalRole.ADMIN}
    for _ in range(2):  # the first read of a dialect plans it; the second uses the plan
        rows = direct(probed, read, params)
        assert rows == executed(probed, statement, params)
    expected = [
        row
        for row in ROWS
        if row["at"] is not None
        and row["at"] < params["moment"]
        and row["role"] is not None
        and row["label"] != "row 7"
    ]
    assert [row.id for row in rows] == [row["id"] for row in expected]
    assert len(rows) > 10
    first = rows[0]
    assert first.at == START + timedelta(hours=first.id)
    assert first.at.tzinfo is not None
    assert first.at.utcoffset() == timedelta(0)
    assert {type(row.role) for row in rows} == {GlobalRole}
    assert {row.flag for row in rows} == {True, False, None}
    assert all(isinstance(row.flag, bool) for row in rows if row.flag is not None)
    assert read.names == tuple(probe.c.keys())


def test_a_union_of_aggregates_gives_sqlalchemy_s_rows(probed: Engine) -> None:
    statement = union_all(
        select(
            literal(1).label("part"),
            cast(null(), Boolean).label("flag"),
            func.count().label("n"),
            func.sum(probe.c.amount).label("total"),
        ).where(probe.c.flag == bindparam("flag")),
        select(
            literal(2).label("part"),
            probe.c.flag,
            func.count().label("n"),
            func.sum(probe.c.amount).label("total"),
        ).group_by(probe.c.flag),
    )
    read = DirectRead(statement)
    rows = sorted(direct(probed, read, {"flag": True}), key=lambda row: (row.part, str(row.flag)))
    assert rows == sorted(
        executed(probed, statement, {"flag": True}), key=lambda row: (row[0], str(row[1]))
    )
    flagged = [row for row in ROWS if row["flag"] is True]
    assert rows[0] == (1, None, len(flagged), sum(row["amount"] or 0 for row in flagged))
    assert [row.flag for row in rows[1:]] == [False, None, True]


def test_its_statement_is_seen_by_sqlalchemy_s_events(probed: Engine) -> None:
    statement = select(probe.c.id).where(probe.c.id == bindparam("id"))
    read = DirectRead(statement)
    found: list[Any] = []
    sent = statements_during(probed, lambda: found.extend(direct(probed, read, {"id": 3})))
    assert found == [(3,)]
    assert sent == statements_during(probed, lambda: executed(probed, statement, {"id": 3}))
    assert statement.compile(dialect=probed.dialect).string in sent


def test_a_driver_error_is_raised_as_sqlalchemy_s(probed: Engine) -> None:
    read = DirectRead(select(probe.c.id))
    assert direct(probed, read, {})  # planned, while the table is there
    probe.drop(probed)
    try:
        with pytest.raises(DBAPIError, match="direct_read_probe"):
            direct(probed, read, {})
    finally:
        probe.create(probed)


def test_on_a_session_it_reads_in_the_session_s_transaction(engine: Engine) -> None:
    read = DirectRead(
        select(teams_table.c.id, teams_table.c.name).where(teams_table.c.slug == bindparam("slug"))
    )
    with Session(engine) as session:
        session.add(Team(slug="uncommitted", name="Not committed yet"))
        session.flush()
        rows = read.rows(session, {"slug": "uncommitted"})
        assert [row.name for row in rows] == ["Not committed yet"]
        session.rollback()
    assert direct(engine, read, {"slug": "uncommitted"}) == []


def test_an_in_of_parameters_is_refused(probed: Engine) -> None:
    read = DirectRead(select(probe.c.id).where(probe.c.id.in_([1, 2])))
    with pytest.raises(ValueError, match="IN of parameters"):
        direct(probed, read, {})


class NoneAsZero(TypeDecorator[int]):
    """A type that sends None as 0: SQLAlchemy converts a None parameter too."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Any) -> int:
        return 0 if value is None else value


def test_a_none_parameter_is_converted_by_its_type_too(probed: Engine) -> None:
    statement = select(probe.c.id).where(probe.c.id > bindparam("floor", type_=NoneAsZero()))
    rows = direct(probed, DirectRead(statement), {"floor": None})
    assert rows == executed(probed, statement, {"floor": None})
    assert len(rows) == len(ROWS)


def test_a_read_on_a_connection_begins_its_transaction(probed: Engine) -> None:
    begun: list[object] = []

    def note(connection: object) -> None:
        begun.append(connection)

    event.listen(probed, "begin", note)
    try:
        with probed.connect() as connection:
            assert not connection.in_transaction()
            assert DirectRead(select(probe.c.id).where(probe.c.id == 1)).rows(connection, {})
            assert connection.in_transaction()
            assert begun == [connection]
            connection.commit()
            assert not connection.in_transaction()
    finally:
        event.remove(probed, "begin", note)


def test_a_parameter_its_type_refuses_is_raised_as_sqlalchemy_s(probed: Engine) -> None:
    read = DirectRead(select(probe.c.id).where(probe.c.at < bindparam("moment")))
    naive = datetime(2026, 3, 1, 12, 0)
    with pytest.raises(StatementError, match="naive datetime"):
        direct(probed, read, {"moment": naive})


def test_a_column_without_a_name_of_its_own_is_refused() -> None:
    with pytest.raises(ValueError, match="a name of its own"):
        DirectRead(select(probe.c.id + 1))
    assert DirectRead(select((probe.c.id + 1).label("next"))).names == ("next",)


def test_a_parameter_the_database_cannot_take_by_its_name_is_refused(probed: Engine) -> None:
    read = DirectRead(select(probe.c.id).where(probe.c.id == bindparam("a.b")))
    with pytest.raises(ValueError, match="named as the database takes them"):
        direct(probed, read, {"a.b": 1})
