"""Request dependencies of both channels: settings, a unit of work, and who is asking."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from accord.channel.errors import CREDENTIALS_CHECK
from accord.channel.session import CSRF_COOKIE, SESSION_COOKIE, Signer, csrf_ok
from accord.config import Settings
from accord.db import utcnow
from accord.errors import Forbidden, NotSignedIn
from accord.org import service as org
from accord.org.domain import Person
from accord.trust.read_cache import ExpensiveReads
from accord.uow import UnitOfWork, read_engine

# The cheap dependencies are `async def`: FastAPI runs a plain `def` in a worker thread, and
# the hop costs more than they do.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The scope key set when the ASGI layer (`api.answers`) read a request's answer from its token
# and that read declined it: `ApiReader` does not ask it again.
BY_TOKEN_DECLINED = "accord.by_token_declined"
CSRF_HEADER = "X-CSRF-Token"
T = TypeVar("T")


def takes(endpoint: Callable[..., Any], dependency: Callable[..., Any]) -> bool:
    """Whether a route's function takes a parameter given by `dependency` (`Depends`)."""
    return any(
        getattr(extra, "dependency", None) is dependency
        for p in inspect.signature(endpoint, eval_str=True).parameters.values()
        for extra in getattr(p.annotation, "__metadata__", ())
    )


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_uow(request: Request) -> UnitOfWork:
    """A unit of work for a use case that changes something."""
    return UnitOfWork(request.app.state.engine, request.app.state.clock)


async def get_read_uow(request: Request) -> UnitOfWork:
    """A unit of work that only reads: one snapshot, and no write lock on SQLite."""
    return UnitOfWork(request.app.state.engine, request.app.state.clock, read_only=True)


async def get_signer(request: Request) -> Signer:
    signer: Signer = request.app.state.signer
    return signer


async def get_expensive_reads(request: Request) -> ExpensiveReads:
    """The app's cache and ration of the expensive reads (backtest, trust over time, map)."""
    reads: ExpensiveReads = request.app.state.expensive_reads
    return reads


SettingsDep = Annotated[Settings, Depends(get_settings)]
ExpensiveReadsDep = Annotated[ExpensiveReads, Depends(get_expensive_reads)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ReadUowDep = Annotated[UnitOfWork, Depends(get_read_uow)]
SignerDep = Annotated[Signer, Depends(get_signer)]


def session_person(request: Request, uow: ReadUowDep, signer: SignerDep) -> Person | None:
    """The person whose session cookie this request carries, if it is valid and they are active."""
    return person_of_cookie(uow, signer, request.cookies.get(SESSION_COOKIE))


def person_of_cookie(uow: UnitOfWork, signer: Signer, cookie: str | None) -> Person | None:
    """The active person a session cookie names, if it is still their current session."""
    data = signer.unsign(cookie)
    if data is None or not isinstance(data.get("pid"), int):
        return None
    person = org.person_by_id(uow, data["pid"])
    if person is None or data.get("e") != person.session_epoch:
        return None  # signed out everywhere, or the password changed, since
    return person


SessionPerson = Annotated[Person | None, Depends(session_person)]


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header; a malformed header is refused."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn(
            "the Authorization header must be 'Bearer <token>'", rule="auth.bad_header"
        )
    return token.strip()


@dataclass(frozen=True)
class Credentials:
    """What an API request signs in with, read from its headers without the database.

    The person they name is looked up later, in the worker thread that runs the route and, for
    a route that reads, in the route's own unit of work (`signed_in`): one hop to the thread
    pool and one transaction per request, and the person is loaded once.
    """

    token: str | None
    session: str | None  # the session cookie, when there is no token
    csrf_ok: bool  # a change made with the cookie carries the CSRF header (a read needs none)
    signer: Signer
    engine: Engine
    clock: Callable[[], datetime]

    def person(self, uow: UnitOfWork, *, teams: bool = False) -> Person:
        """The owner of the bearer token, or the person of the session cookie, as the route
        must see them (with `teams`, loaded with their teams); refused as `api_credentials`
        says."""
        if self.token is not None:
            person = org.authenticate_token(uow, self.token, teams=teams)
            if person is None:
                raise NotSignedIn(
                    "this API token is not valid, was revoked, or its owner was deactivated",
                    rule="auth.bad_token",
                )
            return person
        cookie_person = person_of_cookie(uow, self.signer, self.session)
        if cookie_person is None:
            raise NotSignedIn(
                "sign in first, or send an API token as 'Authorization: Bearer <token>'",
                rule="auth.required",
            )
        if not self.csrf_ok:
            raise Forbidden(
                f"a change made with the session cookie needs the {CSRF_HEADER} header",
                rule="auth.csrf",
            )
        return cookie_person

    def check(self) -> None:
        """Refuse the request if the credentials are not good, in a reader of their own."""
        self.person(UnitOfWork(self.engine, self.clock, read_only=True))


