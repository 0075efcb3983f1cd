"""The FastAPI app factory: one app for the API and the web pages."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import accord
import accord.models
from accord.api import errors
from accord.api.deps import principal_of
from accord.api.errors import SECURITY_HEADERS, DatabaseDown, as_problem_json
from accord.api.idempotency import IdempotencyMiddleware
from accord.api.limits import BodyLimit
from accord.config import Settings
from accord.db import database_reachable, make_engine, utcnow
from accord.trust.read_cache import ExpensiveReads
from accord.web.common import templates
from accord.web.session import Signer

log = logging.getLogger("accord")
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"


def create_app(settings: Settings | None = None, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    """Build the app for `settings`; the engine is made here, never at import."""
    settings = settings or Settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="Accord",
        version=accord.__version__,
        summary="The system of record for trust-based partnerships between teams.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN; ours is below
        redoc_url=None,
        lifespan=lifespan,
        separate_input_output_schemas=False,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock
    # shared by the API and the pages: one cache and one ration of the expensive reads
    app.state.expensive_reads = ExpensiveReads.of(settings, clock)
    secret = settings.secret_key
    if not secret:
        log.warning("ACCORD_SECRET_KEY is not set: sessions end when the server restarts")
        secret = secrets.token_hex(32)
    app.state.signer = Signer(secret)
    errors.install(app)


    @app.get("/healthz", tags=["operations"])
    def healthz() -> JSONResponse:
        """Whether the app runs and reaches its database."""
        if not database_reachable(engine):
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"}, status_code=503
            )
        return JSONResponse({"status": "ok", "database": "ok", "version": accord.__version__})

    @app.get("/api/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs(request: Request) -> HTMLResponse:
        """Swagger UI from the vendored files, started by a static script: works offline."""
        return templates.TemplateResponse(request, "api_docs.html")

    from accord.api.routes import (
        auth,
        commitments,
        events,
        health,
        interchange,
        org,
        partnerships,
        purposes,
        stories,
        trust,
    )
    from accord.web.routes import router as web_router

    for module in (
        auth,
        org,
        purposes,
        partnerships,
        commitments,
        trust,
        health,
        stories,
        events,
        interchange,
    ):
        app.include_router(module.router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(
        IdempotencyMiddleware,
        engine=engine,
        principal=lambda headers: principal_of(engine, app.state.signer, headers, clock=clock),
        exempt=SECRET_ANSWERS,
        blind=ANONYMOUS_BODIES,
        clock=clock,
    )
    app.add_middleware(  # before anything reads a body, a cap on how much it may be
        BodyLimit,
        max_body=settings.max_body_bytes,
        max_import=settings.max_import_bytes,
        principal=lambda headers: principal_of(
            engine, app.state.signer, headers, need_csrf=False, clock=clock
        ),
    )
    app.add_middleware(DatabaseDown)  # 503 for an unreachable database, from anywhere below
    app.add_middleware(SecurityHeaders)  # added last: outermost, so every answer has them

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=API_DESCRIPTION,
                routes=app.routes,
                tags=TAGS,
            )
            app.openapi_schema = document_api(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


class SecurityHeaders:
    """Adds the security headers to every answer that does not set its own (pure ASGI: cheap)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


SECRET_ANSWERS = frozenset({"/api/v1/auth/token", "/api/v1/me/tokens"})
# Bodies that are anonymous answers: the Idempotency-Key store keeps no hash of them.
ANONYMOUS_BODIES = re.compile(r"/api/v1/health-checks/[^/]+/answers")
TAGS = [
    {"name": "sign-in", "description": "API tokens and the signed-in person."},
    {"name": "organization", "description": "Teams, people and memberships."},
    {"name": "purposes", "description": "Common purposes and their measures."},
    {"name": "partnerships", "description": "Charters, invitations, affirmations, checks."},
    {"name": "commitments", "description": "Request, promise, deliver, accept, and every move."},
    {"name": "trust", "description": "Earned trust, forecasts and the backtest."},
    {"name": "health checks", "description": "Rounds, anonymous answers, results and trend."},
    {"name": "stories", "description": "Stories, their tags, search and threads."},
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
    schema = errors.with_error_headers(as_problem_json(schema))
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
