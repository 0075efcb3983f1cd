"""`accord backup` and `accord restore`, run as real processes on SQLite files; on PostgreSQL they
refuse and give the pg_dump and pg_restore commands, which are run here as given."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text
from test_cli import DOCUMENT, Accord

from accord.backup import back_up
from accord.db import make_engine
from accord.events import service as events
from accord.org import service as org
from accord.org.domain import Operator
from accord.uow import UnitOfWork

WRITERS = re.compile(r"writer-(\d+)@example\.org")


class Writer(threading.Thread):
    """Creates people, one transaction (and one event) each, as a busy server would."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.written = 0
        self.error: BaseException | None = None
        self.halt = threading.Event()

    def run(self) -> None:
        engine = make_engine(f"sqlite:///{self.db}")
        try:
            while not self.halt.is_set():
                n = self.written
                org.create_person(
                    UnitOfWork(engine),
                    Operator("writer"),
                    email=f"writer-{n}@example.org",
                    name=f"Writer {n}",
                )
                self.written = n + 1
        except BaseException as error:  # the test reports it
            self.error = error
        finally:
            engine.dispose()

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while self.written < count:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "the writer does not write"
            time.sleep(0.005)

    def stop(self) -> int:
        self.halt.set()
        self.join(60)
        assert self.error is None, self.error
        return self.written


@pytest.fixture
def writer() -> Iterator[list[Writer]]:
    """Writers the test starts; each is stopped at its end, whatever happens."""
    started: list[Writer] = []
    yield started
    for thread in started:
        thread.halt.set()
        thread.join(60)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example organization in a database file, and its backup, made once for the module."""
    command = Accord(tmp_path_factory.mktemp("templates"), "live.db")
    command.ok("init")
    command.ok("import", str(command.write("doc.json", DOCUMENT)))
    backup = command.directory / "backup.db"
    command.ok("backup", str(backup))
    return command.db, backup


@pytest.fixture
def live(templates: tuple[Path, Path], tmp_path: Path) -> Accord:
    """The example organization, in this test's own copy of the database."""
    command = Accord(tmp_path, "live.db")
    shutil.copyfile(templates[0], command.db)  # the process that wrote it folded its -wal in
    return command


@pytest.fixture
def backup(templates: tuple[Path, Path], tmp_path: Path) -> Path:
    """A backup of the example organization, this test's own copy."""
    path = tmp_path / "backup.db"
    shutil.copyfile(templates[1], path)
    return path


def without_writers(document: dict[str, Any]) -> dict[str, Any]:
    people = [p for p in document["people"] if not WRITERS.fullmatch(p["email"])]
    return {**document, "people": people}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_backup_taken_while_a_writer_writes_is_consistent_and_restores(live, tmp_path, writer):
    during = tmp_path / "during.db"
    busy = Writer(live.db)
    writer.append(busy)
    busy.start()
    busy.wait_for(20)

    before = busy.written
    backed_up = live.ok("backup", str(during))
    after = busy.written
    written = busy.stop()

    assert before < after  # the writer went on while `accord backup` ran, and was not refused
    shown = re.fullmatch(
        rf"wrote {re.escape(str(during))}: [\d.]+ (KB|MB), (\d+) events, schema \w+, in [\d.]+ s\n",
        backed_up.stdout,
    )
    assert shown, backed_up.stdout
    assert not Path(f"{during}-wal").exists()  # one self-contained file

    restored = Accord(tmp_path, "restored.db")  # no file yet: empty
    result = restored.ok("restore", str(during))
    assert result.stdout.startswith(f"restored {during} into {restored.db}: ")
    assert "\naudit ok: " in result.stdout
    # One instant: the writer's first k people with exactly their events, the rest as it is.
    snapshot, now = restored.export(), live.export()
    people = [p["email"] for p in snapshot["people"] if WRITERS.fullmatch(p["email"])]
    k = len(people)
    assert sorted(people) == sorted(f"writer-{n}@example.org" for n in range(k))
    assert before <= k <= after
    assert restored.event_count() == live.event_count() - (written - k) == int(shown.group(2))
    assert without_writers(snapshot) == without_writers(now)

    quiet = tmp_path / "quiet.db"
    live.ok("backup", str(quiet))
    again = Accord(tmp_path, "again.db")
    again.ok("init")  # a freshly made database holds nothing: it counts as empty
    verified = again.ok("restore", str(quiet)).stdout.splitlines()[-1]
    assert again.export() == now
    assert verified == live.ok("audit", "verify").stdout.strip()
    assert verified == f"audit ok: {live.event_count()} events, the chain is intact"


