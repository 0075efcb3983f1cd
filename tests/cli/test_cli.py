"""The `accord` command, run as a real process on a SQLite file."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import typer.main

from accord.cli import app
from interchange_documents import example

DOCUMENT: dict[str, Any] = example()
TOKEN = re.compile(r"^acc_[A-Za-z0-9_-]{40,}$")


def run(
    *args: str,
    db: Path | None,
    cwd: Path,
    stdin: str | None = None,
    variables: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`accord ARGS` in a fresh process; ACCORD_DATABASE_URL names `db` (unset when None), and
    `variables` are set besides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(COLUMNS="200", NO_COLOR="1", TERM="dumb", **(variables or {}))
    if db is not None:
        env["ACCORD_DATABASE_URL"] = f"sqlite:///{db}"
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        input=stdin,
        timeout=600,
        check=False,
    )


class Accord:
    """The command bound to one database file in the test's directory."""

    def __init__(self, directory: Path, name: str = "accord.db") -> None:
        self.directory = directory
        self.db = directory / name

    def __call__(
        self, *args: str, stdin: str | None = None, variables: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return run(*args, db=self.db, cwd=self.directory, stdin=stdin, variables=variables)

    def ok(
        self, *args: str, stdin: str | None = None, variables: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = self(*args, stdin=stdin, variables=variables)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        return result

    def refused(self, *args: str, stdin: str | None = None) -> str:
        """Run a command that must fail cleanly: exit 1, a message, no traceback."""
        result = self(*args, stdin=stdin)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        assert result.stderr.startswith(("error: ", "audit FAILED")), result.stderr
        return result.stderr

    def write(self, name: str, document: Any) -> Path:
        path = self.directory / name
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    def export(self) -> Any:
        return json.loads(self.ok("export").stdout)

    def copy_to(self, directory: Path) -> Accord:
        """The command bound to a copy of this database file in `directory` (after a command
        has ended its file holds everything: SQLite folds its log in at the last close)."""
        assert not self.db.with_name(self.db.name + "-wal").exists()
        copy = Accord(directory, self.db.name)
        shutil.copyfile(self.db, copy.db)
        return copy

    def event_count(self) -> int:
        with closing(sqlite3.connect(self.db)) as connection:
            return int(connection.execute("SELECT count(*) FROM events").fetchone()[0])


@pytest.fixture(scope="session")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Accord:
    """A database file `accord init` made, once per session."""
    command = Accord(tmp_path_factory.mktemp("cli-init"))
    command.ok("init")
    return command


@pytest.fixture
def accord(initialized: Accord, tmp_path: Path) -> Accord:
    """An initialized database file: a copy of the one `accord init` made for the session
    (`test_init_makes_the_database_and_may_run_again` runs the command on its own file)."""
    return initialized.copy_to(tmp_path)


def test_init_makes_the_database_and_may_run_again(tmp_path):
    command = Accord(tmp_path)

    first = command.ok("init")
    second = command.ok("init")

    assert command.db.exists()
    assert first.stdout.strip() == f"database ready: {command.db}"
    assert second.stdout == first.stdout
    assert command.ok("audit", "verify").stdout.startswith("audit ok: 0 events")


def test_commands_before_init_ask_for_init(tmp_path):
    message = Accord(tmp_path).refused("users", "list")

    assert "run `accord init` first" in message


def test_users_create_prints_a_token_on_the_last_line(accord):
    result = accord.ok("users", "create", "Ana@Example.org", "--name", "Ana Lima", "--token")

    lines = result.stdout.strip().splitlines()
    assert lines[0] == "created ana@example.org (member)"
    assert TOKEN.fullmatch(lines[-1]), lines[-1]
    listed = accord.ok("users", "list").stdout
    assert re.search(r"^ana@example\.org\s+member\s+Ana Lima", listed, re.MULTILINE)
    with closing(sqlite3.connect(accord.db)) as connection:
        stored = [row[0] for row in connection.execute("SELECT token_hash FROM api_tokens")]
    assert len(stored) == 1
    assert lines[-1] not in stored  # only the hash is kept


def test_users_create_without_token_prints_no_token(accord):
    result = accord.ok("users", "create", "ana@example.org", "--name", "Ana", "--role", "viewer")

    assert result.stdout.strip().splitlines() == ["created ana@example.org (viewer)"]


def test_a_duplicate_user_is_refused_cleanly(accord):
    accord.ok("users", "create", "ana@example.org", "--name", "Ana Lima")
    events = accord.event_count()

    message = accord.refused("users", "create", "ANA@example.org", "--name", "Other Ana")

    assert "already exists" in message
    assert "rule: person.exists" in message
    assert accord.event_count() == events


def test_a_short_password_is_refused_cleanly(accord):
    message = accord.refused(
        "users", "create", "ana@example.org", "--name", "Ana", "--password", "short"
    )

    assert "rule: password.too_short" in message
    assert "ana@example.org" not in accord.ok("users", "list").stdout


def test_import_then_import_again_changes_nothing(accord):
    path = accord.write("doc.json", DOCUMENT)

    first = accord.ok("import", str(path)).stdout
    exported = accord.export()
    events = accord.event_count()
    second = accord.ok("import", str(path)).stdout

    assert re.search(r"^commitments\s+1 created\s+0 unchanged$", first, re.MULTILINE), first
    assert re.search(r"^people\s+3 created\s+0 unchanged$", first, re.MULTILINE), first
    for section, count in (
        ("teams", 2),
        ("people", 3),
        ("purposes", 1),
        ("partnerships", 1),
        ("commitments", 1),
    ):
        assert re.search(rf"^{section}\s+0 created\s+{count} unchanged$", second, re.MULTILINE)
    assert accord.export() == exported
    assert accord.event_count() == events


def test_import_reads_standard_input(accord):
    accord.ok("import", "-", stdin=json.dumps(DOCUMENT))

    assert [c["key"] for c in accord.export()["commitments"]] == ["c-1"]


def test_a_bad_document_is_refused_with_every_path(accord):
    document = json.loads(json.dumps(DOCUMENT))
    del document["commitments"][0]["history"][4]
    document["partnerships"][0]["parties"][1]["team"] = "ghosts"
    path = accord.write("bad.json", document)

    message = accord.refused("import", str(path))

    assert "nothing was imported" in message
    assert "partnerships[0].parties[1].team: no team 'ghosts'" in message
    assert "rule: import.refused" in message
    assert accord.export()["teams"] == []
    assert accord.event_count() == 0


def test_a_wrong_state_in_a_history_is_refused_with_its_path(accord):
    document = json.loads(json.dumps(DOCUMENT))
    del document["commitments"][0]["history"][4]
    path = accord.write("bad.json", document)

    message = accord.refused("import", str(path))

    assert "commitments[0].history[4]: 'accept' needs state delivered, is promised" in message
    assert accord.event_count() == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [("{not json", "is not JSON"), (None, "cannot read"), ("[1, 2]", "must be a JSON object")],
    ids=["not-json", "missing-file", "not-an-object"],
)
def test_an_unreadable_file_is_refused_cleanly(accord, content, expected):
    path = accord.directory / "input.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    message = accord.refused("import", str(path))

    assert expected in message


def test_export_to_a_file_round_trips_through_an_empty_database(accord, tmp_path):
    accord.ok("import", str(accord.write("doc.json", DOCUMENT)))
    out = tmp_path / "out.json"

    result = accord.ok("export", str(out))

    assert result.stdout.strip() == f"wrote {out}"
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported == accord.export()
    assert exported["commitments"] == DOCUMENT["commitments"]
    other = Accord(tmp_path, "other.db")
    other.ok("init")
    other.ok("import", str(out))
    assert other.export() == exported
    assert other.event_count() == accord.event_count()


def test_audit_verify_passes_then_names_the_tampered_event(accord):
    accord.ok("import", str(accord.write("doc.json", DOCUMENT)))
    events = accord.event_count()

    result = accord.ok("audit", "verify")
    assert result.stdout.strip() == f"audit ok: {events} events, the chain is intact"

    with closing(sqlite3.connect(accord.db)) as connection, connection:
        connection.execute(
            "UPDATE events SET payload = json_set(payload, '$.name', 'Forged') WHERE id = 2"
        )

    message = accord.refused("audit", "verify")
    assert message.startswith("audit FAILED at event 2:")


def test_audit_verify_names_a_deleted_last_event(accord):
    accord.ok("import", str(accord.write("doc.json", DOCUMENT)))
    events = accord.event_count()
    with closing(sqlite3.connect(accord.db)) as connection, connection:
        connection.execute("DELETE FROM events WHERE id = ?", (events,))

    message = accord.refused("audit", "verify")

    assert message.startswith(f"audit FAILED at event {events}:")


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group of the app, as the words that call it."""
    paths = [prefix]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        paths += _command_paths(sub, (*prefix, name))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) or "accord" for p in COMMANDS])
def test_help_of_every_command(tmp_path, path):
    result = run(*path, "--help", db=None, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())  # asking for help touches no database


def test_the_expected_commands_exist():
    assert {
        ("init",),
        ("import",),
        ("export",),
        ("demo",),
        ("serve",),
        ("users", "create"),
        ("users", "list"),
        ("audit", "verify"),
    } <= set(COMMANDS)


def test_demo_refuses_a_database_that_has_data(accord):
    pytest.importorskip("accord.demo")
    accord.ok("import", str(accord.write("doc.json", DOCUMENT)))
    before = accord.export()

    message = accord.refused("demo", "--no-serve")

    assert "already has data" in message
    assert accord.export() == before


@pytest.mark.slow
def test_demo_fills_its_own_file_and_its_log_verifies(tmp_path):
    pytest.importorskip("accord.demo")
    (tmp_path / "accord-demo.db").write_text("stale, replaced by the demo")

    result = run("demo", "--no-serve", "--seed", "3", db=None, cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "sign in as" in result.stdout
    demo_db = tmp_path / "accord-demo.db"
    assert str(demo_db) in result.stdout
    assert not (tmp_path / "accord.db").exists()
    verified = run("audit", "verify", db=demo_db, cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    count = int(re.match(r"audit ok: (\d+) events", verified.stdout).group(1))
    assert count > 1000
    exported = json.loads(run("export", db=demo_db, cwd=tmp_path).stdout)
    assert len(exported["teams"]) >= 10
    assert len(exported["commitments"]) >= 100


def test_a_file_that_is_not_utf8_is_refused_cleanly(accord):
    path = accord.directory / "latin1.json"
    path.write_bytes(json.dumps(DOCUMENT).replace("Ana Lima", "Ana Lïma").encode("latin-1"))

    assert "is not UTF-8 text" in accord.refused("import", str(path))


def test_a_utf8_file_with_a_byte_order_mark_imports(accord):
    path = accord.directory / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(DOCUMENT).encode())

    accord.ok("import", str(path))

    assert accord.event_count() > 0


def test_export_into_a_missing_folder_is_refused_cleanly(accord):
    message = accord.refused("export", str(accord.directory / "no-such-folder" / "out.json"))

    assert message.startswith("error: cannot write")
