"""A cap on every request body, checked before anything reads it: before authentication, before
the Idempotency-Key's fingerprint, before JSON or form parsing. A body over the cap of its
route answers 413 and is never held whole: at most the cap, plus one chunk, is read.

Imports take a larger cap (ACCORD_MAX_IMPORT_BYTES) than everything else
(ACCORD_MAX_BODY_BYTES), and only for a request whose credentials name someone: an anonymous
request never makes the server hold more than the small cap.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.channel.errors import problem

IMPORTS = frozenset({"/api/v1/import", "/admin/import"})


class BodyLimit:
    """Pure ASGI: reads the body up to the route's cap, then hands it on unchanged."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        max_import: int,
        principal: Callable[[dict[str, str]], int | None],
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_import = max_import
        self.principal = principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        cap = self.max_body
        if scope["path"] in IMPORTS and self.max_import > cap:
            headers = {
                name.decode("latin-1").lower(): value.decode("latin-1")
                for name, value in scope["headers"]
            }
            if await run_in_threadpool(self.principal, headers) is not None:
                cap = self.max_import
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            await _too_large(cap)(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away: the app sees the disconnect
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > cap:
                await _too_large(cap)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, replaying(b"".join(chunks), receive), send)


def _too_large(cap: int) -> ASGIApp:
    return problem(
        413,
        f"the request body is larger than this route takes ({cap:,} bytes)",
        rule="request.too_large",
    )


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` (already read) first, then whatever comes after."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
