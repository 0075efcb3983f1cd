"""The expensive reads through the REST API, on SQLite and PostgreSQL: the backtest is computed
once per state of the evidence, a person who has it computed too often is refused with 429 and
Retry-After, and the server computes one at a time (security issue item 7).

The server runs in this process, so the tests count what its cache computed
(`app.state.expensive_reads`) instead of timing anything."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from api_org import Org, build_org
from fastapi import FastAPI
from sqlalchemy import Engine

from accord.commitments import service as commitments
from accord.config import Settings
from accord.org import service as org
from accord.trust import backtest as backtesting
from accord.trust.read_cache import ExpensiveReads
from factories import make_commitment
from live_server import serve

BACKTEST = "/api/v1/trust/backtest"
PER_MINUTE = 2


@dataclass
class Limited:
    """The organization of api_org, served with small limits, and the server's app."""

    org: Org
    app: FastAPI

    @property
    def reads(self) -> ExpensiveReads:
        reads: ExpensiveReads = self.app.state.expensive_reads
        return reads


def limited_server(
    engine: Engine, clock: Callable[[], datetime], **limits: Any
) -> Iterator[Limited]:
    tokens = build_org(engine, clock)
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(
        database_url=url,
        secret_key="test-secret",
        **{"expensive_reads_per_minute": PER_MINUTE, **limits},
    )
    apps: list[FastAPI] = []
    for base_url in serve(settings, clock, prepare=apps.append):
        yield Limited(Org(base_url, engine, clock, tokens), apps[0])


@pytest.fixture
def limited(engine: Engine, clock: Callable[[], datetime]) -> Iterator[Limited]:
    """ACCORD_EXPENSIVE_READS_PER_MINUTE=2, on SQLite and on PostgreSQL."""
    yield from limited_server(engine, clock)


@pytest.fixture
def gated(engine: Engine, clock: Callable[[], datetime]) -> Iterator[Limited]:
    """One computation at a time, and half a second of waiting for it at most."""
    yield from limited_server(
        engine, clock, expensive_reads_at_once=1, expensive_reads_wait_seconds=0.5
    )


def new_evidence(api: Org) -> str:
    """A commitment requested of `data` by `care`: one more event, so a new evidence version."""
    bo = org.get_person(api.uow(), "bo@example.org")
    return make_commitment(api.uow(), "signals", bo, "care", "data").key


def finish(api: Org, key: str) -> None:
    """`data` promises, delivers and `care` accepts: a finished commitment for the backtest."""
    for move, email in (("promise", "ana"), ("report_done", "ana"), ("accept", "bo")):
        person = org.get_person(api.uow(), f"{email}@example.org")
        version = commitments.get_commitment(api.uow(), key).commitment.version
        args = {"value": 4} if move == "accept" else {}
        commitments.move(api.uow(), person, key, move, version=version, **args)


def test_the_read_after_the_limit_is_429_for_that_person_only_and_a_cached_one_is_free(
    limited: Limited,
) -> None:
    api = limited.org
    with api.client("lead") as lead, api.client("member") as member:
        assert lead.get(BACKTEST).status_code == 200
        repeats = [lead.get(BACKTEST) for _ in range(5)]  # the same evidence: from the cache
        assert [r.status_code for r in repeats] == [200] * 5
        assert limited.reads.computed["backtest"] == 1
        new_evidence(api)
        assert lead.get(BACKTEST).status_code == 200  # the second computation in the minute
        new_evidence(api)
        refused = lead.get(BACKTEST)

        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(refused.headers["Retry-After"]) <= 30  # one token comes back in 30 s
        problem = refused.json()
        assert problem["status"] == 429
        assert problem["title"] == "Too Many Requests"
        assert problem["rule"] == "read.rate_limited"
        assert f"at most {PER_MINUTE} times a minute" in problem["detail"]
        assert "the backtest" in problem["detail"]
        assert limited.reads.computed["backtest"] == 2

        # another person has a bucket of their own, and computes the new answer...
        assert member.get(BACKTEST).status_code == 200
        assert limited.reads.computed["backtest"] == 3
        # ...which the refused person is then given from the cache, uncounted
        assert lead.get(BACKTEST).status_code == 200
        # a minute later (the server's clock), the bucket is full again
        new_evidence(api)
        assert lead.get(BACKTEST).status_code == 429
        api.clock.advance(seconds=60)
        assert lead.get(BACKTEST).status_code == 200
        assert limited.reads.computed["backtest"] == 4


def test_new_evidence_is_never_answered_from_the_cache(limited: Limited) -> None:
    api = limited.org
    with api.client("lead") as lead:
        before = lead.get(BACKTEST).json()
        key = new_evidence(api)
        finish(api, key)
        after = lead.get(BACKTEST).json()

    assert before["n"] == 0
    assert after["n"] == 1  # the finished commitment, not the answer cached before it
    assert limited.reads.computed["backtest"] == 2


def test_concurrent_identical_reads_compute_once(
    limited: Limited, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = limited.org
    release = threading.Event()
    started = threading.Event()
    real = backtesting.latest

    def held(*args: Any, **kwargs: Any) -> dict[str, Any]:
        started.set()
        assert release.wait(30), "the test never released the computation"
        return real(*args, **kwargs)

    monkeypatch.setattr(backtesting, "latest", held)
    roles = ["lead", "member", "viewer", "admin"]
    clients = [api.client(role) for role in roles]
    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            answers = [pool.submit(c.get, BACKTEST) for c in clients]
            assert started.wait(30)
            # every other request has found the computation under way and waits for it
            wait_for(lambda: limited.reads.cache.joined["backtest"] == len(roles) - 1)
            release.set()
            statuses = [a.result().status_code for a in answers]
    finally:
        release.set()
        for c in clients:
            c.close()

    assert statuses == [200] * len(roles)
    assert limited.reads.computed["backtest"] == 1
    assert limited.reads.gate.peak == 1


def test_at_most_one_computation_runs_and_a_request_that_waits_too_long_is_503(
    gated: Limited, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = gated.org
    release = threading.Event()
    started = threading.Event()
    real = backtesting.latest

    def held(*args: Any, **kwargs: Any) -> dict[str, Any]:
        started.set()
        assert release.wait(30), "the test never released the computation"
        return real(*args, **kwargs)

    monkeypatch.setattr(backtesting, "latest", held)
    with api.client("lead") as lead, api.client("member") as member, ThreadPoolExecutor(1) as pool:
        try:
            first = pool.submit(lead.get, BACKTEST)
            assert started.wait(30)
            new_evidence(api)  # another answer, which must wait for the one computing slot
            refused = member.get(BACKTEST)
        finally:
            release.set()
        assert first.result().status_code == 200

    assert refused.status_code == 503
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["rule"] == "read.busy"
    assert gated.reads.gate.peak == 1
    assert gated.reads.computed["backtest"] == 1  # the refused one never ran


def test_the_openapi_document_declares_429_and_503_with_retry_after(limited: Limited) -> None:
    schema = httpx.get(limited.org.base_url + "/api/openapi.json", timeout=60).json()
    responses = schema["paths"][BACKTEST]["get"]["responses"]
    for code in ("429", "503"):
        assert "application/problem+json" in responses[code]["content"]
        assert "Retry-After" in responses[code]["headers"]


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    """Until `condition()` holds (a synchronization, not a measurement)."""
    done = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the condition never held")
