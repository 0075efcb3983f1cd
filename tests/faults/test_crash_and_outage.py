"""Crashes and outages, for real: `accord serve` killed with SIGKILL under concurrent changes,
an import killed half-way, and PostgreSQL stopped under a running server.

After every kill, whatever the server acknowledged is there, nothing was done twice for one
`Idempotency-Key`, and `accord audit verify` passes; during an outage requests fail cleanly with
503 and the server recovers by itself when the database is back.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_org import build_org
from sqlalchemy import Engine

from accord.db import make_engine, migrate, utcnow
from accord.demo import build_demo
from accord.events import service as events
from accord.interchange.exporter import export_document
from accord.notify.sink import free_port
from accord.uow import UnitOfWork

pytestmark = pytest.mark.slow

KILLS = 10
ROOT = Path(__file__).resolve().parents[2]


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def accord(url: str, *args: str, **extra: Any) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": url,
        "ACCORD_SECRET_KEY": "crash-test-secret",
        "ACCORD_FORECAST_REFIT_HOURS": "0",
        "ACCORD_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "accord.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **extra,
    )


def audit_verify(url: str) -> subprocess.CompletedProcess[str]:
    process = accord(url, "audit", "verify")
    out, _ = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, "")


def chain_intact(engine: Engine) -> bool:
    """What `accord audit verify` checks, without starting a process for it."""
    return events.verify(UnitOfWork(engine, read_only=True)).ok


def killed(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


class Server:
    """`accord serve` as a child process on a port of its own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = accord(self.url, "serve", "--port", str(self.port))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                out = self.process.stdout.read() if self.process.stdout else ""
                raise AssertionError(f"accord serve stopped at start:\n{out}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("accord serve did not answer within a minute")

    def kill(self) -> None:
        assert self.process is not None
        killed(self.process)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


@pytest.fixture
def live_org(engine: Engine) -> dict[str, str]:
    """The API tests' organization, with tokens that are live by the wall clock."""
    return build_org(engine, utcnow)


@dataclass
class Ledger:
    """What the server acknowledged, and what was sent but never answered."""

    made: dict[str, str] = field(default_factory=dict)  # idempotency key -> commitment key
    promised: set[str] = field(default_factory=set)  # commitments whose promise was answered
    unanswered: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> the request
    lock: threading.Lock = field(default_factory=threading.Lock)


def request_body(title: str) -> dict[str, Any]:
    return {
        "partnership": "signals",
        "requester": "care",
        "performer": "data",
        "title": title,
        "due": (utcnow() + timedelta(days=30)).isoformat(),
        "reliance": "high",
    }


def load(base: str, tokens: dict[str, str], ledger: Ledger, worker: int, stop: threading.Event):
    """Request commitments and promise them, each POST under its own Idempotency-Key, until the
    server goes away; every answer is written down, every unanswered request kept for retry."""
    requester = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {tokens['requester_member']}"}, timeout=60
    )
    performer = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {tokens['member']}"}, timeout=60
    )
    n = 0
    try:
        while not stop.is_set():
            n += 1
            key = f"w{worker}-{n}-{random.getrandbits(32):x}"
            body = request_body(f"Load {key}")
            try:
                made = requester.post(
                    "/api/v1/commitments", json=body, headers={"Idempotency-Key": key}
                )
            except httpx.TransportError:
                with ledger.lock:
                    ledger.unanswered[key] = {"path": "/api/v1/commitments", "body": body}
                return
            assert made.status_code == 201, made.text
            with ledger.lock:
                ledger.made[key] = made.json()["key"]
            move = {"move": "promise", "version": 1}
            path = f"/api/v1/commitments/{made.json()['key']}/moves"
            try:
                promised = performer.post(path, json=move, headers={"Idempotency-Key": f"p-{key}"})
            except httpx.TransportError:
                with ledger.lock:
                    ledger.unanswered[f"p-{key}"] = {"path": path, "body": move}
                return
            assert promised.status_code == 200, promised.text
            with ledger.lock:
                ledger.promised.add(made.json()["key"])
    finally:
        requester.close()
        performer.close()


def retry_unanswered(base: str, tokens: dict[str, str], ledger: Ledger) -> None:
    """Send every unanswered request again with its key: each is answered once and for all."""
    for key, sent in sorted(ledger.unanswered.items()):
        role = "member" if key.startswith("p-") else "requester_member"
        answer = httpx.post(
            base + sent["path"],
            json=sent["body"],
            headers={"Authorization": f"Bearer {tokens[role]}", "Idempotency-Key": key},
            timeout=60,
        )
        assert answer.status_code in (200, 201), answer.text
        if key.startswith("p-"):
            ledger.promised.add(answer.json()["key"])
        else:
            ledger.made[key] = answer.json()["key"]
    ledger.unanswered.clear()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_killed_under_concurrent_moves_the_server_loses_and_repeats_nothing(
    engine: Engine, live_org: dict[str, str]
) -> None:
    """On SQLite; on PostgreSQL in a file of its own, so that the two may run at once."""
    killed_under_concurrent_moves(engine, live_org)


