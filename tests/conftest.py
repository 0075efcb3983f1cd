"""Fixtures for every test: a clock that stands still, fresh migrated databases, units of work.

Each test that asks for `engine` runs twice, on SQLite and on PostgreSQL, each time on a database
just made by the migrations. The PostgreSQL run needs ACCORD_TEST_POSTGRES_URL (`make test` sets
it through scripts/ensure-postgres.sh); without it that run is skipped, or fails where PostgreSQL
is required (CI=true or ACCORD_REQUIRE_POSTGRES=1; ACCORD_REQUIRE_POSTGRES=0 overrides CI).
The database that URL names is the tests' own: its `public` schema is dropped at session start.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings
from sqlalchemy import Engine, MetaData, Table, make_url, text
from sqlalchemy.exc import OperationalError

from shared_dialects import sharing

if TYPE_CHECKING:
    from accord.uow import UnitOfWork

POSTGRES_URL_ENV = "ACCORD_TEST_POSTGRES_URL"
START = datetime(2026, 6, 1, tzinfo=UTC)

# Tests against a database are slow on a busy 2-core CI machine; a per-example deadline only flakes.
settings.register_profile("accord", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "accord"))


class Clock:
    """A clock that stands still until the test moves it; pass it wherever a clock goes."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    @property
    def now(self) -> datetime:
        return self._now

    @now.setter
    def now(self, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("the test clock keeps aware UTC times; give it a tzinfo")
        self._now = value.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def __repr__(self) -> str:
        return f"Clock({self._now.isoformat()})"

    def advance(self, **delta: float) -> datetime:
        """Move the clock on by `timedelta(**delta)` and return the new time."""
        self.now = self._now + timedelta(**delta)
        return self._now


@pytest.fixture
def clock() -> Clock:
    return Clock()


# The variables that tell the tests where their databases and browser are, not Accord settings.
TEST_VARIABLES = ("ACCORD_TEST_", "ACCORD_REQUIRE_", "ACCORD_DESIGN_MD")


@pytest.fixture(scope="session", autouse=True)
def no_settings_from_the_environment() -> Iterator[None]:
    """Every test sees Accord's defaults, whatever ACCORD_* the developer's shell exports; a test
    sets what it needs itself. For the whole session, since servers a module shares start
    before any one test's fixtures."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("ACCORD_") and not name.startswith(TEST_VARIABLES):
                patch.delenv(name)
        yield


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of slow tests (the OpenAPI fuzzing, the crash tests…) first, each in its own
    order, the browser tests where they are (together, on one Chromium): the workers take files
    in this order, and a long file taken last leaves the other worker idle while it runs."""
    browser = Path(__file__).parent / "browser"
    slow = {
        item.path
        for item in items
        if item.get_closest_marker("slow") and browser not in item.path.parents
    }
    items.sort(key=lambda item: item.path not in slow)


@pytest.fixture(scope="session", autouse=True)
def statements_compiled_once() -> Iterator[None]:
    """The engines of the run share their dialects and compiled statements (`shared_dialects`),
    as one process's one engine does."""
    import accord.db

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accord.db, "create_engine", sharing(accord.db.create_engine))
        yield


def accord_metadata() -> MetaData:
    """The metadata of every table (importing accord.models first, which maps them all)."""
    import accord.models  # noqa: F401
    from accord.db import metadata

    return metadata


def postgres_required() -> bool:
    explicit = os.environ.get("ACCORD_REQUIRE_POSTGRES", "")
    if explicit:
        return explicit == "1"
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def pytest_report_header() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if url:
        return f"postgres: {make_url(url).render_as_string(hide_password=True)}"
    if postgres_required():
        return f"postgres: {POSTGRES_URL_ENV} not set, and PostgreSQL is required: its tests fail"
    return f"postgres: {POSTGRES_URL_ENV} not set, PostgreSQL tests are skipped"


