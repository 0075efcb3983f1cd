"""Search everything through the REST API: the same hits and the same permissions as the page."""

from __future__ import annotations

from collections.abc import Callable

import httpx

Client = Callable[[str], httpx.Client]


def test_search_finds_each_kind_best_first_and_hides_what_the_reader_may_not_see(
    as_role: Client,
) -> None:
    requested = as_role("requester_lead").post(
        "/api/v1/commitments",
        json={
            "partnership": "signals",
            "requester": "care",
            "performer": "data",
            "title": "Billing data feed",
            "conditions_of_satisfaction": "Invoices of every account",
            "due": "2026-07-15T00:00:00Z",
            "reliance": "high",
        },
    )
    assert requested.status_code == 201, requested.text
    told = {"title": "Billing, told", "body": "How the billing data came to be."}
    for key, title in (("told", "Billing, told"), ("secret", "Billing secrets")):
        made = as_role("member").post("/api/v1/stories", json={**told, "key": key, "title": title})
        assert made.status_code == 201, made.text
    hidden = as_role("admin").patch(
        "/api/v1/stories/secret", json={"hidden": True, "hidden_reason": "Names a customer"}
    )
    assert hidden.status_code == 200, hidden.text

    viewer = as_role("viewer").get("/api/v1/search", params={"q": "billing data feed"})
    stories = as_role("viewer").get("/api/v1/search", params={"q": "billing", "kind": "story"})
    author = as_role("member").get("/api/v1/search", params={"q": "billing", "kind": "story"})
    teams = as_role("viewer").get(
        "/api/v1/search", params=[("q", "data"), ("kind", "team"), ("kind", "partnership")]
    )

    assert viewer.status_code == 200, viewer.text
    first = viewer.json()["items"][0]
    assert {k: first[k] for k in ("kind", "key", "title", "path")} == {
        "kind": "commitment",
        "key": requested.json()["key"],
        "title": "Billing data feed",
        "path": f"/commitments/{requested.json()['key']}",
    }
    assert first["context"].startswith("Care asks Data for Billing data feed, due ")
    assert [hit["key"] for hit in stories.json()["items"]] == ["told"]
    assert sorted(hit["key"] for hit in author.json()["items"]) == ["secret", "told"]
    assert {hit["kind"] for hit in teams.json()["items"]} == {"team"}
    assert [hit["key"] for hit in teams.json()["items"]] == ["data"]


def test_search_syntax_answers_normally_and_bad_input_is_a_problem(as_role: Client) -> None:
    viewer = as_role("viewer")

    for query in ['"', "NEAR(", "a & b | !c", "'; DROP TABLE teams; --", "title:*"]:
        answer = viewer.get("/api/v1/search", params={"q": query})
        assert answer.status_code == 200, (query, answer.text)
    unknown = viewer.get("/api/v1/search", params={"q": "data", "kind": "invoice"})
    missing = viewer.get("/api/v1/search")
    anonymous = as_role("anonymous").get("/api/v1/search", params={"q": "data"})

    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
    assert missing.status_code == 422
    assert anonymous.status_code == 401
