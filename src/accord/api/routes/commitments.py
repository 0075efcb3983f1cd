"""Commitments: the request, every move after it, and their history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Header, Query, Response

from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode, page
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep, UowDep
from accord.commitments import service as commitments
from accord.commitments.domain import Commitment, Side, State
from accord.commitments.schemas import CommitmentCreate, CommitmentRead, MoveCreate
from accord.errors import Invalid
from accord.events.domain import iso, parse_instant
from accord.events.schemas import EventRead

router = make_router("commitments")


def _position(commitment: Commitment) -> list[object]:
    return [iso(commitment.due), commitment.id]


def _version(body: int | None, if_match: str | None) -> int:
    """The version a move is made against: in the body, or the If-Match header."""
    header = None
    if if_match is not None:
        text = if_match.strip().removeprefix("W/").strip('"')
        if not text.isdigit():
            raise Invalid(
                f"If-Match {if_match!r} is not a commitment version such as '\"3\"'",
                rule="commitment.version_invalid",
            )
        header = int(text)
    if body is not None and header is not None and body != header:
        raise Invalid(
            f"version {body} and If-Match {header} disagree", rule="commitment.version_invalid"
        )
    version = body if body is not None else header
    if version is None:
        raise Invalid(
            "a move needs the commitment's version, in the body or as If-Match",
            rule="commitment.version_required",
        )
    return version


@router.get("/commitments", response_model=Page[CommitmentRead], responses=problems(401, 404, 422))
def list_commitments(
    person: CurrentPerson,
    uow: ReadUowDep,
    team: Annotated[
        str | None, Query(description="Only those this team requested or performs.")
    ] = None,
    side: Annotated[
        Side | None, Query(description="With `team`: R (it requested) or P (it performs).")
    ] = None,
    state: Annotated[list[State] | None, Query(description="One or more states.")] = None,
    overdue: Annotated[bool, Query(description="Only promised ones past their due date.")] = False,
    due_before: Annotated[str | None, Query(description="ISO 8601 instant or date.")] = None,
    partnership: Annotated[str | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[CommitmentRead]:
    """Commitments by due date, filtered by team and side, state, overdue, due date, partnership."""
    after = decode(cursor, str, int)
    try:
        start = (datetime.fromisoformat(after[0]), int(after[1])) if after else None
    except ValueError:
        raise Invalid(
            "cursor is not one that this list gave out", rule="page.cursor_invalid"
        ) from None
    views = commitments.browse(
        uow,
        person,
        partnership=partnership,
        team=team,
        side=side,
        states=state,
        overdue=overdue,
        due_before=parse_instant(due_before, "due_before") if due_before else None,
        after=start,
        limit=limit + 1,
    )
    return page(views, limit, lambda v: _position(v.commitment), CommitmentRead.of)


@router.post(
    "/commitments",
    status_code=201,
    response_model=CommitmentRead,
    responses=problems(401, 403, 404, 409, 422),
)
def request(
    body: CommitmentCreate, person: CurrentPerson, uow: UowDep, response: Response
) -> CommitmentRead:
    """Request something of a partner team (the `request` move, by a member of the requester)."""
    view = commitments.request_viewed(uow, person, **body.model_dump())
    response.headers["Location"] = f"/api/v1/commitments/{view.commitment.key}"
    response.headers["ETag"] = f'"{view.commitment.version}"'
    return CommitmentRead.of(view)


@router.get("/commitments/{key}", response_model=CommitmentRead, responses=problems(401, 404))
def get_commitment(
    key: str, person: CurrentPerson, uow: ReadUowDep, response: Response
) -> CommitmentRead:
    """One commitment, with the moves I may make now; its ETag is its version."""
    view = commitments.get_commitment(uow, key, person)
    response.headers["ETag"] = f'"{view.commitment.version}"'
    return CommitmentRead.of(view)


@router.post(
    "/commitments/{key}/moves",
    response_model=CommitmentRead,
    responses=problems(401, 403, 404, 409, 422),
)
def make_move(
    key: str,
    body: MoveCreate,
    person: CurrentPerson,
    uow: UowDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> CommitmentRead:
    """Make a move (promise, counter, report_done, accept...); a stale version is 409."""
    view = commitments.move_viewed(
        uow, person, key, body.move, version=_version(body.version, if_match), **body.args()
    )
    response.headers["ETag"] = f'"{view.commitment.version}"'
    return CommitmentRead.of(view)


@router.get(
    "/commitments/{key}/history", response_model=list[EventRead], responses=problems(401, 404)
)
def history(key: str, person: CurrentPerson, uow: ReadUowDep) -> list[EventRead]:
    """Every move of a commitment, oldest first, as events."""
    return [EventRead.of(event) for event in commitments.history(uow, key, person)]