def worker_database(url: str) -> str:
    """The test database of this pytest-xdist worker (`accord_test_gw1`, made when missing), so
    that workers running at once never empty each other's tables; `url` itself without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from accord.db import make_engine

    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                quoted = admin.dialect.identifier_preparer.quote(name)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of the test PostgreSQL database: skips the test without one, or fails it."""
    url = os.environ.get(POSTGRES_URL_ENV, "")
    if url:
        return worker_database(url)
    how = 'run `make test`, or first: eval "$(scripts/ensure-postgres.sh --export)"'
    if postgres_required():
        pytest.fail(
            f"{POSTGRES_URL_ENV} is not set, but PostgreSQL is required here "
            f"(CI=true or ACCORD_REQUIRE_POSTGRES=1): {how}",
            pytrace=False,
        )
    pytest.skip(f"PostgreSQL test: {POSTGRES_URL_ENV} is not set ({how})")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once per session; each test works on a copy."""
    from accord.db import make_engine, migrate

    accord_metadata()
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
    finally:
        engine.dispose()
    # Fold the write-ahead log into the file, so that copying the one file copies everything.
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    return path


@dataclass
class PostgresTemplate:
    """The migrated test database, and the rows the migrations put in it (event_head's, say)."""

    url: str
    seeds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> PostgresTemplate:
    """Migrates the test PostgreSQL database from an empty `public` schema, once per session."""
    from accord.db import make_engine, migrate

    metadata = accord_metadata()
    engine = make_engine(postgres_url)
    try:
        try:
            engine.connect().close()
        except OperationalError as error:
            shown = make_url(postgres_url).render_as_string(hide_password=True)
            pytest.fail(f"cannot reach PostgreSQL at {shown}: {error.orig}", pytrace=False)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        migrate(engine)
        template = PostgresTemplate(postgres_url)
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                rows = [dict(row) for row in connection.execute(table.select()).mappings()]
                if rows:
                    template.seeds[table.name] = rows
        return template
    finally:
        engine.dispose()


def fresh_sqlite(template: Path, directory: Path) -> Engine:
    from accord.db import make_engine

    path = directory / "accord.db"
    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")


def fresh_postgres(template: PostgresTemplate) -> Engine:
    """Empties every table and starts its sequences over, then puts back what the migrations
    wrote (event_head's first row). DELETE rather than TRUNCATE: on tables this small it is
    several times faster, and the rows and sequences left are the same."""
    from accord.db import make_engine
    from accord.trust.fitting import forget_models
    from accord.trust.views import forget_networks

    forget_networks()  # the same URL again, with trust versions that start over
    forget_models()  # and model versions that start over

    metadata = accord_metadata()
    engine = make_engine(template.url)
    tables = metadata.sorted_tables
    quote = engine.dialect.identifier_preparer.format_table
    try:
        with engine.begin() as connection:
            # A connection an earlier test left open, holding locks, would make this wait forever.
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            # children before parents, in one round trip
            connection.exec_driver_sql(
                "; ".join(f"DELETE FROM {quote(table)}" for table in reversed(tables))
            )
            connection.execute(
                text(
                    "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false) "
                    "FROM pg_sequences WHERE schemaname = current_schema()"
                )
            )
            for table in tables:
                rows = template.seeds.get(table.name)
                if rows:
                    connection.execute(table.insert(), rows)
                    _restart_sequences(connection, table, quote(table))
    except OperationalError as error:
        engine.dispose()
        if "lock timeout" in str(error.orig):
            pytest.fail(
                "could not empty the PostgreSQL test database: a connection from an earlier test "
                "still holds a lock (a Session or connection left open?)",
                pytrace=False,
            )
        raise
    return engine


def _restart_sequences(connection: Any, table: Table, quoted: str) -> None:
    """Sets the sequences behind `table`'s key past the rows just put back."""
    quote = connection.dialect.identifier_preparer.quote
    for column in table.primary_key.columns:
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": quoted, "column": column.name},
        ).scalar()
        if sequence is not None:
            connection.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE(MAX({quote(column.name)}), 0) + 1, false) "
                    f"FROM {quoted}"
                ),
                {"sequence": sequence},
            )


def fresh_engine(request: pytest.FixtureRequest, kind: str, directory: Path) -> Engine:
    if kind == "sqlite":
        return fresh_sqlite(request.getfixturevalue("sqlite_template"), directory)
    return fresh_postgres(request.getfixturevalue("postgres_template"))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated database, once on SQLite and once on PostgreSQL."""
    engine = fresh_engine(request, request.param, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def make_fresh_engine(
    request: pytest.FixtureRequest, engine: Engine, tmp_path: Path
) -> Iterator[Callable[[], Engine]]:
    """Makes another fresh database of the kind of `engine`, to compare two ways of writing.
    On PostgreSQL it is the one test database emptied again: what was in it is gone."""
    made: list[Engine] = []

    def make() -> Engine:
        directory = tmp_path / f"fresh-{len(made)}"
        directory.mkdir()
        made.append(fresh_engine(request, engine.dialect.name, directory))
        return made[-1]

    yield make
    for one in made:
        one.dispose()


@pytest.fixture
def sqlite_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated SQLite database, for tests that need only one database."""
    engine = fresh_engine(request, "sqlite", tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def make_uow(engine: Engine, clock: Clock) -> Callable[[], UnitOfWork]:
    """Makes units of work on the test's database and clock."""
    from accord.uow import UnitOfWork

    def make() -> UnitOfWork:
        return UnitOfWork(engine, clock=clock)

    return make


@pytest.fixture
def uow(make_uow: Callable[[], UnitOfWork]) -> UnitOfWork:
    """One unit of work; services enter it themselves, so it can serve several calls."""
    return make_uow()
