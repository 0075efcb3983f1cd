"""`accord notify test EMAIL`, run as a real process against a real SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.notify.sink import MailSink, free_port


def notify_test(email: str, cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(COLUMNS="200", NO_COLOR="1", TERM="dumb", **variables)
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", "notify", "test", email],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as server:
        yield server


def test_a_test_email_arrives(tmp_path: Path, sink: MailSink) -> None:
    done = notify_test(
        "ana@example.org",
        tmp_path,
        ACCORD_SMTP_HOST="127.0.0.1",
        ACCORD_SMTP_PORT=str(sink.port),
        ACCORD_SMTP_SECURITY="none",
        ACCORD_SMTP_FROM="ops@example.org",
    )

    assert done.returncode == 0, done.stderr
    assert f"sent a test e-mail to ana@example.org through 127.0.0.1:{sink.port}" in done.stdout
    [mail] = sink.messages()
    assert mail.recipients == ("ana@example.org",)
    assert mail.sender == "ops@example.org"
    assert mail.subject.startswith("Accord can send e-mail")
    assert mail.text
    assert mail.html


def test_a_closed_port_fails_clearly(tmp_path: Path) -> None:
    port = free_port()
    done = notify_test(
        "ana@example.org",
        tmp_path,
        ACCORD_SMTP_HOST="127.0.0.1",
        ACCORD_SMTP_PORT=str(port),
        ACCORD_SMTP_SECURITY="none",
        ACCORD_SMTP_TIMEOUT_SECONDS="5",
    )

    assert done.returncode == 1
    assert f"error: cannot reach the SMTP server 127.0.0.1:{port}: " in done.stderr
    assert "Traceback" not in done.stderr


def test_without_an_smtp_host_it_refuses(tmp_path: Path) -> None:
    done = notify_test("ana@example.org", tmp_path)

    assert done.returncode == 1
    assert "error: no SMTP server is set up: set ACCORD_SMTP_HOST" in done.stderr


def test_a_bad_address_is_refused(tmp_path: Path, sink: MailSink) -> None:
    done = notify_test(
        "not an address", tmp_path, ACCORD_SMTP_HOST="127.0.0.1", ACCORD_SMTP_PORT=str(sink.port)
    )

    assert done.returncode == 1
    assert "'not an address' is not an e-mail address" in done.stderr
    assert sink.messages() == []
