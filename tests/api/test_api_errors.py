"""Errors as RFC 9457 problem+json from one table: each says what is wrong and where."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from api_org import Org

from factories import last_event_id

Roles = Callable[[str], httpx.Client]


def problem(answer: httpx.Response, status: int) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = answer.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    assert "Traceback" not in answer.text
    return body


def requested(api: Org, bo: httpx.Client, title: str) -> dict[str, object]:
    """A commitment care requests of data, due in 9 days, as its JSON."""
    due = (api.clock() + timedelta(days=9)).isoformat()
    body = {"partnership": "signals", "requester": "care", "performer": "data", "title": title}
    answer = bo.post("/api/v1/commitments", json={**body, "due": due})
    assert answer.status_code == 201, answer.text
    made: dict[str, object] = answer.json()
    return made


def test_an_unknown_key_is_404_with_its_rule(as_role: Roles) -> None:
    body = problem(as_role("viewer").get("/api/v1/commitments/nope"), 404)
    assert body["rule"] == "commitment.not_found"
    assert "nope" in str(body["detail"])


def test_an_unknown_path_and_a_wrong_method_are_problems_too(as_role: Roles) -> None:
    problem(as_role("viewer").get("/api/v1/nothing-here"), 404)
    problem(as_role("viewer").put("/api/v1/teams"), 405)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": "No slug"}, "body.slug"),
        ({"slug": "x", "name": "X", "kind": "tribe"}, "body.kind"),
        ({"slug": "x", "name": "X", "colour": "red"}, "body.colour"),
    ],
)
def test_a_malformed_payload_is_422_naming_the_field(
    api: Org, as_role: Roles, body: dict[str, object], path: str
) -> None:
    before = last_event_id(api.uow())
    answer = problem(as_role("admin").post("/api/v1/teams", json=body), 422)
    assert [e["path"] for e in answer["errors"]] == [path]  # type: ignore[attr-defined]
    assert last_event_id(api.uow()) == before


def test_a_body_that_is_not_json_is_422(as_role: Roles) -> None:
    answer = as_role("admin").post(
        "/api/v1/teams", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    problem(answer, 422)


def test_a_broken_rule_is_409_and_names_the_rule(api: Org, as_role: Roles) -> None:
    ana = as_role("lead")
    before = last_event_id(api.uow())
    answer = ana.post("/api/v1/partnerships/signals/invitations", json={"team": "care"})
    body = problem(answer, 409)
    assert body["rule"] == "partnership.party_exists"
    assert last_event_id(api.uow()) == before


def test_a_move_without_a_version_is_refused(api: Org, as_role: Roles) -> None:
    bo = as_role("requester_lead")
    made = requested(api, bo, "Churn alerts")
    ana = as_role("lead")
    body = problem(
        ana.post(f"/api/v1/commitments/{made['key']}/moves", json={"move": "promise"}), 422
    )
    assert body["rule"] == "commitment.version_required"
    both = ana.post(
        f"/api/v1/commitments/{made['key']}/moves",
        json={"move": "promise", "version": 1},
        headers={"If-Match": '"2"'},
    )
    assert problem(both, 422)["rule"] == "commitment.version_invalid"
    by_header = ana.post(
        f"/api/v1/commitments/{made['key']}/moves",
        json={"move": "promise"},
        headers={"If-Match": '"1"'},
    )
    assert by_header.status_code == 200
    assert by_header.headers["etag"] == '"2"'
    assert by_header.json()["state"] == "promised"
    stale = ana.post(
        f"/api/v1/commitments/{made['key']}/moves",
        json={"move": "report_done"},
        headers={"If-Match": '"1"'},
    )
    assert problem(stale, 409)["rule"] == "commitment.version_stale"


def test_a_move_the_state_does_not_allow_is_409_and_changes_nothing(
    api: Org, as_role: Roles
) -> None:
    bo = as_role("requester_lead")
    made = requested(api, bo, "Save playbook")
    before = last_event_id(api.uow())
    answer = bo.post(
        f"/api/v1/commitments/{made['key']}/moves",
        json={"move": "accept", "version": 1, "value": 5},
    )
    body = problem(answer, 409)
    assert body["rule"] == "commitment.move_not_allowed"
    assert "needs state delivered" in str(body["detail"])
    assert last_event_id(api.uow()) == before
    assert bo.get(f"/api/v1/commitments/{made['key']}").json()["version"] == 1
