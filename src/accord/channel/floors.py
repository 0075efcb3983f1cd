"""The load benchmark's floors: the least a request can cost on this server setup.

Served only with ACCORD_BENCH_FLOORS=1 (bench/wrk.py sets it), in front of the app and its
middleware, by the same processes on the same port and database:

- `GET /bench/constant`: a constant small JSON body (async: no hop to the thread pool);
- `GET /bench/row?slug=…`: one team found by its indexed slug through SQLAlchemy, in the thread
  pool like every route of the app.

What a route of the app costs beyond `/bench/row` is the app's own doing.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import FastAPI, HTTPException
from sqlalchemy import Engine, bindparam, select
from starlette.types import ASGIApp, Receive, Scope, Send

from accord.org.orm import teams_table

PREFIX = "/bench/"


@functools.cache
def _row_query() -> Any:
    teams = teams_table.c
    return select(teams.id, teams.slug, teams.name).where(teams.slug == bindparam("slug"))


def floors_app(engine: Engine) -> FastAPI:
    floors = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @floors.get("/bench/constant")
    async def constant() -> dict[str, bool]:
        return {"ok": True}

    @floors.get("/bench/row")
    def row(slug: str) -> dict[str, Any]:
        with engine.connect() as connection:
            found = connection.execute(_row_query(), {"slug": slug}).first()
        if found is None:
            raise HTTPException(404, f"no team {slug!r}")
        return {"id": found.id, "slug": found.slug, "name": found.name}

    return floors


class Floors:
    """Answers /bench/… from the floors, everything else from the app (pure ASGI)."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.floors = floors_app(engine)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            await self.floors(scope, receive, send)
            return
        await self.app(scope, receive, send)
