"""What every page shares: templates, the signed-in person, CSRF-checked forms, where to go
after a change, error pages (the forms' own flow is in `accord.web.forms`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from accord.channel.deps import (
    CSRF_HEADER,
    SAFE_METHODS,
    ReadUowDep,
    SignerDep,
    get_uow,
    person_of_cookie,
    takes,
)
from accord.channel.errors import SignInNeeded
from accord.channel.session import CSRF_COOKIE, SESSION_COOKIE, csrf_ok, new_csrf_token
from accord.channel.turns import dressed, taking_turns
from accord.commitments import words
from accord.commitments.domain import Commitment, Reliance
from accord.errors import Forbidden, Invalid
from accord.notify import service as notify
from accord.org.domain import Person
from accord.uow import UnitOfWork
from accord.web import charts, zones

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")

# Forms that change something without taking turns (`channel.turns`), as the API's sign-in and
# import: a sign-in checks a password and logs nothing; an import takes minutes.
OUT_OF_TURN = frozenset({"/sign-in", "/admin/import"})


class PageRoute(APIRoute):
    """A page's route. A form that changes something (a POST to a route that takes a writer's
    unit of work) waits for its turn among the process's changes, as the API's changes do,
    before it takes a worker thread: reads go on meanwhile, and one that waits longer than
    `ACCORD_CHANGES_WAIT_SECONDS` is answered with a 503 page and Retry-After."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        changes = set(kwargs.get("methods") or ()) - SAFE_METHODS
        if changes and path not in OUT_OF_TURN and _writes(endpoint):
            page = endpoint
            parameters = list(inspect.signature(page, eval_str=True).parameters.values())
            endpoint = dressed(
                taking_turns(lambda kept: page(**kept), parameters), page, parameters
            )
        super().__init__(path, endpoint, **kwargs)


def _writes(endpoint: Callable[..., Any]) -> bool:
    """Whether `endpoint` is a plain function given a writer's unit of work (`UowDep`)."""
    if not inspect.isfunction(endpoint) or inspect.iscoroutinefunction(endpoint):
        return False
    return takes(endpoint, get_uow)


def page_router() -> APIRouter:
    """A router of pages (`PageRoute`), left out of the API's document."""
    return APIRouter(include_in_schema=False, route_class=PageRoute)


def _when(moment: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant for people, on the reader's clock: '2026-06-01 11:30 CEST' ('… UTC' for a
    reader in UTC); dates alone with fmt='%Y-%m-%d'."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):  # an instant kept in an event payload
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return str(moment)
    moment = zones.local(moment)
    text = moment.strftime(fmt)
    return f"{text} {zones.abbreviation(moment)}" if "%H" in fmt else text


def _day(moment: datetime | str | None) -> str:
    """A day for people: 'Tue 8 Dec' (the year added when it is not this one)."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    # the day on the reader's clock, formatted as words formats a day in UTC
    return words.day_utc(zones.local(moment).replace(tzinfo=None))


def _sentence(commitment: Commitment) -> str:
    """The commitment in the one sentence form every page uses (accord.commitments.words)."""
    return words.sentence(commitment, _day)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _iso_local(moment: datetime | None) -> str:
    """The value of a datetime-local input: the reader's clock, to the minute."""
    if moment is None:
        return ""
    return zones.local(moment).strftime("%Y-%m-%dT%H:%M")


def _label(value: str) -> str:
    """An enum value or a move as words: 'report_done' -> 'Report done'."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def _options(items: Iterable[Any], value: str, shown: str) -> list[tuple[str, str]]:
    """Objects as (value, text) pairs for a select: `teams | options("slug", "name")`."""
    return [(str(getattr(i, value)), str(getattr(i, shown))) for i in items]


def _urlpart(value: object) -> str:
    """A value as one segment of a URL path: '/' and '?' are escaped, '@' kept."""
    return quote(str(value), safe="@")


templates.env.filters.update(
    urlpart=_urlpart,
    options=_options,
    when=_when,
    pct=_pct,
    num=_num,
    iso_local=_iso_local,
    label=_label,
    day=_day,
    sentence=_sentence,
)
templates.env.filters.update(day_and_time=zones.day_and_time)
templates.env.globals.update(zone_name=zones.zone_name)
templates.env.globals.update(charts=charts, RELIANCES=[(r.value, r.value) for r in Reliance])


class CsrfRefused(Forbidden):
    """A form came without the token of this browser's session."""

    rule = "auth.csrf"


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


