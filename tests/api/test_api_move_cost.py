"""What a move through the API costs the database (issue 18): a change signs in within its own
transaction, a request takes its teams from the partnership it loaded (in one statement), the
trust upkeep reads no track for a commitment just requested and (on SQLite) reads the newest
snapshot with the state row, and who hears of a move is read with how they hear it. On SQLite and on
PostgreSQL; the behaviour of each is the same as before."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from api_org import Org
from sqlalchemy import Engine, Select, event, select

from accord.commitments import service as commitments
from accord.config import Settings
from accord.notify import service as notify
from accord.notify.domain import Channel, Kind, Outlet
from accord.notify.orm import notifications_table, outbox_table
from accord.org import service as org
from accord.org.domain import Person
from accord.trust import service as trust
from accord.trust.orm import trust_pairs_table, trust_tracks_table

REQUEST = {
    "partnership": "signals",
    "requester": "care",
    "performer": "data",
    "title": "Weekly churn signals",
    "due": "2026-07-01T17:30:00Z",
}


@contextmanager
def recorded() -> Iterator[tuple[list[str], list[int]]]:
    """The statements sent (BEGIN left out) and the transactions begun within, on any engine of
    this process (the test server's too)."""
    sent: list[str] = []
    begun: list[int] = []

    def statement(_c: Any, _cursor: Any, text: str, *_args: Any) -> None:
        if not text.lstrip().upper().startswith("BEGIN"):
            sent.append(" ".join(text.split()))

    def begin(_connection: Any) -> None:
        begun.append(threading.get_ident())

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "begin", begin)
    try:
        yield sent, begun
    finally:
        event.remove(Engine, "before_cursor_execute", statement)
        event.remove(Engine, "begin", begin)


def reading(sent: list[str], table: str) -> list[str]:
    return [s for s in sent if s.startswith("SELECT") and f" FROM {table} " in f"{s} "]


def request_and_promise(api_on: Org, key: str) -> tuple[httpx.Response, httpx.Response]:
    with api_on.client("requester_member") as dee, api_on.client("member") as cy:
        made = dee.post("/api/v1/commitments", json={**REQUEST, "key": key})
        assert made.status_code == 201, made.text
        promised = cy.post(
            f"/api/v1/commitments/{key}/moves", json={"move": "promise", "version": 1}
        )
        assert promised.status_code == 200, promised.text
    return made, promised


def test_a_request_and_a_promise_cost_what_they_need(api_on: Org) -> None:
    request_and_promise(api_on, "warm")  # what is done once per server is not counted
    with api_on.client("requester_member") as dee, api_on.client("member") as cy:
        with recorded() as (sent, begun):
            made = dee.post("/api/v1/commitments", json={**REQUEST, "key": "counted"})
        assert made.status_code == 201, made.text
        asked, asked_begun = list(sent), list(begun)
        with recorded() as (sent, begun):
            promised = cy.post(
                "/api/v1/commitments/counted/moves", json={"move": "promise", "version": 1}
            )
        assert promised.status_code == 200, promised.text
    for what, statements, transactions in (
        ("request", asked, asked_begun),
        ("promise", sent, begun),
    ):
        # the sign-in and the change in one transaction; the person read once, with the token
        assert len(transactions) == 1, f"a {what} began {len(transactions)} transactions"
        assert len(reading(statements, "api_tokens")) == 1, statements
        assert not reading(statements, "people"), statements
        # who hears of it and how they hear, in one statement
        assert not reading(statements, "notification_preferences"), statements
        # the teams come with the partnership (a request) or the commitment (a move)
        assert not reading(statements, "teams"), statements
    # a new commitment has no track to read: the upkeep writes its first
    # (the one read of the tracks left is the count of those that fell due since the last move)
    assert [s for s in reading(asked, "trust_tracks") if "count(*)" not in s] == []
    assert len(reading(sent, "trust_tracks")) == 2, sent
    # on SQLite (the write lock held from BEGIN) the newest snapshot's instant comes with the
    # state row in one statement; on PostgreSQL it is read after the row's lock, fresh
    sqlite = api_on.engine.dialect.name == "sqlite"
    for statements in (asked, sent):
        apart = [s for s in statements if s.startswith("SELECT max(trust_snapshots.at)")]
        assert len(apart) == (0 if sqlite else 1), statements
        assert len(reading(statements, "trust_state")) == 1, statements
    # a request's partnership comes with its parties, their teams and signers in one statement
    assert len(reading(asked, "partnerships")) == 1, asked
    assert not reading(asked, "parties"), asked
    assert len(asked) <= (15 if sqlite else 16), "\n".join(asked)
    assert len(sent) <= (15 if sqlite else 16), "\n".join(sent)


