"""Notifications through the REST API: my inbox in pages, marking read, my preferences, and the
feed token that opens my calendar and the stories feed to calendar apps and feed readers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from api_org import Org
from icalendar import Calendar

from accord.commitments import service as commitments
from accord.org import service as org
from factories import make_commitment

Client = Callable[[str], httpx.Client]


def ask_data(api: Org, title: str) -> str:
    """care (bo) asks data for something: data's people hear of it; the commitment's key."""
    bo = org.get_person(api.uow(), "bo@example.org")
    return make_commitment(api.uow(), "signals", bo, "care", "data", title=title).key


def test_my_inbox_pages_newest_first_and_marking_read_counts_down(api: Org, as_role: Client):
    keys = [ask_data(api, f"Report {n}") for n in range(5)]
    lead = as_role("lead")

    first = lead.get("/api/v1/notifications", params={"unread": "true", "limit": 3}).json()
    rest = lead.get(
        "/api/v1/notifications", params={"unread": "true", "limit": 3, "cursor": first["next"]}
    ).json()

    requests = [n for n in first["items"] + rest["items"] if n["kind"] == "request"]
    assert [n["link"] for n in requests] == [f"/commitments/{k}" for k in reversed(keys)]
    assert rest["next"] is None
    newest = first["items"][0]
    assert newest["title"]
    assert newest["text"].startswith("Care asks Data for Report 4, due ")
    assert (newest["read"], newest["created_at"]) == (False, "2026-06-01T00:00:00Z")
    ids = [n["id"] for n in first["items"]]
    assert ids == sorted(ids, reverse=True)

    left = lead.post("/api/v1/notifications/read", json={"ids": ids[:2]})
    assert left.status_code == 200
    unread = len(first["items"]) + len(rest["items"]) - 2
    assert left.json() == {"unread": unread}
    still = lead.get("/api/v1/notifications", params={"unread": "true", "limit": 200}).json()
    assert [n["id"] for n in still["items"]] == [*ids[2:], *(n["id"] for n in rest["items"])]
    every = lead.get("/api/v1/notifications", params={"limit": 200}).json()["items"]
    assert [n["read"] for n in every[:3]] == [True, True, False]

    assert lead.post("/api/v1/notifications/read", json={"all": True}).json() == {"unread": 0}
    # the member of data heard of the same requests, and still has them unread
    member = as_role("member").get("/api/v1/notifications", params={"unread": "true"}).json()
    assert len([n for n in member["items"] if n["kind"] == "request"]) == 5


def test_others_see_nothing_of_my_inbox_not_even_an_admin(api: Org, as_role: Client):
    ask_data(api, "Churn list")
    mine = as_role("lead").get("/api/v1/notifications").json()["items"]

    for role in ("admin", "requester_lead", "outsider", "viewer"):
        theirs = as_role(role).get("/api/v1/notifications", params={"limit": 200}).json()
        assert {n["id"] for n in theirs["items"]}.isdisjoint(n["id"] for n in mine)
        marked = as_role(role).post("/api/v1/notifications/read", json={"ids": [mine[0]["id"]]})
        assert marked.status_code == 200
    assert as_role("lead").get("/api/v1/notifications").json()["items"][0]["read"] is False


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": [1], "all": True}, {"all": False}, {"ids": [0]}, {"ids": "all"}, {"every": True}],
)
def test_marking_read_takes_ids_or_all(as_role: Client, body: dict[str, object]):
    response = as_role("lead").post("/api/v1/notifications/read", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_a_bad_cursor_is_refused(as_role: Client):
    response = as_role("lead").get("/api/v1/notifications", params={"cursor": "bm9wZQ"})
    assert response.status_code == 422


def test_preferences_read_and_change_only_the_kinds_given(as_role: Client):
    lead = as_role("lead")
    before = lead.get("/api/v1/me/notification-preferences").json()
    assert set(before.values()) == {"email"}
    assert "request" in before
    assert "due_soon" in before

    changed = lead.put(
        "/api/v1/me/notification-preferences", json={"request": "inbox", "reply": "off"}
    )

    assert changed.status_code == 200
    assert changed.json() == {**before, "request": "inbox", "reply": "off"}
    assert lead.get("/api/v1/me/notification-preferences").json() == changed.json()
    assert as_role("member").get("/api/v1/me/notification-preferences").json() == before
    for bad in ({"request": "pigeon"}, {"gossip": "inbox"}):
        refused = lead.put("/api/v1/me/notification-preferences", json=bad)
        assert refused.status_code == 422
    assert lead.get("/api/v1/me/notification-preferences").json() == changed.json()


def test_a_feed_token_opens_my_calendar_and_the_stories_feed_until_revoked(
    api: Org, as_role: Client
):
    key = ask_data(api, "Churn list")
    lead = as_role("lead")
    made = lead.post("/api/v1/me/feed-token")
    assert made.status_code == 201
    token = made.json()["token"]
    assert made.json()["calendar_url"] == f"{api.base_url}/calendar/{token}.ics"
    assert made.json()["stories_feed_url"] == f"{api.base_url}/stories/feed.atom?token={token}"

    anyone = as_role("anonymous")
    ics = anyone.get(f"/calendar/{token}.ics")
    feed = anyone.get("/stories/feed.atom", params={"token": token})

    assert ics.status_code == 200
    assert ics.headers["content-type"] == "text/calendar; charset=utf-8"
    [event] = Calendar.from_ical(ics.content).walk("VEVENT")
    assert str(event["UID"]) == f"{key}@accord"
    assert str(event["URL"]) == f"{api.base_url}/commitments/{key}"
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")

    # a new token replaces the old one; a revoked one opens nothing: the same 404 as a wrong one
    newer = lead.post("/api/v1/me/feed-token").json()["token"]
    wrong = anyone.get("/calendar/feed_wrong.ics")
    replaced = anyone.get(f"/calendar/{token}.ics")
    assert lead.delete("/api/v1/me/feed-token").status_code == 204
    revoked = anyone.get(f"/calendar/{newer}.ics")
    for answer in (wrong, replaced, revoked):
        assert answer.status_code == 404
        assert answer.text == wrong.text
    assert anyone.get("/stories/feed.atom", params={"token": newer}).status_code == 404
    assert anyone.get("/stories/feed.atom", params={"token": "x" * 300}).status_code == 404
    assert anyone.get("/stories/feed.atom").status_code == 401  # no token: as before


def test_the_calendar_follows_the_commitments_as_they_move(api: Org, as_role: Client):
    bo = org.get_person(api.uow(), "bo@example.org")
    asked = make_commitment(api.uow(), "signals", bo, "care", "data")
    token = as_role("member").post("/api/v1/me/feed-token").json()["token"]
    ana = org.get_person(api.uow(), "ana@example.org")
    commitments.move(api.uow(), ana, asked.key, "decline", version=asked.version, reason="No time")

    ics = httpx.get(f"{api.base_url}/calendar/{token}.ics")

    assert Calendar.from_ical(ics.content).walk("VEVENT") == []