async def page_uow(request: Request) -> UnitOfWork:
    """A reading unit of work for a page. The route enters it around its reads and the
    rendering, so templates may follow relations of what the services returned, and the one
    connection it takes is given back within the same thread step (a connection held across
    steps could wait on a thread held by a request waiting on a connection)."""
    return UnitOfWork(request.app.state.engine, request.app.state.clock, read_only=True)


PageUow = Annotated[UnitOfWork, Depends(page_uow)]


def signed_in(request: Request, uow: ReadUowDep, signer: SignerDep) -> Person | None:
    """The person of the session cookie, and how many of their notifications are unread (the
    header's bell, `request.state.unread`): read together, in one step of one worker thread."""
    with uow:
        person = person_of_cookie(uow, signer, request.cookies.get(SESSION_COOKIE))
        if person is not None:
            request.state.unread = notify.unread_count(uow, person)
        return person


async def page_person(
    request: Request, person: Annotated[Person | None, Depends(signed_in)]
) -> Person:
    """The signed-in person; anyone else is sent to sign in and brought back after."""
    if person is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(target)
    request.state.person = person  # for the header of an error page
    zones.use(person.time_zone)  # the filters show, and forms read, times on the person's clock
    return person


PagePerson = Annotated[Person, Depends(page_person)]


def csrf_token_of(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE)
    if token is None:
        token = getattr(request.state, "csrf_token", None) or new_csrf_token()
        request.state.csrf_token = token
    return token


def secure(request: Request) -> bool:
    """Cookies go over HTTPS only when the app is served so, or sits behind an HTTPS proxy."""
    base_url: str = request.app.state.settings.base_url
    return request.url.scheme == "https" or base_url.startswith("https://")


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A page or an HTMX partial; sets the CSRF cookie its forms need."""
    token = csrf_token_of(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "csrf_token": token,
            "path": request.url.path,
            "unread": getattr(request.state, "unread", None),
            **(context or {}),
        },
        status_code=status_code,
        headers=dict(headers) if headers else None,
    )
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure(request)
        )
    return response


async def checked_form(request: Request) -> FormData:
    """The posted form, after its CSRF token is checked against this browser's cookie.

    Files are refused here, before anything is read: only `UploadForm` routes take them."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Invalid("this form takes no files", rule="form.files_refused")
    return await _csrf_checked(request, await request.form(max_files=0))


async def checked_upload(request: Request) -> FormData:
    """A posted form that may carry one file, after its CSRF token is checked."""
    return await _csrf_checked(request, await request.form(max_files=1))


async def _csrf_checked(request: Request, form: FormData) -> FormData:
    sent = form.get("csrf_token")
    token = sent if isinstance(sent, str) else request.headers.get(CSRF_HEADER)
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), token):
        await form.close()  # an uploaded file is not kept for a refused form
        raise CsrfRefused(
            "this form has expired or did not come from Accord; reload the page and try again",
            rule="auth.csrf",
        )
    return form


Form = Annotated[FormData, Depends(checked_form)]
UploadForm = Annotated[FormData, Depends(checked_upload)]


def text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def after_change(request: Request, url: str) -> Response:
    """After a change: back to the page (post/redirect/get), or, for htmx, a redirect it follows."""
    if is_htmx(request):
        headers = {"HX-Redirect": url}
        if "#" in url:  # else a URL that differs from the page's only by its fragment just scrolls
            headers["HX-Refresh"] = "true"
        return Response(status_code=204, headers=headers)
    return redirect(url)


def error_page(request: Request, status: int, message: str) -> Response:
    """A refusal or a fault as a page (or a fragment for HTMX), never a stack trace."""
    titles = {
        400: "Bad request",
        401: "Please sign in",
        403: "Not allowed",
        404: "Not found",
        405: "Not allowed here",
        409: "Changed meanwhile",
        422: "Cannot do that",
        429: "Too many attempts",
        500: "Something went wrong",
        503: "Unavailable",
    }
    context = {
        "status": status,
        "title": titles.get(status, "Error"),
        "message": message,
        "person": getattr(request.state, "person", None),
    }
    name = "_error.html" if is_htmx(request) else "error.html"
    response = render(request, name, context, status_code=status)
    if is_htmx(request):
        # HTMX swaps only 2xx answers by default; say where the message goes instead.
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def sign_in_redirect(error: SignInNeeded) -> Response:
    return redirect("/sign-in?next=" + quote(error.next_url, safe="/"))
