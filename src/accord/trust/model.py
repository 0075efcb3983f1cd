"""The trust model of DESIGN §2 as pure math: decay, opinions, the three levels, EigenTrust,
forecasts and calibration. No database, no framework; every figure the product shows comes
from these functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np

DIMENSIONS = ("ability", "integrity", "value")
# Stored sums are rebased before a weight 2 ** x passes 2 ** MAX_EXPONENT (floats end near
# 2 ** 1024).
MAX_EXPONENT = 500.0
LIMIT_EXPONENT = 1000.0  # 2 ** 1024 is past the largest float
SECONDS_PER_DAY = 86_400.0


def decay_weight(age_days: float, half_life_days: float) -> float:
    """The weight of evidence `age_days` old: 0.5 ** (Δ / H)."""
    return float(0.5 ** (age_days / half_life_days))


def days_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds() / SECONDS_PER_DAY


def scaled_weight(at: datetime, reference: datetime, half_life_days: float) -> float:
    """2 ** ((at - reference) / H): evidence stored relative to a fixed reference time.

    Decay is exponential, so a sum of these, times `scale_to(T)`, is the decayed sum at T
    however long ago it was stored.
    """
    return _power(days_between(reference, at) / half_life_days)


def scale_to(moment: datetime, reference: datetime, half_life_days: float) -> float:
    """The factor 2 ** (-(T - reference) / H) that turns stored sums into decayed ones at T."""
    return _power(-days_between(reference, moment) / half_life_days)


def _power(exponent: float) -> float:
    """2 ** exponent, held within floats: a date centuries from the reference (with a short
    half-life, decades) weighs as much as the largest number there is, rather than raising."""
    return float(2.0 ** min(max(exponent, -LIMIT_EXPONENT), LIMIT_EXPONENT))


@dataclass(frozen=True)
class Evidence:
    """Positive and negative evidence (r, s) per dimension, already decayed."""

    ability_r: float = 0.0
    ability_s: float = 0.0
    integrity_r: float = 0.0
    integrity_s: float = 0.0
    value_r: float = 0.0
    value_s: float = 0.0

    def rs(self, dimension: str) -> tuple[float, float]:
        return getattr(self, f"{dimension}_r"), getattr(self, f"{dimension}_s")

    def __add__(self, other: Evidence) -> Evidence:
        return Evidence(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def __sub__(self, other: Evidence) -> Evidence:
        """What remains when `other`, a part of this evidence, is taken out (never below 0)."""
        return Evidence(
            *(max(a - b, 0.0) for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True))
        )

    def scaled(self, factor: float) -> Evidence:
        return Evidence(*(v * factor for v in self.as_tuple()))

    def as_tuple(self) -> tuple[float, float, float, float, float, float]:
        return (
            self.ability_r,
            self.ability_s,
            self.integrity_r,
            self.integrity_s,
            self.value_r,
            self.value_s,
        )


@dataclass(frozen=True)
class Opinion:
    """A subjective-logic opinion from evidence r, s with prior weight W and base rate a."""

    r: float
    s: float
    prior_weight: float
    base_rate: float

    @property
    def belief(self) -> float:
        return self.r / (self.r + self.s + self.prior_weight)

    @property
    def disbelief(self) -> float:
        return self.s / (self.r + self.s + self.prior_weight)

    @property
    def uncertainty(self) -> float:
        return self.prior_weight / (self.r + self.s + self.prior_weight)

    @property
    def expected(self) -> float:
        """E = b + a·u = (r + W·a) / (r + s + W)."""
        return (self.r + self.prior_weight * self.base_rate) / (self.r + self.s + self.prior_weight)

    @property
    def alpha(self) -> float:
        """The Beta distribution this opinion stands for: Beta(r + W·a, s + W·(1 - a))."""
        return self.r + self.prior_weight * self.base_rate

    @property
    def beta(self) -> float:
        return self.s + self.prior_weight * (1.0 - self.base_rate)


def organization_rate(r: float, s: float) -> float:
    """a_org = (R + 1) / (R + S + 2): the whole organization's record, Laplace-smoothed."""
    return (r + 1.0) / (r + s + 2.0)


@dataclass(frozen=True)
class Weights:
    """How the three dimensions make overall trust (normalized to sum to 1)."""

    ability: float = 0.4
    integrity: float = 0.3
    value: float = 0.3

    def normalized(self) -> tuple[float, float, float]:
        total = self.ability + self.integrity + self.value
        if total <= 0:
            raise ValueError("the overall-trust weights must not all be zero")
        return self.ability / total, self.integrity / total, self.value / total


