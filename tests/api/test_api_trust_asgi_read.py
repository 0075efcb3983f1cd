"""A team's (and a pair's) present trust read with an API token and no kept answer is answered in
the ASGI layer (`api.answers`), before FastAPI's routing, from the token (`present_trust`): with
the route's very status, headers and body; a move between two reads is seen at once; every
refusal and every other read is still the route's, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from api_org import OPERATOR, PEOPLE, build_org
from fastapi import FastAPI
from sqlalchemy import Engine, event
from starlette.types import Receive, Scope, Send

from accord.api.answers import TrustAnswersMiddleware
from accord.config import Settings
from accord.org import service as org
from accord.trust.read_cache import TrustAnswers
from accord.uow import UnitOfWork
from factories import make_commitment
from live_server import serve

TRUST = "/api/v1/teams/data/trust"
READS = (
    ("admin", TRUST),
    ("member", TRUST),
    ("lead", "/api/v1/teams/care/trust"),  # the lead of a partner team
    ("member", TRUST + "?of=care"),
    ("requester_member", TRUST + "?of=care"),
    ("admin", "/api/v1/teams/ops/trust?of=data"),
)


class Worker:
    """One app served over HTTP, counting the requests that reach FastAPI's routing."""

    def __init__(self, engine: Engine, clock: Any, tokens: dict[str, str], **settings: Any):
        url = engine.url.render_as_string(hide_password=False)
        made: list[FastAPI] = []
        self._server = serve(
            Settings(database_url=url, secret_key="test-secret", **settings), clock, made.append
        )
        self.client = httpx.Client(base_url=next(self._server), timeout=30)
        self.app = made[0]
        self.tokens = tokens
        self.routed: list[str] = []
        router = self.app.router
        inner = router.middleware_stack

        async def counted(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                self.routed.append(scope["path"])
            await inner(scope, receive, send)

        router.middleware_stack = counted

    def close(self) -> None:
        self.client.close()
        self._server.close()

    @property
    def answers(self) -> TrustAnswers:
        answers: TrustAnswers = self.app.state.trust_answers
        return answers

    def asgi_layer(self) -> TrustAnswersMiddleware:
        layer: Any = self.app.middleware_stack
        while not isinstance(layer, TrustAnswersMiddleware):
            layer = layer.app
        return layer

    def get(self, role: str, path: str = TRUST) -> httpx.Response:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[role]}"})


@pytest.fixture
def workers(engine: Engine, clock: Any) -> Iterator[tuple[Worker, Worker, Worker]]:
    """A worker keeping nothing (every read is read anew), one keeping answers, and the route:
    a worker whose ASGI layer reads nothing from the token and keeps nothing (as before)."""
    tokens = build_org(engine, clock)
    bo = org.get_person(UnitOfWork(engine, clock), PEOPLE["requester_lead"])
    make_commitment(UnitOfWork(engine, clock), "signals", bo, "care", "data")  # a `given`
    made = (
        Worker(engine, clock, tokens, trust_answer_seconds=0),
        Worker(engine, clock, tokens),
        Worker(engine, clock, tokens, trust_answer_seconds=0),
    )
    try:
        made[2].get("admin")  # the middleware stack is built at the first request
        made[2].asgi_layer()._answer = lambda *_: None  # type: ignore[method-assign]
        yield made
    finally:
        for worker in made:
            worker.close()


def same(a: httpx.Response, b: httpx.Response) -> bool:
    """The same status, body and every header, in order (but the server's date)."""

    def headers(answer: httpx.Response) -> list[tuple[str, str]]:
        return [(k, v) for k, v in answer.headers.multi_items() if k != "date"]

    return (a.status_code, a.content, headers(a)) == (b.status_code, b.content, headers(b))


def test_an_uncached_read_is_answered_before_fastapi_with_the_route_s_bytes(
    workers: tuple[Worker, Worker, Worker],
) -> None:
    fresh, keeping, route = workers
    routes_read = route.answers.read
    for role, path in READS:
        expected = route.get(role, path)
        assert expected.status_code == 200, (role, path, expected.text)
        assert route.routed[-1] == path.partition("?")[0]  # the route answered it
        for worker in (fresh, keeping):
            given = worker.answers.read, worker.answers.served
            routed = len(worker.routed)
            answer = worker.get(role, path)
            assert same(answer, expected), (role, path, answer.headers, expected.headers)
            assert len(worker.routed) == routed, (role, path)  # FastAPI never saw it
            read, served = worker.answers.read - given[0], worker.answers.served - given[1]
            assert (read, served) in ((1, 0), (0, 1) if worker is keeping else (1, 0))
    # the security headers, set above the ASGI layer, are on its answers too
    assert fresh.get("admin").headers["x-frame-options"] == "DENY"
    assert fresh.answers.served == 0  # read each time: nothing kept
    assert route.answers.read == routes_read


