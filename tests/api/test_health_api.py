"""Health checks through the REST API: open, answer, read; bad input; no answer can be inferred."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from api_org import Org
from sqlalchemy import text

from accord.org import service as org
from factories import OPERATOR, make_partnership, make_person

ANSWER = {"purpose": 4, "direction": 4, "ability": 5, "integrity": 4, "value": 3, "overall": 4}


def open_round(api: Org, days: int = 14) -> str:
    with api.client("lead") as ana:
        closes_at = (api.clock() + timedelta(days=days)).isoformat()
        response = ana.post(
            "/api/v1/partnerships/signals/health-checks", json={"closes_at": closes_at}
        )
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def client_of(api: Org, email: str) -> httpx.Client:
    token = org.create_token(api.uow(), OPERATOR, email)
    return httpx.Client(
        base_url=api.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def add_members(api: Org, team: str, names: list[str]) -> list[httpx.Client]:
    return [
        client_of(api, make_person(api.uow(), f"{n}@example.org", teams={team: "member"}).email)
        for n in names
    ]


def test_a_lead_opens_a_round_and_a_member_answers_without_echo(api: Org) -> None:
    key = open_round(api)
    with api.client("member") as cy:
        round_before = cy.get(f"/api/v1/health-checks/{key}").json()
        assert round_before["status"] == "open"
        assert round_before["answered"] is False
        assert round_before["parties"] == [
            {"team": "data", "responses": 0},
            {"team": "care", "responses": 0},
        ]
        headers = {"Idempotency-Key": "answer-1"}
        body = {**ANSWER, "comment": "Quiet but steady"}
        response = cy.post(f"/api/v1/health-checks/{key}/answers", json=body, headers=headers)
        assert response.status_code == 201, response.text
        assert response.json() == {"health_check": key, "team": "data"}
        assert "Quiet" not in response.text
        replay = cy.post(f"/api/v1/health-checks/{key}/answers", json=body, headers=headers)
        assert replay.json() == {"health_check": key, "team": "data"}
        again = cy.post(f"/api/v1/health-checks/{key}/answers", json=ANSWER)
        assert again.status_code == 409
        assert again.json()["rule"] == "health_check.already_answered"
        after = cy.get(f"/api/v1/health-checks/{key}").json()
        assert after["answered"] is True
        assert after["parties"][0] == {"team": "data", "responses": 1}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({k: v for k, v in ANSWER.items() if k != "value"}, "body.value"),
        ({**ANSWER, "ability": 6}, "body.ability"),
        ({**ANSWER, "ability": 0}, "body.ability"),
        ({**ANSWER, "ability": "4"}, "body.ability"),
        ({**ANSWER, "ability": 4.5}, "body.ability"),
        ({**ANSWER, "mood": 3}, "body.mood"),
        ({**ANSWER, "comment": "x" * 2001}, "body.comment"),
    ],
)
def test_a_malformed_answer_says_where_and_counts_nothing(
    api: Org, body: dict[str, Any], path: str
) -> None:
    key = open_round(api)
    with api.client("member") as cy:
        response = cy.post(f"/api/v1/health-checks/{key}/answers", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert path in [e["path"] for e in response.json()["errors"]]
        assert cy.get(f"/api/v1/health-checks/{key}").json()["parties"][0]["responses"] == 0


@pytest.mark.parametrize(
    ("closes_at", "status", "what"),
    [
        ("2026-05-01T00:00:00Z", 422, "health_check.closes_invalid"),
        ("2026-12-01T00:00:00Z", 422, "health_check.closes_invalid"),
        ("2026-06-10T00:00:00", 422, "body.closes_at"),
        ("next week", 422, "body.closes_at"),
    ],
)
def test_a_bad_closing_date_is_refused(api: Org, closes_at: str, status: int, what: str) -> None:
    with api.client("lead") as ana:
        response = ana.post(
            "/api/v1/partnerships/signals/health-checks", json={"closes_at": closes_at}
        )
        assert response.status_code == status
        problem = response.json()
        assert what in (problem.get("rule"), *[e["path"] for e in problem.get("errors") or []])
        assert ana.get("/api/v1/partnerships/signals/health-checks").json() == []


def test_refusals_are_problems_with_their_rule(api: Org) -> None:
    key = open_round(api)
    with api.client("outsider") as fay, api.client("admin") as adm:
        answered = fay.post(f"/api/v1/health-checks/{key}/answers", json=ANSWER)
        assert (answered.status_code, answered.json()["rule"]) == (
            403,
            "health_check.not_a_member",
        )
        results = fay.get(f"/api/v1/health-checks/{key}/results")
        assert (results.status_code, results.json()["rule"]) == (403, "health_check.not_visible")
        assert fay.get("/api/v1/health-checks").json() == {"items": [], "next": None}
        missing = adm.get("/api/v1/health-checks/nope/results")
        assert (missing.status_code, missing.json()["rule"]) == (404, "health_check.not_found")
        second = adm.post(
            "/api/v1/partnerships/signals/health-checks", json={"closes_at": "2026-06-09T00:00:00Z"}
        )
        assert second.status_code == 403
    with api.client("requester_lead") as bo:
        second = bo.post(
            "/api/v1/partnerships/signals/health-checks", json={"closes_at": "2026-06-09T00:00:00Z"}
        )
        assert (second.status_code, second.json()["rule"]) == (409, "health_check.round_open")


def views(client: httpx.Client, key: str) -> list[Any]:
    """Every read that shows a round's results, without the response counts."""

    def strip(result: dict[str, Any]) -> dict[str, Any]:
        parties = [{k: v for k, v in p.items() if k != "responses"} for p in result["parties"]]
        return {**{k: v for k, v in result.items() if k != "responses"}, "parties": parties}

    results = client.get(f"/api/v1/health-checks/{key}/results")
    trend = client.get("/api/v1/partnerships/signals/health-checks")
    latest = client.get("/api/v1/health-checks")
    published = client.get("/api/v1/health-checks?published=true")
    assert results.status_code == trend.status_code == latest.status_code == 200
    assert published.status_code == 200
    return [
        strip(results.json()),
        [strip(r) for r in trend.json()],
        [strip(r) for r in latest.json()["items"]],
        [strip(r) for r in published.json()["items"]],
    ]


