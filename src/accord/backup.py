"""Backups of the embedded SQLite database: an online copy, and a restore into an empty database.

PostgreSQL has tools of its own for this (pg_dump, pg_restore): for it both refuse, and say how.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from accord.db import alembic_config, make_engine, migrate
from accord.errors import AccordError, Conflict, Invalid, NotFound, RuleBroken
from accord.events.domain import ChainReport
from accord.uow import UnitOfWork

SQLITE_HEADER = b"SQLite format 3\x00"
# Every change writes an event, and teams and people are what an organization starts with: a
# database with none of them holds nothing a restore could overwrite.
DATA_TABLES = ("teams", "people", "events")
BUSY_MS = 30_000
SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class BackupReport:
    """What `back_up` wrote."""

    path: Path
    size: int
    events: int
    revision: str
    seconds: float


@dataclass(frozen=True)
class RestoreReport:
    """What `restore` put into the database, and whether its event log verifies there."""

    database: Path
    size: int
    revision: str
    upgraded_from: str | None
    chain: ChainReport
    seconds: float


def back_up(database_url: str, target: Path, *, force: bool = False) -> BackupReport:
    """Copy the SQLite database into `target` while it is in use: one consistent snapshot."""
    started = time.perf_counter()
    source = sqlite_file(database_url, target)
    if not source.is_file():
        raise NotFound(f"there is no database at {source} to back up", rule="backup.no_database")
    _check_target(source, target, force=force)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        with _sqlite_errors(f"cannot back up {source}"):
            with closing(_open(source)) as live, closing(sqlite3.connect(partial)) as copy:
                if "alembic_version" not in _tables(live):
                    raise Invalid(
                        f"{source} is not an Accord database (it has no alembic_version table)",
                        rule="backup.not_accord",
                    )
                # All pages in one step, under one read transaction: in WAL mode the writers go
                # on meanwhile, and the copy is the database as of one instant.
                live.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
                _check_integrity(copy, source, rule="backup.damaged")
                revision = _revision(copy)
                events = _count(copy, "events")
        try:
            os.replace(partial, target)
        except OSError as error:
            raise Invalid(
                f"cannot write {target}: {error.strerror}", rule="backup.cannot_write"
            ) from None
    finally:
        _remove(partial)
    return BackupReport(
        target, target.stat().st_size, events, revision, time.perf_counter() - started
    )


def restore(database_url: str, backup: Path) -> RestoreReport:
    """Put a backup into an empty SQLite database, migrated to the newest schema, and verify it.

    Empty means: no file yet, a file without tables, or an Accord database (freshly made by
    `accord init`, say) without teams, people or events. Anything else is refused untouched.
    """
    started = time.perf_counter()
    target = sqlite_file(database_url, backup)
    _ensure_empty(target)
    _check_header(backup)
    # The backup is checked and migrated as a private copy beside the database, so neither the
    # backup nor the database changes unless every step before the copy-in succeeds.
    staged = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    try:
        try:
            shutil.copyfile(backup, staged)
        except OSError as error:
            raise Invalid(
                f"cannot copy {backup} beside {target}: {error.strerror}",
                rule="restore.cannot_write",
            ) from None
        unreadable = f"{backup} is not a readable Accord backup"
        with _sqlite_errors(unreadable, rule="restore.not_a_backup"):
            with closing(sqlite3.connect(staged)) as copy:
                _check_integrity(copy, backup, rule="restore.not_a_backup")
                revision = _check_revision(copy, backup)
        head = _head_revision()
        engine = make_engine(f"sqlite:///{staged}")
        try:
            migrate(engine)
        finally:
            engine.dispose()
        with _sqlite_errors(f"cannot restore into {target}"):
            with closing(sqlite3.connect(staged)) as copy:
                copy.execute("PRAGMA journal_mode=DELETE")
                with closing(sqlite3.connect(target)) as live:
                    live.execute(f"PRAGMA busy_timeout={BUSY_MS}")
                    _ensure_empty_now(live, target)  # again, on the connection that writes
                    copy.backup(live)
    finally:
        _remove(staged)
    chain = _verify(database_url)
    return RestoreReport(
        target,
        target.stat().st_size,
        head,
        revision if revision != head else None,
        chain,
        time.perf_counter() - started,
    )


def sqlite_file(database_url: str, file: Path) -> Path:
    """The SQLite file the URL names; PostgreSQL is refused with the commands that do the job."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        raise RuleBroken(postgres_advice(url, file), rule="backup.postgresql")
    if backend != "sqlite":
        raise RuleBroken(
            f"accord backup and restore work on SQLite only, not on {backend}",
            rule="backup.sqlite_only",
        )
    if not url.database or url.database == ":memory:" or "mode=memory" in str(url):
        raise RuleBroken(
            "an in-memory SQLite database cannot be backed up or restored", rule="backup.memory"
        )
    return Path(url.database).resolve()