def killed_under_concurrent_moves(engine: Engine, live_org: dict[str, str]) -> None:
    url = url_of(engine)
    server = Server(url)
    ledger = Ledger()
    try:
        for kill in range(KILLS):
            server.start()
            retry_unanswered(server.base, live_org, ledger)
            stop = threading.Event()
            workers = [
                threading.Thread(target=load, args=(server.base, live_org, ledger, w, stop))
                for w in range(4)
            ]
            made_before = len(ledger.made)
            for worker in workers:
                worker.start()
            # a few commitments made in this round (however slow the machine), then a kill at
            # a random instant: mid-request, as likely as not
            deadline = time.monotonic() + 60
            while len(ledger.made) < made_before + 4 and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.5 * random.random())
            server.kill()
            stop.set()
            for worker in workers:
                worker.join(timeout=60)
            assert chain_intact(engine), f"the event log does not verify after kill {kill + 1}"
        server.start()
        retry_unanswered(server.base, live_org, ledger)
        reader = httpx.Client(
            base_url=server.base,
            headers={"Authorization": f"Bearer {live_org['admin']}"},
            timeout=60,
        )
        listed: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"partnership": "signals", "limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = reader.get("/api/v1/commitments", params=params).json()
            listed += page["items"]
            cursor = page["next"]
            if not cursor:
                break
        reader.close()
    finally:
        server.stop()
    assert len(ledger.made) >= KILLS * 4, "the load made too little to tell anything"
    by_title: dict[str, list[dict[str, Any]]] = {}
    for item in listed:
        by_title.setdefault(item["title"], []).append(item)
    # every request acknowledged (or retried after a kill) is there, exactly once
    for key, commitment in ledger.made.items():
        found = by_title.get(f"Load {key}", [])
        assert [c["key"] for c in found] == [commitment], key
    assert len(listed) == len(ledger.made), "a commitment no one was answered for"
    states = {item["key"]: item["state"] for item in listed}
    assert all(states[key] == "promised" for key in ledger.promised)
    assert audit_verify(url).returncode == 0


def test_an_import_killed_half_way_leaves_nothing_and_then_completes(
    engine: Engine, tmp_path: Path
) -> None:
    """Killed at any point, an import leaves the database as it was; run again, it completes
    and the result is the whole document."""
    document = build_demo()
    document_file = tmp_path / "org.json"
    document_file.write_text(json.dumps(document))
    url = url_of(engine)
    before = export_document(UnitOfWork(engine))
    for attempt in range(3):
        process = accord(url, "import", str(document_file))
        time.sleep(0.5 + attempt * 0.7)
        if process.poll() is not None:
            process.communicate()
            break  # it finished before the kill: nothing to learn from this attempt
        killed(process)
        assert export_document(UnitOfWork(engine)) == before, f"attempt {attempt + 1} left a part"
        assert chain_intact(engine)
    process = accord(url, "import", str(document_file))
    out, _ = process.communicate(timeout=600)
    assert process.returncode == 0, out
    imported = export_document(UnitOfWork(engine))
    assert {t["slug"] for t in imported["teams"]} >= {t["slug"] for t in document["teams"]}
    assert len(imported["commitments"]) == len(document["commitments"])
    assert audit_verify(url).returncode == 0


@pytest.fixture
def own_postgres() -> Iterator[dict[str, str]]:
    """A throw-away PostgreSQL cluster of this test alone, which it may stop and start."""
    # not under pytest's own temporary folder: the `postgres` user must be able to reach it
    parent = Path(tempfile.mkdtemp(prefix="accord-own-pg-"))
    os.chmod(parent, 0o777)
    port = str(free_port())
    env = {**os.environ, "ACCORD_TEST_PG_DIR": str(parent / "cluster"), "ACCORD_TEST_PG_PORT": port}
    env.pop("ACCORD_TEST_POSTGRES_URL", None)
    script = str(ROOT / "scripts" / "ensure-postgres.sh")
    url = subprocess.run(
        ["bash", script], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    try:
        yield {"url": url, "script": script, **env}
    finally:
        subprocess.run(["bash", script, "--destroy"], env=env, capture_output=True)
        shutil.rmtree(parent, ignore_errors=True)


def test_postgres_stopped_and_started_gives_503_then_recovers_by_itself(
    own_postgres: dict[str, str],
) -> None:
    url = own_postgres["url"]
    engine = make_engine(url)
    migrate(engine)
    tokens = build_org(engine, utcnow)
    engine.dispose()
    script, env = own_postgres["script"], dict(own_postgres)
    server = Server(url)
    server.start()
    try:
        client = httpx.Client(
            base_url=server.base,
            headers={"Authorization": f"Bearer {tokens['requester_member']}"},
            timeout=60,
        )
        assert client.post("/api/v1/commitments", json=request_body("Before")).status_code == 201
        subprocess.run(["bash", script, "--stop"], env=env, check=True, capture_output=True)

        for _ in range(3):
            down = client.post("/api/v1/commitments", json=request_body("During"))
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"] == "5"
            assert down.headers["content-type"] == "application/problem+json"
            assert down.json()["rule"] == "database.unavailable"
            assert "Traceback" not in down.text
            assert "psycopg" not in down.text
            assert client.get("/api/v1/me").status_code == 503
        health = httpx.get(f"{server.base}/healthz", timeout=30)
        assert health.status_code == 503
        page = httpx.get(f"{server.base}/sign-in", headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code in (200, 503)  # a page that needs no database may still show

        subprocess.run(["bash", script], env=env, check=True, capture_output=True)
        deadline = time.monotonic() + 30
        while httpx.get(f"{server.base}/healthz", timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "the server did not find the database again"
            time.sleep(0.2)
        after = client.post("/api/v1/commitments", json=request_body("After"))
        assert after.status_code == 201, after.text
        titles = [c["title"] for c in client.get("/api/v1/commitments").json()["items"]]
        assert sorted(titles) == ["After", "Before"]
        client.close()
    finally:
        server.stop()
    assert audit_verify(url).returncode == 0