def test_one_answer_cannot_be_inferred_through_the_api(api_on: Org) -> None:
    """Compare every read before and after one answer (only the counts move), then after the
    close: the party short of answers shows nowhere, and the combined results are the shown
    party's alone, so no subtraction or filter gives it away."""
    api = api_on
    key = open_round(api)
    data = [api.client("member"), *add_members(api, "data", ["dan", "ed"])]
    care = [api.client("requester_member"), *add_members(api, "care", ["eve"])]
    readers = [api.client("lead"), api.client("requester_lead"), api.client("admin")]
    try:
        for client in data[:2] + care:
            assert client.post(f"/api/v1/health-checks/{key}/answers", json=ANSWER).is_success
        before = [views(reader, key) for reader in readers]
        last = {**ANSWER, "ability": 1, "comment": "I alone say this"}
        assert data[2].post(f"/api/v1/health-checks/{key}/answers", json=last).is_success
        assert [views(reader, key) for reader in readers] == before
        counts = readers[0].get(f"/api/v1/health-checks/{key}/results").json()
        assert [p["responses"] for p in counts["parties"]] == [3, 2]
        assert counts["published"] is False
        assert all(p["statements"] is None and p["comments"] == [] for p in counts["parties"])

        api.clock.now = api.clock() + timedelta(days=14)  # type: ignore[attr-defined]
        for reader in readers:
            for found in (
                reader.get(f"/api/v1/health-checks/{key}/results").json(),
                *reader.get("/api/v1/partnerships/signals/health-checks").json(),
                *reader.get("/api/v1/health-checks").json()["items"],
            ):
                shown, hidden = found["parties"]
                assert found["published"] is True
                assert shown["shown"] is True
                assert hidden["shown"] is False
                assert hidden["statements"] is None
                assert hidden["comments"] == []
                assert hidden["perception"] is None
                assert found["combined"] == shown["statements"]
                assert shown["comments"] == ["I alone say this"]
                assert shown["statements"]["ability"]["distribution"] == [1, 0, 0, 0, 2]
                assert shown["statements"]["ability"]["mean"] == pytest.approx(11 / 3)
        late = care[0].post(f"/api/v1/health-checks/{key}/answers", json=ANSWER)
        assert late.status_code == 409
    finally:
        for client in data + care + readers:
            client.close()


def test_the_perception_gap_in_the_results(api: Org) -> None:
    key = open_round(api)
    clients = [api.client("member"), *add_members(api, "data", ["dan", "ed"])]
    try:
        for client in clients:
            assert client.post(f"/api/v1/health-checks/{key}/answers", json=ANSWER).is_success
        api.clock.now = api.clock() + timedelta(days=15)  # type: ignore[attr-defined]
        found = clients[0].get(f"/api/v1/health-checks/{key}/results").json()
        perception = found["parties"][0]["perception"]
        assert set(perception) == {"ability", "integrity", "value"}
        assert perception["ability"]["surveyed"] == 1.0
        assert perception["value"]["surveyed"] == 0.5
        earned = perception["ability"]["earned"]
        assert 0.0 <= earned <= 1.0
        assert perception["ability"]["gap"] == pytest.approx(1.0 - earned)
    finally:
        for client in clients:
            client.close()


# What the answer leaves behind: no hash of it, no character a database or page cannot take.


