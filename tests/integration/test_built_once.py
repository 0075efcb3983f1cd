"""The test databases themselves: a fresh one starts over, and `built_once` gives a later test
the very database (rows, ids, sequences) and value that the build gave the first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, inspect, text

from accord.db import metadata
from accord.uow import UnitOfWork
from built_once import built_once
from factories import Partners, chain_ok, data_and_care, make_commitment, make_team

if TYPE_CHECKING:
    from conftest import Clock


def state(engine: Engine) -> dict[str, Any]:
    """Every row of every table, and where each sequence stands."""
    found: dict[str, Any] = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(table.select()).all()
            found[table.name] = sorted(repr(tuple(row)) for row in rows)
        if engine.dialect.name == "postgresql":
            names = connection.execute(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
            ).scalars()
            for name in list(names):
                found[f"sequence {name}"] = tuple(
                    connection.execute(text(f'SELECT last_value, is_called FROM "{name}"')).one()
                )
        elif inspect(connection).has_table("sqlite_sequence"):
            found["sqlite_sequence"] = sorted(
                connection.execute(text("SELECT name, seq FROM sqlite_sequence")).all()
            )
    return found


def build(engine: Engine, clock: Clock) -> Partners:
    uow = UnitOfWork(engine, clock=clock)
    partners = data_and_care(uow)
    clock.advance(hours=2)
    make_commitment(uow, partners.partnership, partners["bo"], "care", "data", key="feed")
    return partners


def test_a_later_test_gets_the_database_value_and_time_the_build_left(
    request: pytest.FixtureRequest,
    engine: Engine,
    make_fresh_engine: Callable[[], Engine],
    clock: Clock,
) -> None:
    start = clock()
    built = built_once(request, engine, lambda: build(engine, clock))
    after, left = clock(), state(engine)
    assert after > start

    clock.now = start  # as a later test of the module starts
    other = make_fresh_engine()
    assert state(other) != left
    again = built_once(request, other, lambda: pytest.fail("built a second time"))

    assert state(other) == left
    assert clock() == after
    assert again is not built  # a copy of its own, equal to what the build returned
    assert again.people.keys() == built.people.keys()
    assert [again[name].email for name in again.people] == [
        built[name].email for name in built.people
    ]
    # and it goes on from there as the built database would: its log goes on verifying
    uow = UnitOfWork(other, clock=clock)
    make_commitment(uow, again.partnership, again["bo"], "care", "data", key="next")
    assert chain_ok(uow)


def test_a_fresh_database_has_only_what_the_migrations_wrote_and_starts_its_ids_over(
    engine: Engine, make_fresh_engine: Callable[[], Engine], clock: Clock
) -> None:
    empty = state(engine)
    first = make_team(UnitOfWork(engine, clock=clock), "data")
    make_team(UnitOfWork(engine, clock=clock), "care")
    assert state(engine) != empty

    other = make_fresh_engine()
    assert state(other) == empty
    again = make_team(UnitOfWork(other, clock=clock), "ops")
    assert again.id == first.id
