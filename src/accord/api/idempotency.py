"""`Idempotency-Key` on POST: the same key and body answer the stored response, once acted.

An API concern, not a domain one, so its table lives here rather than in a context. Keys are
scoped to the person the credentials name and kept for KEEP. The answer is written in the same
transaction as the change it answers (`accord.uow.HeldCommit`): a crash loses both or neither,
so a retry is either answered as the first time or acts for the first time, never twice.
Requests sent at once with one key may all run; the first to commit keeps its change and its
answer, and the others, rolled back on the key, answer what it stored. Answers that did not act
(401, 429) are not kept, so the same request may be tried again; a 5xx changes nothing. Routes
whose answer holds a secret shown only once (new API tokens) keep no answers. Routes whose body
is an anonymous answer (a health check's) are `blind`: their fingerprint leaves the body out,
so that no stored hash can be matched against the possible answers to tell what one person
said; the same key answers the stored response whatever the body, and only answers that acted
(2xx) are kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.api.limits import replaying
from accord.channel.errors import problem
from accord.db import JSONType, UTCDateTime, metadata, utcnow
from accord.errors import AccordError
from accord.uow import holding_commit

HEADER = "idempotency-key"
KEEP = timedelta(hours=24)
NOT_KEPT = frozenset({401, 429})

idempotency_keys_table = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=True),
    Column("headers", JSONType, nullable=True),
    Column("body", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    UniqueConstraint("person_id", "key", name="uq_idempotency_keys_person_key"),
)
t = idempotency_keys_table.c


@dataclass(frozen=True)
class Stored:
    """What a key holds: nothing yet (`new`: act), another request (`mismatch`), or `done`."""

    outcome: str
    status: int = 0
    headers: list[tuple[str, str]] | None = None
    body: bytes = b""


def look_up(engine: Engine, person_id: int, key: str, fingerprint: str, now: datetime) -> Stored:
    with engine.begin() as connection:
        row = connection.execute(
            select(t.fingerprint, t.status, t.headers, t.body).where(
                t.person_id == person_id, t.key == key, t.created_at >= now - KEEP
            )
        ).first()
        if row is not None and row.status is None:
            # a claim without an answer, left by an older version that kept them apart: its
            # change, if any, committed on its own; nothing better is known of it
            connection.execute(
                delete(idempotency_keys_table).where(t.person_id == person_id, t.key == key)
            )
            row = None
    if row is None:
        return Stored("new")
    if row.fingerprint != fingerprint:
        return Stored("mismatch")
    headers = [(str(name), str(value)) for name, value in row.headers or []]
    return Stored("done", int(row.status), headers, bytes(row.body or b""))


def answer_writer(
    person_id: int,
    key: str,
    fingerprint: str,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    now: datetime,
) -> Callable[[Session], None]:
    """Writes the key's answer (and forgets answers older than KEEP) in the change's transaction;
    a key already answered by a request that got there first fails it on the unique key."""

    def write(session: Session) -> None:
        session.execute(delete(idempotency_keys_table).where(t.created_at < now - KEEP))
        session.execute(
            insert(idempotency_keys_table).values(
                person_id=person_id,
                key=key,
                fingerprint=fingerprint,
                status=status,
                headers=headers,
                body=body,
                created_at=now,
            )
        )

    return write


KEPT_HEADERS = frozenset({"content-type", "location", "etag"})


class IdempotencyMiddleware:
    """Pure ASGI, so the request body can be read, hashed and handed on unchanged."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: Engine,
        principal: Callable[[dict[str, str]], int | None],
        prefix: str = "/api/v1/",
        exempt: frozenset[str] = frozenset(),
        blind: re.Pattern[str] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.app = app
        self.blind = blind
        self.engine = engine
        self.principal = principal
        self.prefix = prefix
        self.exempt = exempt
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith(self.prefix)
            or scope["path"] in self.exempt
        ):
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= 255 or not all(" " <= ch <= "~" for ch in key):
            await problem(
                422,
                "Idempotency-Key must be 1-255 printable ASCII characters",
                rule="idempotency.key_invalid",
            )(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = replaying(body, receive)
        person_id = await run_in_threadpool(self.principal, headers)
        if person_id is None:
            await self.app(scope, replay, send)  # the route refuses the credentials
            return
        blind = self.blind is not None and self.blind.fullmatch(scope["path"]) is not None
        fingerprint = hashlib.sha256(
            json.dumps(
                [scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1")]
            ).encode()
            + b"\0"
            + (b"" if blind else body)
        ).hexdigest()
        now = self.clock()
        found = await run_in_threadpool(look_up, self.engine, person_id, key, fingerprint, now)
        if found.outcome == "new":
            found = await self._act(scope, replay, send, person_id, key, fingerprint, blind)
        if found.outcome == "mismatch":
            await problem(
                422,
                "this Idempotency-Key was already used with another request; use a new key",
                rule="idempotency.key_reused",
            )(scope, receive, send)
        elif found.outcome == "done":
            await _send(send, found.status, found.headers or [], found.body, replayed=True)

    async def _act(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        person_id: int,
        key: str,
        fingerprint: str,
        blind: bool,
    ) -> Stored:
        """Run the request with its commit held, then commit the change and the key's answer
        together; `new` once answered, or what another request with the key stored first."""
        captured = _Captured()
        with holding_commit(self.engine) as held:
            await self.app(scope, receive, captured)  # an error abandons the held change
            if captured.status >= 500:
                await run_in_threadpool(held.abandon)  # the request failed: it changed nothing
            elif captured.status in NOT_KEPT or (blind and not 200 <= captured.status < 300):
                await run_in_threadpool(held.settle)
            else:
                kept = [(n, v) for n, v in captured.headers if n.lower() in KEPT_HEADERS]
                write = answer_writer(
                    person_id, key, fingerprint, captured.status, kept, captured.body, self.clock()
                )
                try:
                    await run_in_threadpool(held.settle, write)
                except (AccordError, SQLAlchemyError):
                    # Most likely the same key, answered first by a request running alongside:
                    # this one's change rolled back with its answer, so answer what that one did.
                    found = await run_in_threadpool(
                        look_up, self.engine, person_id, key, fingerprint, self.clock()
                    )
                    if found.outcome != "new":
                        return found
                    raise
        await _send(send, captured.status, captured.headers, captured.body, replayed=False)
        return Stored("answered")


class _Captured:
    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = [
                (n.decode("latin-1"), v.decode("latin-1")) for n, v in message.get("headers", [])
            ]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


async def _read_body(receive: Receive) -> bytes:
    """The body, bounded before it gets here (limits.BodyLimit)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(
    send: Send, status: int, headers: list[tuple[str, str]], body: bytes, *, replayed: bool
) -> None:
    raw = [
        (n.encode("latin-1"), v.encode("latin-1"))
        for n, v in headers
        if n.lower() != "content-length"
    ]
    raw.append((b"content-length", str(len(body)).encode()))
    if replayed:
        raw.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
