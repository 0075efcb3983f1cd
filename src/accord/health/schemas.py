"""The edges of health checks: opening a round, answering it, and what may be read of it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from accord.health.domain import (
    MAX_COMMENT,
    SCALE,
    STATEMENTS,
    Statement,
    StatementResult,
)
from accord.health.service import RoundReport, RoundState
from accord.inputs import Input, Instant, Key, Moment, refuse, shown


def _score(value: object) -> object:
    """An answer is a whole number from 1 to 5, not a text or a number that only looks like one;
    told in the words the service uses."""
    if value is None or value == "":
        raise refuse("answer_missing", "needs an answer from 1 to 5")
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
        words = "must be a whole number from 1 to 5, not {given}"
        raise refuse("answer_out_of_range", words, given=shown(value))
    return value


Score = Annotated[int, Field(ge=1, le=5, strict=True), BeforeValidator(_score)]


class HealthCheckCreate(Input):
    closes_at: Moment = Field(description="When the round closes: at most 90 days ahead.")
    key: Key | None = Field(
        None, description="Made from the partnership's key and the date if omitted."
    )


class AnswerCreate(Input):
    """All six statements, each 1 to 5; an optional comment; the party, for a person in two."""

    purpose: Score = Field(description=STATEMENTS[Statement.PURPOSE])
    direction: Score = Field(description=STATEMENTS[Statement.DIRECTION])
    ability: Score = Field(description=STATEMENTS[Statement.ABILITY])
    integrity: Score = Field(description=STATEMENTS[Statement.INTEGRITY])
    value: Score = Field(description=STATEMENTS[Statement.VALUE])
    overall: Score = Field(description=STATEMENTS[Statement.OVERALL])
    comment: str = Field("", max_length=MAX_COMMENT)
    team: str | None = Field(None, description="The party answered for; needed only in two.")

    def scores(self) -> dict[str, object]:
        return self.model_dump(exclude={"comment", "team"})


class AnswerRead(BaseModel):
    """The answer was counted; it is never echoed."""

    health_check: str
    team: str


class PartyCountRead(BaseModel):
    team: str
    responses: int


class HealthCheckRead(BaseModel):
    key: str
    partnership: str
    status: str = Field(description="open until closes_at, then closed.")
    opened_at: Instant
    closes_at: Instant
    opened_by: str | None
    parties: list[PartyCountRead] = Field(description="Response counts may show while open.")
    answered: bool = Field(description="Whether the reader answered (never what).")

    @classmethod
    def of(cls, state: RoundState) -> HealthCheckRead:
        check = state.check
        return cls(
            key=check.key,
            partnership=check.partnership.key,
            status="open" if state.open else "closed",
            opened_at=check.opened_at,
            closes_at=check.closes_at,
            opened_by=check.opened_by.email if check.opened_by else None,
            parties=[
                PartyCountRead(team=t.team.slug, responses=t.responses) for t in check.tallies
            ],
            answered=state.answered,
        )


class StatementRead(BaseModel):
    mean: float
    distribution: list[int] = Field(description="How many answered 1, 2, 3, 4 and 5.")


class PerceivedRead(BaseModel):
    surveyed: float = Field(description="The mean answer mapped to [0, 1]: (x - 1) / 4.")
    earned: float | None = Field(
        description="The earned trust of the party's partners in its eyes at the close (mean); "
        "null unless the reader may see every pair."
    )
    gap: float | None = Field(description="surveyed - earned.")


class PartyResultRead(BaseModel):
    team: str
    responses: int
    shown: bool = Field(
        description="Closed, and at least min_responses of the party answered; else null results."
    )
    statements: dict[str, StatementRead] | None
    comments: list[str] = Field(description="Sorted by text, never in the order given.")
    perception: dict[str, PerceivedRead] | None


class ResultsRead(BaseModel):
    health_check: str
    partnership: str
    status: str
    opened_at: Instant
    closes_at: Instant
    published: bool = Field(description="Results are published only once the round has closed.")
    min_responses: int
    responses: int
    parties: list[PartyResultRead]
    combined: dict[str, StatementRead] | None = Field(
        description="Across the parties shown only; null while none is."
    )

    @classmethod
    def of(cls, report: RoundReport) -> ResultsRead:
        check = report.check
        return cls(
            health_check=check.key,
            partnership=check.partnership.key,
            status="closed" if report.published else "open",
            opened_at=check.opened_at,
            closes_at=check.closes_at,
            published=report.published,
            min_responses=report.min_responses,
            responses=report.responses,
            parties=[
                PartyResultRead(
                    team=party.team.slug,
                    responses=party.responses,
                    shown=party.shown,
                    statements=_statements(party.statements) if party.shown else None,
                    comments=list(party.comments),
                    perception=(
                        {
                            p.statement.value: PerceivedRead(
                                surveyed=p.surveyed, earned=p.earned, gap=p.gap
                            )
                            for p in report.perception[party.team.slug]
                        }
                        if party.team.slug in report.perception
                        else None
                    ),
                )
                for party in report.parties
            ],
            combined=_statements(report.combined) if report.combined else None,
        )


def _statements(found: tuple[StatementResult, ...]) -> dict[str, StatementRead]:
    return {
        r.statement.value: StatementRead(mean=r.mean, distribution=list(r.distribution))
        for r in found
    }
