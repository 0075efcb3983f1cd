"""A team's (and a pair's) present trust read with an API token and no kept answer is answered in
the ASGI layer (`api.answers`), before FastAPI's routing, from the token (`present_trust`): with
the route's very status, headers and body; a move between two reads is seen at once; every
refusal and every other read is still the route's, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_org import OPERATOR, PEOPLE, build_org
from sqlalchemy import Engine
from trust_workers import TRUST, Worker, finish_a_commitment, same, transactions

from accord.org import service as org
from accord.uow import UnitOfWork
from factories import make_commitment

READS = (
    ("admin", TRUST),
    ("member", TRUST),
    ("lead", "/api/v1/teams/care/trust"),  # the lead of a partner team
    ("member", TRUST + "?of=care"),
    ("requester_member", TRUST + "?of=care"),
    ("admin", "/api/v1/teams/ops/trust?of=data"),
)


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


def test_a_move_between_two_reads_is_seen_at_once(workers: tuple[Worker, Worker, Worker]) -> None:
    fresh, keeping, route = workers
    paths = (TRUST, TRUST + "?of=care")
    before = {path: fresh.get("admin", path) for path in paths}
    for path in paths:
        assert same(keeping.get("admin", path), before[path])
        assert same(keeping.get("admin", path), before[path])  # kept
    finish_a_commitment(
        route, "asgi-read-1"
    )  # on another worker: only the database tells these two
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
