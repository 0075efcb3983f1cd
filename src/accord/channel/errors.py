"""One table from Accord's errors to HTTP, for both channels: the API answers RFC 9457
problem+json, the pages answer a page, drawn by the web through `Pages`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.errors import (
    AccordError,
    Busy,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    NotSignedIn,
    RuleBroken,
    TooManyRequests,
)
from accord.inputs import in_words

log = logging.getLogger("accord")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

STATUS: dict[type[AccordError], int] = {
    NotSignedIn: 401,
    TooManyRequests: 429,
    Busy: 503,  # a TooManyRequests of the whole server, not of the client: it too has Retry-After
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    RuleBroken: 409,
    Invalid: 422,
}
# With type about:blank, RFC 9457 asks for the HTTP status phrase as the title.
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


# Where an API request keeps the check of its credentials until its route makes it
# (`accord.channel.deps.signed_in`): a request refused as malformed before then is refused for
# its credentials first, as it would be once its route ran.
CREDENTIALS_CHECK = "accord.credentials_check"


class SignInNeeded(Exception):
    """A page needs a signed-in person; the answer sends them to the sign-in form."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass(frozen=True)
class Pages:
    """How the pages answer an error. The web draws them; the app factory hands them to
    `install`, so that this table serves both channels and imports neither."""

    error_page: Callable[[Request, int, str], Response]  # status and a sentence to show
    sign_in: Callable[[SignInNeeded], Response]  # to the sign-in form, and back after


def wants_html(request: Request) -> bool:
    """Errors on pages are pages; on the API they are problem+json."""
    path = request.url.path
    return not (path.startswith("/api/") or path == "/api" or path == "/healthz")


def sentence(message: str) -> str:
    """A service's message as a sentence for a page: 'due must …' -> 'Due must ….'"""
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def status_of(error: AccordError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 422


def problem(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _path(location: Any) -> str:
    """('body', 'parties', 0, 'team') -> 'body.parties[0].team'."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


DATABASE_RETRY_SECONDS = 5


def _database_down(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) is the database being unreachable or gone away."""
    while error is not None:
        if isinstance(error, OperationalError | InterfaceError) or (
            isinstance(error, DBAPIError) and error.connection_invalidated
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


def database_unavailable(request: Request, error: Exception, pages: Pages) -> Response:
    """The answer while the database cannot be reached: 503 with Retry-After; the engine's pool
    reconnects by itself once it is back."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
    message = "the database is unavailable for a moment; try again shortly"
    headers = {"Retry-After": str(DATABASE_RETRY_SECONDS), **SECURITY_HEADERS}
    if wants_html(request):
        page = pages.error_page(request, 503, sentence(message))
        page.headers.update(headers)
        return page
    return problem(503, message, headers, rule="database.unavailable")


class DatabaseDown:
    """Answers 503 for a database that cannot be reached, wherever below it the error rose (a
    middleware checking credentials, a route), instead of a 500 that also drops the connection
    (pure ASGI)."""

    def __init__(self, app: ASGIApp, *, pages: Pages) -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as error:
            if started or not _database_down(error):
                raise
            answer = database_unavailable(Request(scope), error, self.pages)
            await answer(scope, receive, send)


def install(app: FastAPI, pages: Pages) -> None:
    """Answer every error through the table: a page where `wants_html`, else problem+json."""

    async def accord_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, AccordError)
        if wants_html(request):
            if isinstance(error, NotSignedIn):
                return pages.sign_in(SignInNeeded(request.url.path))
            response = pages.error_page(request, status_of(error), sentence(error.message))
            if isinstance(error, TooManyRequests):
                response.headers["Retry-After"] = str(error.retry_after)
            return response
        extra: dict[str, Any] = {"rule": error.rule}
        if error.field is not None:
            extra["field"] = error.field
        problems = getattr(error, "problems", None)
        if problems is not None:
            extra["problems"] = [{"path": p.path, "message": p.message} for p in problems]
        headers = {}
        if isinstance(error, NotSignedIn):
            headers["WWW-Authenticate"] = 'Bearer realm="accord"'
        if isinstance(error, TooManyRequests):
            headers["Retry-After"] = str(error.retry_after)
        return problem(status_of(error), error.message, headers, **extra)

    async def validation_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        check = request.scope.get(CREDENTIALS_CHECK)
        if check is not None:  # credentials the route would refuse are refused first
            try:
                await run_in_threadpool(check)
            except AccordError as refused:
                return await accord_error(request, refused)
        if wants_html(request):
            where = "; ".join(in_words(item) for item in error.errors())
            return pages.error_page(request, 422, f"The request is malformed ({where}).")
        errors = [
            {"path": _path(item["loc"]), "message": in_words(item)} for item in error.errors()
        ]
        return problem(422, "the request is malformed", errors=errors)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if wants_html(request):
            detail = "There is no such page." if error.status_code == 404 else str(error.detail)
            return pages.error_page(request, error.status_code, detail)
        if error.status_code == 400 and isinstance(error.__cause__, ValueError):
            # FastAPI's 400 for a body that is not UTF-8 JSON: malformed like any other, so 422.
            errors = [{"path": "body", "message": "the body is not JSON in UTF-8"}]
            return problem(422, "the request is malformed", errors=errors)
        return problem(error.status_code, str(error.detail), getattr(error, "headers", None))

    async def unstorable(request: Request, error: Exception) -> Response:
        # A value the database refuses (PostgreSQL takes no NUL in a text), met while looking a
        # key up: the request is at fault, and nothing was changed.
        message = "the request holds a value the database cannot take"
        if "NUL" in str(getattr(error, "orig", "")):
            message = "the request holds the control character U+0000, which no text may hold"
        if wants_html(request):
            return pages.error_page(request, 422, sentence(message))
        return problem(422, message, rule="text.control_character")

    async def unavailable(request: Request, error: Exception) -> Response:
        return database_unavailable(request, error, pages)

    async def unexpected(request: Request, error: Exception) -> Response:
        if _database_down(error):
            return database_unavailable(request, error, pages)
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if wants_html(request):
            response: Response = pages.error_page(
                request, 500, "Something went wrong on our side; it has been logged."
            )
        else:
            response = problem(500, "something went wrong on our side; it has been logged")
        response.headers.update(SECURITY_HEADERS)  # this answer bypasses the header middleware
        # The error goes on to the server, which logs it and closes the connection after this
        # answer: said here, a client opens a new one for its retry instead of sending it on a
        # connection about to be closed (and being reset).
        response.headers["Connection"] = "close"
        return response

    async def sign_in_needed(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInNeeded)
        return pages.sign_in(error)

    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(AccordError, accord_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DataError, unstorable)
    app.add_exception_handler(OperationalError, unavailable)
    app.add_exception_handler(InterfaceError, unavailable)
    app.add_exception_handler(Exception, unexpected)
