"""The pages of the expensive reads (trust over time, the trust map, the calibration page)
through HTTP against a live server with small limits: the refusal is a page with the API's
message and Retry-After, an answer is shared by the pages and the API, yet each reader still
sees only what they may (security issue item 7)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from web_session import PASSWORD, signed_in

from accord.commitments import service as commitments
from accord.config import Settings
from accord.org import service as org
from accord.org.domain import Operator
from accord.trust.read_cache import ExpensiveReads
from accord.uow import UnitOfWork
from factories import data_and_care, make_commitment, make_person, make_team
from live_server import serve


@dataclass(frozen=True)
class World:
    base_url: str
    engine: Engine
    clock: Any  # the tests' standing clock
    app: FastAPI

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, clock=self.clock)

    @property
    def reads(self) -> ExpensiveReads:
        reads: ExpensiveReads = self.app.state.expensive_reads
        return reads


@pytest.fixture
def world(sqlite_engine: Engine, clock: Any) -> Iterator[World]:
    """`data` and `care` work together, `ops` alone; ana leads data, bo care, olga is in ops and
    root is an admin. Each person may have each expensive read computed twice a minute."""
    uow = UnitOfWork(sqlite_engine, clock=clock)
    partners = data_and_care(uow, key="dc", sponsor=None)
    make_team(uow, "ops")
    people = {
        **partners.people,
        "olga": make_person(uow, "olga@example.org", teams={"ops": "member"}),
        "root": make_person(uow, "root@example.org", role="admin"),
    }
    for person in people.values():
        org.set_password(uow, Operator(), person.email, PASSWORD)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="test-secret", expensive_reads_per_minute=2)
    apps: list[FastAPI] = []
    for base in serve(settings, clock, prepare=apps.append):
        yield World(base, sqlite_engine, clock, apps[0])


def deliver(world: World, key: str) -> None:
    """care asks data for `key`; data promises and delivers, and care accepts it."""
    bo = org.get_person(world.uow(), "bo@example.org")
    ana = org.get_person(world.uow(), "ana@example.org")
    make_commitment(world.uow(), "dc", bo, "care", "data", key=key)
    for move, who in (("promise", ana), ("report_done", ana), ("accept", bo)):
        world.clock.advance(days=1)
        version = commitments.get_commitment(world.uow(), key).commitment.version
        args = {"value": 4} if move == "accept" else {}
        commitments.move(world.uow(), who, key, move, version=version, **args)


def test_the_third_computation_in_a_minute_is_a_429_page_with_the_same_message(world) -> None:
    with signed_in(world.base_url, "root@example.org") as http:
        first = http.get("/teams/data/trust-history")
        second = http.get("/teams/care/trust-history")
        refused = http.get("/teams/ops/trust-history")
        fragment = http.get("/teams/ops/trust-history", headers={"HX-Request": "true"})
        again = http.get("/teams/data/trust-history")  # computed before: not counted

    assert first.status_code == second.status_code == again.status_code == 200
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert "<html" in refused.text
    assert "Trust over time is computed for one person at most 2 times a minute" in refused.text
    # the team page loads the chart with htmx: the message goes where its messages go
    assert fragment.status_code == 429
    assert fragment.headers["HX-Retarget"] == "#flash"
    assert "<html" not in fragment.text
    assert "at most 2 times a minute" in fragment.text
    assert world.reads.computed["trust_history"] == 2


def test_the_pages_and_the_api_share_one_computation(world) -> None:
    with signed_in(world.base_url, "ana@example.org") as http:
        page = http.get("/trust/calibration")
        api = http.get("/api/v1/trust/backtest")  # the session cookie also signs API reads
        trust_map = http.get("/trust-map")
        graph = http.get("/trust-map.json")  # what the map page's script asks next

    assert page.status_code == api.status_code == trust_map.status_code == 200
    assert graph.status_code == 200
    assert world.reads.computed["backtest"] == 1
    assert world.reads.computed["trust_map"] == 1


def test_new_evidence_changes_the_map_and_trust_over_time_at_once(world) -> None:
    with signed_in(world.base_url, "ana@example.org") as http:
        before = http.get("/trust-map.json").json()
        history_before = http.get("/teams/data/trust-history").text
        deliver(world, "first")
        after = http.get("/trust-map.json").json()
        history_after = http.get("/teams/data/trust-history").text

    edge = {(e["requester"], e["performer"]): e for e in before["edges"]}[("care", "data")]
    moved = {(e["requester"], e["performer"]): e for e in after["edges"]}[("care", "data")]
    assert edge["evidence"] != moved["evidence"]
    assert moved["evidence"] == "on time in 1 of 1 commitment"
    assert history_before != history_after
    assert world.reads.computed["trust_map"] == 2
    assert world.reads.computed["trust_history"] == 2


def test_a_cached_answer_is_shown_only_to_readers_who_may_see_it(world) -> None:
    with signed_in(world.base_url, "root@example.org") as http:
        assert http.get("/teams/data/trust-history").status_code == 200
        everything = http.get("/trust-map.json").json()
    with signed_in(world.base_url, "olga@example.org") as http:
        history = http.get("/teams/data/trust-history")
        mine = http.get("/trust-map.json").json()

    assert history.status_code == 403  # asked of each reader, though the answer is cached
    assert {(e["requester"], e["performer"]) for e in everything["edges"]} == {
        ("care", "data"),
        ("data", "care"),
    }
    assert mine["edges"] == []  # olga's own map, not the admin's
    assert {n["slug"]: n["overall"] for n in mine["nodes"]}["data"] is None
    assert world.reads.computed["trust_history"] == 1