def test_a_move_that_fails_after_its_sign_in_leaves_the_database_free(api_on: Org) -> None:
    """The sign-in began the change's transaction (on SQLite it holds the write lock): a route
    that refuses the move before its use case runs ends it, and the next change goes through."""
    with api_on.client("requester_member") as dee, api_on.client("member") as cy:
        made = dee.post("/api/v1/commitments", json={**REQUEST, "key": "first"})
        assert made.status_code == 201, made.text
        refused = cy.post("/api/v1/commitments/first/moves", json={"move": "promise"})
        assert refused.status_code == 422, refused.text
        assert refused.json()["rule"] == "commitment.version_required"
        stale = cy.post("/api/v1/commitments/first/moves", json={"move": "promise", "version": 7})
        assert stale.status_code == 409, stale.text
        again = dee.post("/api/v1/commitments", json={**REQUEST, "key": "second"})
        assert again.status_code == 201, again.text
        promised = cy.post(
            "/api/v1/commitments/first/moves", json={"move": "promise", "version": 1}
        )
        assert promised.status_code == 200, promised.text
    assert commitments.get_commitment(api_on.uow(), "first", None).commitment.state == "promised"


def test_a_refused_sign_in_changes_nothing(api_on: Org) -> None:
    person = org.get_person(api_on.uow(), "dee@example.org")
    with api_on.client("requester_member") as dee:
        for token in org.list_tokens(api_on.uow(), person):
            org.revoke_token(api_on.uow(), person, token.id or 0)
        refused = dee.post("/api/v1/commitments", json={**REQUEST, "key": "never"})
    assert refused.status_code == 401, refused.text
    assert refused.json()["rule"] == "auth.bad_token"
    with api_on.uow() as uow:
        assert uow.commitments.find("never") is None


def test_a_request_names_its_teams_as_before(api_on: Org) -> None:
    """Teams not found, or not parties of the partnership, are refused as they were when each
    was looked up on its own."""
    cases = [
        ({"requester": "nowhere"}, 404, "team.not_found", "requester"),
        ({"performer": "nowhere"}, 404, "team.not_found", "performer"),
        ({"performer": "ops"}, 409, "commitment.not_a_party", "performer"),
    ]
    with api_on.client("requester_member") as dee:
        for change, status, rule, field in cases:
            answer = dee.post("/api/v1/commitments", json={**REQUEST, **change, "key": "x"})
            assert answer.status_code == status, answer.text
            assert answer.json()["rule"] == rule
            assert answer.json().get("field") == field, answer.json()


def test_the_upkeep_of_api_moves_equals_a_rebuild(api_on: Org) -> None:
    """The sums kept move by move (a request's track written without reading one) are those a
    rebuild from the log makes."""
    for number in range(3):
        request_and_promise(api_on, f"kept-{number}")
    with api_on.client("member") as cy:
        done = cy.post(
            "/api/v1/commitments/kept-0/moves", json={"move": "report_done", "version": 2}
        )
        assert done.status_code == 200, done.text
    with api_on.client("requester_member") as dee:
        accepted = dee.post(
            "/api/v1/commitments/kept-0/moves", json={"move": "accept", "version": 3, "value": 4}
        )
        assert accepted.status_code == 200, accepted.text
    with api_on.uow() as uow:
        kept = (
            uow.trust.state(),
            uow.session.execute(_pairs()).all(),
            uow.session.execute(_tracks()).all(),
        )
    trust.rebuild(api_on.uow(), _settings(), _admin(api_on))
    with api_on.uow() as uow:
        rebuilt = (
            uow.trust.state(),
            uow.session.execute(_pairs()).all(),
            uow.session.execute(_tracks()).all(),
        )
    assert kept[0].org == rebuilt[0].org
    assert kept[1] == rebuilt[1]
    assert kept[2] == rebuilt[2]


def test_who_hears_of_a_move_hears_as_they_chose(api_on: Org) -> None:
    """The members of the other side are read with their channels in one statement: a member
    who turned requests off gets no notice, one who asked for e-mail gets one in the outbox."""
    ana = org.get_person(api_on.uow(), "ana@example.org")
    cy = org.get_person(api_on.uow(), "cy@example.org")
    notify.set_preferences(api_on.uow(), ana, {Kind.REQUEST: Channel.OFF})
    notify.set_preferences(api_on.uow(), cy, {Kind.REQUEST: Channel.EMAIL})
    with api_on.client("requester_member") as dee:
        made = dee.post("/api/v1/commitments", json={**REQUEST, "key": "heard"})
        assert made.status_code == 201, made.text
    with api_on.uow() as uow:
        heard = {
            row.person_id: row.kind
            for row in uow.session.execute(_notices("commitment:heard")).all()
        }
        mailed = uow.session.execute(_mailed()).scalars().all()
    assert cy.id in heard
    assert ana.id not in heard
    assert heard[cy.id] == Kind.REQUEST.value
    assert cy.id in mailed


def _pairs() -> Select[Any]:
    p = trust_pairs_table.c
    return select(trust_pairs_table).order_by(p.requester_id, p.performer_id)


def _tracks() -> Select[Any]:
    return select(trust_tracks_table).order_by(trust_tracks_table.c.key)


def _notices(subject: str) -> Select[Any]:
    n = notifications_table.c
    return select(n.person_id, n.kind).where(n.subject == subject)


def _mailed() -> Select[Any]:
    o = outbox_table.c
    return select(o.person_id).where(o.channel == Outlet.EMAIL.value)


def _settings() -> Settings:
    return Settings(database_url="sqlite://")


def _admin(api_on: Org) -> Person:
    return org.get_person(api_on.uow(), "adm@example.org")