async def api_credentials(request: Request) -> Credentials:
    """Who calls the API: the owner of the bearer token, or the person of the session cookie.

    A change made with the cookie (the web app's own calls) must also carry the CSRF token in
    the X-CSRF-Token header, so another site cannot make it in the person's name. A malformed
    Authorization header is refused here; the rest is checked by `signed_in`, before the route.
    """
    token = bearer_token(request)
    credentials = Credentials(
        token=token,
        session=request.cookies.get(SESSION_COOKIE) if token is None else None,
        csrf_ok=request.method in SAFE_METHODS
        or csrf_ok(request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER)),
        signer=request.app.state.signer,
        engine=request.app.state.engine,
        clock=request.app.state.clock,
    )
    request.scope[CREDENTIALS_CHECK] = credentials.check
    return credentials


@dataclass(frozen=True)
class ApiReader:
    """The API's credentials handed to a read route as they are: `signed_in` leaves them alone,
    and the route signs in itself through `read`, which may answer from the token without
    loading its owner. A route that takes this must call `read` (it checks nothing else)."""

    credentials: Credentials
    reader: Engine  # the app's engine as a reader's unit of work uses it (`read_engine`)
    declined: bool = False  # the read by token declined this request already (ASGI layer)

    def read(
        self,
        uow: UnitOfWork,
        by_token: Callable[[Connection, datetime, str], T | None],
        as_person: Callable[[Person], T],
    ) -> T:
        """For a bearer token, `by_token(connection, now, the token's hash)`, in one read-only
        transaction of its own (on `reader`), unless that read declined this request already
        (`declined`); else, or when it gives None, `as_person(whoever the credentials name)`
        in one transaction of `uow`, signed in and refused as `CurrentPerson` is."""
        if self.credentials.token is not None and not self.declined:
            with self.reader.connect() as connection, connection.begin():
                found = by_token(connection, uow.now(), org.token_hash(self.credentials.token))
            if found is not None:
                return found
        with uow:
            return as_person(self.credentials.person(uow, teams=True))


async def api_reader(request: Request) -> ApiReader:
    """`api_credentials`, for a read route that signs in itself (`ApiReader.read`)."""
    state = request.app.state
    reader: Engine | None = getattr(state, "read_only_engine", None)
    if reader is None:  # made once per app: making it costs about a tenth of a read
        reader = state.read_only_engine = read_engine(state.engine)
    declined = bool(request.scope.get(BY_TOKEN_DECLINED))
    return ApiReader(await api_credentials(request), reader, declined)


ApiReaderDep = Annotated[ApiReader, Depends(api_reader)]


# The API route class (`accord.api.routes.DocRoute`) runs each route inside `signed_in`, which
# hands it the person in place of the credentials.
CurrentPerson = Annotated[Person, Depends(api_credentials)]


@contextmanager
def signed_in(arguments: dict[str, Any]) -> Iterator[None]:
    """Within: the route's `Credentials` arguments replaced by the person they name (or refused).

    A route that reads has its unit of work held open throughout, so the check and the route
    read in one transaction and the person loaded for the check is the one the route's use cases
    bind. A route that changes something signs in within its unit of work's transaction, which
    its first use case then takes over and commits (`UnitOfWork.carry`): one transaction, and
    the person it binds is the one signed in. A refused sign-in rolls that transaction back.
    """
    names = [name for name, value in arguments.items() if isinstance(value, Credentials)]
    if not names:
        yield
        return
    credentials: Credentials = arguments[names[0]]
    units = [value for value in arguments.values() if isinstance(value, UnitOfWork)]
    reader = next((u for u in units if u.read_only and not u.active), None)
    writers = [u for u in units if not u.read_only]
    if writers:
        reader = None  # a read transaction held open beside a change would only be in its way
    writer = writers[0] if len(writers) == 1 and not writers[0].active else None
    with ExitStack() as stack:
        if reader is not None:
            stack.enter_context(reader)
            person = credentials.person(reader, teams=True)
        elif writer is not None:
            # the change's own transaction signs in: its use case goes on in it (`carry`)
            stack.callback(writer.drop_carried)
            with writer.carry():
                person = credentials.person(writer, teams=True)
        else:
            person = credentials.person(
                UnitOfWork(credentials.engine, credentials.clock, read_only=True)
            )
        for name in names:
            arguments[name] = person
        yield


def principal_of(
    engine: Engine,
    signer: Signer,
    headers: dict[str, str],
    *,
    need_csrf: bool = True,
    clock: Callable[[], datetime] = utcnow,
) -> int | None:
    """The id of the person a request's credentials name, checked as the route checks them: a
    valid token of an active person, or the current session of an active person with the CSRF
    header. Scopes idempotency keys, so a stored answer is never replayed to a credential the
    route would refuse (a signed-out cookie, a deactivated person, a request from another site).
    """
    header = headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        person = org.authenticate_token(UnitOfWork(engine, clock, read_only=True), token.strip())
        return person.id if person is not None else None
    cookies: dict[str, str] = {}
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        cookies.setdefault(name, value.strip('"'))
    if SESSION_COOKIE not in cookies:
        return None
    if need_csrf and not csrf_ok(cookies.get(CSRF_COOKIE), headers.get(CSRF_HEADER.lower())):
        return None  # (a page's form carries its CSRF token in the body, checked later)
    person = person_of_cookie(
        UnitOfWork(engine, clock, read_only=True), signer, cookies[SESSION_COOKIE]
    )
    return person.id if person is not None else None