@dataclass(frozen=True)
class Trust:
    """Opinions on the three dimensions and their weighted overall."""

    ability: Opinion
    integrity: Opinion
    value: Opinion
    overall_expected: float
    overall_uncertainty: float

    def dimension(self, name: str) -> Opinion:
        opinion: Opinion = getattr(self, name)
        return opinion


def combine(opinions: Mapping[str, Opinion], weights: Weights) -> Trust:
    wa, wi, wv = weights.normalized()
    ability, integrity, value = (opinions[d] for d in DIMENSIONS)
    return Trust(
        ability=ability,
        integrity=integrity,
        value=value,
        overall_expected=wa * ability.expected + wi * integrity.expected + wv * value.expected,
        overall_uncertainty=wa * ability.uncertainty
        + wi * integrity.uncertainty
        + wv * value.uncertainty,
    )


def overall_span(trust: Trust, weights: Weights) -> tuple[float, float]:
    """Where overall trust may lie once its uncertainty resolves: from the weighted belief alone
    (all of the uncertainty turning to disbelief) to belief plus uncertainty (all of it to
    belief)."""
    low = sum(
        w * trust.dimension(d).belief for w, d in zip(weights.normalized(), DIMENSIONS, strict=True)
    )
    return low, low + trust.overall_uncertainty


def team_trust(team: Evidence, org: Evidence, prior_weight: float, weights: Weights) -> Trust:
    """P as seen by everyone: all of P's evidence, base rate the organization's rate."""
    opinions = {}
    for dimension in DIMENSIONS:
        r, s = team.rs(dimension)
        opinions[dimension] = Opinion(r, s, prior_weight, organization_rate(*org.rs(dimension)))
    return combine(opinions, weights)


def pair_trust(
    pair: Evidence,
    team: Evidence,
    org: Evidence,
    weights: Weights,
    *,
    team_prior_weight: float,
    pair_prior_weight: float,
) -> Trust:
    """P as seen by R: the pair's evidence, its base rate on each dimension P's team trust
    computed from P's evidence without the pair's own commitments (DESIGN §2), so that the
    pair's record does not count twice. `team` is all of P's evidence, the pair's included."""
    others = team_trust(team - pair, org, team_prior_weight, weights)
    opinions = {}
    for dimension in DIMENSIONS:
        r, s = pair.rs(dimension)
        opinions[dimension] = Opinion(r, s, pair_prior_weight, others.dimension(dimension).expected)
    return combine(opinions, weights)


def trust_gap(given: float, ability: Opinion) -> float:
    """Trust given minus earned ability."""
    return given - ability.expected


def pair_flags(given: float, ability: Opinion) -> list[str]:
    """`over_reliant`: a critical bet on an unproven or unreliable partner; `under_used`:
    a proven partner nobody relies on."""
    if given >= 0.75 and (ability.expected < 0.6 or ability.uncertainty > 0.5):
        return ["over_reliant"]
    if ability.expected >= 0.8 and ability.uncertainty <= 0.3 and given == 0:
        return ["under_used"]
    return []


