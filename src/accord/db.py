"""Database plumbing: metadata, column types, engines and migrations (the unit of work that
uses them is `accord.uow`)."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from collections import namedtuple
from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    Enum,
    MetaData,
    Select,
    Table,
    create_engine,
    event,
    make_url,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, registry
from sqlalchemy.sql.selectable import CompoundSelect
from sqlalchemy.types import TypeDecorator

from accord.text import CONTROL

try:
    import fcntl
except ImportError:  # Windows: SQLite's writers wait as SQLite lets them
    fcntl = None  # type: ignore[assignment]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
mapper_registry = registry(metadata=metadata)

MIGRATIONS = Path(__file__).parent / "migrations"
# The largest id a request may name: SQLite cannot bind a larger integer, and a query with one
# fails.
MAX_ID = 2**63 - 1


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times are aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_type(kind: type[StrEnum], name: str) -> Enum:
    """A column type for a StrEnum: its values stored as short strings, on every backend."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


JSONType = JSON().with_variant(JSON(none_as_null=True), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, and writers that wait in one line
    (`WritersLine`) and lock early."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # Enough pooled connections for every request thread (anyio's default pool has 40): a
    # connection opened past the pool is closed after one use (a new PostgreSQL connection is
    # a new server process, and loses its prepared statements), and a new SQLite connection
    # parses the whole schema before its first statement.
    # The connection returned last is handed out first (LIFO): when few are needed at once
    # (changes take turns, `channel.turns`) the same few serve, with their prepared statements and
    # PostgreSQL's caches warm, rather than each request taking the one idle longest.
    if not url.startswith("sqlite"):
        kwargs = {"pool_size": 40, "max_overflow": 0, "pool_use_lifo": True, **kwargs}
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if not _is_memory(url):
        kwargs = {"pool_size": 40, "max_overflow": 10, "pool_use_lifo": True, **kwargs}
    line = None if _is_memory(url) else writers_line(url)
    connect_args: dict[str, Any] = {"timeout": 30}
    if line is not None:
        connect_args["factory"] = _InLine
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        if not _is_memory(url):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock at BEGIN, so two writers queue instead of failing
        # later on a stale snapshot, after its turn in the file's line (`WritersLine`);
        # readers keep the concurrent, deferred BEGIN.
        if conn.get_execution_options().get("accord_read_only", False):
            conn.exec_driver_sql("BEGIN")
            return
        dbapi_connection = conn.connection.dbapi_connection
        if line is not None and isinstance(dbapi_connection, _InLine):
            dbapi_connection.wait_in(line)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if isinstance(dbapi_connection, _InLine):
                dbapi_connection.let_go()
            raise

    return engine


# How long a writer waits in line (for the other threads of its process, then for the file)
# before it waits on SQLite alone.
LINE_WAIT_SECONDS = 30.0
# The pauses of a writer trying the file again: the first, doubled up to the longest.
LINE_PAUSES = (0.0002, 0.001)


class WritersLine:
    """The writers of one SQLite file, of this process and of every other, in line for its one
    write lock.

    SQLite lets a writer that finds the lock taken sleep and try again, in growing steps (1, 2,
    5, 10 … 100 ms), so a change in one process often slept on while the lock was free: in a
    run of moves on two server processes the lock was held only 63% of the time, though a move
    always waited for it. Here a writer first takes the lock of a file beside the database
    (`flock`; `<database>-writers`), tried again every millisecond at most (`LINE_PAUSES`),
    then SQLite's lock, which is then free. One thread of a process at a time waits for the
    file; the others take turns before it. A writer waits in line `LINE_WAIT_SECONDS` at most
    in all, then goes on to wait on SQLite alone, as a writer that is not in line does (another
    program, a backup). A child forked while a thread of its parent is in line starts with a
    line of its own, free (`_forget_lines`).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.generation = 0
        self._reset()

    def _reset(self) -> None:
        """No one in line (made, or again in a forked child, which holds none of its parent's
        places); a place taken before is of another generation, and not given back here."""
        self._turn = threading.Lock()
        self._fd: int | None = None  # the file of the writer in line, open while it is
        self.generation += 1

    def take(self) -> int | None:
        """Wait for the file's lock, `LINE_WAIT_SECONDS` at most; the generation to `give` it
        back with, or None when this writer is to wait on SQLite alone (the wait was too long,
        or the file cannot be opened)."""
        deadline = time.monotonic() + LINE_WAIT_SECONDS
        if not self._turn.acquire(timeout=LINE_WAIT_SECONDS):
            return None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            self._turn.release()
            return None
        locked = False
        try:
            locked = _lock_by(fd, deadline)
        finally:
            if not locked:  # too long, or interrupted
                os.close(fd)
                self._turn.release()
        if not locked:
            return None
        self._fd = fd
        return self.generation

    def give(self, generation: int) -> None:
        """Let the file's lock go (by closing the file), to the next writer of any process."""
        if generation != self.generation:
            return  # taken in the parent of this forked process: not this line's to give
        fd, self._fd = self._fd, None
        try:
            if fd is not None:
                os.close(fd)
        finally:
            self._turn.release()


def _lock_by(fd: int, deadline: float) -> bool:
    """Take the file's lock, tried again after short pauses until `deadline`; whether taken."""
    pause, longest = LINE_PAUSES
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, longest)


