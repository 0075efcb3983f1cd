"""How the API documents its errors in the OpenAPI document: the problem+json it answers
(`accord.channel.errors` builds them), and the headers of 401, 429 and 503 answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from accord.channel.errors import TITLES


class ProblemItem(BaseModel):
    path: str = Field(description="Where: a JSON path into the request.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    rule: str | None = Field(
        None, description="The rule that refused it, e.g. commitment.version_stale."
    )
    field: str | None = Field(
        None,
        description="The input it is about, when it is about one, named as in the request "
        "(e.g. title, due, parties, metric.value).",
    )
    errors: list[ProblemItem] | None = Field(None, description="Malformed fields (422).")
    problems: list[ProblemItem] | None = Field(None, description="Every problem of an import.")


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route for the errors it may answer."""
    return {code: {"model": Problem, "description": TITLES[code]} for code in codes}


def as_problem_json(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare error answers as application/problem+json in the OpenAPI document."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if code[:1] in "45" and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return schema


# Every 401 and 429 answer, and the 503 of a busy server, carries these
# (`accord.channel.errors.install` sets them).
ERROR_HEADERS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "description": 'How to sign in: `Bearer realm="accord"`.',
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
    "503": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


def with_error_headers(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the headers of 401, 429 and 503 answers in the OpenAPI document."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                if code in ERROR_HEADERS:
                    response.setdefault("headers", {}).update(ERROR_HEADERS[code])
    return schema
