"""Stories through the REST API: publish, read, search, edit, hide, reply, delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from api_org import Org

Client = Callable[[str], httpx.Client]
STORY = {
    "key": "kickoff",
    "title": "Our kick-off",
    "body": "We **met** [in person](https://example.org/x) <script>alert(1)</script>",
    "tags": ["Kick Off", "rituals"],
    "partnerships": ["signals"],
    "teams": ["data"],
    "purposes": ["churn"],
    "results": "Fewer hand-offs.",
    "metric": {"name": "Hand-offs", "value": 3, "unit": "per week"},
}


def publish(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/stories", json={**STORY, **fields})
    assert response.status_code == 201, response.text
    story: dict[str, Any] = response.json()
    return story


def test_a_member_publishes_and_everyone_reads_it(as_role: Client) -> None:
    story = publish(as_role("member"))

    read = as_role("viewer").get("/api/v1/stories/kickoff")

    assert read.status_code == 200
    assert read.json() == story
    assert story["tags"] == ["kick-off", "rituals"]
    assert story["body_html"] == (
        '<p>We <strong>met</strong> <a href="https://example.org/x" '
        'rel="noopener noreferrer nofollow ugc">in person</a> '
        "&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )
    assert story["metric"] == {"name": "Hand-offs", "value": 3.0, "unit": "per week"}
    assert story["author"] == {"email": "cy@example.org", "name": "Cy"}
    assert (story["partnerships"], story["teams"], story["purposes"]) == (
        ["signals"],
        ["data"],
        ["churn"],
    )
    assert story["hidden"] is False
    assert story["replies"] == []
    assert story["created_at"] == story["updated_at"] == "2026-06-01T00:00:00Z"


def test_refusals_are_problems_that_name_the_rule(as_role: Client) -> None:
    member = as_role("member")

    viewer = as_role("viewer").post("/api/v1/stories", json=STORY)
    unknown = member.post("/api/v1/stories", json={**STORY, "teams": ["ghosts"]})
    bad_tag = member.post("/api/v1/stories", json={**STORY, "tags": ["!!"]})
    malformed = member.post("/api/v1/stories", json={"title": "No body"})
    no_metric_name = member.post("/api/v1/stories", json={**STORY, "metric": {"value": 1}})

    assert (viewer.status_code, viewer.json()["rule"]) == (403, "permission.viewer")
    assert (unknown.status_code, unknown.json()["rule"]) == (404, "team.not_found")
    assert "'ghosts'" in unknown.json()["detail"]
    assert (bad_tag.status_code, bad_tag.json()["rule"]) == (422, "story.tag_invalid")
    assert malformed.status_code == 422
    assert [e["path"] for e in malformed.json()["errors"]] == ["body.body"]
    assert no_metric_name.status_code == 422
    assert as_role("admin").get("/api/v1/stories").json()["items"] == []


def test_lists_search_filter_and_page(as_role: Client) -> None:
    member = as_role("member")
    publish(member, key="one", title="Shared dashboard", body="Numbers daily", tags=["data"])
    publish(member, key="two", title="Retro", body="Blameless", tags=["rituals"], teams=[])
    publish(member, key="three", title="Demo day", body="We demo", tags=["rituals"])
    reader = as_role("viewer")

    newest = reader.get("/api/v1/stories").json()
    first = reader.get("/api/v1/stories", params={"limit": 2}).json()
    rest = reader.get("/api/v1/stories", params={"limit": 2, "cursor": first["next"]}).json()
    searched = reader.get("/api/v1/stories", params={"q": "blameless"}).json()
    hostile = reader.get("/api/v1/stories", params={"q": "NEAR( \"*' AND -:"})
    tagged = reader.get("/api/v1/stories", params={"tag": "Rituals"}).json()
    of_team = reader.get("/api/v1/stories", params={"team": "data"}).json()
    unknown = reader.get("/api/v1/stories", params={"partnership": "nowhere"})
    bad_cursor = reader.get("/api/v1/stories", params={"cursor": "bm9wZQ"})

    keys = [s["key"] for s in newest["items"]]
    assert sorted(keys) == ["one", "three", "two"]
    assert newest["next"] is None
    assert [s["key"] for s in first["items"] + rest["items"]] == keys
    assert rest["next"] is None
    assert [s["key"] for s in searched["items"]] == ["two"]
    assert hostile.status_code == 200
    assert sorted(s["key"] for s in tagged["items"]) == ["three", "two"]
    assert sorted(s["key"] for s in of_team["items"]) == ["one", "three"]
    assert unknown.status_code == 404
    assert bad_cursor.status_code == 422
    tags = reader.get("/api/v1/stories/tags").json()["items"]
    assert tags == [{"tag": "rituals", "stories": 2}, {"tag": "data", "stories": 1}]


def test_the_author_edits_an_admin_hides_and_others_may_not(as_role: Client) -> None:
    publish(as_role("member"))

    other = as_role("lead").patch("/api/v1/stories/kickoff", json={"title": "Mine"})
    edited = as_role("member").patch(
        "/api/v1/stories/kickoff", json={"title": "Our first kick-off", "metric": None}
    )
    self_hide = as_role("member").patch(
        "/api/v1/stories/kickoff", json={"title": "x", "hidden": True, "hidden_reason": "r"}
    )
    hidden = as_role("admin").patch(
        "/api/v1/stories/kickoff", json={"hidden": True, "hidden_reason": "Names a customer"}
    )

    assert (other.status_code, other.json()["rule"]) == (403, "permission.author_only")
    assert edited.status_code == 200
    assert (edited.json()["title"], edited.json()["metric"]) == ("Our first kick-off", None)
    assert self_hide.status_code == 403
    assert hidden.status_code == 200
    assert (hidden.json()["hidden"], hidden.json()["hidden_reason"]) == (True, "Names a customer")
    assert hidden.json()["title"] == "Our first kick-off"  # the refused PATCH changed nothing
    assert as_role("lead").get("/api/v1/stories/kickoff").status_code == 404
    assert as_role("lead").get("/api/v1/stories").json()["items"] == []
    assert as_role("member").get("/api/v1/stories/kickoff").json()["hidden"] is True
    shown = as_role("admin").patch("/api/v1/stories/kickoff", json={"hidden": False})
    assert shown.json()["hidden"] is False


def test_replies_are_made_and_deleted_by_their_authors(as_role: Client) -> None:
    publish(as_role("member"))

    posted = as_role("lead").post("/api/v1/stories/kickoff/replies", json={"body": "Same *here*"})
    reply_id = posted.json()["id"]
    refused = as_role("member").delete(f"/api/v1/stories/kickoff/replies/{reply_id}")
    missing = as_role("lead").delete("/api/v1/stories/kickoff/replies/999999")
    deleted = as_role("lead").delete(f"/api/v1/stories/kickoff/replies/{reply_id}")

    assert posted.status_code == 201
    assert posted.json()["body_html"] == "<p>Same <em>here</em></p>\n"
    assert posted.json()["author"]["email"] == "ana@example.org"
    assert refused.status_code == 403
    assert (missing.status_code, missing.json()["rule"]) == (404, "story.reply_not_found")
    assert deleted.status_code == 204
    assert as_role("viewer").get("/api/v1/stories/kickoff").json()["replies"] == []


def test_the_author_deletes_the_story(as_role: Client) -> None:
    publish(as_role("member"))

    refused = as_role("lead").delete("/api/v1/stories/kickoff")
    deleted = as_role("member").delete("/api/v1/stories/kickoff")

    assert refused.status_code == 403
    assert deleted.status_code == 204
    assert as_role("admin").get("/api/v1/stories/kickoff").status_code == 404


@pytest.mark.parametrize("query", ["dashboard", "numbers", "shared", "data"])
def test_search_through_http_on_both_databases(api_on: Org, query: str) -> None:
    with api_on.client("member") as member:
        publish(member, key="one", title="Shared dashboard", body="Numbers daily", tags=["data"])
        publish(member, key="two", title="Retro", body="Blameless", tags=["rituals"], teams=[])

        found = member.get("/api/v1/stories", params={"q": query}).json()

    assert [s["key"] for s in found["items"]] == ["one"]


def test_control_characters_are_refused_and_a_nul_key_is_not_found_on_both_databases(
    api_on: Org,
) -> None:
    with api_on.client("member") as member:
        publish(member)
        nul_title = member.post("/api/v1/stories", json={**STORY, "key": "x", "title": "a\u0000b"})
        vt_reply = member.post("/api/v1/stories/kickoff/replies", json={"body": "a\u000bb"})
        nul_key = member.get("/api/v1/stories/kick%00off")
        nul_filter = member.get("/api/v1/stories", params={"partnership": "signals\x00"})
        kept = member.get("/api/v1/stories/kickoff").json()

    assert (nul_title.status_code, nul_title.json()["rule"]) == (422, "text.control_character")
    assert nul_title.json()["detail"].startswith("title holds the control character U+0000")
    assert (vt_reply.status_code, vt_reply.json()["rule"]) == (422, "text.control_character")
    assert nul_key.status_code == 404
    assert nul_filter.status_code == 422
    assert kept["replies"] == []


def test_an_empty_patch_is_refused_to_all_but_the_author_and_admins(as_role: Client) -> None:
    publish(as_role("member"))

    assert as_role("lead").patch("/api/v1/stories/kickoff", json={}).status_code == 403
    assert as_role("viewer").patch("/api/v1/stories/kickoff", json={}).status_code == 403
    assert as_role("member").patch("/api/v1/stories/kickoff", json={}).status_code == 200


def test_a_story_titled_like_a_route_stays_reachable(as_role: Client) -> None:
    member = as_role("member")
    story = publish(member, key=None, title="Tags")

    assert story["key"] == "tags-2"
    assert member.get("/api/v1/stories/tags-2").json()["title"] == "Tags"
    assert member.get("/api/v1/stories/tags").json()["items"] == [
        {"tag": "kick-off", "stories": 1},
        {"tag": "rituals", "stories": 1},
    ]
    reserved = member.post("/api/v1/stories", json={**STORY, "key": "tags"})
    assert (reserved.status_code, reserved.json()["rule"]) == (422, "story.key_reserved")
