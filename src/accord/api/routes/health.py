"""Health checks: rounds, anonymous answers, and the results the anonymity rule allows."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode, page
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep, SettingsDep, UowDep
from accord.health import service as health
from accord.health.schemas import (
    AnswerCreate,
    AnswerRead,
    HealthCheckCreate,
    HealthCheckRead,
    ResultsRead,
)

router = make_router("health checks")


@router.post(
    "/partnerships/{key}/health-checks",
    status_code=201,
    response_model=HealthCheckRead,
    responses=problems(401, 403, 404, 409, 422),
)
def open_round(
    key: str, body: HealthCheckCreate, person: CurrentPerson, uow: UowDep, settings: SettingsDep
) -> HealthCheckRead:
    """Open a round of the health check, closing at a date (a lead of a party)."""
    check = health.open_round(uow, settings, person, key, body.closes_at, key=body.key)
    return HealthCheckRead.of(health.get_round(uow, person, check.key))


@router.get(
    "/partnerships/{key}/health-checks",
    response_model=list[ResultsRead],
    responses=problems(401, 403, 404),
)
def partnership_rounds(
    key: str, person: CurrentPerson, uow: ReadUowDep, settings: SettingsDep
) -> list[ResultsRead]:
    """Every round of a partnership with its results, oldest first: the trend."""
    return [ResultsRead.of(r) for r in health.rounds_of(uow, settings, person, key)]


@router.get("/health-checks", response_model=Page[ResultsRead], responses=problems(401, 422))
def latest_rounds(
    person: CurrentPerson,
    uow: ReadUowDep,
    settings: SettingsDep,
    published: Annotated[
        bool, Query(description="The latest round that has closed, whose results show.")
    ] = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ResultsRead]:
    """The latest round of each partnership the reader may see (admins: organization-wide),
    by partnership."""
    # each partnership has one latest round: its key alone says where a page ends
    after = decode(cursor, str, str)
    rounds = health.latest_rounds(
        uow,
        settings,
        person,
        published=published,
        after=after[0] if after else None,
        limit=limit + 1,
    )
    return page(
        [ResultsRead.of(r) for r in rounds],
        limit,
        lambda read: [read.partnership, read.health_check],
        lambda read: read,
    )


@router.get("/health-checks/{key}", response_model=HealthCheckRead, responses=problems(401, 404))
def get_round(key: str, person: CurrentPerson, uow: ReadUowDep) -> HealthCheckRead:
    """A round: open or closed, its closing date, response counts, whether I answered."""
    return HealthCheckRead.of(health.get_round(uow, person, key))


@router.post(
    "/health-checks/{key}/answers",
    status_code=201,
    response_model=AnswerRead,
    responses=problems(401, 403, 404, 409, 422),
)
def answer(key: str, body: AnswerCreate, person: CurrentPerson, uow: UowDep) -> AnswerRead:
    """Answer a round once (a member of a party); the answer is counted, never echoed."""
    team = health.answer(uow, person, key, body.scores(), body.comment, body.team)
    return AnswerRead(health_check=key, team=team.slug)


@router.get(
    "/health-checks/{key}/results",
    response_model=ResultsRead,
    responses=problems(401, 403, 404),
)
def results(key: str, person: CurrentPerson, uow: ReadUowDep, settings: SettingsDep) -> ResultsRead:
    """Per party and combined, once closed and only for parties with enough answers."""
    return ResultsRead.of(health.round_results(uow, settings, person, key))
