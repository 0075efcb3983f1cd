"""Pages: one's own profile: name, time zone, password, API tokens, signing out elsewhere,
where one hears of what happens, and the feed token of one's calendar and stories feed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from accord.channel.deps import SignerDep, UowDep
from accord.config import Settings
from accord.db import MAX_ID
from accord.notify import service as notify
from accord.notify.domain import CHANNEL_WORDS, KIND_WORDS, Kind
from accord.notify.schemas import NotificationPreferencesUpdate
from accord.org import service as org
from accord.org.domain import Person, time_zones
from accord.org.schemas import PasswordChange, ProfileUpdate, TokenCreate
from accord.uow import UnitOfWork
from accord.web.common import Form, PagePerson, PageUow, page_router, redirect, render, text
from accord.web.forms import FormErrors, act, data_of, perform, shown
from accord.web.routes.auth import keep_session

router = page_router()

# What each form of the page says once its change is made (`?done=`).
DONE = {
    "name": "Your name is changed.",
    "time_zone": "Times are now shown in your time zone.",
    "password": "Your password is changed; your other sessions have ended.",
    "sessions": "You are signed out everywhere else; this browser stays signed in.",
    "revoked": "The token is revoked: it no longer lets anyone in.",
    "notifications": "Your choices of what you hear of, and how, are saved.",
    "feed_revoked": "The feed token is revoked: its calendar and feed addresses no longer work.",
}
PASSWORD_FIELDS = ["current_password", "password"]
TOKEN_FIELDS = ["name", "expires_in_days"]


def zone_options() -> list[tuple[str, str]]:
    """Every time zone the server knows, for a select: 'America/New_York' reads 'America/New
    York'."""
    return [(name, name.replace("_", " ")) for name in sorted(time_zones())]


def _page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    *,
    errors: Mapping[str, FormErrors] | None = None,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    new_token: Mapping[str, Any] | None = None,
    feed_urls: notify.FeedAddresses | None = None,
    status_code: int = 200,
) -> Response:
    settings: Settings = request.app.state.settings
    with uow:  # open while rendering: templates follow relations of what was loaded
        return render(
            request,
            "profile.html",
            {
                "person": person,
                "tokens": list(reversed(org.list_tokens(uow, person))),
                "now": uow.now(),
                "zones": zone_options(),
                "token_days": settings.token_days,
                "done": DONE.get(request.query_params.get("done", "")),
                "new_token": new_token,
                "channels": notify.preferences(uow, person),
                "kinds": [(kind.value, KIND_WORDS[kind]) for kind in Kind],
                "channel_options": [(c.value, words) for c, words in CHANNEL_WORDS.items()],
                "mail_configured": bool(settings.smtp_host),
                "feed_token_made": notify.feed_token_made(uow, person),
                "feed_urls": feed_urls,
                "errors": errors or {},
                "values": values or {},
            },
            status_code,
        )


def _again(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    form_name: str,
    values: Mapping[str, Any],
) -> Callable[[FormErrors], Response]:
    """The profile again, with the refusal of its form `form_name` and what was typed in it."""

    def again(errors: FormErrors) -> Response:
        return _page(
            request,
            uow,
            person,
            errors={form_name: errors},
            values={form_name: values},
            status_code=errors.status,
        )

    return again


@router.get("/profile", response_class=HTMLResponse)
def profile(request: Request, person: PagePerson, uow: PageUow) -> Response:
    """The signed-in person's own page."""
    return _page(request, uow, person)


@router.post("/profile/name", response_class=HTMLResponse)
def change_name(
    request: Request, person: PagePerson, uow: UowDep, read: PageUow, form: Form
) -> Response:
    """Change the name other people see."""

    def change(body: ProfileUpdate) -> str:
        org.update_profile(uow, person, **body.model_dump(exclude_unset=True))
        return "/profile?done=name"

    values = shown(form, ["name"])
    again = _again(request, read, person, "name", values)
    return act(request, ProfileUpdate, data_of(form, ["name"]), change, again, inputs=["name"])


@router.post("/profile/time-zone", response_class=HTMLResponse)
def change_time_zone(
    request: Request, person: PagePerson, uow: UowDep, read: PageUow, form: Form
) -> Response:
    """Choose the time zone pages show and read times in. The browser sends its own zone once
    for a person who has chosen none (`from=browser`), and hears only that it was kept."""
    from_browser = text(form, "from") == "browser"

    def change(body: ProfileUpdate) -> str | Response:
        org.update_profile(uow, person, **body.model_dump(exclude_unset=True))
        return Response(status_code=204) if from_browser else "/profile?done=time_zone"

    values = shown(form, ["time_zone"])
    again = _again(request, read, person, "time_zone", values)
    data = data_of(form, ["time_zone"])
    return act(request, ProfileUpdate, data, change, again, inputs=["time_zone"])


