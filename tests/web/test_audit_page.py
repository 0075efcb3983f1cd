"""The audit log page through HTTP: events newest first, links, filters, paging, the chain."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import Engine, text
from web_session import PASSWORD, sign_in_as

from accord.channel.session import CSRF_COOKIE
from accord.events import service as events
from accord.org import service as org
from accord.org.domain import Operator
from accord.uow import UnitOfWork
from factories import make_commitment, make_partnership, make_person, make_purpose, make_team


@pytest.fixture
def uow(sqlite_engine: Engine) -> UnitOfWork:
    """Two partner teams, a purpose, a commitment; an admin, a member and a viewer."""
    uow = UnitOfWork(sqlite_engine)
    make_team(uow, "data")
    make_team(uow, "care")
    ana = make_person(uow, "ana@example.org", teams={"data": "lead"})
    bo = make_person(uow, "bo@example.org", teams={"care": "lead"})
    make_person(uow, "root@example.org", role="admin")
    make_person(uow, "vi@example.org", role="viewer")
    for email in ("ana@example.org", "root@example.org", "vi@example.org"):
        org.set_password(uow, Operator(), email, PASSWORD)
    purpose = make_purpose(uow, bo, key="churn")
    partnership = make_partnership(
        uow,
        ana,
        key="signals",
        purpose=purpose,
        parties=[("data", "Signals"), ("care", "Playbooks")],
        affirmed_by=[ana, bo],
    )
    make_commitment(uow, partnership, bo, "care", "data", key="c-1")
    return uow


def event_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr>\s*<td class="num">(\d+)</td>', page)]


def test_the_log_shows_events_newest_first_with_linked_subjects(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "ana@example.org")
    newest = events.newest_events(uow, limit=1)[0]

    page = client.get("/audit").text

    ids = event_ids(page)
    assert ids[0] == newest.id
    assert ids == sorted(ids, reverse=True)
    # each event a sentence naming people, teams and things by name, linked to their pages
    titles = dict(
        re.findall(
            r'<a href="(/(?:commitments|partnerships|purposes|teams)/[^"]+)">([^<]+)</a>', page
        )
    )
    assert set(titles) >= {
        "/commitments/c-1",
        "/partnerships/signals",
        "/purposes/churn",
        "/teams/data",
    }
    assert not any(":" in title for title in titles.values())
    assert "commitment.requested" in page  # the type as recorded, folded under the details
    assert "side: R" not in page
    # the payload in words, and as JSON inside <details>
    assert "<dt>Status</dt><dd>draft → active</dd>" in page
    assert "&#34;to&#34;: &#34;active&#34;" in page


def test_filters_by_subject_and_by_type(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "ana@example.org")
    of_purpose = [e.id for e in events.list_events(uow, subject="purpose:churn")]

    by_subject = client.get("/audit", params={"subject": "purpose:churn"}).text
    by_type = client.get("/audit", params={"type": "purpose.status_changed"}).text
    both = client.get("/audit", params={"subject": "team:data", "type": "purpose.created"}).text

    assert sorted(event_ids(by_subject)) == of_purpose
    typed = [e.id for e in events.list_events(uow) if e.type == "purpose.status_changed"]
    assert event_ids(by_type) == sorted(typed, reverse=True)
    assert event_ids(both) == []
    assert "No event matches this filter" in both


def test_older_pages_follow_the_cursor(client: httpx.Client, uow: UnitOfWork) -> None:
    for number in range(60):
        make_team(uow, f"team-{number}")
    every = [e.id for e in events.list_events(uow, limit=10_000)]
    sign_in_as(client, "ana@example.org")

    first = client.get("/audit").text
    older = re.search(r'href="(/audit\?before=\d+)" rel="next"', first)
    assert older is not None
    second = client.get(older.group(1)).text

    shown = event_ids(first) + event_ids(second)
    assert len(event_ids(first)) == 50
    assert shown == sorted(every, reverse=True)[: len(shown)]
    assert len(set(shown)) == len(shown)
    assert 'href="/audit"' in second  # back to the newest


def test_the_cursor_keeps_the_filter(client: httpx.Client, uow: UnitOfWork) -> None:
    for number in range(55):
        make_team(uow, f"team-{number}")
    sign_in_as(client, "ana@example.org")

    first = client.get("/audit", params={"type": "team.created"}).text
    older = re.search(r'href="(/audit\?[^"]*before=\d+)" rel="next"', first)

    assert older is not None
    assert "type=team.created" in older.group(1)
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert len(event_ids(first)) + len(event_ids(second)) == 57


def test_viewers_read_the_log_as_the_api_lets_them(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "vi@example.org")

    assert client.get("/audit").status_code == 200
    assert client.get("/api/v1/events").status_code == 200


def test_an_admin_verifies_an_intact_chain(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "root@example.org")
    assert "Verify chain" in client.get("/audit").text

    response = client.post("/audit/verify", data={"csrf_token": client.cookies[CSRF_COOKIE]})

    assert response.status_code == 200
    count = len(events.list_events(uow, limit=10_000))
    assert f"All {count} events chain from the first to the last" in response.text


def test_verify_finds_an_event_changed_behind_accords_back(
    client: httpx.Client, uow: UnitOfWork, sqlite_engine: Engine
) -> None:
    with sqlite_engine.begin() as connection:
        connection.execute(text("UPDATE events SET actor = 'mallory@example.org' WHERE id = 3"))
    sign_in_as(client, "root@example.org")

    response = client.post("/audit/verify", data={"csrf_token": client.cookies[CSRF_COOKIE]})

    assert "broken" in response.text
    assert "Event 3 was changed after it was written" in response.text


def test_only_admins_verify_and_only_with_the_token(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "ana@example.org")
    assert 'action="/audit/verify"' not in client.get("/audit").text
    refused = client.post("/audit/verify", data={"csrf_token": client.cookies[CSRF_COOKIE]})

    sign_in_as(client, "root@example.org")
    forged = client.post("/audit/verify", data={})

    assert refused.status_code == 403
    assert "Only an admin may verify the event log" in refused.text
    assert forged.status_code == 403
    assert "chain from the first" not in forged.text
