"""Purposes, their measures and the measures' updates."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode, page
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep, UowDep
from accord.purposes import service as purposes
from accord.purposes.domain import PurposeStatus
from accord.purposes.schemas import (
    MeasureCreate,
    MeasureRead,
    MeasureUpdateCreate,
    MeasureUpdateRead,
    PurposeCreate,
    PurposeRead,
    PurposeUpdate,
)

router = make_router("purposes")


@router.get("/purposes", response_model=Page[PurposeRead], responses=problems(401, 422))
def list_purposes(
    person: CurrentPerson,
    uow: ReadUowDep,
    status: Annotated[PurposeStatus | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[PurposeRead]:
    """Purposes by key, optionally of one status."""
    after = decode(cursor, str)
    found = purposes.list_purposes(
        uow, status=status, after=after[0] if after else None, limit=limit + 1
    )
    return page(found, limit, lambda p: [p.key], PurposeRead.of)


@router.post(
    "/purposes",
    status_code=201,
    response_model=PurposeRead,
    responses=problems(401, 403, 404, 409, 422),
)
def create_purpose(body: PurposeCreate, person: CurrentPerson, uow: UowDep) -> PurposeRead:
    """Create a purpose in draft (any member)."""
    purpose = purposes.create_purpose(uow, person, **body.model_dump())
    return PurposeRead.of(purposes.get_purpose(uow, purpose.key))


@router.get("/purposes/{key}", response_model=PurposeRead, responses=problems(401, 404))
def get_purpose(key: str, person: CurrentPerson, uow: ReadUowDep) -> PurposeRead:
    """One purpose with its measures and their history."""
    return PurposeRead.of(purposes.get_purpose(uow, key))


@router.patch(
    "/purposes/{key}", response_model=PurposeRead, responses=problems(401, 403, 404, 409, 422)
)
def update_purpose(
    key: str, body: PurposeUpdate, person: CurrentPerson, uow: UowDep
) -> PurposeRead:
    """Edit a purpose (any member); activate, achieve or abandon it (its sponsor, admins)."""
    purposes.update_purpose(uow, person, key, **body.model_dump(exclude_unset=True))
    return PurposeRead.of(purposes.get_purpose(uow, key))


@router.post(
    "/purposes/{key}/measures",
    status_code=201,
    response_model=MeasureRead,
    responses=problems(401, 403, 404, 409, 422),
)
def add_measure(key: str, body: MeasureCreate, person: CurrentPerson, uow: UowDep) -> MeasureRead:
    """Add a measure (key result) to a purpose (any member)."""
    measure = purposes.add_measure(uow, person, key, **body.model_dump())
    return MeasureRead.of(purposes.get_purpose(uow, key).measure(measure.name))


@router.post(
    "/purposes/{key}/measures/{name}/updates",
    status_code=201,
    response_model=MeasureUpdateRead,
    responses=problems(401, 403, 404, 409, 422),
)
def update_measure(
    key: str, name: str, body: MeasureUpdateCreate, person: CurrentPerson, uow: UowDep
) -> MeasureUpdateRead:
    """Record a measure's new value (the sponsor, or a lead of a team partnering on it)."""
    update = purposes.update_measure(uow, person, key, name, value=body.value, note=body.note)
    return MeasureUpdateRead(
        value=update.value,
        at=update.at,
        note=update.note,
        by=update.by.email if update.by else None,
    )
