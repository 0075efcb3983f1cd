"""Partnerships: charters, invitations, parties joining and leaving, affirmations, checks and
label."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode, page
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep, UowDep
from accord.db import MAX_ID
from accord.partnerships import service as partnerships
from accord.partnerships.domain import InvitationState, Label, PartnershipStatus
from accord.partnerships.schemas import (
    Affirmation,
    ContributionSet,
    InvitationAcceptance,
    InvitationCreate,
    InvitationRead,
    PartnershipCreate,
    PartnershipRead,
    PartnershipUpdate,
)
from accord.uow import UnitOfWork

router = make_router("partnerships")
InvitationId = Annotated[int, Path(ge=1, le=MAX_ID, description="The invitation's id.")]
InvitationStateQuery = Annotated[InvitationState | None, Query(description="Only those in it.")]


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
    created = partnerships.create_partnership(uow, person, **body.args())
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


@router.delete(
    "/partnerships/{key}/parties/{team}",
    response_model=PartnershipRead,
    responses=problems(401, 403, 404, 409, 422),
)
def leave(key: str, team: str, person: CurrentPerson, uow: UowDep) -> PartnershipRead:
    """Leave the partnership for a party (a lead of that party's team).

    Its open commitments there must be settled or withdrawn first, and at least two parties
    must remain (else dissolve or conclude it). The others' affirmations stand; the party's past
    commitments and events stay.
    """
    partnerships.leave(uow, person, key, team)
    return PartnershipRead.of(partnerships.get_partnership(uow, key))


@router.get(
    "/partnerships/{key}/invitations",
    response_model=Page[InvitationRead],
    responses=problems(401, 404, 422),
)
def partnership_invitations(
    key: str,
    person: CurrentPerson,
    uow: ReadUowDep,
    state: InvitationStateQuery = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[InvitationRead]:
    """The invitations to join a partnership, oldest first, in any state or one."""
    return _invitations(uow, cursor, limit, partnership=key, state=state)


@router.post(
    "/partnerships/{key}/invitations",
    status_code=201,
    response_model=InvitationRead,
    responses=problems(401, 403, 404, 409, 422),
)
def invite(key: str, body: InvitationCreate, person: CurrentPerson, uow: UowDep) -> InvitationRead:
    """Invite a team to join as a party (a lead of a current party); a lead of it accepts."""
    invitation = partnerships.invite(uow, person, key, body.team)
    assert invitation.id is not None
    return InvitationRead.of(partnerships.get_invitation(uow, invitation.id))


@router.get("/invitations", response_model=Page[InvitationRead], responses=problems(401, 404, 422))
def list_invitations(
    person: CurrentPerson,
    uow: ReadUowDep,
    team: Annotated[str | None, Query(description="Only those addressed to this team.")] = None,
    state: InvitationStateQuery = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[InvitationRead]:
    """Invitations oldest first; `?team=&state=pending` are those a team has to answer."""
    return _invitations(uow, cursor, limit, team=team, state=state)


def _invitations(
    uow: UnitOfWork,
    cursor: str | None,
    limit: int,
    *,
    partnership: str | None = None,
    team: str | None = None,
    state: InvitationState | None = None,
) -> Page[InvitationRead]:
    after = decode(cursor, int)
    found = partnerships.list_invitations(
        uow,
        partnership=partnership,
        team=team,
        state=state,
        after=after[0] if after else None,
        limit=limit + 1,
    )
    return page(found, limit, lambda i: [i.id], InvitationRead.of)


@router.get(
    "/invitations/{invitation_id}", response_model=InvitationRead, responses=problems(401, 404, 422)
)
def get_invitation(
    invitation_id: InvitationId, person: CurrentPerson, uow: ReadUowDep
) -> InvitationRead:
    """One invitation: the team, who invited it, and whether it was answered."""
    return InvitationRead.of(partnerships.get_invitation(uow, invitation_id))


@router.post(
    "/invitations/{invitation_id}/accept",
    response_model=InvitationRead,
    responses=problems(401, 403, 404, 409, 422),
)
def accept_invitation(
    invitation_id: InvitationId, body: InvitationAcceptance, person: CurrentPerson, uow: UowDep
) -> InvitationRead:
    """Join the partnership with the team's contribution (a lead of the invited team); the
    partnership goes back to forming until every party affirms."""
    partnerships.accept_invitation(uow, person, invitation_id, body.contribution)
    return InvitationRead.of(partnerships.get_invitation(uow, invitation_id))


@router.post(
    "/invitations/{invitation_id}/decline",
    response_model=InvitationRead,
    responses=problems(401, 403, 404, 409, 422),
)
def decline_invitation(
    invitation_id: InvitationId, person: CurrentPerson, uow: UowDep
) -> InvitationRead:
    """Turn an invitation down (a lead of the invited team)."""
    partnerships.decline_invitation(uow, person, invitation_id)
    return InvitationRead.of(partnerships.get_invitation(uow, invitation_id))


@router.post(
    "/invitations/{invitation_id}/withdraw",
    response_model=InvitationRead,
    responses=problems(401, 403, 404, 409, 422),
)
def withdraw_invitation(
    invitation_id: InvitationId, person: CurrentPerson, uow: UowDep
) -> InvitationRead:
    """Take back an invitation that waits for its answer (a lead of a current party)."""
    partnerships.withdraw_invitation(uow, person, invitation_id)
    return InvitationRead.of(partnerships.get_invitation(uow, invitation_id))