def test_every_backup_under_a_steady_writer_is_one_instant_of_the_log(live, tmp_path, writer):
    busy = Writer(live.db)
    writer.append(busy)
    busy.start()
    counts = []
    for n in range(5):
        busy.wait_for(10 * (n + 1))
        report = back_up(f"sqlite:///{live.db}", tmp_path / f"b{n}.db")
        engine = make_engine(f"sqlite:///{report.path}")
        try:
            chain = events.verify(UnitOfWork(engine, read_only=True))
        finally:
            engine.dispose()
        assert chain.ok, chain
        assert chain.checked == report.events
        counts.append(report.events)
    busy.stop()

    assert counts == sorted(set(counts))  # each later than the one before: the writer went on


def test_backup_refuses_to_overwrite_a_file_unless_forced(live, tmp_path):
    target = tmp_path / "backup.db"
    target.write_text("an older backup, kept")

    message = live.refused("backup", str(target))

    assert "backup.db already exists; give --force to overwrite it" in message
    assert target.read_text() == "an older backup, kept"
    live.ok("backup", str(target), "--force")
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    assert "is the database itself" in live.refused("backup", str(live.db), "--force")


def test_backup_of_a_missing_database_or_into_a_missing_folder_is_refused(live, tmp_path):
    missing = Accord(tmp_path, "missing.db")
    assert "there is no database at" in missing.refused("backup", str(tmp_path / "b.db"))
    assert not (tmp_path / "b.db").exists()
    assert not missing.db.exists()

    message = live.refused("backup", str(tmp_path / "no-such-folder" / "b.db"))
    assert message.startswith("error: cannot write")


def test_restore_refuses_a_database_that_holds_data_and_changes_nothing(live, backup):
    before, file = live.export(), digest(live.db)

    message = live.refused("restore", str(backup))

    assert "already holds data (2 teams, 3 people," in message
    assert "(rule: restore.not_empty)" in message
    assert digest(live.db) == file
    assert live.export() == before


def test_restore_refuses_a_database_of_another_application(tmp_path, backup):
    other = Accord(tmp_path, "other.db")
    with closing(sqlite3.connect(other.db)) as connection, connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    file = digest(other.db)

    message = other.refused("restore", str(backup))

    assert "holds tables that are not Accord's" in message
    assert digest(other.db) == file


def _garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    noise = random.Random(7)
    data[2 * 4096 : 6 * 4096] = bytes(noise.randrange(256) for _ in range(4 * 4096))
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _from_the_future(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")


def _another_database(path: Path) -> None:
    path.unlink()
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE notes (body TEXT)")


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        pytest.param(
            lambda p: p.write_text('{"format": "accord/1"}'),
            "is not an Accord backup (not an SQLite database)",
            id="text",
        ),
        pytest.param(lambda p: p.write_bytes(b""), "not an SQLite database", id="empty"),
        pytest.param(lambda p: p.unlink(), "there is no file", id="missing"),
        pytest.param(_garble, "backup.db is damaged: ", id="garbled"),
        pytest.param(_truncate, "is not a readable Accord backup", id="truncated"),
        pytest.param(_another_database, "without an alembic_version table", id="not-accord"),
        pytest.param(
            _from_the_future, "schema '9999', which this Accord does not know", id="newer-schema"
        ),
    ],
)
def test_restore_refuses_a_file_that_is_not_an_accord_backup(tmp_path, backup, spoil, expected):
    spoil(backup)
    target = Accord(tmp_path, "restored.db")
    files = sorted(tmp_path.iterdir())

    message = target.refused("restore", str(backup))

    assert expected in message
    assert sorted(tmp_path.iterdir()) == files  # no database made, no staged copy left behind


def test_restore_of_a_tampered_backup_says_its_log_does_not_verify(tmp_path, backup):
    with closing(sqlite3.connect(backup)) as connection, connection:
        connection.execute(
            "UPDATE events SET payload = json_set(payload, '$.name', 'Forged') WHERE id = 2"
        )
    target = Accord(tmp_path, "restored.db")

    result = target("restore", str(backup))

    assert result.returncode == 1
    assert result.stdout.startswith(f"restored {backup} into {target.db}")
    assert result.stderr.startswith("audit FAILED at event 2:")
    assert "Traceback" not in result.stderr
    assert target.refused("audit", "verify").startswith("audit FAILED at event 2:")


