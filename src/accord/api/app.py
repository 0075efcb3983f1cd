"""The FastAPI app factory: one app for the API and the web pages."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

import accord
import accord.models
from accord.api import errors
from accord.api.errors import SECURITY_HEADERS
from accord.config import Settings
from accord.db import database_reachable, make_engine
from accord.web.session import Signer

log = logging.getLogger("accord")
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
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
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    secret = settings.secret_key
    if not secret:
        log.warning("ACCORD_SECRET_KEY is not set: sessions end when the server restarts")
        secret = secrets.token_hex(32)
    app.state.signer = Signer(secret)
    errors.install(app)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/healthz", tags=["operations"])
    def healthz() -> JSONResponse:
        """Whether the app runs and reaches its database."""
        if not database_reachable(engine):
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"}, status_code=503
            )
        return JSONResponse({"status": "ok", "database": "ok", "version": accord.__version__})

    from accord.web.routes import router as web_router

    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
