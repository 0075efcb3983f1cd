"""Partnerships: charters, parties, affirmations, checks and label."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from accord.api.deps import CurrentPerson, ReadUowDep, UowDep
from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode, page
from accord.api.routes import make_router
from accord.partnerships import service as partnerships
from accord.partnerships.domain import Label, PartnershipStatus
from accord.partnerships.schemas import (
    Affirmation,
    ContributionSet,
    PartnershipCreate,
    PartnershipRead,
    PartnershipUpdate,
    PartyCreate,
)

router = make_router("partnerships")


@router.get(
    "/partnerships", response_model=Page[PartnershipRead], responses=problems(401, 404, 422)
)
def list_partnerships(
    person: CurrentPerson,
    uow: ReadUowDep,
    team: Annotated[str | None, Query(description="Only those this team is a party of.")] = None,
    purpose: Annotated[str | None, Query(description="Only those around this purpose.")] = None,
    label: Annotated[Label | None, Query()] = None,
    status: Annotated[PartnershipStatus | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[PartnershipRead]:
    """Partnerships by key, filtered by team, purpose, label or status."""
    after = decode(cursor, str)
    views = partnerships.list_partnerships(
        uow,
        team=team,
        purpose=purpose,
        label=label,
        status=status,
        after=after[0] if after else None,
        limit=limit + 1,
    )
    return page(views, limit, lambda v: [v.partnership.key], PartnershipRead.of)


@router.post(
    "/partnerships",
    status_code=201,
    response_model=PartnershipRead,
    responses=problems(401, 403, 404, 409, 422),
)
def create_partnership(
    body: PartnershipCreate, person: CurrentPerson, uow: UowDep
) -> PartnershipRead:
    """Start a partnership around one purpose (a lead of a team that becomes a party)."""
    created = partnerships.create_partnership(
        uow,
        person,
        name=body.name,
        purpose=body.purpose,
        parties=[(p.team, p.contribution) for p in body.parties],
        working_agreements=body.working_agreements,
        review_every_days=body.review_every_days,
        key=body.key,
    )
    return PartnershipRead.of(partnerships.get_partnership(uow, created.partnership.key))


@router.get("/partnerships/{key}", response_model=PartnershipRead, responses=problems(401, 404))
def get_partnership(key: str, person: CurrentPerson, uow: ReadUowDep) -> PartnershipRead:
    """One partnership with its parties, charter checks and label."""
    return PartnershipRead.of(partnerships.get_partnership(uow, key))


@router.patch(
    "/partnerships/{key}",
    response_model=PartnershipRead,
    responses=problems(401, 403, 404, 409, 422),
)
def update_partnership(
    key: str, body: PartnershipUpdate, person: CurrentPerson, uow: UowDep
) -> PartnershipRead:
    """Edit the charter or pause, resume, conclude, dissolve (a lead of a party)."""
    partnerships.update_charter(uow, person, key, **body.model_dump(exclude_unset=True))
    return PartnershipRead.of(partnerships.get_partnership(uow, key))


@router.post(
    "/partnerships/{key}/parties",
    status_code=201,
    response_model=PartnershipRead,
    responses=problems(401, 403, 404, 409, 422),
)
def add_party(key: str, body: PartyCreate, person: CurrentPerson, uow: UowDep) -> PartnershipRead:
    """Add a team as a party (a lead of it or of a party); everyone affirms again."""
    partnerships.add_party(uow, person, key, body.team, body.contribution)
    return PartnershipRead.of(partnerships.get_partnership(uow, key))


@router.patch(
    "/partnerships/{key}/parties/{team}",
    response_model=PartnershipRead,
    responses=problems(401, 403, 404, 409, 422),
)
def set_contribution(
    key: str, team: str, body: ContributionSet, person: CurrentPerson, uow: UowDep
) -> PartnershipRead:
    """State what a party uniquely contributes (a lead of that party's team)."""
    partnerships.set_contribution(uow, person, key, team, body.contribution)
    return PartnershipRead.of(partnerships.get_partnership(uow, key))


@router.post(
    "/partnerships/{key}/affirm",
    response_model=PartnershipRead,
    responses=problems(401, 403, 404, 409, 422),
)
def affirm(key: str, body: Affirmation, person: CurrentPerson, uow: UowDep) -> PartnershipRead:
    """Sign the charter for a party (a lead of its team); the last signature activates it."""
    partnerships.affirm(uow, person, key, body.team)
    return PartnershipRead.of(partnerships.get_partnership(uow, key))
