"""Teams, people and memberships."""

from __future__ import annotations

from fastapi import Response

from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode, page
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep, UowDep
from accord.org import service as org
from accord.org.schemas import (
    MembershipSet,
    PersonCreate,
    PersonRead,
    PersonUpdate,
    TeamCreate,
    TeamRead,
    TeamUpdate,
)

router = make_router("organization")


@router.get("/teams", response_model=Page[TeamRead], responses=problems(401, 422))
def list_teams(
    person: CurrentPerson, uow: ReadUowDep, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> Page[TeamRead]:
    """Teams by slug."""
    after = decode(cursor, str)
    teams = org.list_teams(uow, after=after[0] if after else None, limit=limit + 1)
    return page(teams, limit, lambda t: [t.slug], TeamRead.of)


@router.post(
    "/teams", status_code=201, response_model=TeamRead, responses=problems(401, 403, 404, 409, 422)
)
def create_team(body: TeamCreate, person: CurrentPerson, uow: UowDep) -> TeamRead:
    """Create a team (admins)."""
    team = org.create_team(uow, person, **body.model_dump())
    return TeamRead.of(org.get_team(uow, team.slug))


@router.get("/teams/{slug}", response_model=TeamRead, responses=problems(401, 404))
def get_team(slug: str, person: CurrentPerson, uow: ReadUowDep) -> TeamRead:
    """One team with its members."""
    return TeamRead.of(org.get_team(uow, slug))


@router.patch("/teams/{slug}", response_model=TeamRead, responses=problems(401, 403, 404, 409, 422))
def update_team(slug: str, body: TeamUpdate, person: CurrentPerson, uow: UowDep) -> TeamRead:
    """Change a team's name or mission (its leads, admins); its kind or parent (admins)."""
    changes = body.model_dump(exclude_unset=True)
    org.update_team(uow, person, slug, **changes)
    return TeamRead.of(org.get_team(uow, slug))


@router.post(
    "/teams/{slug}/members", response_model=TeamRead, responses=problems(401, 403, 404, 409, 422)
)
def set_member(slug: str, body: MembershipSet, person: CurrentPerson, uow: UowDep) -> TeamRead:
    """Add a person to a team, or change their role in it (the team's leads, admins)."""
    org.set_membership(uow, person, slug, body.email, body.role)
    return TeamRead.of(org.get_team(uow, slug))


@router.delete(
    "/teams/{slug}/members/{email}",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404, 409, 422),
)
def remove_member(slug: str, email: str, person: CurrentPerson, uow: UowDep) -> Response:
    """Take a person out of a team (the team's leads, admins); the membership is kept, ended."""
    org.remove_membership(uow, person, slug, email)
    return Response(status_code=204)


@router.get("/people", response_model=Page[PersonRead], responses=problems(401, 422))
def list_people(
    person: CurrentPerson, uow: ReadUowDep, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> Page[PersonRead]:
    """People by e-mail."""
    after = decode(cursor, str)
    people = org.list_people(uow, after=after[0] if after else None, limit=limit + 1)
    return page(people, limit, lambda p: [p.email], PersonRead.of)


@router.post(
    "/people",
    status_code=201,
    response_model=PersonRead,
    responses=problems(401, 403, 409, 422),
)
def create_person(body: PersonCreate, person: CurrentPerson, uow: UowDep) -> PersonRead:
    """Create a person who can sign in (admins)."""
    created = org.create_person(uow, person, **body.model_dump())
    return PersonRead.of(org.get_person(uow, created.email))


@router.get("/people/{email}", response_model=PersonRead, responses=problems(401, 404))
def get_person(email: str, person: CurrentPerson, uow: ReadUowDep) -> PersonRead:
    """One person with their teams."""
    return PersonRead.of(org.get_person(uow, email))


@router.patch(
    "/people/{email}", response_model=PersonRead, responses=problems(401, 403, 404, 409, 422)
)
def update_person(email: str, body: PersonUpdate, person: CurrentPerson, uow: UowDep) -> PersonRead:
    """Change a person's name, role, or whether they may sign in (admins)."""
    org.update_person(uow, person, email, **body.model_dump(exclude_unset=True))
    return PersonRead.of(org.get_person(uow, email))