def eigentrust(
    size: int,
    rows: Sequence[int] | np.ndarray,
    cols: Sequence[int] | np.ndarray,
    local: Sequence[float] | np.ndarray,
    *,
    alpha: float = 0.15,
    tolerance: float = 1e-10,
    max_iterations: int = 10_000,
) -> np.ndarray:
    """Network reputation N·t (1.0 = average) from local trust values l_ij (i trusts j).

    Negative values are clipped to 0; a row with no positive trust uses the uniform p;
    t = (1 - alpha)·Cᵀt + alpha·p is iterated from p until the L1 change is below `tolerance`.
    """
    if size == 0:
        return np.zeros(0)
    # scipy is imported here, not with the module: a command that never computes the network
    # (an import, a token, a backup) starts a third of a second sooner without it
    from scipy import sparse

    values = np.maximum(np.asarray(local, dtype=float), 0.0)
    matrix = sparse.csr_matrix(
        (values, (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
        shape=(size, size),
    )
    matrix.eliminate_zeros()
    row_sums = np.asarray(matrix.sum(axis=1)).ravel()
    dangling = row_sums <= 0.0
    # divide each value by its row's sum (not by a reciprocal, which tiny sums overflow)
    row_of = np.repeat(np.arange(size), np.diff(matrix.indptr))
    normalized = sparse.csr_matrix(
        (matrix.data / row_sums[row_of], matrix.indices, matrix.indptr), shape=(size, size)
    )
    transposed = normalized.T.tocsr()
    p = np.full(size, 1.0 / size)
    t = p.copy()
    for _ in range(max_iterations):
        following = (1.0 - alpha) * (transposed @ t + t[dangling].sum() * p) + alpha * p
        change = float(np.abs(following - t).sum())
        t = following
        if change < tolerance:
            break
    return np.asarray(size * t)


def beta_all_success(alpha: float, beta: float, k: int) -> float:
    """E[p^k] for p ~ Beta(alpha, beta): all k commitments sharing one success rate land."""
    probability = 1.0
    for i in range(k):
        probability *= (alpha + i) / (alpha + beta + i)
    return probability


@dataclass(frozen=True)
class PairGroup:
    """The open commitments a purpose relies on from one (requester, performer) pair."""

    alpha: float
    beta: float
    count: int

    @property
    def expected(self) -> float:
        return self.alpha / (self.alpha + self.beta)


def shared_rate(probabilities: list[float], strength: float) -> PairGroup:
    """The commitments of one pair share one unknown rate (DESIGN §2): a Beta with the mean of
    their forecasts and the pair's evidence plus its prior weight as its strength. With the
    pair's ability as the forecast this is exactly Beta(r + W·a, s + W·(1 - a)), and P(all) is
    never below the product of the forecasts."""
    mean = sum(probabilities) / len(probabilities)
    return PairGroup(mean * strength, (1.0 - mean) * strength, len(probabilities))


@dataclass(frozen=True)
class Outlook:
    """A purpose's forecast: P(all on time), the expected count, and its distribution."""

    probability_all: float
    expected_count: float
    distribution: list[float]
    draws: int
    seed: int


def outlook(groups: Sequence[PairGroup], *, draws: int = 20_000, seed: int = 0) -> Outlook:
    """Exact P(all on time) (pairs independent, commitments of a pair not), the expected
    count, and the count's distribution by two-stage Monte Carlo (p per pair, then each
    commitment)."""
    total = sum(g.count for g in groups)
    probability = 1.0
    for group in groups:
        probability *= beta_all_success(group.alpha, group.beta, group.count)
    expected = sum(group.count * group.expected for group in groups)
    rng = np.random.default_rng(seed)
    counts = np.zeros(draws, dtype=np.int64)
    for group in groups:
        p = rng.beta(group.alpha, group.beta, size=draws)
        counts += rng.binomial(group.count, p)
    distribution = np.bincount(counts, minlength=total + 1) / draws
    return Outlook(probability, expected, [float(x) for x in distribution], draws, seed)


@dataclass(frozen=True)
class Bin:
    lo: float
    hi: float
    n: int
    mean_forecast: float | None
    observed: float | None


@dataclass(frozen=True)
class Calibration:
    """Brier scores of the forecast and of the base rate, the skill, a reliability diagram."""

    n: int
    brier: float | None
    brier_base: float | None
    skill: float | None
    bins: list[Bin]

    def document(self) -> dict[str, Any]:
        """The backtest document of DESIGN §6, full floats."""
        return {
            "n": self.n,
            "brier": self.brier,
            "brier_base": self.brier_base,
            "skill": self.skill,
            "bins": [asdict(b) for b in self.bins],
        }


def calibration(
    forecasts: Sequence[float], base: Sequence[float], outcomes: Sequence[int], bins: int = 10
) -> Calibration:
    """Score forecasts against outcomes (1 = on time); 10 equal bins of the forecast."""
    n = len(outcomes)
    totals = [[0, 0.0, 0] for _ in range(bins)]
    for forecast, outcome in zip(forecasts, outcomes, strict=True):
        index = min(int(forecast * bins), bins - 1)
        totals[index][0] += 1
        totals[index][1] += forecast
        totals[index][2] += outcome
    diagram = [
        Bin(
            lo=i / bins,
            hi=(i + 1) / bins,
            n=int(count),
            mean_forecast=float(total) / count if count else None,
            observed=float(hits) / count if count else None,
        )
        for i, (count, total, hits) in enumerate(totals)
    ]
    if n == 0:
        return Calibration(0, None, None, None, diagram)
    brier = sum((f - o) ** 2 for f, o in zip(forecasts, outcomes, strict=True)) / n
    brier_base = sum((b - o) ** 2 for b, o in zip(base, outcomes, strict=True)) / n
    skill = 1.0 - brier / brier_base if brier_base > 0 else None
    return Calibration(n, brier, brier_base, skill, diagram)
