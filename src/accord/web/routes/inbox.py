"""Pages: one's inbox of notifications, and the calendar feed a personal feed token opens."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from accord.channel.deps import ReadUowDep, SettingsDep, UowDep
from accord.db import MAX_ID
from accord.notify import calendar
from accord.notify import service as notify
from accord.org.domain import Person
from accord.uow import UnitOfWork
from accord.web.common import (
    Form,
    PagePerson,
    PageUow,
    after_change,
    is_htmx,
    page_router,
    render,
    text,
)

router = page_router()

PAGE = 30
Before = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _where(unread_only: bool, before: int | None) -> str:
    """The inbox as it was shown: its filter and page."""
    query = [*(["unread=1"] if unread_only else []), *([f"before={before}"] if before else [])]
    return "/inbox" + ("?" + "&".join(query) if query else "")


def _page(
    request: Request, uow: UnitOfWork, person: Person, *, unread_only: bool, before: int | None
) -> Response:
    with uow:
        found = notify.inbox(uow, person, unread_only=unread_only, before_id=before, limit=PAGE + 1)
        items, next_before = notify.page_of(found, PAGE)
        return render(
            request,
            "inbox.html",
            {
                "person": person,
                "items": items,
                "unread_only": unread_only,
                "before": before,
                "next_before": next_before,
            },
        )


@router.get("/inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    person: PagePerson,
    uow: PageUow,
    unread: bool = False,
    before: Before = None,
) -> Response:
    """My notifications, newest first: all, or the unread ones."""
    return _page(request, uow, person, unread_only=unread, before=before)


@router.get("/inbox/{notification_id}", response_class=HTMLResponse)
def open_notification(
    request: Request,
    person: PagePerson,
    uow: UowDep,
    notification_id: int,
) -> Response:
    """Open a notification: it is read, and the page it is about opens. Not mine or gone: the
    inbox."""
    known = 0 < notification_id <= MAX_ID
    target = notify.open_notification(uow, person, notification_id) if known else None
    return after_change(request, target or "/inbox")


def _after_reading(
    request: Request, person: Person, read: UnitOfWork, form_unread: str, form_before: str
) -> Response:
    """Back to the inbox as it was: the page again (post/redirect/get), or for HTMX the inbox
    drawn now, from which it takes the list and the header's bell."""
    unread_only = form_unread == "1"
    before = int(form_before) if form_before.isdigit() and 0 < int(form_before) <= MAX_ID else None
    if not is_htmx(request):
        return after_change(request, _where(unread_only, before))
    return _page(request, read, person, unread_only=unread_only, before=before)


@router.post("/inbox/read-all", response_class=HTMLResponse)
def mark_all_read(
    request: Request, person: PagePerson, uow: UowDep, read: PageUow, form: Form
) -> Response:
    """Mark every notification of mine read."""
    request.state.unread = notify.mark_read(uow, person)
    return _after_reading(request, person, read, text(form, "unread"), text(form, "before"))


@router.post("/inbox/{notification_id}/read", response_class=HTMLResponse)
def mark_read(
    request: Request,
    person: PagePerson,
    uow: UowDep,
    read: PageUow,
    form: Form,
    notification_id: int,
) -> Response:
    """Mark one notification of mine read."""
    ids = [notification_id] if 0 < notification_id <= MAX_ID else []
    request.state.unread = notify.mark_read(uow, person, ids)
    return _after_reading(request, person, read, text(form, "unread"), text(form, "before"))


@router.get("/calendar/{token}.ics")
def calendar_feed(request: Request, token: str, uow: ReadUowDep, settings: SettingsDep) -> Response:
    """My teams' open commitments by due date, for a calendar app: the feed token in the
    address is the only credential. A wrong or revoked one is not found, the same for both."""
    reader = notify.feed_reader(uow, token)
    if reader is None:
        return Response("No such calendar.\n", status_code=404, media_type="text/plain")
    base = (settings.base_url or str(request.base_url)).rstrip("/")
    return Response(
        calendar.due_dates(uow, reader, base),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )
