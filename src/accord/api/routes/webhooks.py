"""Webhooks of a team, and the deliveries of notifications (dead letters an admin retries)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response

from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode, page, page_of_all
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep, SettingsDep, UowDep
from accord.db import MAX_ID
from accord.notify import service as notify
from accord.notify.domain import DeliveryState
from accord.notify.schemas import DeliveryRead, WebhookCreate, WebhookCreated, WebhookRead

router = make_router("webhooks")

WebhookId = Annotated[int, Path(ge=1, le=MAX_ID, description="The webhook's id.")]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID, description="The delivery's id.")]


@router.get(
    "/teams/{slug}/webhooks",
    response_model=Page[WebhookRead],
    responses=problems(401, 403, 404, 422),
)
def list_webhooks(
    slug: str,
    person: CurrentPerson,
    uow: ReadUowDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[WebhookRead]:
    """A team's webhooks, with how their last delivery went (its leads, admins)."""
    hooks = notify.list_webhooks(uow, person, slug)
    return page_of_all(hooks, limit, cursor, lambda h: (h.id,), (int,), WebhookRead.of)


@router.post(
    "/teams/{slug}/webhooks",
    status_code=201,
    response_model=WebhookCreated,
    responses=problems(401, 403, 404, 409, 422),
)
def add_webhook(
    slug: str, body: WebhookCreate, person: CurrentPerson, uow: UowDep, settings: SettingsDep
) -> WebhookCreated:
    """Add a webhook to a team (its leads, admins); its signing secret is answered this once."""
    made = notify.add_webhook(uow, person, settings, slug, url=body.url, format=body.format)
    return WebhookCreated.made(made)


@router.delete(
    "/teams/{slug}/webhooks/{webhook_id}",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404, 422),
)
def remove_webhook(
    slug: str, webhook_id: WebhookId, person: CurrentPerson, uow: UowDep
) -> Response:
    """Remove a team's webhook and what it had still to deliver (its leads, admins)."""
    notify.remove_webhook(uow, person, slug, webhook_id)
    return Response(status_code=204)


@router.get("/deliveries", response_model=Page[DeliveryRead], responses=problems(401, 403, 422))
def list_deliveries(
    person: CurrentPerson,
    uow: ReadUowDep,
    state: Annotated[
        DeliveryState | None,
        Query(description="Only those in this state: `dead` lists what was given up on."),
    ] = None,
    failing: Annotated[
        bool, Query(description="Only those still pending after a failed try.")
    ] = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[DeliveryRead]:
    """Deliveries of notifications, newest first (admins)."""
    after = decode(cursor, int)
    found = notify.list_deliveries(
        uow,
        person,
        state=state,
        failing=failing,
        before_id=after[0] if after else None,
        limit=limit + 1,
    )
    return page(found, limit, lambda d: [d.row.id], DeliveryRead.of)


@router.post(
    "/deliveries/{delivery_id}/retry",
    response_model=DeliveryRead,
    responses=problems(401, 403, 404, 409, 422),
)
def retry_delivery(delivery_id: DeliveryId, person: CurrentPerson, uow: UowDep) -> DeliveryRead:
    """Deliver again, from its first try, one that died or keeps failing (admins)."""
    return DeliveryRead.of(notify.retry_delivery(uow, person, delivery_id))