def finish_a_commitment(worker: Worker) -> None:
    """Through `worker`'s API: a commitment of `data` to `care` requested, promised, done and
    accepted, so that data's trust and the pair's change."""

    def post(role: str, path: str, body: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {worker.tokens[role]}"}
        answer = worker.client.post(path, json=body, headers=headers)
        assert answer.status_code in (200, 201), answer.text

    post(
        "requester_lead",
        "/api/v1/commitments",
        {
            "key": "asgi-read-1",
            "partnership": "signals",
            "requester": "care",
            "performer": "data",
            "title": "Weekly churn report",
            "due": "2026-06-20T00:00:00Z",
        },
    )
    moves = "/api/v1/commitments/asgi-read-1/moves"
    post("lead", moves, {"move": "promise", "version": 1})
    post("lead", moves, {"move": "report_done", "version": 2})
    post("requester_lead", moves, {"move": "accept", "version": 3, "value": 5})


def test_a_move_between_two_reads_is_seen_at_once(workers: tuple[Worker, Worker, Worker]) -> None:
    fresh, keeping, route = workers
    paths = (TRUST, TRUST + "?of=care")
    before = {path: fresh.get("admin", path) for path in paths}
    for path in paths:
        assert same(keeping.get("admin", path), before[path])
        assert same(keeping.get("admin", path), before[path])  # kept
    finish_a_commitment(route)  # on another worker: only the database tells these two
    for path in paths:
        for worker in (fresh, keeping):
            now = worker.get("admin", path)
            assert now.json()["ability"]["r"] > before[path].json()["ability"]["r"], path
            assert same(now, route.get("admin", path))


def test_refusals_and_other_reads_are_the_route_s(
    workers: tuple[Worker, Worker, Worker], engine: Engine, clock: Any
) -> None:
    fresh, _, route = workers
    for role, path in (
        ("outsider", TRUST),
        ("viewer", TRUST),
        ("requester_member", TRUST),
        ("outsider", TRUST + "?of=care"),
        ("admin", "/api/v1/teams/nobody/trust"),
        ("admin", TRUST + "?of=nobody"),
        ("admin", TRUST + "?of=data"),
    ):
        routed = len(fresh.routed)
        refused = fresh.get(role, path)
        assert refused.status_code in (403, 404, 422), (role, path, refused.text)
        assert same(refused, route.get(role, path)), (role, path)
        assert len(fresh.routed) == routed + 1
    bad = fresh.client.get(TRUST, headers={"Authorization": "Bearer not-a-token"})
    assert (bad.status_code, bad.json()["rule"]) == (401, "auth.bad_token")
    assert same(bad, route.client.get(TRUST, headers={"Authorization": "Bearer not-a-token"}))
    # a view of the past, other parameters: the route's
    for path in (TRUST + "?as_of=2026-05-01", TRUST + "?x=1", TRUST + "?of=care&of=ops"):
        routed, read = len(fresh.routed), fresh.answers.read
        assert same(fresh.get("admin", path), route.get("admin", path)), path
        assert (len(fresh.routed), fresh.answers.read) == (routed + 1, read)
    # a token no longer good is refused by the very next read
    assert fresh.get("member").status_code == 200
    org.remove_membership(UnitOfWork(engine, clock), OPERATOR, "data", PEOPLE["member"])
    assert fresh.get("member").status_code == 403
    assert fresh.answers.read == 1  # the member's


@contextmanager
def transactions() -> Iterator[list[int]]:
    """The threads that began a transaction within, on any engine of this process."""
    begun: list[int] = []

    def note(_connection: Any) -> None:
        begun.append(threading.get_ident())

    event.listen(Engine, "begin", note)
    try:
        yield begun
    finally:
        event.remove(Engine, "begin", note)


def test_a_refusal_is_read_from_the_token_once(workers: tuple[Worker, Worker, Worker]) -> None:
    """The ASGI layer's read declined it: the route does not ask it again, it asks `trust_of`
    (two transactions in all, as before; not three)."""
    fresh, _, _ = workers
    assert fresh.get("outsider").status_code == 403  # warm
    with transactions() as begun:
        assert fresh.get("outsider").status_code == 403
    assert len(begun) == 2, begun
    with transactions() as begun:
        assert fresh.get("admin").status_code == 200
    assert len(begun) == 1, begun
