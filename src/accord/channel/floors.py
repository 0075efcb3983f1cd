"""The load benchmark's floors: the least a request can cost on this server setup.

Served only with ACCORD_BENCH_FLOORS=1 (bench/wrk.py sets it), in front of the app and its
middleware, by the same processes on the same port and database:

- `GET /bench/constant`: a constant small JSON body (async: no hop to the thread pool);
- `GET /bench/row?slug=…`: one team found by its indexed slug through SQLAlchemy, in the thread
  pool and in a transaction of a reader like every read of the app (`read_engine`: on SQLite a
  deferred BEGIN, which takes no write lock; on PostgreSQL REPEATABLE READ);
- `POST /bench/write`: one row inserted into a scratch table (`bench_writes`, none of the
  product's: `make_scratch` makes it, `drop_scratch` drops it) in a transaction of its own,
  committed, on the same engine: the same pool and the same durability (on SQLite the BEGIN
  IMMEDIATE of every change, WAL, synchronous=NORMAL) as a change of the app.

What a route of the app costs beyond `/bench/row` (a read) or `/bench/write` (a change) is the
app's own doing.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import FastAPI, HTTPException
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, bindparam, insert, select
from starlette.types import ASGIApp, Receive, Scope, Send

from accord.org.orm import teams_table
from accord.uow import read_engine

PREFIX = "/bench/"

# The write floor's scratch table: in a metadata of its own, never migrated nor exported.
scratch = MetaData()
bench_writes_table = Table(
    "bench_writes",
    scratch,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("note", String(40), nullable=False),
)


def make_scratch(engine: Engine) -> None:
    """Make the write floor's scratch table if it is not there (bench/wrk.py, before serving)."""
    scratch.create_all(engine, checkfirst=True)


def drop_scratch(engine: Engine) -> None:
    """Drop the write floor's scratch table and its rows (bench/wrk.py, after the run)."""
    scratch.drop_all(engine, checkfirst=True)


@functools.cache
def _row_query() -> Any:
    teams = teams_table.c
    return select(teams.id, teams.slug, teams.name).where(teams.slug == bindparam("slug"))


@functools.cache
def _write_statement() -> Any:
    return insert(bench_writes_table).values(note=bindparam("note"))


def floors_app(engine: Engine) -> FastAPI:
    floors = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    reader = read_engine(engine)

    @floors.get("/bench/constant")
    async def constant() -> dict[str, bool]:
        return {"ok": True}

    @floors.get("/bench/row")
    def row(slug: str) -> dict[str, Any]:
        with reader.connect() as connection:
            found = connection.execute(_row_query(), {"slug": slug}).first()
        if found is None:
            raise HTTPException(404, f"no team {slug!r}")
        return {"id": found.id, "slug": found.slug, "name": found.name}

    @floors.post("/bench/write")
    def write() -> dict[str, bool]:
        with engine.begin() as connection:
            connection.execute(_write_statement(), {"note": "wrk"})
        return {"ok": True}

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
