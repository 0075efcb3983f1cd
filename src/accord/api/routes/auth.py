"""Sign-in for programs, the signed-in person, and their API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response

from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of_all
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep, SettingsDep, UowDep
from accord.config import Settings
from accord.db import MAX_ID
from accord.org import service as org
from accord.org.domain import Person
from accord.org.schemas import PersonRead, SignIn, TokenCreate, TokenCreated, TokenRead
from accord.uow import UnitOfWork

router = make_router("sign-in")


@router.post(
    "/auth/token", status_code=201, response_model=TokenCreated, responses=problems(401, 422, 429)
)
def create_token_with_password(
    body: SignIn, request: Request, uow: UowDep, settings: SettingsDep
) -> TokenCreated:
    """Exchange an e-mail and password for a new API token (rate-limited per account and address).

    The token is shown once; send it as `Authorization: Bearer <token>`.
    """
    address = request.client.host if request.client else "unknown"
    person = org.sign_in(uow, body.email, body.password, address)
    return created(uow, person, body.name, body.expires_in_days, settings)


@router.get("/me", response_model=PersonRead, responses=problems(401))
def me(person: CurrentPerson, uow: ReadUowDep) -> PersonRead:
    """The signed-in person, with their teams."""
    return PersonRead.of(org.get_person(uow, person.email))


@router.get("/me/tokens", response_model=Page[TokenRead], responses=problems(401, 422))
def my_tokens(
    person: CurrentPerson,
    uow: ReadUowDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[TokenRead]:
    """My API tokens, live and revoked (never their secrets), oldest first."""
    return page_of_all(
        org.list_tokens(uow, person),
        limit,
        cursor,
        lambda token: (token.id or 0,),
        (int,),
        TokenRead.of,
    )


@router.post(
    "/me/tokens", status_code=201, response_model=TokenCreated, responses=problems(401, 403, 422)
)
def create_my_token(
    body: TokenCreate, person: CurrentPerson, uow: UowDep, settings: SettingsDep
) -> TokenCreated:
    """Make a new API token for myself; it is shown once."""
    return created(uow, person, body.name, body.expires_in_days, settings)


def created(
    uow: UnitOfWork, person: Person, name: str, days: int | None, settings: Settings
) -> TokenCreated:
    secret, token = org.issue_token(
        uow,
        person,
        person.email,
        name,
        days=days or settings.token_days,
        longest=settings.token_days,
    )
    return TokenCreated(token=secret, name=token.name, expires_at=token.expires_at)


@router.delete(
    "/me/tokens/{token_id}",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404, 422),
)
def revoke_my_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)], person: CurrentPerson, uow: UowDep
) -> Response:
    """Revoke one of my API tokens; it stops working at once."""
    org.revoke_token(uow, person, token_id)
    return Response(status_code=204)
