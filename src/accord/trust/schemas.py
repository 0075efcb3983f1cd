"""Trust documents (DESIGN section 6) as JSON: full floats, as programs read them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from accord.interchange.schemas import Instant


class OpinionRead(BaseModel):
    expected: float
    belief: float
    disbelief: float
    uncertainty: float
    r: float = Field(description="Decayed positive evidence.")
    s: float = Field(description="Decayed negative evidence.")


class OverallRead(BaseModel):
    expected: float
    uncertainty: float


class TrustRead(BaseModel):
    """A team's earned trust; with `of`, the pair's as `of` sees it, with given, gap and flags."""

    team: str
    of: str | None
    as_of: Instant
    ability: OpinionRead
    integrity: OpinionRead
    value: OpinionRead
    overall: OverallRead
    network: float = Field(description="EigenTrust reputation; the values of all teams sum to N.")
    given: float | None = Field(None, description="Reliance weight (pair only).")
    gap: float | None = Field(None, description="given - ability expected (pair only).")
    flags: list[str] | None = Field(None, description="over_reliant, under_used (pair only).")


class BinRead(BaseModel):
    lo: float
    hi: float
    n: int
    mean_forecast: float | None
    observed: float | None


class BacktestRead(BaseModel):
    n: int
    brier: float | None
    brier_base: float | None
    skill: float | None
    bins: list[BinRead]


class ForecastRowRead(BaseModel):
    key: str
    requester: str
    performer: str
    reliance: str
    due: Instant
    overdue: bool
    probability: float | None


class PurposeForecastRead(BaseModel):
    purpose: str
    as_of: Instant
    complete: bool = Field(
        description="False when the reader may not see the trust of every pair: the totals "
        "are then null, so that they give no hidden pair away."
    )
    probability_all: float | None = Field(description="P(every commitment counted is on time).")
    expected_count: float | None
    distribution: list[float] | None = Field(description="P(exactly k on time), k = 0..n.")
    draws: int
    seed: int
    commitments: list[ForecastRowRead]
