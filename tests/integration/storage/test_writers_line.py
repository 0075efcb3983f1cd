"""SQLite's writers wait in one line, across threads and processes (`accord.db.WritersLine`): a
write transaction holds the lock of `<database>-writers` from its BEGIN to its end, a writer of
another process waits for it (tried again every millisecond at most, rather than asleep in
SQLite's growing steps) and goes on once it is let go, no writer waits in line longer than
`LINE_WAIT_SECONDS`, and a forked child holds none of its parent's places."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from accord import db
from accord.db import WritersLine, make_engine, migrate, writers_line
from accord.uow import read_engine

# A writer in another process: begins a write, says so, waits for a word on its stdin, commits.
HOLDER = """
import sys
from sqlalchemy import text
from accord.db import make_engine
engine = make_engine(sys.argv[1])
with engine.begin() as connection:
    connection.execute(text("INSERT INTO scratch (who) VALUES ('child')"))
    print("holding", flush=True)
    sys.stdin.readline()
print("committed", flush=True)
"""


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE scratch (who TEXT NOT NULL)"))
        yield url, engine
    finally:
        engine.dispose()


def _line_file(tmp_path: Path) -> Path:
    return tmp_path / "accord.db-writers"


def _taken(path: Path) -> bool:
    """Whether some writer holds the line's file (tried on a file of its own: not waited for)."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_write_transaction_holds_the_line_until_it_ends(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    _url, engine = database
    line = _line_file(tmp_path)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO scratch (who) VALUES ('a')"))
        assert _taken(line)
    assert not _taken(line)  # committed
    seen: list[bool] = []

    def change_and_fail() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO scratch (who) VALUES ('b')"))
            seen.append(_taken(line))
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        change_and_fail()
    assert seen == [True]
    assert not _taken(line)  # rolled back
    with engine.connect() as connection:
        assert connection.execute(text("SELECT who FROM scratch")).scalars().all() == ["a"]


def test_a_reader_stands_in_no_line(database: tuple[str, Engine], tmp_path: Path) -> None:
    _url, engine = database
    with engine.begin() as writer:
        writer.execute(text("INSERT INTO scratch (who) VALUES ('a')"))
    with read_engine(engine).connect() as reader:
        assert reader.execute(text("SELECT count(*) FROM scratch")).scalar() == 1
        assert not _taken(_line_file(tmp_path))


@pytest.fixture
def quick(database: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch) -> tuple[str, WritersLine]:
    """The database's URL and its line, in which no one waits longer than 0.3 s."""
    url, _engine = database
    monkeypatch.setattr(db, "LINE_WAIT_SECONDS", 0.3)
    line = writers_line(url)
    assert line is not None
    return url, line


@contextmanager
def held_elsewhere(url: str) -> Iterator[Callable[[], None]]:
    """A writer of another process holding the line (`HOLDER`), with what makes it commit."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        stdin, stdout = child.stdin, child.stdout
        assert stdin is not None
        assert stdout is not None
        assert stdout.readline().strip() == "holding"

        def commit() -> None:
            stdin.write("go\n")
            stdin.close()
            assert stdout.readline().strip() == "committed"

        yield commit


def test_a_writer_of_another_process_waits_in_line_then_goes_on(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    with held_elsewhere(url) as commit:
        done: list[list[str]] = []

        def write() -> None:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO scratch (who) VALUES ('parent')"))
                done.append(connection.execute(text("SELECT who FROM scratch")).scalars().all())

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.5)
        assert writer.is_alive()
        assert not done  # it waits, in line
        commit()
        writer.join(20)
        assert not writer.is_alive()
    # it began after the child's commit: it saw the child's row, and wrote its own after
    assert done == [["child", "parent"]]
    assert not _taken(_line_file(tmp_path))


def test_no_writer_waits_in_line_longer_than_its_limit(
    quick: tuple[str, WritersLine], tmp_path: Path
) -> None:
    url, line = quick
    with held_elsewhere(url) as commit:
        started = time.monotonic()
        assert line.take() is None  # the other process holds the file: given up, not hung
        assert time.monotonic() - started >= 0.3
        assert line.take() is None  # and its turn in this process was given back
        commit()
    generation = line.take()  # let go: taken at once
    assert generation is not None
    assert _taken(_line_file(tmp_path))
    line.give(generation)
    assert not _taken(_line_file(tmp_path))


def test_a_forked_child_holds_none_of_its_parents_places(
    quick: tuple[str, WritersLine], tmp_path: Path
) -> None:
    _url, line = quick
    generation = line.take()
    assert generation is not None
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its line is free of the parent's turn, the file the parent's
        try:
            os.close(read)
            mine = line.take()  # not its turn's lock for ever; the parent holds the file
            os.write(write, b"none" if mine is None else b"held")
            time.sleep(2)  # alive, its copy of the parent's file closed
        finally:
            os._exit(0)
    os.close(write)
    try:
        assert os.read(read, 4) == b"none"
        line.give(generation)
        # the child, still alive, does not keep the parent's lock of the file
        assert not _taken(_line_file(tmp_path))
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(read)


def test_the_line_is_one_per_file_whatever_the_url(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    same = writers_line(f"sqlite:///{tmp_path / 'sub' / '..' / 'accord.db'}")
    assert same is not None
    assert same is writers_line(f"sqlite:///{tmp_path / 'accord.db'}")
    assert same.path == str(tmp_path / "accord.db") + "-writers"
    assert writers_line("sqlite://") is None  # in memory: one connection, no other writer


def test_migrations_and_changes_go_through_the_line(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'accord.db'}")
    try:
        migrate(engine)
        assert _line_file(tmp_path).exists()
        assert not _taken(_line_file(tmp_path))
    finally:
        engine.dispose()
