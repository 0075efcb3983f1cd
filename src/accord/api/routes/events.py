"""The event log, for audits and for programs that follow changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode, page
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep
from accord.commitments import service as commitments
from accord.db import MAX_ID
from accord.events.schemas import EventRead

router = make_router("events")


@router.get("/events", response_model=Page[EventRead], responses=problems(401, 422))
def list_events(
    person: CurrentPerson,
    uow: ReadUowDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="Only events with a larger id.")] = 0,
    subject: Annotated[
        str | None, Query(max_length=400, description="e.g. commitment:c-1, team:data")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[EventRead]:
    """Events in the order they were appended, optionally of one subject, as I may read them."""
    position = decode(cursor, int)
    start = max(after, position[0] if position else 0)
    found = commitments.event_log(uow, person, subject=subject, after=start, limit=limit + 1)
    return page(found, limit, lambda e: [e.id], EventRead.of)
