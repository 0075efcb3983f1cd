"""Earned trust, forecasts and the backtest (DESIGN sections 2 and 6)."""

from __future__ import annotations

import functools
from dataclasses import asdict
from typing import Annotated

from fastapi import Query, Request, Response

from accord.api.answers import TRUST_VERSION
from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, decode, encode
from accord.api.routes import DocRoute, make_router
from accord.channel.deps import (
    ApiReaderDep,
    CurrentPerson,
    ExpensiveReadsDep,
    ReadUowDep,
    SettingsDep,
)
from accord.events.domain import parse_instant
from accord.trust import forecast as forecasts
from accord.trust import pairs
from accord.trust import service as trust
from accord.trust.model import DIMENSIONS
from accord.trust.schemas import (
    BacktestRead,
    CommitmentEvidenceRead,
    EvidenceRS,
    ForecastRowRead,
    PairEvidenceRead,
    PurposeForecastRead,
    ReliedOnRead,
    TrustRead,
)

router = make_router("trust")


@router.get(
    "/teams/{slug}/trust",
    response_model=TrustRead,
    response_model_exclude_unset=True,
    responses=problems(401, 403, 404, 422),
)
def team_trust(
    slug: str,
    reader: ApiReaderDep,
    uow: ReadUowDep,
    settings: SettingsDep,
    request: Request,
    of: Annotated[
        str | None, Query(description="A requester team: the pair's trust as it sees this team.")
    ] = None,
    as_of: Annotated[
        str | None, Query(description="ISO 8601 instant or date; default now.")
    ] = None,
) -> TrustRead:
    """A team's earned trust, or with `of` the pair's, as of an instant (section 6)."""
    report = reader.read(
        uow,
        # the present, for a token that may see it: without loading its owner
        lambda reads, now, token: (
            None if as_of else trust.present_trust(reads, settings, now, token, slug, of=of)
        ),
        lambda person: trust.trust_of(
            uow,
            settings,
            person,
            slug,
            of=of,
            as_of=parse_instant(as_of, "as_of") if as_of else None,
        ),
    )
    if as_of is None and report.version is not None:  # the present: its answer may be kept
        request.scope[TRUST_VERSION] = (report.version, report.as_of.timestamp())
    return TrustRead.model_validate(report.document())


def present_answer(report: trust.TrustReport) -> tuple[tuple[tuple[bytes, bytes], ...], bytes]:
    """The headers and body `team_trust` answers `report` (a present read) with, made by the
    route's own serialization (`DocRoute`, with FastAPI's fresh `Response`): the ASGI layer
    that answers such reads before FastAPI (`api.answers`) sends the route's very bytes."""
    response = Response()
    del response.headers["content-length"]
    response.status_code = None  # type: ignore[assignment]  # as FastAPI makes it for a route
    answer = _team_trust_route()._answer(TrustRead.model_validate(report.document()), response)
    return tuple(answer.raw_headers), bytes(answer.body)


@functools.cache
def _team_trust_route() -> DocRoute:
    path = router.prefix + "/teams/{slug}/trust"
    return next(r for r in router.routes if isinstance(r, DocRoute) and r.path == path)


@router.get(
    "/teams/{slug}/trust/evidence",
    response_model=PairEvidenceRead,
    responses=problems(401, 403, 404, 422),
)
def pair_evidence(
    slug: str,
    person: CurrentPerson,
    uow: ReadUowDep,
    settings: SettingsDep,
    of: Annotated[
        str, Query(max_length=100, description="The requester team: the pair as it sees this team.")
    ],
    as_of: Annotated[
        str | None, Query(description="ISO 8601 instant or date; default now.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PairEvidenceRead:
    """The commitments behind a pair's trust, newest first, with the weight each carries."""
    position = decode(cursor, str, str)
    record = pairs.pair_record(
        uow,
        settings,
        person,
        slug,
        of,
        as_of=parse_instant(as_of, "as_of") if as_of else None,
    )
    rows = record.rows
    if position is not None:
        rows = pairs.rows_after(rows, position[0], position[1])
    shown, more = rows[:limit], len(rows) > limit
    totals = record.sums()
    return PairEvidenceRead(
        team=record.report.team,
        of=of,
        as_of=record.as_of,
        half_life_days=record.half_life_days,
        trust=TrustRead.model_validate(record.report.document()),
        count=len(record.rows),
        sums={name: EvidenceRS(r=r, s=s) for name in DIMENSIONS for r, s in [totals.rs(name)]},
        relied_on=[ReliedOnRead.model_validate(asdict(row)) for row in record.relied_on],
        items=[CommitmentEvidenceRead.model_validate(pairs.row_document(row)) for row in shown],
        next=encode(pairs.row_position(shown[-1])) if more and shown else None,
    )


@router.get(
    "/teams/{slug}/partners",
    response_model=list[TrustRead],
    response_model_exclude_unset=True,
    responses=problems(401, 404),
)
def partner_trust(
    slug: str, person: CurrentPerson, uow: ReadUowDep, settings: SettingsDep
) -> list[TrustRead]:
    """The pair trust a team holds in each partner it may see, with given, gap and flags."""
    return [
        TrustRead.model_validate(r.document())
        for r in trust.partners_of(uow, settings, person, slug)
    ]


@router.get(
    "/purposes/{key}/forecast",
    response_model=PurposeForecastRead,
    responses=problems(401, 404, 422),
)
def purpose_forecast(
    key: str,
    person: CurrentPerson,
    uow: ReadUowDep,
    settings: SettingsDep,
    seed: Annotated[int, Query(ge=0, le=2**31 - 1, description="Seed of the simulation.")] = 0,
) -> PurposeForecastRead:
    """Whether a purpose's high-reliance commitments will all be on time: P(all), count, spread."""
    forecast = forecasts.purpose_forecast(uow, settings, person, key, seed=seed)
    return PurposeForecastRead.model_validate(forecast.document())


@router.get(
    "/commitments/{key}/forecast",
    response_model=ForecastRowRead,
    responses=problems(401, 403, 404),
)
def commitment_forecast(
    key: str, person: CurrentPerson, uow: ReadUowDep, settings: SettingsDep
) -> ForecastRowRead:
    """P(an open commitment is delivered and accepted by its due date)."""
    row = forecasts.commitment_forecast(uow, settings, person, key)
    return ForecastRowRead.model_validate(row.document())


@router.get("/trust/backtest", response_model=BacktestRead, responses=problems(401, 429, 503))
def backtest(
    person: CurrentPerson, uow: ReadUowDep, settings: SettingsDep, reads: ExpensiveReadsDep
) -> BacktestRead:
    """How well forecasts predicted every finished commitment: Brier, skill, reliability bins."""
    return BacktestRead.model_validate(reads.backtest(uow, settings, person))
