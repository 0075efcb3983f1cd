"""SQLite's writers wait in one line, across threads and processes (`accord.db.WritersLine`): a
write transaction holds the lock of `<database>-writers` from its BEGIN to its end, and a writer
of another process waits for it in the kernel, handed the lock the moment it is let go, rather
than asleep in SQLite's growing steps."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from accord.db import make_engine, migrate, writers_line
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


def _waiting_on(path: Path, pid: int) -> bool:
    """Whether process `pid` waits in the kernel for the flock of `path` (/proc/locks lists a
    waiter as "-> FLOCK ..." with its pid and the file's device and inode)."""
    inode = os.stat(path).st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields and "FLOCK" in fields:
            at = fields.index("FLOCK")
            who, where = fields[at + 3], fields[at + 4]
            if who == str(pid) and where.rsplit(":", 1)[-1] == str(inode):
                return True
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


def test_a_writer_of_another_process_waits_in_line_then_goes_on(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdin is not None
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "holding"
        done: list[list[str]] = []

        def write() -> None:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO scratch (who) VALUES ('parent')"))
                done.append(connection.execute(text("SELECT who FROM scratch")).scalars().all())

        writer = threading.Thread(target=write)
        writer.start()
        deadline = time.monotonic() + 20
        while not _waiting_on(_line_file(tmp_path), os.getpid()):
            assert time.monotonic() < deadline, "the writer never waited on the line's file"
            assert writer.is_alive()
            assert not done
            time.sleep(0.01)
        assert not done  # it waits, in the kernel's line
        child.stdin.write("go\n")
        child.stdin.flush()
        writer.join(20)
        assert not writer.is_alive()
        assert child.stdout.readline().strip() == "committed"
        child.stdin.close()
    # it began after the child's commit: it saw the child's row, and wrote its own after
    assert done == [["child", "parent"]]
    assert not _taken(_line_file(tmp_path))


def test_a_thread_in_line_that_writes_again_waits_on_sqlite_alone(
    database: tuple[str, Engine],
) -> None:
    url, _engine = database
    line = writers_line(url)
    assert line is not None
    assert line.take()
    try:
        # its own line again: no wait (it would wait for itself); SQLite's wait decides
        assert not line.take()
    finally:
        line.give()
    assert line.take()  # let go: taken again at once
    line.give()


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
