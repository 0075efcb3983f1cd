"""One input model per use case for both channels: the API's problem+json names the field a
refusal is about, and a page and the API refuse the same input with the same words."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta
from typing import Any

import httpx
import pytest
from api_org import Org, signed_in_browser

from accord.channel.errors import sentence
from accord.channel.session import CSRF_COOKIE

Roles = Callable[[str], httpx.Client]
DUE = "2026-12-01T10:00"


def test_a_refusal_about_an_input_names_its_field(api: Org, as_role: Roles) -> None:
    due = (api.clock() + timedelta(days=9)).isoformat()
    request = {"partnership": "signals", "requester": "care", "title": "T", "due": due}
    purpose = {"title": "T", "sponsor": "no@example.org"}
    unknown = {**request, "performer": "nope"}
    signals = "/api/v1/partnerships/signals"
    team = {"slug": "x", "name": "X", "parent": "nope"}
    cases: list[tuple[str, str, str, dict[str, Any], int, str]] = [
        ("lead", "POST", "/api/v1/purposes", {"title": " "}, 422, "title"),
        ("lead", "POST", "/api/v1/purposes", purpose, 404, "sponsor"),
        ("requester_lead", "POST", "/api/v1/commitments", unknown, 404, "performer"),
        ("lead", "PATCH", signals, {"review_every_days": 0}, 422, "review_every_days"),
        ("admin", "POST", "/api/v1/teams", {"slug": "data", "name": "Again"}, 409, "slug"),
        ("admin", "POST", "/api/v1/teams", team, 404, "parent"),
    ]
    for role, method, url, body, status, field in cases:
        answer = as_role(role).request(method, url, json=body)

        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["field"] == field, answer.text


def test_a_refusal_about_no_input_names_none(as_role: Roles) -> None:
    answer = as_role("viewer").get("/api/v1/commitments/nope")

    assert answer.status_code == 404
    assert "field" not in answer.json()


SAME_INPUT = [
    # what the use case refuses: an empty title
    ("/purposes", {"title": ""}, "POST", "/api/v1/purposes", {"title": ""}, "new-title"),
    # what the model refuses: a title too long, a target that is no number
    (
        "/purposes",
        {"title": "t" * 201},
        "POST",
        "/api/v1/purposes",
        {"title": "t" * 201},
        "new-title",
    ),
    (
        "/purposes/churn/measures",
        {"name": "Saves", "target": "lots"},
        "POST",
        "/api/v1/purposes/churn/measures",
        {"name": "Saves", "target": "lots"},
        "measure-target",
    ),
    (
        "/partnerships/signals/charter",
        {"review_every_days": "0"},
        "PATCH",
        "/api/v1/partnerships/signals",
        {"review_every_days": 0},
        "charter-review_every_days",
    ),
    (
        "/partnerships/signals/commitments",
        {"requester": "data", "performer": "data", "title": "T", "due": DUE},
        "POST",
        "/api/v1/commitments",
        {"partnership": "signals", "requester": "data", "performer": "data", "title": "T"}
        | {"due": DUE + "Z"},
        "req-performer",
    ),
]


@pytest.mark.parametrize(
    ("page_url", "form", "method", "api_url", "body", "input_id"),
    SAME_INPUT,
    ids=["use case", "model", "number", "charter", "commitment"],
)
def test_a_page_and_the_api_refuse_the_same_input_with_the_same_words(
    api: Org,
    as_role: Roles,
    page_url: str,
    form: dict[str, str],
    method: str,
    api_url: str,
    body: dict[str, Any],
    input_id: str,
) -> None:
    with closing(signed_in_browser(api, "ana@example.org")) as browser:
        page = browser.post(page_url, data={**form, "csrf_token": browser.cookies[CSRF_COOKIE]})
    answer = as_role("lead").request(method, api_url, json=body)

    problem = answer.json()
    said = problem["errors"][0]["message"] if "errors" in problem else problem["detail"]
    shown = re.search(rf'id="{input_id}-error" class="field-error">([^<]*)<', page.text)
    assert shown is not None, page.text
    assert html.unescape(shown.group(1)) == sentence(said)
    assert page.status_code == answer.status_code
