"""The present's team and pair trust answers, given before FastAPI (pure ASGI).

`GET /api/v1/teams/{slug}/trust` with at most `of` (no `as_of`) and an API token is the API's
most asked read. This answers it here, without the routing, dependencies and sign-in of the
route, with the route's own bytes:
- while its answer is kept (`TrustAnswers`), at the same trust version and recent enough, and
  the token's owner may see it (all three read again in one query of the request's own): the
  bytes the route sent last;
- else from the token (`trust.service.present_trust`: two statements in one read-only
  transaction), serialized as the route serializes it (`present_answer`), and kept.
Anything else, and every case those reads do not settle (a refusal, a lead of a partner team
with no kept answer, the database down), goes to the app, whose route answers (and says why);
its answer is kept when the route says at which version it was read (`TRUST_VERSION`). The
headers an answer given here lacks (the security headers) are added by the layers above it, as
they are to the route's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.channel.deps import BY_TOKEN_DECLINED
from accord.config import Settings
from accord.org.service import token_hash
from accord.trust.read_cache import KeptAnswer, TrustAnswers
from accord.trust.service import TrustReport, present_trust
from accord.uow import read_engine

# The scope key under which the route says which trust version, and as of which instant, the
# answer it makes was read at: (version, seconds).
TRUST_VERSION = "accord.trust_version"
PATH = re.compile(r"/api/v1/teams/([^/]+)/trust")
# The route's headers and body for a present report (`api.routes.trust.present_answer`).
Render = Callable[[TrustReport], tuple[tuple[tuple[bytes, bytes], ...], bytes]]


class TrustAnswersMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        answers: TrustAnswers,
        engine: Engine,
        settings: Settings,
        clock: Callable[[], datetime],
        render: Render,
    ) -> None:
        self.app = app
        self.answers = answers
        # one statement to read: no write lock (SQLite) and no snapshot (PostgreSQL) needed
        self.reader = engine.execution_options(accord_read_only=True)
        # two statements: one snapshot, as a reader's unit of work reads (`read_engine`)
        self.reads = read_engine(engine)
        self.settings = settings
        self.clock = clock
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = _asked(scope) if scope["type"] == "http" else None
        if asked is None:
            await self.app(scope, receive, send)
            return
        team, of, token = asked
        if token is not None:
            found = await run_in_threadpool(self._answer, scope, token, team, of)
            if found is not None:
                await send(
                    {"type": "http.response.start", "status": 200, "headers": list(found.headers)}
                )
                await send({"type": "http.response.body", "body": found.body})
                return
        await self._keeping(scope, receive, send, team, of)

    def _answer(self, scope: Scope, token: str, team: str, of: str | None) -> KeptAnswer | None:
        """The kept answer, if it may be given; else the present read from the token and kept;
        None: the app answers (when the read from the token declined, the route does not ask
        it again: `BY_TOKEN_DECLINED`)."""
        now = self.clock()
        try:
            found = self.answers.answer(self.reader, now, self.settings, token, team, of)
            if found is not None:
                return found
            with self.reads.connect() as connection, connection.begin():
                report = present_trust(
                    connection, self.settings, now, token_hash(token), team, of=of
                )
        except SQLAlchemyError:
            return None  # the app answers, and says what is wrong
        if report is None or report.version is None:
            scope[BY_TOKEN_DECLINED] = True
            return None
        headers, body = self.render(report)
        made = KeptAnswer(report.version, report.as_of.timestamp(), headers, body)
        self.answers.keep(team, of, made)
        self.answers.read += 1
        return made

    async def _keeping(
        self, scope: Scope, receive: Receive, send: Send, team: str, of: str | None
    ) -> None:
        """The app's answer, kept when it is a 200 of the present the route read at a version."""
        start: Message | None = None
        body: list[bytes] = []

        async def keep_and_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep_and_send)
        read_at = scope.get(TRUST_VERSION)
        if start is None or start["status"] != 200 or read_at is None:
            return
        version, at = read_at
        headers = tuple((bytes(name), bytes(value)) for name, value in start.get("headers", ()))
        self.answers.keep(team, of, KeptAnswer(version, at, headers, b"".join(body)))


def _asked(scope: Scope) -> tuple[str, str | None, str | None] | None:
    """(team, of, API token or None) of a request this may answer or keep; None for others."""
    if scope["method"] != "GET" or scope.get("root_path"):
        return None
    match = PATH.fullmatch(scope["path"])
    if match is None:
        return None
    query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    if any(name != "of" for name, _ in query) or len(query) > 1:
        return None
    of = query[0][1] if query else None
    token = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, secret = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and secret.strip():
                token = secret.strip()
            break
    return match.group(1), of, token
