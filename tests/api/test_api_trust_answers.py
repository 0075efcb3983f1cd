"""A team's (and a pair's) present trust answer is given again from `TrustAnswers` only while it
is the route's answer: at the same trust version (a move on another worker is seen at once),
recent enough, and to a live token whose owner may see it; everything else the route answers,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from api_org import OPERATOR, build_org
from sqlalchemy import Engine
from trust_workers import TRUST, Worker, finish_a_commitment, same

from accord.config import Settings
from accord.org import service as org
from accord.org.repository import TokenGrant
from accord.trust.visibility import may_see_with as may_see
from accord.uow import UnitOfWork
from factories import make_partnership


@pytest.fixture
def workers(engine: Engine, clock: Any) -> Iterator[tuple[Worker, Worker, Worker]]:
    """Two workers keeping answers, and a third that keeps none (the route's answer)."""
    tokens = build_org(engine, clock)
    made = (
        Worker(engine, clock, tokens),
        Worker(engine, clock, tokens),
        Worker(engine, clock, tokens, trust_answer_seconds=0),
    )
    try:
        yield made
    finally:
        for worker in made:
            worker.close()


def test_a_kept_answer_is_the_route_s_answer(workers: tuple[Worker, Worker, Worker]) -> None:
    one, _, route = workers
    asked: set[str] = set()
    for role, path in (
        ("admin", TRUST),
        ("member", TRUST),  # what one reader was answered is given to another who may see it
        ("member", TRUST + "?of=care"),
        ("requester_member", TRUST + "?of=care"),
    ):
        before = one.served
        first, again = one.get(role, path), one.get(role, path)
        assert first.status_code == 200, first.text
        assert same(first, again)
        assert same(again, route.get(role, path))
        assert one.served == before + (2 if path in asked else 1), (role, path)
        asked.add(path)
    assert route.served == 0


def test_a_move_on_another_worker_is_seen_at_once(workers: tuple[Worker, Worker, Worker]) -> None:
    one, other, route = workers
    for path in (TRUST, TRUST + "?of=care"):
        kept = one.get("admin", path)
        assert same(kept, one.get("admin", path))
    served = one.served
    finish_a_commitment(other, "kept-answers-1")  # only the database tells the first worker
    for path in (TRUST, TRUST + "?of=care"):
        now = one.get("admin", path)
        assert now.json()["ability"]["r"] > 0.5, now.text  # the accept is in it
        assert same(now, route.get("admin", path))
        assert same(now, one.get("admin", path))
    assert one.served == served + 2  # each new answer given again once, none of the old


def test_refusals_and_other_readers_are_the_route_s(
    workers: tuple[Worker, Worker, Worker], engine: Engine, clock: Any
) -> None:
    one, _, route = workers
    assert one.get("admin").status_code == 200  # kept
    served = one.served
    # an outsider and a viewer are refused as the route refuses them
    for role in ("outsider", "viewer"):
        refused = one.get(role)
        assert refused.status_code == 403, refused.text
        assert same(refused, route.get(role))
    # a pair is for the members of its two teams
    assert one.get("outsider", TRUST + "?of=care").status_code == 403
    assert one.served == served
    # the lead of a partner team may see it, and the member of one may not
    lead = one.get("requester_lead")
    assert lead.status_code == 200
    assert same(lead, route.get("requester_lead"))
    assert one.served == served + 1
    assert one.get("requester_member").status_code == 403
    # ... while the partnership holds them: a partnership of `ops` and `care` makes bo a lead
    # of a partner of `ops`
    ops = "/api/v1/teams/ops/trust"
    assert one.get("admin", ops).status_code == 200
    assert one.get("requester_lead", ops).status_code == 403
    bo = org.get_person(UnitOfWork(engine, clock), "bo@example.org")
    make_partnership(
        UnitOfWork(engine, clock),
        bo,
        key="ops-care",
        parties=[("ops", "Runbooks"), ("care", "Escalations")],
    )
    allowed = one.get("requester_lead", ops)
    assert allowed.status_code == 200
    assert same(allowed, route.get("requester_lead", ops))
    served = one.served
    # a member who leaves the team is refused by the very next read
    assert one.get("member").status_code == 200
    org.remove_membership(UnitOfWork(engine, clock), OPERATOR, "data", "cy@example.org")
    assert one.get("member").status_code == 403
    # a revoked token and a deactivated person are refused at once
    ana = org.get_person(UnitOfWork(engine, clock), "ana@example.org")
    assert one.get("lead").status_code == 200
    for token in org.list_tokens(UnitOfWork(engine, clock), ana):
        org.revoke_token(UnitOfWork(engine, clock), ana, token.id or 0)
    revoked = one.get("lead")
    assert (revoked.status_code, revoked.json()["rule"]) == (401, "auth.bad_token")
    org.update_person(UnitOfWork(engine, clock), OPERATOR, "dee@example.org", active=False)
    gone = one.get("requester_member", TRUST + "?of=care")
    assert (gone.status_code, gone.json()["rule"]) == (401, "auth.bad_token")


def test_an_answer_ages_out_and_other_reads_are_not_kept(
    workers: tuple[Worker, Worker, Worker], clock: Any
) -> None:
    one, _, route = workers
    first = one.get("admin")
    served = one.served
    clock.advance(seconds=2)  # past `trust_answer_seconds` (1): the present has moved
    later = one.get("admin")
    assert later.json()["as_of"] != first.json()["as_of"]
    assert same(later, route.get("admin"))
    assert one.served == served
    # a read as of an instant, with another parameter, or with the session cookie is the route's
    for path in (TRUST + "?as_of=2026-05-01", TRUST + "?of=care&of=ops", TRUST + "?x=1"):
        assert one.get("admin", path).status_code in (200, 404, 422)
        assert one.get("admin", path).status_code in (200, 404, 422)
    assert one.served == served + 0
    assert one.get("admin").status_code == 200  # the answer kept at 2 s later is given again
    assert one.served == served + 1


def grant(role: str = "member", teams: tuple[str, ...] = ()) -> TokenGrant:
    return TokenGrant(
        person_id=1,
        role=role,  # type: ignore[arg-type]
        active=True,
        expires_at=datetime.max,
        revoked_at=None,
        teams=frozenset(teams),
        trust_version=1,
        trust_built=True,
    )


def test_who_may_be_given_a_kept_answer() -> None:
    partners, org_wide = (
        Settings(_env_prefix="NONE_"),
        Settings(_env_prefix="NONE_", trust_visibility="org"),
    )
    assert may_see(grant("admin"), partners, "data", None)
    assert may_see(grant("admin"), partners, "data", "care")
    assert may_see(grant(teams=("data",)), partners, "data", None)
    assert not may_see(grant(teams=("care",)), partners, "data", None)
    partner_lead = replace(grant(teams=("care",)), leads_a_partner=True)
    assert may_see(partner_lead, partners, "data", None)
    assert not may_see(partner_lead, partners, "data", "ops")
    assert may_see(grant(teams=("care",)), org_wide, "data", None)
    assert may_see(grant(teams=("care",)), partners, "data", "care")
    assert may_see(grant(teams=("data",)), partners, "data", "care")
    assert not may_see(grant(teams=("ops",)), org_wide, "data", "care")
