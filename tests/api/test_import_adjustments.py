"""POST /api/v1/import answers what it adjusted in a rough history, by JSON path."""

from __future__ import annotations

from typing import Any

from api_org import Org

ROUGH: dict[str, Any] = {
    "format": "accord/1",
    "commitments": [
        {
            "key": "late-promise",
            "partnership": "signals",
            "requester": "care",
            "performer": "data",
            "history": [
                {
                    "move": "request",
                    "by": "bo@example.org",
                    "at": "2026-01-10T09:00:00Z",
                    "title": "Churn export",
                    "due": "2026-01-20",
                },
                {"move": "promise", "by": "ana@example.org", "at": "2026-01-25"},
            ],
        },
    ],
}


def test_the_answer_lists_the_adjustments_and_a_second_import_none(api: Org) -> None:
    with api.client("admin") as admin:
        first = admin.post("/api/v1/import", json=ROUGH)
        again = admin.post("/api/v1/import", json=ROUGH)

    assert first.status_code == 200, first.text
    assert first.json()["created"]["commitments"] == 1
    assert first.json()["adjustments"] == [
        {
            "path": "commitments[0].history[0].due",
            "message": (
                "'2026-01-20' has no time: read as the end of that day, 2026-01-20T23:59:59Z"
            ),
        },
        {
            "path": "commitments[0].history[1]",
            "message": "promised after its due date 2026-01-20T23:59:59Z; counted as late unless "
            "a new due date is agreed",
        },
        {
            "path": "commitments[0].history[1].at",
            "message": "'2026-01-25' has no time: read as the start of that day, "
            "2026-01-25T00:00:00Z",
        },
    ]
    assert again.status_code == 200, again.text
    assert again.json()["unchanged"]["commitments"] == 1
    assert again.json()["adjustments"] == []


def test_the_openapi_document_describes_the_adjustments(api: Org) -> None:
    with api.client("admin") as admin:
        schema = admin.get("/api/openapi.json").json()

    result = schema["components"]["schemas"]["ImportResult"]
    assert "adjustments" in result["required"]
    adjustment = schema["components"]["schemas"]["ImportAdjustment"]
    assert set(adjustment["properties"]) == {"path", "message"}
