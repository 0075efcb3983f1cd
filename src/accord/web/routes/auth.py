"""Pages: sign-in and sign-out."""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from accord.channel.deps import SessionPerson, SignerDep, UowDep
from accord.channel.session import SESSION_COOKIE, SESSION_SECONDS, Signer
from accord.errors import NotSignedIn, TooManyRequests
from accord.org import service as org
from accord.org.domain import Person
from accord.web.common import Form, error_page, page_router, redirect, render, secure, text

router = page_router()


def _next(value: str | None) -> str:
    """Only a path on this site: an open redirect would hand a session to anyone."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, person: SessionPerson, next: str = "/") -> Response:
    """The sign-in form."""
    if person is not None:
        return redirect(_next(next))
    return render(
        request,
        "sign_in.html",
        {"error": None, "email": "", "next": _next(next), "demo": _demo_hint(request)},
    )


@router.get("/sign-in/demo", response_class=HTMLResponse)
def demo_sign_in(request: Request, uow: UowDep, signer: SignerDep, token: str = "") -> Response:
    """The link `accord demo` prints: signs the demo lead in and opens My desk."""
    demo: tuple[str, str] | None = getattr(request.app.state, "demo_login", None)
    if demo is None or not hmac.compare_digest(token.encode(), demo[1].encode()):
        return error_page(request, 404, "This sign-in link is not valid here; sign in instead.")
    return _signed_in(request, signer, org.get_person(uow, demo[0]), "/")


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, uow: UowDep, signer: SignerDep, form: Form) -> Response:
    """Check e-mail and password and open a session."""
    email, target = text(form, "email"), _next(text(form, "next"))
    address = request.client.host if request.client else "unknown"
    try:
        person = org.sign_in(uow, email, text(form, "password"), address)
    except (NotSignedIn, TooManyRequests) as error:
        status = 429 if isinstance(error, TooManyRequests) else 401
        message = str(error)[:1].upper() + str(error)[1:] + "."
        context = {"error": message, "email": email, "next": target, "demo": _demo_hint(request)}
        response = render(request, "sign_in.html", context, status)
        if isinstance(error, TooManyRequests):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    return _signed_in(request, signer, person, target)


def _signed_in(request: Request, signer: Signer, person: Person, target: str) -> Response:
    assert person.id is not None
    response = redirect(target)
    keep_session(request, response, signer, person.id, person.session_epoch)
    return response


def keep_session(
    request: Request, response: Response, signer: Signer, person_id: int, epoch: int
) -> None:
    """Give this browser a session cookie of the person's current epoch: at sign-in, or after
    a change that ended their other sessions (a new password, signing out everywhere else)."""
    response.set_cookie(
        SESSION_COOKIE,
        signer.session(person_id, epoch),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )


@router.post("/sign-out")
def sign_out(request: Request, person: SessionPerson, uow: UowDep, form: Form) -> Response:
    """End the person's sessions, on this device and every other."""
    if person is not None:
        org.end_sessions(uow, person)
    response = redirect("/sign-in")
    response.delete_cookie(SESSION_COOKIE)
    return response


def _demo_hint(request: Request) -> dict[str, str] | None:
    """In a demo, the sign-in form names the demo account."""
    demo: tuple[str, str] | None = getattr(request.app.state, "demo_login", None)
    if demo is None:
        return None
    from accord.demo import DEMO_PASSWORD

    return {"email": demo[0], "password": DEMO_PASSWORD}
