"""Apps served over HTTP as the processes of `accord serve --workers N` serve them, for the tests
of a team's trust read (kept answers, reads before FastAPI), and what those tests count."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, event
from starlette.types import Receive, Scope, Send

from accord.api.answers import TrustAnswersMiddleware
from accord.config import Settings
from accord.trust.read_cache import TrustAnswers
from live_server import serve

TRUST = "/api/v1/teams/data/trust"


class Worker:
    """One app served over HTTP (with answers of its own), counting the requests that reach
    FastAPI's routing (`routed`)."""

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

    @property
    def served(self) -> int:
        return self.answers.served

    def asgi_layer(self) -> TrustAnswersMiddleware:
        layer: Any = self.app.middleware_stack
        while not isinstance(layer, TrustAnswersMiddleware):
            layer = layer.app
        return layer

    def get(self, role: str, path: str = TRUST) -> httpx.Response:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[role]}"})


def same(a: httpx.Response, b: httpx.Response) -> bool:
    """The same status, body and every header, in order (but the server's date, which is the
    wall clock's)."""

    def headers(answer: httpx.Response) -> list[tuple[str, str]]:
        return [(k, v) for k, v in answer.headers.multi_items() if k != "date"]

    return (a.status_code, a.content, headers(a)) == (b.status_code, b.content, headers(b))


def finish_a_commitment(worker: Worker, key: str) -> None:
    """Through `worker`'s API: commitment `key` of `data` to `care` requested, promised, done
    and accepted, so that data's trust and the pair's change."""

    def post(role: str, path: str, body: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {worker.tokens[role]}"}
        answer = worker.client.post(path, json=body, headers=headers)
        assert answer.status_code in (200, 201), answer.text

    post(
        "requester_lead",
        "/api/v1/commitments",
        {
            "key": key,
            "partnership": "signals",
            "requester": "care",
            "performer": "data",
            "title": "Weekly churn report",
            "due": "2026-06-20T00:00:00Z",
        },
    )
    moves = f"/api/v1/commitments/{key}/moves"
    post("lead", moves, {"move": "promise", "version": 1})
    post("lead", moves, {"move": "report_done", "version": 2})
    post("requester_lead", moves, {"move": "accept", "version": 3, "value": 5})


@contextmanager
def transactions() -> Iterator[list[int]]:
    """The threads of the transactions begun within, on any engine of this process (the test
    servers' included)."""
    begun: list[int] = []

    def note(_connection: Any) -> None:
        begun.append(threading.get_ident())

    event.listen(Engine, "begin", note)
    try:
        yield begun
    finally:
        event.remove(Engine, "begin", note)
