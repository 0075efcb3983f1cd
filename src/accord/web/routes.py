"""Pages: sign-in, sign-out and the desk of the signed-in person."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from accord.api.deps import ReadUowDep, SessionPerson, SignerDep, UowDep
from accord.commitments import service as commitments
from accord.errors import NotSignedIn, TooManyRequests
from accord.org import service as org
from accord.partnerships import service as partnerships
from accord.web.session import CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS, csrf_ok, new_csrf_token

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    response = templates.TemplateResponse(
        request, name, {"csrf_token": token, **context}, status_code=status_code
    )
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


def _secure(request: Request) -> bool:
    """Cookies go over HTTPS only when the app is served so, or sits behind an HTTPS proxy."""
    base_url: str = request.app.state.settings.base_url
    return request.url.scheme == "https" or base_url.startswith("https://")


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, person: SessionPerson) -> Response:
    """The sign-in form."""
    if person is not None:
        return RedirectResponse("/", status_code=303)
    return _page(request, "sign_in.html", {"error": None, "email": ""})


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    uow: UowDep,
    signer: SignerDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Check e-mail and password and open a session."""
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), csrf_token):
        return _page(
            request,
            "sign_in.html",
            {"error": "The form expired; please sign in again.", "email": email},
            403,
        )
    address = request.client.host if request.client else "unknown"
    try:
        person = org.sign_in(uow, email, password, address)
    except (NotSignedIn, TooManyRequests) as error:
        status = 429 if isinstance(error, TooManyRequests) else 401
        message = str(error)[:1].upper() + str(error)[1:] + "."
        response = _page(request, "sign_in.html", {"error": message, "email": email}, status)
        if isinstance(error, TooManyRequests):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    assert person.id is not None
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signer.session(person.id, person.session_epoch),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


@router.post("/sign-out")
def sign_out(
    request: Request,
    person: SessionPerson,
    uow: UowDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """End the person's sessions, on this device and every other."""
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), csrf_token):
        return RedirectResponse("/", status_code=303)  # a forged sign-out changes nothing
    if person is not None:
        org.end_sessions(uow, person)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, person: SessionPerson, uow: ReadUowDep) -> Response:
    """My desk: what my teams must answer, deliver and accept, and our partnerships."""
    if person is None:
        return RedirectResponse("/sign-in", status_code=303)
    my_desk = commitments.desk(uow, person)
    views = {
        view.partnership.key: view
        for team in person.teams()
        for view in partnerships.list_partnerships(uow, team=team.slug)
    }
    return _page(
        request,
        "home.html",
        {
            "person": person,
            "desk": my_desk,
            "partnerships": list(views.values()),
            "now": uow.now(),
        },
    )
