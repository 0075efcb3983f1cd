"""Changes take turns within a server process (`ACCORD_CHANGES_AT_ONCE`, `channel.turns`), on
SQLite and PostgreSQL: changes sent at once are all made, one at a time; reads, sign-ins and
imports do not wait for a turn; a change that waits too long is refused with 503 and
Retry-After and changes nothing. The pages' forms take the same turns as the API's changes.

The server runs in this process: the tests hold a change once it has its turn and read the
server's `Turns` (`app.state.turns`) instead of timing anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from datetime import datetime

import httpx
import pytest
from api_org import PASSWORD, Org, signed_in_browser
from sqlalchemy import Engine
from test_api_expensive_reads import Limited, limited_server
from test_api_move_cost import REQUEST

from accord.channel.session import CSRF_COOKIE
from accord.channel.turns import Turns
from accord.org import service as org
from turn_holding import Held


def turns(server: Limited) -> Turns:
    found: Turns = server.app.state.turns
    return found


@pytest.fixture
def one_at_once(engine: Engine, clock: Callable[[], datetime]) -> Iterator[Limited]:
    """The default: one change at a time; a change waits at most half a second for its turn."""
    yield from limited_server(engine, clock, changes_wait_seconds=0.5)


def ask(client: httpx.Client, key: str) -> httpx.Response:
    return client.post("/api/v1/commitments", json={**REQUEST, "key": key})


@contextmanager
def one_held(api: Org, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    """A request of a commitment that holds its turn while the block runs (a client of the same
    person given), then is let go and made."""
    held = Held(monkeypatch)
    with api.client("requester_lead") as client, ThreadPoolExecutor(1) as pool:
        first = pool.submit(ask, client, "first")
        try:
            assert held.entered()
            yield client
        finally:
            held.go.set()
        assert first.result().status_code == 201


def test_changes_sent_at_once_are_all_made_one_at_a_time(
    engine: Engine, clock: Callable[[], datetime]
) -> None:
    keys = [f"at-once-{i}" for i in range(8)]
    for defaults in limited_server(engine, clock):
        with defaults.org.client("requester_lead") as client, ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda key: ask(client, key), keys))
            listed = client.get("/api/v1/commitments", params={"limit": 50}).json()["items"]

        assert [a.status_code for a in answers] == [201] * len(keys), [a.text for a in answers]
        assert {item["key"] for item in listed} >= set(keys)
        assert turns(defaults).at_once == 1
        assert turns(defaults).peak == 1
        assert turns(defaults).running == 0
        # the document says that a change may be refused so
        paths = httpx.get(f"{defaults.org.base_url}/api/openapi.json").json()["paths"]
        assert "503" in paths["/api/v1/commitments"]["post"]["responses"]
        assert "503" in paths["/api/v1/commitments/{key}/moves"]["post"]["responses"]
        assert "503" not in paths["/api/v1/commitments"]["get"]["responses"]


def test_a_change_that_waits_too_long_is_503_and_changes_nothing(
    one_at_once: Limited, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = one_at_once.org
    with one_held(api, monkeypatch) as client:
        # a move waits for the same turn: refused before it is looked at
        refused = client.post(
            "/api/v1/commitments/no-such-key/moves", json={"move": "withdraw", "version": 1}
        )
        late = ask(client, "late")
    with api.client("requester_lead") as client:
        missing = client.get("/api/v1/commitments/late")

    for answer in (refused, late):
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.headers["Retry-After"] == "1"
        assert answer.json()["rule"] == "change.busy"
        assert "busy making other changes" in answer.json()["detail"]
    assert missing.status_code == 404
    assert turns(one_at_once).peak == 1
    assert turns(one_at_once).running == 0
    # the turn is free again
    with api.client("requester_lead") as client:
        assert ask(client, "after").status_code == 201


def test_reads_and_sign_ins_go_on_while_a_change_holds_the_turn(
    one_at_once: Limited, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = one_at_once.org
    with one_held(api, monkeypatch) as client:
        read = client.get("/api/v1/teams/data/trust")
        listed = client.get("/api/v1/commitments")
        signed = httpx.post(
            f"{api.base_url}/api/v1/auth/token",
            json={"email": "ana@example.org", "password": PASSWORD, "name": "turns"},
            timeout=30,
        )
        with api.client("admin") as admin:  # an empty document: made at once, with no turn
            imported = admin.post("/api/v1/import", json={"format": "accord/1"})
        busy = turns(one_at_once).running

    assert read.status_code == 200
    assert listed.status_code == 200
    assert signed.status_code == 201, signed.text
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"]["teams"] == 0
    assert busy == 1


def test_without_a_limit_changes_run_together(
    engine: Engine, clock: Callable[[], datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ACCORD_CHANGES_AT_ONCE=0: two changes are inside the service at the same time."""
    for free in limited_server(engine, clock, changes_at_once=0):
        held = Held(monkeypatch)
        with free.org.client("requester_lead") as client, ThreadPoolExecutor(2) as pool:
            try:
                answers = [pool.submit(ask, client, key) for key in ("one", "two")]
                both = held.entered() and held.entered()
            finally:
                held.go.set()
            assert [a.result().status_code for a in answers] == [201, 201]
        assert both


def test_a_form_waits_for_the_same_turn_and_one_that_waits_too_long_is_a_503_page(
    one_at_once: Limited, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form that changes something takes its turn among the API's changes: while an API
    change holds the one turn, pages are read and a person signs in, but a form is answered
    with a page saying the server is busy (503, Retry-After) and changes nothing; once the turn
    is free the same form is made."""
    api = one_at_once.org
    with one_held(api, monkeypatch), closing(signed_in_browser(api)) as browser:
        # signed in through the form above, which takes no turn
        page = browser.get("/profile")
        form = {"name": "Ana Busy", "csrf_token": browser.cookies[CSRF_COOKIE]}
        busy = browser.post("/profile/name", data=form)
        held = turns(one_at_once).running

    assert page.status_code == 200
    assert held == 1
    assert busy.status_code == 503, busy.text
    assert busy.headers["content-type"].startswith("text/html")
    assert busy.headers["Retry-After"] == "1"
    assert "busy making other changes" in busy.text
    assert org.get_person(api.uow(), "ana@example.org").name != "Ana Busy"

    with closing(signed_in_browser(api)) as browser:
        form = {"name": "Ana Busy", "csrf_token": browser.cookies[CSRF_COOKIE]}
        made = browser.post("/profile/name", data=form)
    assert made.status_code == 303, made.text
    assert org.get_person(api.uow(), "ana@example.org").name == "Ana Busy"
    assert turns(one_at_once).peak == 1
    assert turns(one_at_once).running == 0


def test_forms_sent_at_once_are_all_made_one_at_a_time(
    engine: Engine, clock: Callable[[], datetime]
) -> None:
    names = [f"Ana {i}" for i in range(6)]
    for defaults in limited_server(engine, clock):
        with closing(signed_in_browser(defaults.org)) as browser, ThreadPoolExecutor(6) as pool:
            csrf = browser.cookies[CSRF_COOKIE]
            answers = list(
                pool.map(
                    lambda name, b=browser, token=csrf: (
                        b.post(
                            "/profile/name", data={"name": name, "csrf_token": token}
                        ).status_code
                    ),
                    names,
                )
            )

        assert answers == [303] * len(names)
        assert org.get_person(defaults.org.uow(), "ana@example.org").name in names
        assert turns(defaults).peak == 1
        assert turns(defaults).running == 0
