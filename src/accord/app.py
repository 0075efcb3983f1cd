"""The app factory: one app for the API and the web pages, with the error table and the
middleware both share. The one module that wires the two channels together."""

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
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import accord
import accord.models
from accord.api.answers import TrustAnswersMiddleware
from accord.api.idempotency import IdempotencyMiddleware
from accord.api.limits import BodyLimit
from accord.api.openapi import SECRET_ANSWERS, openapi_document
from accord.api.routes import (
    auth,
    commitments,
    events,
    health,
    interchange,
    notifications,
    org,
    partnerships,
    purposes,
    search,
    stories,
    trust,
    webhooks,
)
from accord.channel import errors
from accord.channel.deps import principal_of
from accord.channel.errors import SECURITY_HEADERS, DatabaseDown, Pages
from accord.channel.session import Signer
from accord.channel.turns import Turns
from accord.config import Settings
from accord.db import database_reachable, make_engine, utcnow
from accord.memory import keep_freed_memory
from accord.trust.read_cache import ExpensiveReads, TrustAnswers
from accord.trust.service import ensure_built
from accord.uow import UnitOfWork
from accord.web.common import error_page, sign_in_redirect, templates
from accord.web.routes import router as web_router

log = logging.getLogger("accord")
STATIC = Path(__file__).resolve().parent / "web" / "static"
# How the pages answer an error: the error table draws them with these.
PAGES = Pages(error_page=error_page, sign_in=sign_in_redirect)


def _ensure_trust(engine: Engine, settings: Settings, clock: Callable[[], datetime]) -> None:
    """At start, stored trust sums that are missing or were built with another half-life are
    rebuilt once (`accord serve` has done it already). A database the app cannot use yet is
    left alone: its requests are answered 503, and `accord init` sets it up."""
    try:
        ensure_built(UnitOfWork(engine, clock), settings)
    except SQLAlchemyError as error:
        log.warning("trust sums not checked at start: the database cannot be used: %s", error)


def create_app(settings: Settings | None = None, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    """Build the app for `settings`; the engine is made here, never at import."""
    keep_freed_memory()  # in every process that serves it (`accord.memory`)
    settings = settings or Settings()
    pool = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
    engine = make_engine(settings.database_url, **({} if _is_sqlite(settings) else pool))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_ensure_trust, engine, settings, clock)
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
    app.state.turns = Turns(settings.changes_at_once, settings.changes_wait_seconds)
    # the present's team and pair trust answers, given again at the same trust version
    app.state.trust_answers = TrustAnswers(TRUST_ANSWERS, settings.trust_answer_seconds)
    secret = settings.secret_key
    if not secret:
        log.warning("ACCORD_SECRET_KEY is not set: sessions end when the server restarts")
        secret = secrets.token_hex(32)
    app.state.signer = Signer(secret)
    errors.install(app, PAGES)

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

    for module in MATCHED:
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
    # 503 for an unreachable database, from anywhere below
    app.add_middleware(DatabaseDown, pages=PAGES)
    app.add_middleware(  # a kept trust answer skips everything below
        TrustAnswersMiddleware,
        answers=app.state.trust_answers,
        engine=engine,
        settings=settings,
        clock=clock,
        render=trust.present_answer,
    )
    app.add_middleware(SecurityHeaders)  # added last: outermost, so every answer has them
    if settings.bench_floors:  # the load benchmark's floors, in front of everything
        from accord.channel.floors import Floors

        app.add_middleware(Floors, engine=engine)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_document(app, _documented(app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


# The API's routers in the order the OpenAPI document lists them (their tags' order)...
DOCUMENTED = (
    auth,
    org,
    purposes,
    partnerships,
    commitments,
    trust,
    health,
    stories,
    search,
    events,
    interchange,
    notifications,
    webhooks,
)
# ...and in the order a request's path is matched against them: the most asked (`HOT`) first,
# then the rest in the documented order. Starlette tries each route in turn until one matches,
# and FastAPI's check of a route costs several microseconds, so a team's trust read behind the
# 40 routes of five routers spent about a tenth of its processor time finding its route. No path
# of one router is matched by a route of another (tests/api/test_api_read_cost.py), so the
# order changes nothing but the cost.
HOT = (trust, partnerships, commitments, org)
MATCHED = HOT + tuple(module for module in DOCUMENTED if module not in HOT)


def _documented(routes: list[Any]) -> list[Any]:
    """`routes` (the app's, as matched) with the API's routers in the documented order."""
    rank = {id(module.router): i for i, module in enumerate(DOCUMENTED)}

    def router_rank(route: Any) -> int:
        return rank.get(id(getattr(route, "original_router", route)), -1)

    api = iter(sorted((r for r in routes if router_rank(r) >= 0), key=router_rank))
    return [next(api) if router_rank(r) >= 0 else r for r in routes]


def _is_sqlite(settings: Settings) -> bool:
    return settings.database_url.startswith("sqlite")


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


# Trust answers kept (`TrustAnswers`): a team's and each pair's asked lately.
TRUST_ANSWERS = 4096
# Bodies that are anonymous answers: the Idempotency-Key store keeps no hash of them.
ANONYMOUS_BODIES = re.compile(r"/api/v1/health-checks/[^/]+/answers")
