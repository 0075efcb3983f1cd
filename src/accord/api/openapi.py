"""The API's OpenAPI document: its tags and description, and what the routes do not declare
themselves (problem+json errors, bearer security, the Idempotency-Key header, answer headers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.routing import BaseRoute

from accord.api.errors import as_problem_json, with_error_headers

# Answers that hold a secret: the Idempotency-Key store never keeps them.
SECRET_ANSWERS = frozenset({"/api/v1/auth/token", "/api/v1/me/tokens", "/api/v1/me/feed-token"})

TAGS = [
    {"name": "sign-in", "description": "API tokens and the signed-in person."},
    {"name": "organization", "description": "Teams, people and memberships."},
    {"name": "purposes", "description": "Common purposes and their measures."},
    {"name": "partnerships", "description": "Charters, invitations, affirmations, checks."},
    {"name": "commitments", "description": "Request, promise, deliver, accept, and every move."},
    {"name": "trust", "description": "Earned trust, forecasts and the backtest."},
    {"name": "health checks", "description": "Rounds, anonymous answers, results and trend."},
    {"name": "stories", "description": "Stories, their tags, search and threads."},
    {"name": "search", "description": "Everything the caller may see, best match first."},
    {"name": "notifications", "description": "My inbox, where I hear of what, my feed token."},
    {"name": "webhooks", "description": "Teams' webhooks, and the deliveries admins retry."},
    {"name": "events", "description": "The append-only event log."},
    {"name": "import and export", "description": "Whole accord/1 documents."},
    {"name": "operations", "description": "Liveness."},
]
API_DESCRIPTION = """\
Every route but sign-in needs credentials: an API token as `Authorization: Bearer <token>`
(from `POST /api/v1/auth/token` or `accord users create --token`), or the web app's session
cookie together with the `X-CSRF-Token` header on changes.

Errors are RFC 9457 `application/problem+json`; a broken rule names itself in `rule`.
Lists answer `{"items": [...], "next": cursor}`; pass `cursor` back for the next page.
Every POST takes an `Idempotency-Key` header: the same key and body answer the stored
response without acting twice (for 24 hours); the same key with another body is refused
(except on a health check's answers, whose bodies the store never sees: there the key alone
answers, and only an answer that was counted is kept).
Moves carry the commitment's `version` (or `If-Match`); a stale one is 409.
"""


def document_api(schema: dict[str, Any]) -> dict[str, Any]:
    """Errors as problem+json, bearer security, the Idempotency-Key header on POSTs, and the
    headers answers carry (ETag, Location, Idempotent-Replayed, WWW-Authenticate, Retry-After)."""
    schema = with_error_headers(as_problem_json(schema))
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token, e.g. from POST /api/v1/auth/token.",
    }
    etag = {
        "ETag": {
            "description": "The commitment's version, for If-Match on the next move.",
            "required": True,
            "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
        }
    }
    location = {
        "Location": {
            "description": "Where the new commitment is.",
            "required": True,
            "schema": {"type": "string"},
        }
    }
    replayed = {
        "Idempotent-Replayed": {
            "description": "`true` when this is the kept answer to an earlier request with the "
            "same Idempotency-Key.",
            "required": False,
            "schema": {"type": "string", "enum": ["true"]},
        }
    }
    # Headers of the success answer, by operation (the routes set them).
    answer_headers = {
        ("post", "/api/v1/commitments"): {**location, **etag},
        ("get", "/api/v1/commitments/{key}"): etag,
        ("post", "/api/v1/commitments/{key}/moves"): etag,
    }
    health = schema["paths"].get("/healthz", {}).get("get")
    if health is not None:
        # The route answers plain JSON, not a problem, also when the database is unreachable.
        body = {
            "type": "object",
            "required": ["status", "database"],
            "properties": {
                "status": {"type": "string", "enum": ["ok", "unavailable"]},
                "database": {"type": "string", "enum": ["ok", "unreachable"]},
                "version": {"type": "string"},
            },
        }
        health["responses"] = {
            "200": {
                "description": "The app runs and reaches its database.",
                "content": {"application/json": {"schema": body}},
            },
            "503": {
                "description": "The database is unreachable.",
                "content": {"application/json": {"schema": body}},
            },
        }
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if path != "/api/v1/auth/token":
                operation["security"] = [{"bearer": []}]
            responses = operation.get("responses", {})
            success = next((r for code, r in responses.items() if code.startswith("2")), None)
            if success is not None and (method, path) in answer_headers:
                success.setdefault("headers", {}).update(answer_headers[method, path])
            if method == "post" and path not in SECRET_ANSWERS:
                operation.setdefault("parameters", []).append(
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "Makes a retried POST act once: 1-255 printable ASCII.",
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 255,
                            "pattern": "^[ -~]+$",
                        },
                    }
                )
                if success is not None:
                    success.setdefault("headers", {}).update(replayed)
    return schema


def openapi_document(app: FastAPI, routes: Sequence[BaseRoute] | None = None) -> dict[str, Any]:
    """The OpenAPI document of `app`'s routes, listed in the order of `routes` (default: the
    order they are matched in)."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=API_DESCRIPTION,
        routes=app.routes if routes is None else routes,
        tags=TAGS,
    )
    return document_api(schema)