def stored_fingerprints(api: Org) -> list[str]:
    with api.engine.connect() as connection:
        return list(connection.execute(text("SELECT fingerprint FROM idempotency_keys")).scalars())


def test_the_idempotency_store_keeps_no_hash_of_an_answer(api: Org) -> None:
    """A stored hash of the body could be matched against the 5^6 possible answers (and a
    comment read off the published results) to tell what one person said: an answer's key is
    kept without its body, and replays whatever the body."""
    key = open_round(api)
    path = f"/api/v1/health-checks/{key}/answers"
    with api.client("member") as cy, api.client("requester_member") as dee:
        said = {**ANSWER, "ability": 2, "comment": "Slow to say no"}
        headers = {"Idempotency-Key": "my-answer"}
        assert cy.post(path, json=said, headers=headers).status_code == 201
        assert dee.post(path, json=ANSWER, headers=headers).status_code == 201
        replay = cy.post(path, json=ANSWER, headers=headers)
        assert (replay.status_code, replay.headers.get("idempotent-replayed")) == (201, "true")
        assert replay.json() == {"health_check": key, "team": "data"}
    bodiless = hashlib.sha256(json.dumps(["POST", path, ""]).encode() + b"\0").hexdigest()
    assert stored_fingerprints(api) == [bodiless, bodiless]
    assert cy_answers(api, key) == 1


def cy_answers(api: Org, key: str) -> int:
    with api.client("member") as cy:
        return int(cy.get(f"/api/v1/health-checks/{key}").json()["parties"][0]["responses"])


def test_a_refused_answer_is_not_kept_under_its_key(api: Org) -> None:
    """Its body is not compared, so a refusal kept under the key would answer the corrected
    request too: only an answer that was counted is kept."""
    key = open_round(api)
    path = f"/api/v1/health-checks/{key}/answers"
    headers = {"Idempotency-Key": "try-1"}
    with api.client("member") as cy:
        refused = cy.post(path, json={**ANSWER, "comment": "bad\x07"}, headers=headers)
        assert refused.status_code == 422
        counted = cy.post(path, json=ANSWER, headers=headers)
        assert (counted.status_code, counted.headers.get("idempotent-replayed")) == (201, None)
    assert cy_answers(api, key) == 1


@pytest.mark.parametrize("character", ["\x00", "\x07", "\ufffe"])
def test_a_control_character_in_a_comment_is_refused(api_on: Org, character: str) -> None:
    """PostgreSQL refuses a NUL; no page or feed should carry the others: a clear 422 on the
    comment on both databases, and nothing counted."""
    key = open_round(api_on)
    with api_on.client("member") as cy:
        response = cy.post(
            f"/api/v1/health-checks/{key}/answers",
            json={**ANSWER, "comment": f"Fine{character}ish"},
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["rule"] == "text.control_character"
        assert problem["detail"].startswith("comment holds the control character")
        assert cy.get(f"/api/v1/health-checks/{key}").json()["answered"] is False
    assert cy_answers(api_on, key) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/health-checks/sig%00nals",
        "/api/v1/health-checks/sig%00nals/results",
        "/api/v1/partnerships/sig%00nals/health-checks",
    ],
)
def test_a_nul_in_a_round_key_is_not_a_server_error(api_on: Org, path: str) -> None:
    with api_on.client("member") as cy:
        response = cy.get(path)
        answered = cy.post("/api/v1/health-checks/sig%00nals/answers", json=ANSWER)
    assert response.status_code in (404, 422), response.text
    assert answered.status_code in (404, 422), answered.text
    assert response.headers["content-type"] == "application/problem+json"


def test_latest_rounds_page_in_the_database_by_partnership(api: Org) -> None:
    """Each partnership's latest round once across the pages, by partnership key."""
    uow = api.uow()
    ana = org.get_person(uow, "ana@example.org")
    bo = org.get_person(uow, "bo@example.org")
    for key in ("alpha", "zulu"):
        make_partnership(
            uow,
            ana,
            key=key,
            name=key.title(),
            parties=[("data", "Signals"), ("care", "Playbooks")],
            affirmed_by=[ana, bo],
        )
    keys = ["alpha", "signals", "zulu"]
    with api.client("lead") as lead:
        closes_at = (api.clock() + timedelta(days=7)).isoformat()
        for key in keys:
            opened = lead.post(
                f"/api/v1/partnerships/{key}/health-checks", json={"closes_at": closes_at}
            )
            assert opened.status_code == 201, opened.text
        seen, cursor, pages = [], None, 0
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            found = lead.get("/api/v1/health-checks", params=params).json()
            seen += [item["partnership"] for item in found["items"]]
            pages += 1
            cursor = found["next"]
            if cursor is None:
                break
    assert seen == keys
    assert pages == 2