@router.post("/profile/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    person: PagePerson,
    uow: UowDep,
    read: PageUow,
    signer: SignerDep,
    form: Form,
) -> Response:
    """Change one's password, given the current one; every other session ends, this one is
    kept."""
    address = request.client.host if request.client else "unknown"

    def change(body: PasswordChange) -> Response:
        epoch = org.change_password(uow, person, body.current_password, body.password, address)
        response = redirect("/profile?done=password")
        assert person.id is not None
        keep_session(request, response, signer, person.id, epoch)
        return response

    again = _again(request, read, person, "password", {})
    data = data_of(form, PASSWORD_FIELDS)
    return act(request, PasswordChange, data, change, again, inputs=PASSWORD_FIELDS)


@router.post("/profile/sessions", response_class=HTMLResponse)
def end_other_sessions(
    request: Request, person: PagePerson, uow: UowDep, signer: SignerDep, form: Form
) -> Response:
    """Sign out everywhere else: every other browser signed in as this person is signed out."""
    epoch = org.end_sessions(uow, person)
    response = redirect("/profile?done=sessions")
    if epoch is not None and person.id is not None:
        keep_session(request, response, signer, person.id, epoch)
    return response


@router.post("/profile/tokens", response_class=HTMLResponse)
def create_token(
    request: Request, person: PagePerson, uow: UowDep, read: PageUow, form: Form
) -> Response:
    """Make an API token; its secret is on the page this once, and never again."""
    settings: Settings = request.app.state.settings

    def make(body: TokenCreate) -> Response:
        days = body.expires_in_days or settings.token_days
        secret, token = org.issue_token(
            uow, person, person.email, body.name, days=days, longest=settings.token_days
        )
        made = {"secret": secret, "name": token.name, "expires_at": token.expires_at}
        return _page(request, read, person, new_token=made)

    values = shown(form, TOKEN_FIELDS)
    again = _again(request, read, person, "tokens", values)
    data = data_of(form, TOKEN_FIELDS, optional=["expires_in_days"], numbers=["expires_in_days"])
    return act(request, TokenCreate, data, make, again, inputs=TOKEN_FIELDS)


@router.post("/profile/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(
    request: Request, person: PagePerson, uow: UowDep, read: PageUow, form: Form, token_id: int
) -> Response:
    """Revoke one of one's API tokens: it stops working at once."""

    def revoke() -> str:
        org.revoke_token(uow, person, min(token_id, MAX_ID))
        return "/profile?done=revoked#tokens"

    return perform(request, revoke, _again(request, read, person, "tokens", {}))


@router.post("/profile/notifications", response_class=HTMLResponse)
def change_notifications(
    request: Request, person: PagePerson, uow: UowDep, read: PageUow, form: Form
) -> Response:
    """Choose, for each kind of notification, where I hear of it."""
    names = [kind.value for kind in Kind]

    def change(body: NotificationPreferencesUpdate) -> str:
        notify.set_preferences(uow, person, body.channels())
        return "/profile?done=notifications#notifications"

    values = shown(form, names)
    again = _again(request, read, person, "notifications", values)
    data = data_of(form, names, optional=names)
    return act(request, NotificationPreferencesUpdate, data, change, again, inputs=names)


@router.post("/profile/feed-token", response_class=HTMLResponse)
def make_feed_token(
    request: Request, person: PagePerson, uow: UowDep, read: PageUow, form: Form
) -> Response:
    """Make my feed token (a new one replaces the old); its addresses are on the page this
    once."""
    token = notify.make_feed_token(uow, person)
    settings: Settings = request.app.state.settings
    at = notify.FeedAddresses.of(settings.base_url or str(request.base_url), token)
    return _page(request, read, person, feed_urls=at)


@router.post("/profile/feed-token/revoke", response_class=HTMLResponse)
def revoke_feed_token(request: Request, person: PagePerson, uow: UowDep, form: Form) -> Response:
    """Revoke my feed token: calendar apps and feed readers that use it stop getting updates."""
    notify.revoke_feed_token(uow, person)
    return redirect("/profile?done=feed_revoked#feeds")
