"""Notifications: my inbox, where I hear of each kind, and my feed token. Mine only: no one
else reads or changes them, admins neither."""

from __future__ import annotations

from fastapi import Request, Response

from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode, page
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep, SettingsDep, UowDep
from accord.notify import service as notify
from accord.notify.schemas import (
    FeedTokenCreated,
    MarkRead,
    NotificationPreferences,
    NotificationPreferencesUpdate,
    NotificationRead,
    UnreadCount,
)

router = make_router("notifications")


@router.get(
    "/notifications", response_model=Page[NotificationRead], responses=problems(401, 403, 422)
)
def list_notifications(
    person: CurrentPerson,
    uow: ReadUowDep,
    unread: bool = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[NotificationRead]:
    """My notifications, newest first; `unread=true` keeps the unread ones."""
    after = decode(cursor, int)
    found = notify.inbox(
        uow, person, unread_only=unread, before_id=after[0] if after else None, limit=limit + 1
    )
    return page(found, limit, lambda item: [item.id], NotificationRead.of)


@router.post("/notifications/read", response_model=UnreadCount, responses=problems(401, 403, 422))
def mark_read(body: MarkRead, person: CurrentPerson, uow: UowDep) -> UnreadCount:
    """Mark my notifications read: these `ids` (others' are left alone), or `all`."""
    left = notify.mark_read(uow, person, None if body.all else body.ids)
    return UnreadCount(unread=left)


@router.get(
    "/me/notification-preferences",
    response_model=NotificationPreferences,
    responses=problems(401, 403),
)
def my_preferences(person: CurrentPerson, uow: ReadUowDep) -> NotificationPreferences:
    """Where I hear of each kind of notification."""
    return NotificationPreferences.of(notify.preferences(uow, person))


@router.put(
    "/me/notification-preferences",
    response_model=NotificationPreferences,
    responses=problems(401, 403, 422),
)
def set_my_preferences(
    body: NotificationPreferencesUpdate, person: CurrentPerson, uow: UowDep
) -> NotificationPreferences:
    """Choose where I hear of some kinds of notification; the kinds left out stay as they are."""
    return NotificationPreferences.of(notify.set_preferences(uow, person, body.channels()))


@router.post(
    "/me/feed-token",
    status_code=201,
    response_model=FeedTokenCreated,
    responses=problems(401, 403),
)
def make_feed_token(
    request: Request, person: CurrentPerson, uow: UowDep, settings: SettingsDep
) -> FeedTokenCreated:
    """Make my feed token for the calendar and the stories feed; a new one replaces the old.
    The token and its addresses are shown this once."""
    token = notify.make_feed_token(uow, person)
    at = notify.FeedAddresses.of(settings.base_url or str(request.base_url), token)
    return FeedTokenCreated(token=token, calendar_url=at.calendar, stories_feed_url=at.stories)


@router.delete(
    "/me/feed-token", status_code=204, response_class=Response, responses=problems(401, 403)
)
def revoke_feed_token(person: CurrentPerson, uow: UowDep) -> Response:
    """Revoke my feed token: the calendar and feed addresses made with it stop working."""
    notify.revoke_feed_token(uow, person)
    return Response(status_code=204)
