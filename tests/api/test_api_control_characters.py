"""Text that a database cannot store, or that no text should hold, is refused with a clear 422 on
both databases, in a path, a query and a body alike; never a 500, and nothing changes."""

from __future__ import annotations

import pytest

from factories import last_event_id


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/partnerships/sig%00nals",
        "/api/v1/teams/da%00ta",
        "/api/v1/purposes/churn%00",
        "/api/v1/commitments?partnership=sig%00nals",
        "/api/v1/teams/data/trust?of=ca%00re",
    ],
)
def test_a_nul_in_a_path_or_query_is_not_a_server_error(api_on, path) -> None:
    with api_on.client("admin") as http:
        response = http.get(path)

    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\ufffe"])
def test_a_control_character_in_a_text_is_refused_naming_the_field(api_on, character) -> None:
    before = last_event_id(api_on.uow())
    with api_on.client("admin") as http:
        response = http.post(
            "/api/v1/teams",
            json={"slug": "finance", "name": f"Fin{character}ance", "kind": "team"},
        )

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["rule"] == "text.control_character"
    assert "team name" in problem["detail"]
    assert f"U+{ord(character):04X} at position 4" in problem["detail"]
    assert last_event_id(api_on.uow()) == before


def test_tabs_and_line_breaks_are_text_like_any_other(api_on) -> None:
    with api_on.client("admin") as http:
        response = http.post(
            "/api/v1/teams",
            json={"slug": "finance", "name": "Finance", "kind": "team", "mission": "Pay\n\tfairly"},
        )

    assert response.status_code == 201, response.text
    assert response.json()["mission"] == "Pay\n\tfairly"