# kept while an engine of the file holds its line
_LINES: weakref.WeakValueDictionary[str, WritersLine] = weakref.WeakValueDictionary()
_LINES_MADE = threading.Lock()


def _forget_lines() -> None:
    """In a forked child: every line free, none of the parent's places held (the child's copy
    of a parent's file is closed, which leaves the parent's lock to the parent)."""
    global _LINES_MADE
    _LINES_MADE = threading.Lock()
    for line in list(_LINES.values()):
        if line._fd is not None:
            os.close(line._fd)
        line._reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_lines)


def writers_line(url: str) -> WritersLine | None:
    """The line of the writers of the SQLite file of `url` (one per file in a process, shared by
    its engines); None where there is no `flock` (Windows)."""
    if fcntl is None:
        return None
    database = make_url(url).database
    if not database:
        return None
    path = os.path.realpath(database) + "-writers"
    with _LINES_MADE:
        line = _LINES.get(path)
        if line is None:
            line = _LINES[path] = WritersLine(path)
        return line


class _InLine(sqlite3.Connection):
    """A SQLite connection whose write transaction holds its place in the writers' line from
    its BEGIN to its COMMIT or ROLLBACK (or its closing)."""

    _line: WritersLine | None = None
    _generation = 0

    def wait_in(self, line: WritersLine) -> None:
        generation = line.take()
        if generation is not None:
            self._line, self._generation = line, generation

    def let_go(self) -> None:
        line, self._line = self._line, None
        if line is not None:
            line.give(self._generation)

    def commit(self) -> None:
        try:
            super().commit()
        except BaseException:
            # a COMMIT that fails leaves the transaction open, and SQLite's write lock held
            with suppress(sqlite3.Error):
                super().rollback()
            raise
        finally:
            self.let_go()

    def rollback(self) -> None:
        self._ending(super().rollback)

    def close(self) -> None:
        self._ending(super().close)

    def _ending(self, end: Callable[[], None]) -> None:
        """End the transaction (or the connection), then let the line go, whatever happened."""
        try:
            end()
        finally:
            self.let_go()


