"""One table from Accord's errors to HTTP, rendered as RFC 9457 problem+json."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
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
from accord.web import common as pages

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


class ProblemItem(BaseModel):
    path: str = Field(description="Where: a JSON path into the request.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    rule: str | None = Field(
        None, description="The rule that refused it, e.g. commitment.version_stale."
    )
    errors: list[ProblemItem] | None = Field(None, description="Malformed fields (422).")
    problems: list[ProblemItem] | None = Field(None, description="Every problem of an import.")


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route for the errors it may answer."""
    return {code: {"model": Problem, "description": TITLES[code]} for code in codes}


def as_problem_json(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare error answers as application/problem+json in the OpenAPI document."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if code[:1] in "45" and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return schema


# Every 401 and 429 answer, and the 503 of a busy server, carries these (see _accord_error).
ERROR_HEADERS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "description": 'How to sign in: `Bearer realm="accord"`.',
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
    "503": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


def with_error_headers(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the headers of 401, 429 and 503 answers in the OpenAPI document."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                if code in ERROR_HEADERS:
                    response.setdefault("headers", {}).update(ERROR_HEADERS[code])
    return schema


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


async def _accord_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, AccordError)
    if pages.wants_html(request):
        if isinstance(error, NotSignedIn):
            return pages.sign_in_redirect(pages.SignInNeeded(request.url.path))
        response = pages.error_page(request, status_of(error), pages.sentence(error.message))
        if isinstance(error, TooManyRequests):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    extra: dict[str, Any] = {"rule": error.rule}
    problems = getattr(error, "problems", None)
    if problems is not None:
        extra["problems"] = [{"path": p.path, "message": p.message} for p in problems]
    headers = {}
    if isinstance(error, NotSignedIn):
        headers["WWW-Authenticate"] = 'Bearer realm="accord"'
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    return problem(status_of(error), error.message, headers, **extra)


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if pages.wants_html(request):
        where = ", ".join(f"{_path(i['loc'])}: {i['msg']}" for i in error.errors())
        return pages.error_page(request, 422, f"The request is malformed ({where}).")
    errors = [{"path": _path(item["loc"]), "message": item["msg"]} for item in error.errors()]
    return problem(422, "the request is malformed", errors=errors)


def _path(location: Any) -> str:
    """('body', 'parties', 0, 'team') -> 'body.parties[0].team'."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if pages.wants_html(request):
        detail = "There is no such page." if error.status_code == 404 else str(error.detail)
        return pages.error_page(request, error.status_code, detail)
    if error.status_code == 400 and isinstance(error.__cause__, ValueError):
        # FastAPI's 400 for a body that is not UTF-8 JSON: malformed like any other, so 422.
        errors = [{"path": "body", "message": "the body is not JSON in UTF-8"}]
        return problem(422, "the request is malformed", errors=errors)
    return problem(error.status_code, str(error.detail), getattr(error, "headers", None))


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


def database_unavailable(request: Request, error: Exception) -> Response:
    """The answer while the database cannot be reached: 503 with Retry-After; the engine's pool
    reconnects by itself once it is back."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
    message = "the database is unavailable for a moment; try again shortly"
    headers = {"Retry-After": str(DATABASE_RETRY_SECONDS), **SECURITY_HEADERS}
    if pages.wants_html(request):
        page = pages.error_page(request, 503, pages.sentence(message))
        page.headers.update(headers)
        return page
    return problem(503, message, headers, rule="database.unavailable")


async def _database_unavailable(request: Request, error: Exception) -> Response:
    return database_unavailable(request, error)


class DatabaseDown:
    """Answers 503 for a database that cannot be reached, wherever below it the error rose (a
    middleware checking credentials, a route), instead of a 500 that also drops the connection
    (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
            await database_unavailable(Request(scope), error)(scope, receive, send)


async def _unexpected(request: Request, error: Exception) -> Response:
    if _database_down(error):
        return database_unavailable(request, error)
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    if pages.wants_html(request):
        page = pages.error_page(
            request, 500, "Something went wrong on our side; it has been logged."
        )
        page.headers.update(SECURITY_HEADERS)
        return page
    response = problem(500, "something went wrong on our side; it has been logged")
    response.headers.update(SECURITY_HEADERS)  # this answer bypasses the header middleware
    return response


async def _unstorable(request: Request, error: Exception) -> Response:
    # A value the database refuses (PostgreSQL takes no NUL in a text), met while looking a key
    # up: the request is at fault, and nothing was changed.
    message = "the request holds a value the database cannot take"
    if "NUL" in str(getattr(error, "orig", "")):
        message = "the request holds the control character U+0000, which no text may hold"
    if pages.wants_html(request):
        return pages.error_page(request, 422, pages.sentence(message))
    return problem(422, message, rule="text.control_character")


async def _sign_in_needed(request: Request, error: Exception) -> Response:
    assert isinstance(error, pages.SignInNeeded)
    return pages.sign_in_redirect(error)


def install(app: FastAPI) -> None:
    app.add_exception_handler(pages.SignInNeeded, _sign_in_needed)
    app.add_exception_handler(AccordError, _accord_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
