"""Lists: cursor pages of bounded size, and the filters people use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from api_org import Org

from accord.commitments import service as commitments
from accord.org import service as org
from factories import make_commitment, make_partnership, make_team

Roles = Callable[[str], httpx.Client]


def walk(client: httpx.Client, path: str, **params: object) -> list[dict[str, object]]:
    """Every item of a list, page by page."""
    items: list[dict[str, object]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        answer = client.get(path, params=query)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page["items"]) <= int(params.get("limit", 50))  # type: ignore[call-overload]
        items += page["items"]
        cursor = page["next"]
        if cursor is None:
            return items


def test_pages_walk_every_team_once_in_order(api: Org, as_role: Roles) -> None:
    for n in range(7):
        make_team(api.uow(), f"team-{n}")
    teams = walk(as_role("viewer"), "/api/v1/teams", limit=2)
    slugs = [t["slug"] for t in teams]
    assert slugs == sorted(slugs)
    assert len(slugs) == len(set(slugs)) == 10


@pytest.mark.parametrize("path", ["/api/v1/teams", "/api/v1/commitments", "/api/v1/events"])
@pytest.mark.parametrize("cursor", ["not-a-cursor", "W10", "eyJhIjogMX0", "WzEsIDIsIDNd"])
def test_a_forged_cursor_is_422(api: Org, as_role: Roles, path: str, cursor: str) -> None:
    answer = as_role("viewer").get(path, params={"cursor": cursor})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("limit", [0, 201, -1])
def test_page_size_is_bounded(api: Org, as_role: Roles, limit: int) -> None:
    answer = as_role("viewer").get("/api/v1/people", params={"limit": limit})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == "query.limit"


@pytest.fixture
def board(api: Org) -> dict[str, str]:
    """Commitments in several states between care (requester) and data (performer), and one
    the other way round."""
    uow = api.uow
    bo = org.get_person(uow(), "bo@example.org")
    ana = org.get_person(uow(), "ana@example.org")
    now = api.clock()
    keys = {}
    for name, days in (("soon", 9), ("later", 40), ("overdue", 5), ("asked", 8)):
        keys[name] = make_commitment(
            uow(),
            "signals",
            bo,
            "care",
            "data",
            title=name,
            due=now + timedelta(days=days),
            key=name,
        ).key
    for name in ("soon", "later", "overdue"):
        commitments.move(uow(), ana, name, "promise", version=1)
    keys["back"] = make_commitment(
        uow(),
        "signals",
        ana,
        "data",
        "care",
        title="back",
        due=now + timedelta(days=20),
        key="back",
    ).key
    api.clock.advance(days=6)  # type: ignore[attr-defined]
    return keys


def keys_of(client: httpx.Client, **params: object) -> list[str]:
    return [str(c["key"]) for c in walk(client, "/api/v1/commitments", **params)]


def test_commitments_are_filtered_by_team_side_state_overdue_and_due(
    api: Org, as_role: Roles, board: dict[str, str]
) -> None:
    vi = as_role("viewer")
    assert keys_of(vi, limit=2) == ["overdue", "asked", "soon", "back", "later"]  # by due
    assert keys_of(vi, team="care", side="R") == ["overdue", "asked", "soon", "later"]
    assert keys_of(vi, team="care", side="P") == ["back"]
    assert keys_of(vi, team="data", side="P", state=["promised"]) == ["overdue", "soon", "later"]
    assert keys_of(vi, state=["requested", "countered"], team="data") == ["asked", "back"]
    assert keys_of(vi, overdue="true") == ["overdue"]
    due = (api.clock() + timedelta(days=4)).isoformat()
    assert keys_of(vi, due_before=due) == ["overdue", "asked", "soon"]
    assert keys_of(vi, team="ops") == []
    side_alone = vi.get("/api/v1/commitments", params={"side": "R"})
    assert side_alone.status_code == 422
    assert side_alone.json()["rule"] == "commitment.side_without_team"
    unknown = vi.get("/api/v1/commitments", params={"team": "nobody"})
    assert unknown.status_code == 404


def test_each_commitment_says_what_the_reader_may_do(
    api: Org, as_role: Roles, board: dict[str, str]
) -> None:
    moves = {
        c["key"]: c["allowed_moves"]
        for c in walk(as_role("lead"), "/api/v1/commitments", team="data")
    }
    assert moves["asked"] == ["promise", "counter", "decline"]
    assert "report_done" in moves["overdue"]
    assert "mark_missed" not in moves["overdue"]  # that is the requester's
    assert moves["back"] == ["withdraw"]
    assert all(c["allowed_moves"] == [] for c in walk(as_role("viewer"), "/api/v1/commitments"))


def test_partnerships_are_filtered_by_team_purpose_label_and_status(
    api: Org, as_role: Roles
) -> None:
    ana = org.get_person(api.uow(), "ana@example.org")
    make_partnership(
        api.uow(),
        ana,
        key="ops-data",
        purpose="churn",
        name="Ops data",
        parties=[("data", "Data"), ("ops", "On-call")],
    )
    vi = as_role("viewer")

    def keys(**params: object) -> list[str]:
        return [str(p["key"]) for p in walk(vi, "/api/v1/partnerships", **params)]

    assert keys() == ["ops-data", "signals"]
    assert keys(team="ops") == ["ops-data"]
    assert keys(team="care", purpose="churn") == ["signals"]
    assert keys(label="trust-based") == ["signals"]
    assert keys(label="traditional", limit=1) == ["ops-data"]
    assert keys(status="forming") == ["ops-data"]
    assert vi.get("/api/v1/partnerships", params={"label": "friendly"}).status_code == 422


def test_events_follow_the_log_after_an_id_and_by_subject(api: Org, as_role: Roles) -> None:
    vi = as_role("viewer")
    everything = walk(vi, "/api/v1/events", limit=7)
    ids = [e["id"] for e in everything]
    assert ids == list(range(1, len(ids) + 1))
    later = walk(vi, "/api/v1/events", after=ids[-3])
    assert [e["id"] for e in later] == ids[-2:]
    charter = walk(vi, "/api/v1/events", subject="partnership:signals")
    assert {e["type"] for e in charter} >= {"partnership.created", "partnership.affirmed"}
    assert all(e["subject"] == "partnership:signals" for e in charter)


def test_tokens_tags_and_latest_rounds_are_lists_with_pages(api: Org, as_role: Roles) -> None:
    """Like every list: {items, next}, `limit` and `cursor`, each item once across the pages."""
    ana = as_role("lead")
    for name in ("one", "two", "three"):
        assert ana.post("/api/v1/me/tokens", json={"name": name}).status_code == 201
    for path in ("/api/v1/me/tokens", "/api/v1/stories/tags", "/api/v1/health-checks"):
        whole = ana.get(path)
        assert whole.status_code == 200, path
        assert set(whole.json()) == {"items", "next"}
        bad = ana.get(path, params={"cursor": "not-a-cursor"})
        assert bad.status_code == 422, path
        assert bad.json()["rule"] == "page.cursor_invalid"
    first = ana.get("/api/v1/me/tokens", params={"limit": 2}).json()
    assert [t["name"] for t in first["items"]] == ["api", "one"]
    assert first["next"] is not None
    ana.delete(f"/api/v1/me/tokens/{first['items'][1]['id']}")  # gone or not, the next page follows
    rest = ana.get("/api/v1/me/tokens", params={"limit": 2, "cursor": first["next"]}).json()
    assert [t["name"] for t in rest["items"]] == ["two", "three"]
    assert rest["next"] is None
