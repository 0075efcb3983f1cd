"""Trust documents (DESIGN section 6) as JSON: full floats, as programs read them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from accord.inputs import Instant

Interval = Annotated[
    list[float],
    Field(
        min_length=2,
        max_length=2,
        description="The 80% credible interval [lo, hi] of the figure: its 10th and 90th "
        "percentiles.",
    ),
]
EnoughEvidence = Annotated[
    bool, Field(description="r + s >= 3: below it, pages say 'too little evidence to judge'.")
]
Words = Annotated[
    str,
    Field(
        description="The figure for people: the percentage with its interval (only the "
        "interval while the evidence is thin) and the evidence it rests on, as counts."
    ),
]


class OpinionRead(BaseModel):
    expected: float
    belief: float
    disbelief: float
    uncertainty: float
    r: float = Field(description="Decayed positive evidence.")
    s: float = Field(description="Decayed negative evidence.")
    interval: Interval
    enough_evidence: EnoughEvidence
    words: Words


class OverallRead(BaseModel):
    expected: float
    uncertainty: float
    interval: Interval = Field(
        description="The weighted mean of the dimensions' 80% intervals (as if they rose and "
        "fell together)."
    )
    enough_evidence: bool = Field(description="Whether ability's evidence is enough (r + s >= 3).")
    words: Words


class FlagCauseRead(BaseModel):
    flag: Literal["over_reliant", "under_used"]
    cause: Literal["little_evidence", "poor_record", "proven_unused"] = Field(
        description="over_reliant: little_evidence (ability uncertainty > 0.5) and/or "
        "poor_record (ability expected < 0.6), one entry each; under_used: proven_unused."
    )
    words: str = Field(description="The cause in words.")


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
    flag_causes: list[FlagCauseRead] | None = Field(
        None, description="Why each flag holds, in words (pair only; beside `flags`)."
    )


class EvidenceRS(BaseModel):
    r: float
    s: float


class CommitmentEvidenceRead(BaseModel):
    """One commitment behind a pair's trust, and the weight it carries at `as_of`."""

    key: str
    title: str
    state: str
    outcome: Literal["on_time", "late", "revoked", "missed", "overdue"]
    at: Instant = Field(
        description="The evidence time: the final move (accepted, revoked), or the due date "
        "(missed, overdue)."
    )
    due: Instant = Field(description="The due date in force at the end.")
    delivered_at: Instant | None
    notice: bool = Field(description="The performer warned before the due date in force.")
    rating: int | None = Field(description="The 1-5 value of an accepted one.")
    age_days: float
    weight: float = Field(description="0.5 ** (age_days / half-life).")
    ability: EvidenceRS = Field(description="Weighted ability evidence.")
    integrity: EvidenceRS = Field(description="Weighted integrity evidence.")
    value: EvidenceRS | None = Field(description="Weighted value evidence (accepted only).")


class ReliedOnRead(BaseModel):
    """An open commitment of the pair and the reliance it gives while open."""

    key: str
    title: str
    state: str
    due: Instant
    reliance: str
    given: float
    overdue: bool


class PairEvidenceRead(BaseModel):
    """A pair's trust (the team as `of` sees it) and the commitments behind it, newest first."""

    team: str
    of: str
    as_of: Instant
    half_life_days: float
    trust: TrustRead
    count: int = Field(description="How many commitments are evidence, on every page.")
    sums: dict[str, EvidenceRS] = Field(
        description="The weighted evidence of all of them per dimension: the pair's r and s."
    )
    relied_on: list[ReliedOnRead] = Field(
        description="The pair's open commitments, by reliance: what makes trust given."
    )
    items: list[CommitmentEvidenceRead]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class BinRead(BaseModel):
    lo: float
    hi: float
    n: int
    mean_forecast: float | None
    observed: float | None


class ScoresRead(BaseModel):
    """How one forecast did on the finished commitments."""

    n: int
    brier: float | None = Field(description="Mean squared error of the forecasts.")
    log_loss: float | None
    ece: float | None = Field(description="Expected calibration error (10 equal bins).")
    skill: float | None = Field(description="1 - Brier / Brier of the base-rate forecast.")
    bins: list[BinRead]


class LeadBucketRead(BaseModel):
    bucket: str
    lo_days: float
    hi_days: float | None
    n: int
    observed: float | None = Field(description="Share on time.")
    forecast: ScoresRead
    pair_ability: ScoresRead
    running_rate: ScoresRead


class PurposeBacktestRead(BaseModel):
    n: int
    brier: float | None
    brier_base: float | None
    skill: float | None


class ComparisonsRead(BaseModel):
    pair_ability: ScoresRead = Field(description="The pair's ability E as the forecast.")
    running_rate: ScoresRead = Field(description="The performer's plain on-time rate so far.")
    base_rate: ScoresRead = Field(description="The organization's plain on-time rate so far.")


class BacktestRead(BaseModel):
    """DESIGN §2 Calibration: each finished commitment forecast as of its promise."""

    n: int
    brier: float | None
    brier_base: float | None
    skill: float | None
    ece: float | None
    log_loss: float | None
    bins: list[BinRead]
    verdict: str = Field(description="The calibration in plain words.")
    refits: int = Field(description="How many times the model was refitted on a rolling origin.")
    model_share: float = Field(description="Share of the forecasts that a fitted model made.")
    comparisons: ComparisonsRead
    by_lead_time: list[LeadBucketRead]
    purpose: PurposeBacktestRead | None = Field(
        description="Each purpose's P(all open high/critical on time) at each month's start."
    )
    computed_at: Instant | None = Field(
        None, description="When it was computed: at the newest fit, or now when none is stored."
    )
    model_version: int | None = Field(
        None, description="The fitted model stored with this backtest, if any."
    )


class ForecastRowRead(BaseModel):
    key: str
    requester: str
    performer: str
    reliance: str
    due: Instant
    overdue: bool
    probability: float | None = Field(
        description="P(delivered and accepted by the due date in force); null once finished, "
        "or for a reader who may not see the pair."
    )
    method: str | None = Field(
        None, description="`model` (the fitted forecast) or `pair_ability` (too little history)."
    )
    model_version: int | None = Field(None, description="Version of the fitted model used.")
    p: float | None = Field(None, description="The same as `probability` (DESIGN section 6).")
    reasons: list[str] = Field(default_factory=list, description="The main reasons, in words.")


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
