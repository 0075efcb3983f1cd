"""`accord serve --workers N`: several worker processes on one port, the secret key they must
share, what runs once beside them, connections spread across the workers, and TCP_NODELAY on
every connection."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from accord import server
from accord.cli import app
from accord.notify.sink import free_port

ROOT = Path(__file__).resolve().parents[2]


def environment(db: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    return {**env, "ACCORD_DATABASE_URL": f"sqlite:///{db}", **more}


def init(db: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "accord.cli", "init"],
        env=environment(db),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def test_several_workers_are_refused_without_a_secret_key(tmp_path: Path) -> None:
    db = tmp_path / "accord.db"
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli", "serve", "--workers", "2"],
        env=environment(db),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: --workers 2 needs ACCORD_SECRET_KEY")
    assert not db.exists()  # refused before anything opened the database


def test_workers_must_be_at_least_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output


@pytest.mark.parametrize("command", ["serve", "demo"])
@pytest.mark.parametrize(
    ("port", "why"),
    [("0", "greater than or equal to 1"), ("65536", "less than or equal to 65535")],
)
def test_a_port_out_of_range_is_refused_before_anything_starts(
    tmp_path: Path, command: str, port: str, why: str
) -> None:
    """Port 0 once fell back to ACCORD_PORT (8000) without a word."""
    db = tmp_path / "accord.db"
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli", command, "--port", port],
        env=environment(db, COLUMNS="200"),  # the message on one line
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"Invalid value for '--port': Input should be {why}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists()  # refused before anything opened the database


class Spy:
    """Stands in for uvicorn's supervisor and the notifications worker: records, serves nothing."""

    def __init__(self) -> None:
        self.supervised: list[Any] = []
        self.workers_started = 0
        self.workers_stopped = 0

    def supervisor(self, config: Any, sockets: list[socket.socket]) -> Any:
        spy = self

        class Supervisor:
            def run(self) -> None:
                spy.supervised.append((config, [sock.getsockname()[1] for sock in sockets]))
                for sock in sockets:
                    sock.close()

        return Supervisor()

    def start_worker(self, engine: Any, settings: Any) -> Any:
        self.workers_started += 1

        def stop() -> None:
            self.workers_stopped += 1

        return stop


def test_several_workers_build_their_apps_and_the_notifications_worker_runs_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "accord.db"
    init(db)
    spy = Spy()
    monkeypatch.setattr(server, "Workers", spy.supervisor)
    monkeypatch.setattr("accord.notify.worker.start_in_thread", spy.start_worker)
    for name, value in environment(db, ACCORD_SECRET_KEY="k" * 32).items():
        if name.startswith("ACCORD_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("ACCORD_FORECAST_REFIT_HOURS", "0")
    port = free_port()
    result = CliRunner().invoke(app, ["serve", "--workers", "3", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert "3 workers" in result.output
    [(config, ports)] = spy.supervised
    assert config.workers == 3
    assert config.app == "accord.server:app_from_environment"
    assert config.factory
    assert config.http is server.NoDelayHTTP
    assert ports == [port] * 3  # a listening socket for each worker, all on the one port
    # once, in the supervising process, however many workers serve; stopped with the server
    assert (spy.workers_started, spy.workers_stopped) == (1, 1)


def test_without_the_serve_worker_setting_no_notifications_worker_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "accord.db"
    init(db)
    spy = Spy()
    monkeypatch.setattr(server, "Workers", spy.supervisor)
    monkeypatch.setattr("accord.notify.worker.start_in_thread", spy.start_worker)
    monkeypatch.setenv("ACCORD_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("ACCORD_SECRET_KEY", "k" * 32)
    monkeypatch.setenv("ACCORD_SERVE_WORKER", "false")
    monkeypatch.setenv("ACCORD_FORECAST_REFIT_HOURS", "0")
    result = CliRunner().invoke(app, ["serve", "--workers", "2", "--port", str(free_port())])
    assert result.exit_code == 0, result.output
    assert len(spy.supervised) == 1
    assert spy.workers_started == 0


def test_every_connection_has_tcp_nodelay() -> None:
    async def accept_one() -> tuple[int, int]:
        seen: list[int] = []

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                before = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)  # as if never set
                server.no_delay(transport)
                seen.extend([before, sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)])
                transport.close()

        loop = asyncio.get_running_loop()
        listener = await loop.create_server(Probe, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        listener.close()
        return seen[0], seen[1]

    _, after = asyncio.run(accept_one())
    assert after != 0
    assert issubclass(server.NoDelayHTTP, server.AutoHTTPProtocol)


@pytest.mark.slow
def test_two_workers_serve_one_port(tmp_path: Path) -> None:
    """`accord serve --workers 2` answers on its port, a signed-in request on every new
    connection, whichever worker takes it."""
    db = tmp_path / "accord.db"
    init(db)
    created = subprocess.run(
        [
            *(sys.executable, "-m", "accord.cli", "users", "create", "ana@example.org"),
            *("--name", "Ana", "--role", "admin", "--token"),
        ],
        env=environment(db),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    port = free_port()
    env = environment(
        db, ACCORD_SECRET_KEY="s" * 32, ACCORD_FORECAST_REFIT_HOURS="0", ACCORD_LOG_LEVEL="warning"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "accord serve --workers 2 did not answer"
            time.sleep(0.1)
        for _ in range(20):  # a new connection each: both workers take some
            me = httpx.get(
                f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            assert me.status_code == 200, me.text
        # keep-alive connections opened at once, as a load balancer or wrk opens them, are
        # spread across the workers (on one shared socket, one worker took them all)
        by_worker = spread(port, process.pid, 32)
        assert sum(by_worker.values()) == 32, by_worker
        assert len(by_worker) == 2, by_worker
        assert min(by_worker.values()) >= 6, by_worker
        # a worker killed is started again on its socket; what reaches that socket meanwhile
        # waits for the new worker, and nothing is lost
        victim = min(by_worker)
        os.kill(victim, signal.SIGKILL)
        for _ in range(12):
            assert httpx.get(f"{base}/healthz", timeout=60).status_code == 200
        after = spread(port, process.pid, 32)
        assert len(after) == 2, after
        assert victim not in after
    finally:
        process.terminate()
        process.wait(timeout=60)
        if process.stdout is not None:
            process.stdout.close()


def spread(port: int, server: int, count: int) -> dict[int, int]:
    """How many of `count` connections opened at once each worker of `server` holds."""
    held = opened_at_once(port, count)
    try:
        return connections_of(port, children(server))
    finally:
        for sock in held:
            sock.close()


def opened_at_once(port: int, count: int) -> list[socket.socket]:
    """`count` connections, all opened before any is used, then one request answered on each."""
    held = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]
    for sock in held:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    for sock in held:
        assert sock.recv(4096).startswith(b"HTTP/1.1 200"), "a connection was not served"
    return held


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux: from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def connections_of(port: int, pids: list[int]) -> dict[int, int]:
    """How many established connections to `port` each of `pids` that holds any has open."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(f"socket:[{fields[9]}]")
    counts = {}
    for pid in pids:
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                held += os.readlink(fd) in inodes
            except OSError:
                continue
        if held:
            counts[pid] = held
    return counts