def postgres_advice(url: URL, file: Path) -> str:
    """How to back up and restore the PostgreSQL database `url` names, as commands to run."""
    name = url.database or "accord"
    options = [
        f"--{option}={shlex.quote(str(value))}"
        for option, value in (("host", url.host), ("port", url.port), ("username", url.username))
        if value
    ]
    connect = " ".join(options)
    db = shlex.quote(name)
    dump = shlex.quote(str(file))
    shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
    lines = [
        f"accord backup and restore copy SQLite files; this database is PostgreSQL ({shown}).",
        "Use PostgreSQL's own tools. To back it up:",
        f"  pg_dump --format=custom {connect} --dbname={db} --file={dump}",
        "To restore that file into a new, empty database, then bring it up to date and verify it:",
        f"  createdb {connect} {db}",
        f"  pg_restore --single-transaction --no-owner {connect} --dbname={db} {dump}",
        "  accord init && accord audit verify",
    ]
    if url.password:
        lines.append("The password is not shown: they ask for it, or read PGPASSWORD or ~/.pgpass.")
    return "\n".join(lines)


def _check_target(source: Path, target: Path, *, force: bool) -> None:
    if target.is_dir():
        raise Invalid(f"{target} is a folder; name a file to write", rule="backup.cannot_write")
    if not target.parent.is_dir():
        raise Invalid(
            f"cannot write {target}: there is no folder {target.parent}",
            rule="backup.cannot_write",
        )
    if not target.exists():
        return
    if target.resolve() in {source, Path(f"{source}-wal"), Path(f"{source}-shm")}:
        raise Conflict(f"{target} is the database itself", rule="backup.onto_database")
    if not force:
        raise Conflict(
            f"{target} already exists; give --force to overwrite it", rule="backup.file_exists"
        )


def _ensure_empty(target: Path) -> None:
    if not target.exists():
        return
    if target.is_dir():
        raise Invalid(f"{target} is a folder, not a database", rule="restore.not_empty")
    if target.stat().st_size == 0:
        return
    with _sqlite_errors(f"{target} is not an SQLite database", rule="restore.not_empty"):
        with closing(_open(target)) as live:
            _ensure_empty_now(live, target)


def _ensure_empty_now(live: sqlite3.Connection, target: Path) -> None:
    tables = _tables(live)
    if not tables:
        return
    if "alembic_version" not in tables:
        raise Conflict(
            f"{target} holds tables that are not Accord's; restore writes only into an empty "
            "database",
            rule="restore.not_empty",
        )
    held = {table: _count(live, table) for table in DATA_TABLES if table in tables}
    if any(held.values()):
        found = ", ".join(f"{count} {table}" for table, count in held.items())
        raise Conflict(
            f"the database {target} already holds data ({found}); restore writes only into an "
            "empty database: point ACCORD_DATABASE_URL at a new file",
            rule="restore.not_empty",
        )


def _check_header(backup: Path) -> None:
    try:
        with backup.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        raise NotFound(f"there is no file {backup}", rule="restore.no_backup") from None
    except OSError as error:
        raise Invalid(f"cannot read {backup}: {error.strerror}", rule="restore.no_backup") from None
    if header != SQLITE_HEADER:
        raise Invalid(
            f"{backup} is not an Accord backup (not an SQLite database)",
            rule="restore.not_a_backup",
        )


def _check_integrity(connection: sqlite3.Connection, file: Path, *, rule: str) -> None:
    problems = [str(row[0]) for row in connection.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise Invalid(f"{file} is damaged: {'; '.join(problems)}", rule=rule)


def _check_revision(connection: sqlite3.Connection, backup: Path) -> str:
    if "alembic_version" not in _tables(connection):
        raise Invalid(
            f"{backup} is not an Accord backup (an SQLite database without an alembic_version "
            "table)",
            rule="restore.not_a_backup",
        )
    revision = _revision(connection)
    if revision not in _known_revisions():
        raise Invalid(
            f"{backup} has schema {revision!r}, which this Accord does not know (a newer "
            "Accord's?); restore it with that version",
            rule="restore.unknown_schema",
        )
    return revision


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {revision.revision for revision in script.walk_revisions()}


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    return str(head)


def _verify(database_url: str) -> ChainReport:
    from accord.events.service import verify

    engine = make_engine(database_url)
    try:
        return verify(UnitOfWork(engine, read_only=True))
    finally:
        engine.dispose()


def _open(path: Path) -> sqlite3.Connection:
    """An existing database, never made anew, that waits for writers rather than failing."""
    connection = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True)
    connection.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    return connection


def _tables(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {str(name) for (name,) in rows if not str(name).startswith("sqlite_")}


def _count(connection: sqlite3.Connection, table: str) -> int:
    # fetchall ends the statement, so no read transaction stays open on the connection
    return int(connection.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0])


def _revision(connection: sqlite3.Connection) -> str:
    rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    return ", ".join(sorted(str(row[0]) for row in rows)) or "none"


def _remove(database: Path) -> None:
    """A temporary database file, with the journal files SQLite may have left beside it."""
    for path in (database, *(Path(f"{database}{suffix}") for suffix in SIDE_FILES)):
        # a leftover temporary file is not worth failing a finished backup for
        with suppress(OSError):
            path.unlink(missing_ok=True)


@contextmanager
def _sqlite_errors(message: str, *, rule: str = "backup.sqlite_error") -> Iterator[None]:
    """SQLite's own errors, as a refusal that says what could not be done and why."""
    try:
        yield
    except AccordError:
        raise
    except sqlite3.Error as error:
        raise Invalid(f"{message}: {error}", rule=rule) from None
