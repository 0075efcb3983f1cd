"""The migrations make exactly the schema the table mappings describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from pprint import pformat
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, make_url, select, text

import accord.models  # noqa: F401  (maps every table before the metadata is read)
from accord.db import make_engine, metadata, migrate
from accord.search.orm import made_by_the_migration

ALEMBIC_TABLE = "alembic_version"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with no tables at all; on PostgreSQL a scratch database beside the test one."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    url = make_url(request.getfixturevalue("postgres_url"))
    scratch = f"{url.database}_migrations"
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(scratch)
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {quoted}"))
        engine = make_engine(url.set(database=scratch).render_as_string(hide_password=False))
        yield engine
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        admin.dispose()


def search_object(name: str | None) -> bool:
    """The full-text indexes of search, which the migrations make outside the mappings."""
    return made_by_the_migration(name)


def table_names(engine: Engine) -> set[str]:
    names = set(inspect(engine).get_table_names()) - {ALEMBIC_TABLE}
    return {name for name in names if not search_object(name)}


def schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": lambda _object, name, *_: not search_object(name),
            },
        )
        return list(compare_metadata(context, metadata))


def snapshot(engine: Engine) -> dict[str, Any]:
    """What a second run of the migrations must leave alone: revision, schema and row counts."""
    inspector = inspect(engine)
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
        counts = {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }
    return {
        "heads": sorted(heads),
        "columns": {
            name: [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)]
            for name in sorted(table_names(engine))
        },
        "indexes": {
            name: sorted(index["name"] or "" for index in inspector.get_indexes(name))
            for name in sorted(table_names(engine))
        },
        "rows": counts,
    }


def test_migrating_an_empty_database_creates_every_table(empty_engine: Engine) -> None:
    assert table_names(empty_engine) == set()

    migrate(empty_engine)

    assert table_names(empty_engine) == set(metadata.tables)


def test_the_migrated_schema_matches_the_table_mappings(empty_engine: Engine) -> None:
    migrate(empty_engine)

    differences = schema_differences(empty_engine)

    assert differences == [], "the migrations and the mappings disagree:\n" + pformat(differences)


def test_migrating_twice_changes_nothing(empty_engine: Engine) -> None:
    migrate(empty_engine)
    before = snapshot(empty_engine)

    migrate(empty_engine)

    assert before["heads"], "the first migration recorded no revision"
    assert snapshot(empty_engine) == before
