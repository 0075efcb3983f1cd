"""An organization a fixture builds once per module and database, then copies into each test.

Many fixtures build the same organization through the services for every test of a module,
twice (SQLite and PostgreSQL), which costs far more than the tests themselves. `built_once`
builds it for the module's first test of each kind of database, as before; it then keeps the
database that build left (the SQLite file; on PostgreSQL every row and the state of every
sequence) and what the fixture returned. Each later test gets that database copied back into
its own, with the same rows, ids and sequences, a fresh copy (unpickled) of the returned objects,
and its clock where the build left it: what it would have had from building it again.

Only for a build that depends on nothing but the fresh database and the standing clock (no
other fixture that varies between the module's tests, no randomness read back later).
"""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, text

import accord.models  # noqa: F401  (maps every table of the metadata)
from accord.db import metadata

T = TypeVar("T")


@dataclass
class _Built:
    """What a build left: the database, the fixture's value (pickled) and the clock after it."""

    value: bytes
    now: datetime
    sqlite_file: Path | None = None
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sequences: list[dict[str, Any]] = field(default_factory=list)


_BUILT: dict[tuple[str, ...], _Built] = {}


def built_once(request: pytest.FixtureRequest, engine: Engine, build: Callable[[], T]) -> T:
    """`build()`, or the database and value it gave the module's first test of this database.

    `request` is the fixture's own; `engine` the test's database (fresh, as `engine` and
    `sqlite_engine` make it), `build` what the fixture did before, on that database."""
    clock = request.getfixturevalue("clock")
    param = getattr(request, "param", None)
    key = (
        request.module.__name__,
        request.fixturename,
        engine.dialect.name,
        repr(param),
        clock().isoformat(),  # the build starts at this time, in every test
    )
    built = _BUILT.get(key)
    if built is not None:
        _restore(engine, built)
        clock.now = built.now
        restored: T = pickle.loads(built.value)
        return restored
    value = build()
    try:
        pickled = pickle.dumps(value)
    except (pickle.PicklingError, TypeError, AttributeError):
        return value  # built every time, as before
    built = _Built(pickled, clock())
    _snapshot(request, engine, built)
    _BUILT[key] = built
    return value


def _snapshot(request: pytest.FixtureRequest, engine: Engine, built: _Built) -> None:
    if engine.dialect.name == "sqlite":
        directory: Path = request.getfixturevalue("tmp_path_factory").mktemp("built-once")
        built.sqlite_file = directory / "built.db"
        with (
            closing(sqlite3.connect(engine.url.database or "")) as source,
            closing(sqlite3.connect(built.sqlite_file)) as copy,
        ):
            source.backup(copy)
        return
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = [dict(row) for row in connection.execute(table.select()).mappings()]
            if rows:
                built.rows[table.name] = rows
        names = connection.execute(
            text(
                "SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences "
                "WHERE schemaname = current_schema()"
            )
        ).scalars()
        for name in list(names):
            value, called = connection.execute(
                text(f"SELECT last_value, is_called FROM {name}")  # the name quoted by format()
            ).one()
            built.sequences.append({"name": name, "value": value, "called": called})


def _restore(engine: Engine, built: _Built) -> None:
    """Puts the build's database back into `engine`'s, through the database itself (a server
    of the test may already hold connections to it)."""
    if built.sqlite_file is not None:
        with (
            closing(sqlite3.connect(built.sqlite_file)) as copy,
            closing(sqlite3.connect(engine.url.database or "")) as target,
        ):
            copy.backup(target)
        return
    from accord.trust.fitting import forget_models
    from accord.trust.views import forget_networks

    forget_networks()  # the versions of the copied rows, not those of the test before
    forget_models()
    tables = metadata.sorted_tables
    quote = engine.dialect.identifier_preparer.format_table
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        connection.exec_driver_sql(
            "; ".join(f"DELETE FROM {quote(table)}" for table in reversed(tables))
        )
        for table in tables:
            rows = built.rows.get(table.name)
            if rows:
                connection.execute(table.insert(), rows)
        if built.sequences:
            connection.execute(
                text("SELECT setval(CAST(:name AS regclass), :value, :called)"), built.sequences
            )