def test_restore_brings_an_older_backup_up_to_date(tmp_path):
    from alembic import command

    from accord.db import alembic_config

    old = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{old}")
    try:
        config = alembic_config(f"sqlite:///{old}")
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
    finally:
        engine.dispose()
    target = Accord(tmp_path, "restored.db")

    result = target.ok("restore", str(old))

    assert "(upgraded from 0001)" in result.stdout
    assert "audit ok: 0 events" in result.stdout
    target.ok("users", "create", "ana@example.org", "--name", "Ana")  # the newest schema works


def _accord_on(url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(ACCORD_DATABASE_URL=url, COLUMNS="200", NO_COLOR="1", TERM="dumb")
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
        check=False,
    )


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["backup", "restore"])
def test_on_postgresql_both_refuse_with_the_commands_that_do_it(postgres_url, tmp_path, command):
    url = make_url(postgres_url).set(password="s3cret-word")
    dump = tmp_path / "nightly.dump"
    if command == "restore":
        dump.write_bytes(b"PGDMP")

    result = _accord_on(url.render_as_string(hide_password=False), command, str(dump), cwd=tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    message = result.stderr
    assert message.startswith("error: accord backup and restore copy SQLite files;")
    name = url.database
    assert (
        f"  pg_dump --format=custom --host={url.host} --port={url.port} "
        f"--username={url.username} --dbname={name} --file={dump}\n"
    ) in message
    assert f"  pg_restore --single-transaction --no-owner --host={url.host}" in message
    assert f"--dbname={name} {dump}\n" in message
    assert "s3cret-word" not in result.stdout + message
    assert "(rule: backup.postgresql)" in message
    assert sorted(tmp_path.iterdir()) == ([dump] if command == "restore" else [])


def _commands(advice: str) -> list[str]:
    return [line.strip() for line in advice.splitlines() if line.startswith("  ")]


@pytest.mark.postgres
def test_the_postgresql_commands_given_back_up_and_restore_a_database(postgres_url, tmp_path):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("createdb")):
        pytest.skip("the PostgreSQL client tools (pg_dump, pg_restore, createdb) are not installed")
    url = make_url(postgres_url)
    source = url.set(database=f"{url.database}_backup_source")
    target = url.set(database=f"{url.database}_backup_restored")
    admin = make_engine(postgres_url, isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote

    def drop_both() -> None:
        with admin.connect() as connection:
            for scratch in (source, target):
                connection.execute(
                    text(f"DROP DATABASE IF EXISTS {quote(str(scratch.database))} WITH (FORCE)")
                )

    drop_both()
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {quote(str(source.database))}"))
    try:
        source_url = source.render_as_string(hide_password=False)
        target_url = target.render_as_string(hide_password=False)
        doc = tmp_path / "doc.json"
        doc.write_text(json.dumps(DOCUMENT))
        for args in (("init",), ("import", str(doc))):
            done = _accord_on(source_url, *args, cwd=tmp_path)
            assert done.returncode == 0, done.stderr
        dump = tmp_path / "accord.dump"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

        backup_advice = _accord_on(source_url, "backup", str(dump), cwd=tmp_path).stderr
        restore_advice = _accord_on(target_url, "restore", str(dump), cwd=tmp_path).stderr
        pg_dump = [line for line in _commands(backup_advice) if line.startswith("pg_dump")]
        restoring = [line for line in _commands(restore_advice) if not line.startswith("pg_dump")]
        for line, url_in_force in [(pg_dump[0], source_url)] + [(r, target_url) for r in restoring]:
            done = subprocess.run(
                line,
                shell=True,
                capture_output=True,
                text=True,
                cwd=tmp_path,
                timeout=300,
                env={**env, "ACCORD_DATABASE_URL": url_in_force},
                check=False,
            )
            assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
        assert "audit ok: " in done.stdout

        exported = [_accord_on(u, "export", cwd=tmp_path) for u in (source_url, target_url)]
        assert exported[0].returncode == 0, exported[0].stderr
        assert exported[1].stdout == exported[0].stdout
    finally:
        drop_both()
        admin.dispose()