def database_reachable(engine: Engine) -> bool:
    """Whether a connection to the database can be opened and answers."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception:  # any failure to reach the database means "unreachable"
        logging.getLogger("accord").exception("the database is unreachable")
        return False
    return True


def _is_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:") or ":memory:" in url


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (the only way tables are made)."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


# Fewer rows than this are inserted by a statement on PostgreSQL too: COPY costs a round trip
# more than one INSERT.
COPY_FROM = 50


def insert_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ready: Collection[str] = (),
) -> None:
    """Insert `rows` (values in the order of `columns`) in the session's transaction, the
    quickest way the database has: COPY on PostgreSQL, one statement run for every row on
    SQLite. Each value is converted as the column's type converts it for an INSERT, but for
    the columns named in `ready`, whose values are given as the database stores them (a JSON
    text); nothing is returned, so the rows need their ids or the table's defaults."""
    connection = session.connection()
    dialect = connection.dialect
    convert = [
        (index, found)
        for index, name in enumerate(columns)
        if name not in ready
        for found in [_bind_processor(table.c[name].type, dialect)]
        if found is not None
    ]
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        values = list(row)
        for index, processor in convert:
            if values[index] is not None:
                values[index] = processor(values[index])
        batch.append(tuple(values))
    if not batch:
        return
    names = ", ".join(columns)
    if dialect.name == "postgresql" and len(batch) >= COPY_FROM:
        driver = connection.connection.driver_connection
        assert driver is not None
        types = _copy_types(table, columns, dialect, ready)
        if types is not None:
            _check_integers(table, columns, types, batch)
        binary = " (FORMAT BINARY)" if types is not None else ""
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN{binary}") as copy,
        ):
            if types is not None:
                copy.set_types(types)
            for row in batch:
                copy.write_row(row)
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join(mark for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", batch)


# The types a binary COPY sends values as, by how SQLAlchemy writes the column's type on
# PostgreSQL; a type not named here makes the COPY a text one. A JSON value converted as for
# an INSERT is the driver's JSON wrapper; one given `ready` is its text, which is how
# PostgreSQL reads a `json` value in binary.
_COPY_TYPE = {
    "BIGINT": "int8",
    "INTEGER": "int4",
    "SMALLINT": "int2",
    "VARCHAR": "text",
    "TEXT": "text",
    "JSON": "json",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "FLOAT": "float8",
    "DOUBLE PRECISION": "float8",
    "BOOLEAN": "bool",
}


def _copy_types(
    table: Table, columns: Sequence[str], dialect: Dialect, ready: Collection[str]
) -> list[str] | None:
    """The types of `columns` for a binary COPY into `table`, or None if one has no binary
    form here. Binary, PostgreSQL parses no text and the driver escapes none: a COPY of the
    log's rows takes about half the time it takes as text."""
    found = []
    for name in columns:
        spelled = dialect.type_compiler_instance.process(table.c[name].type.dialect_impl(dialect))
        kind = _COPY_TYPE.get(spelled.split("(")[0])
        if kind is None:
            return None
        found.append("text" if kind == "json" and name in ready else kind)
    return found


_INTEGER_BITS = {"int2": 16, "int4": 32, "int8": 64}


def _check_integers(
    table: Table, columns: Sequence[str], types: Sequence[str], batch: Sequence[Sequence[Any]]
) -> None:
    """Refuse an integer its column cannot hold, as PostgreSQL refuses one given as text: the
    driver's binary form of a 32-bit integer keeps only its low bits (2**32 + 5 goes in as 5)."""
    for index, kind in enumerate(types):
        bits = _INTEGER_BITS.get(kind)
        if bits is None:
            continue
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        values = [row[index] for row in batch if row[index] is not None]
        if values and (min(values) < low or max(values) > high):
            wrong = next(value for value in values if not low <= value <= high)
            raise ValueError(
                f"{wrong} is out of range for {table.name}.{columns[index]} (from {low} to {high})"
            )


def reserve_ids(session: Session, table: Table, count: int) -> list[int] | None:
    """`count` new values of `table`'s serial `id`, in increasing order, taken from its sequence
    in one statement on PostgreSQL, for rows that `insert_rows` writes with their ids (a COPY
    gives none back); None on SQLite, which numbers rows only as it inserts them."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or count <= 0:
        return None
    found = connection.execute(_RESERVE_IDS, {"table": table.name, "count": count})
    return [int(value) for value in found.scalars()]


_RESERVE_IDS = text(
    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) AS id "
    "FROM generate_series(1, :count) ORDER BY 1"
)


def _bind_processor(kind: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """How a column's value is converted for an INSERT; a `UTCDateTime` on SQLite in one
    step (`sqlite_utc`), to the very text the type's two steps make."""
    if isinstance(kind, UTCDateTime) and dialect.name == "sqlite":
        return sqlite_utc
    processor: Callable[[Any], Any] | None = kind.dialect_impl(dialect).bind_processor(dialect)
    return processor


def sqlite_utc(value: datetime) -> str:
    """An aware datetime as SQLite stores a `UTCDateTime`: its UTC time, naive, as SQLAlchemy
    writes a DATETIME ('YYYY-MM-DD HH:MM:SS.ffffff')."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive datetime given to the database; times are aware UTC")
    if not offset:  # UTC already (nearly every time): its text without the "+00:00"
        return value.isoformat(" ", "microseconds")[:-6]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class DirectRead:
    """A SELECT asked thousands of times a second, run on the driver's cursor.

    On a `Connection` it is compiled once per dialect; each time its parameters are converted
    by their types and its rows by its columns' types, as SQLAlchemy converts them, and it runs
    as SQLAlchemy runs its own statements on a cursor (its events and echo, the driver's errors
    raised as SQLAlchemy's), in the connection's transaction (begun as an execution begins it),
    without the execution context, result and row objects of a statement executed. Those cost
    3-4 times the statement itself on SQLite: 45 us against 10 us for the row of a token read
    for a team's present trust. On a `Session`, on its connection, in its transaction: a select
    of tables' columns does not flush a session either (a select of mapped classes is not for
    here).

    Rows are named tuples of the statement's column names, each named once. Refused when it is
    made: a column without a name of its own (label it), a parameter whose name the database
    cannot take as it is, and an IN of parameters (SQLAlchemy expands it at each execution:
    write its constants into the statement, `trust.repository.one_of`).
    """

    def __init__(self, statement: Select[Any] | CompoundSelect[Any]) -> None:
        self.statement = statement
        self.names = tuple(statement.selected_columns.keys())
        self.row = cast(Any, namedtuple("Row", self.names, rename=True))
        if self.row._fields != self.names:
            raise ValueError(
                "every column of a direct read needs a name of its own (a label): "
                f"{', '.join(self.names)}"
            )
        self._plans: dict[tuple[str, str], _Plan] = {}

    def rows(self, on: Connection | Session, params: Mapping[str, Any]) -> list[Any]:
        if isinstance(on, Session):
            on = on.connection()
        if not on.in_transaction():
            on.begin()  # as an execution begins one (the engine's `begin` listener included)
        dialect = on.dialect
        plan = self._plans.get((dialect.name, dialect.driver)) or self._plan(dialect)
        try:
            parameters = plan.parameters(params)
        except Exception as error:  # as SQLAlchemy raises a parameter it cannot convert
            raise StatementError(str(error), plan.sql, dict(params), error) from error
        cursor = on.connection.cursor()
        try:
            # as SQLAlchemy runs its own statements on a cursor: its events and echo, and the
            # driver's errors raised as its own (a lost connection invalidated)
            on._cursor_execute(cursor, plan.sql, parameters)
            found = cursor.fetchall()
            if plan.convert is None:
                made = self._converters(dialect, cursor.description)
                plan.convert = made if any(made) else []
        finally:
            cursor.close()
        make = self.row._make
        if not plan.convert:
            return [make(row) for row in found]
        convert = plan.convert
        return [
            make([f(value) if f else value for f, value in zip(convert, row, strict=True)])
            for row in found
        ]

    def _plan(self, dialect: Dialect) -> _Plan:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.post_compile_params:
            raise ValueError(
                "a direct read cannot expand an IN of parameters at each read: write its "
                f"constants into the statement instead ({compiled.string!r})"
            )
        if compiled.escaped_bind_names:
            raise ValueError(
                "a direct read takes parameters named as the database takes them: "
                f"{', '.join(sorted(compiled.escaped_bind_names))}"
            )
        processors = {
            name: processor
            for parameter, name in compiled.bind_names.items()
            if (processor := parameter.type.dialect_impl(dialect).bind_processor(dialect))
        }
        plan = _Plan(
            compiled.string,
            compiled.construct_params,
            processors,
            tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None,
        )
        self._plans[(dialect.name, dialect.driver)] = plan
        return plan

    def _converters(self, dialect: Dialect, description: Any) -> list[Callable[[Any], Any] | None]:
        columns = list(self.statement.selected_columns)
        return [
            column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for column, described in zip(columns, description, strict=True)
        ]


class _Plan:
    """A `DirectRead` compiled for one dialect."""

    def __init__(
        self,
        sql: str,
        construct: Callable[..., MutableMapping[str, Any]],
        processors: Mapping[str, Callable[[Any], Any]],
        positions: tuple[str, ...] | None,
    ) -> None:
        self.sql = sql
        self.construct = construct
        self.processors = processors
        self.positions = positions
        self.convert: list[Callable[[Any], Any] | None] | None = None

    def parameters(self, params: Mapping[str, Any]) -> Any:
        """The values to send, each converted by its type (None too, as SQLAlchemy does)."""
        values = self.construct(params)
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        if self.positions is None:
            return values
        return tuple(values[name] for name in self.positions)


def schema_is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())


T = TypeVar("T")


class KeyCache(Generic[T]):
    """Objects found by a key that never changes (slug, e-mail, key), kept for one session.

    A use case that looks the same thing up many times (an import) asks the database once;
    an object the session no longer holds (a rolled-back savepoint) is looked up again.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._known: dict[str, T] = {}

    def find(self, key: str, load: Callable[[], T | None]) -> T | None:
        if CONTROL.search(key):  # no key holds one, and PostgreSQL refuses a NUL in a query
            return None
        known = self._known.get(key)
        if known is not None and known in self.session:
            return known
        found = load()
        if found is not None:
            self._known[key] = found
        return found

    def remember(self, key: str, item: T) -> None:
        self._known[key] = item
