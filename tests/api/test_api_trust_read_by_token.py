"""A team's (and a pair's) present trust read with an API token, not kept: answered from the token
in two statements without loading its owner (`trust.present_trust`), with `trust_of`'s answer
for every reader who may see it, and left to `trust_of` (which says why) for every other, on
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from api_org import OPERATOR, PEOPLE, build_org
from sqlalchemy import Engine, event

from accord.config import Settings
from accord.errors import Forbidden, Invalid, NotFound
from accord.org import service as org
from accord.trust import service as trust
from accord.trust.service import TrustReport
from accord.uow import UnitOfWork
from factories import SETTINGS, make_commitment
from live_server import serve

TEAMS = ("data", "care", "ops", "nobody", "da\x00ta")
OFS = (None, "data", "care", "ops", "nobody")


def by_token(
    engine: Engine,
    clock: Callable[[], datetime],
    settings: Settings,
    token: str,
    team: str,
    of: str | None,
) -> TrustReport | None:
    with engine.connect() as connection, connection.begin():
        return trust.present_trust(
            connection, settings, clock(), org.token_hash(token), team, of=of
        )


def by_person(
    engine: Engine,
    clock: Callable[[], datetime],
    settings: Settings,
    token: str,
    team: str,
    of: str | None,
) -> TrustReport | None:
    """`trust_of`'s answer to the token's owner; None for a refusal."""
    uow = UnitOfWork(engine, clock, read_only=True)
    with uow:
        person = org.authenticate_token(uow, token, teams=True)
        if person is None:
            return None
        try:
            return trust.trust_of(uow, settings, person, team, of=of)
        except (Forbidden, NotFound, Invalid):
            return None


def evidence(engine: Engine, clock: Any) -> None:
    """Commitments of data to care: one open with high reliance (the pair's `given`), one
    overdue (the organization's overdue evidence), so that every figure has something in it."""
    uow = UnitOfWork(engine, clock)
    bo = org.get_person(uow, PEOPLE["requester_lead"])
    make_commitment(UnitOfWork(engine, clock), "signals", bo, "care", "data")
    make_commitment(
        UnitOfWork(engine, clock), "signals", bo, "care", "data", due=clock() + timedelta(days=2)
    )
    clock.now = clock() + timedelta(days=5)


@pytest.mark.parametrize("visibility", ["members", "org"])
def test_a_read_by_token_is_trust_of_s_answer_or_left_to_it(
    engine: Engine, clock: Any, visibility: str
) -> None:
    tokens = build_org(engine, clock)
    evidence(engine, clock)
    settings = SETTINGS.model_copy(update={"trust_visibility": visibility})
    answered = 0
    for role, token in tokens.items():
        for team in TEAMS:
            for of in OFS:
                expected = by_person(engine, clock, settings, token, team, of)
                got = by_token(engine, clock, settings, token, team, of)
                if expected is None:
                    assert got is None, (role, team, of)
                    continue
                assert got is not None, (role, team, of)
                assert got.document() == expected.document(), (role, team, of)
                assert got.version == expected.version is not None
                answered += 1
    assert answered >= (30 if visibility == "members" else 40)


def test_a_token_or_person_no_longer_good_is_left_to_trust_of(engine: Engine, clock: Any) -> None:
    """Revoked, expired, its owner deactivated, a member who left: `trust_of` refuses them."""
    tokens = build_org(engine, clock)
    evidence(engine, clock)
    read = by_token

    assert read(engine, clock, SETTINGS, tokens["member"], "data", None) is not None
    org.remove_membership(UnitOfWork(engine, clock), OPERATOR, "data", PEOPLE["member"])
    assert read(engine, clock, SETTINGS, tokens["member"], "data", None) is None  # a leaver

    assert read(engine, clock, SETTINGS, tokens["outsider"], "ops", None) is not None
    org.update_person(UnitOfWork(engine, clock), OPERATOR, PEOPLE["outsider"], active=False)
    assert read(engine, clock, SETTINGS, tokens["outsider"], "ops", None) is None

    lead = tokens["lead"]
    assert read(engine, clock, SETTINGS, lead, "data", None) is not None
    ana = org.get_person(UnitOfWork(engine, clock), PEOPLE["lead"])
    for made in org.list_tokens(UnitOfWork(engine, clock), ana):
        org.revoke_token(UnitOfWork(engine, clock), ana, made.id or 0)
    assert read(engine, clock, SETTINGS, lead, "data", None) is None

    short = org.create_token(UnitOfWork(engine, clock), OPERATOR, PEOPLE["admin"], days=1)
    assert read(engine, clock, SETTINGS, short, "data", None) is not None
    clock.now = clock() + timedelta(days=2)
    assert read(engine, clock, SETTINGS, short, "data", None) is None
    assert read(engine, clock, SETTINGS, "not-a-token", "data", None) is None


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SELECT statements sent within, and the transactions begun, on any engine of this
    process (the test server's included)."""
    sent: list[str] = []

    def note(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    def begun(_connection: Any) -> None:
        sent.append(f"BEGIN in {threading.get_ident()}")

    event.listen(Engine, "before_cursor_execute", note)
    event.listen(Engine, "begin", begun)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", note)
        event.remove(Engine, "begin", begun)


def test_an_uncached_team_trust_read_sends_two_statements(engine: Engine, clock: Any) -> None:
    """The token, its owner's teams, the teams asked and the sums' state in one statement, the
    sums in another (and a pair's reliance in a third), in one transaction: it was two more,
    through mapped objects."""
    tokens = build_org(engine, clock)
    evidence(engine, clock)
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="test-secret", trust_answer_seconds=0)
    server = serve(settings, clock)
    try:
        with httpx.Client(base_url=next(server), timeout=30) as client:
            for role, path, sends in (
                ("admin", "/api/v1/teams/data/trust", 2),
                ("lead", "/api/v1/teams/care/trust", 2),  # a lead of a partner team
                ("member", "/api/v1/teams/data/trust?of=care", 3),  # and the pair's reliance
            ):
                headers = {"Authorization": f"Bearer {tokens[role]}"}
                assert client.get(path, headers=headers).status_code == 200  # warm
                with statements() as sent:
                    answer = client.get(path, headers=headers)
                assert answer.status_code == 200, answer.text
                begins = [s for s in sent if s.startswith("BEGIN in")]
                selects = [s for s in sent if not s.startswith("BEGIN in")]
                assert len(begins) == 1, (role, path, sent)
                assert len(selects) == sends, (role, path, selects)
            # a refusal is still the route's, after the read by token declined it
            refused = client.get(
                "/api/v1/teams/data/trust",
                headers={"Authorization": f"Bearer {tokens['outsider']}"},
            )
            assert refused.status_code == 403
            assert refused.json()["rule"] == "trust.not_visible"
    finally:
        server.close()
