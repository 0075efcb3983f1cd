"""Trust in words (DESIGN §2 "Trust in words"): what a figure rests on, for people.

Pure helpers, no framework: the 80% credible interval of an opinion's Beta, whether there is
enough evidence to judge, the evidence as counts ("on time in 7 of 9 commitments, recent ones
weighing most"), and the causes of a pair's flags. Pages, the CLI and the JSON all say it so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np

from accord.trust.model import Opinion, Trust

# r + s below this is too little evidence to judge: no figure, only its interval.
ENOUGH_EVIDENCE = 3.0
# The credible interval holds 80% of the Beta: from its 10th to its 90th percentile.
LOWER_QUANTILE, UPPER_QUANTILE = 0.1, 0.9
QUANTILES = np.array([LOWER_QUANTILE, UPPER_QUANTILE])
# Decayed counts this far from what full weights would give read "recent ones weighing most".
VISIBLE_DECAY = 0.05
THIN = "too little evidence to judge"
# The thresholds of model.pair_flags (DESIGN §1), named so that the causes read the same rule.
RELIED_ON = 0.75
POOR_ABILITY = 0.6
LITTLE_EVIDENCE = 0.5
PROVEN_ABILITY = 0.8
PROVEN_UNCERTAINTY = 0.3
DIMENSION_NAMES = ("ability", "integrity", "value")


def credible_interval(opinion: Opinion) -> tuple[float, float]:
    """The 80% credible interval of Beta(alpha, beta): its 10th and 90th percentiles."""
    alpha, beta = max(opinion.alpha, 1e-12), max(opinion.beta, 1e-12)
    low, high = _quantiles()(alpha, beta, QUANTILES).tolist()
    return low, high


@functools.cache
def _quantiles() -> Callable[..., Any]:
    """scipy's inverse of the regularized incomplete beta function, imported when first needed
    (as in `model`), once."""
    from scipy.special import betaincinv

    return cast(Callable[..., Any], betaincinv)


def enough_evidence(opinion: Opinion) -> bool:
    """Whether the evidence (r + s, decayed) is enough to judge by: at least 3."""
    return opinion.r + opinion.s >= ENOUGH_EVIDENCE


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def between(interval: tuple[float, float]) -> str:
    """'between 62% and 81%'."""
    return f"between {percent(interval[0])} and {percent(interval[1])}"


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 commitment', '9 commitments'."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def decay_shows(total: float, count: int | None = None) -> bool:
    """Whether decay visibly shaped a decayed count: `total` (r + s) against the `count` of
    commitments behind it when known, else against the whole number full weights would give
    (binary evidence at full weight sums to a whole number)."""
    if total <= 0:
        return False
    if count is not None:
        return round(total) != count
    return abs(total - round(total)) > VISIBLE_DECAY


def counts(
    dimension: str, opinion: Opinion, count: int | None = None, positive: int | None = None
) -> str:
    """The evidence of one dimension as counts: 'on time in 7 of 9 commitments, recent ones
    weighing most', 'kept its word in 5 of 6 commitments', 'rated 4.2 of 5 on average across
    4 ratings', or 'no finished commitment yet'.

    r and s are decayed counts: without `count` (the commitments behind them) they are rounded;
    with it, and `positive` (those on time, or that kept their word), those are told instead.
    Either way "recent ones weighing most" says when decay makes a visible difference."""
    r, s = opinion.r, opinion.s
    total = r + s
    if count == 0 or (count is None and total < VISIBLE_DECAY / 2):
        return "no rating yet" if dimension == "value" else "no finished commitment yet"
    recent = ", recent ones weighing most" if decay_shows(total, count) else ""
    n = count if count is not None else max(1, round(total))
    if dimension == "value":
        mean = 1.0 + 4.0 * r / total if total > 0 else 1.0
        rating = f"{mean:.1f}".removesuffix(".0")
        spread = "in 1 rating" if n == 1 else f"on average across {n} ratings"
        return f"rated {rating} of 5 {spread}{recent}"
    if count is not None and positive is not None:
        k = positive
    else:
        # r and s rounded each on its own, so that neither kind of outcome vanishes into the
        # other's rounding; at least one commitment's worth when there is any evidence
        k, m = round(r), round(s)
        if k + m == 0:
            k, m = (1, 0) if r >= s else (0, 1)
        n = k + m if count is None else n
        k = min(k, n)
    what = "on time" if dimension == "ability" else "kept its word"
    return f"{what} in {k} of {plural(n, 'commitment')}{recent}"


@dataclass(frozen=True)
class Figure:
    """One trust figure for people: E, its 80% interval, whether to judge by it, its words."""

    expected: float
    interval: tuple[float, float]
    enough_evidence: bool
    counts: str

    @property
    def headline(self) -> str:
        """'78%, likely between 62% and 81%', or while thin 'too little evidence to judge
        (between 20% and 85%)': never a bare percentage on thin evidence."""
        if not self.enough_evidence:
            return f"{THIN} ({between(self.interval)})"
        return f"{percent(self.expected)}, likely {between(self.interval)}"

    @property
    def words(self) -> str:
        """The headline and the counts it rests on, in one sentence."""
        return f"{self.headline}: {self.counts}"


def describe(
    dimension: str, opinion: Opinion, count: int | None = None, positive: int | None = None
) -> Figure:
    """A dimension's figure in words (`count` and `positive` as `counts` takes them)."""
    return Figure(
        opinion.expected,
        credible_interval(opinion),
        enough_evidence(opinion),
        counts(dimension, opinion, count, positive),
    )


def overall_interval(
    trust: Trust, weights: Sequence[float], intervals: Sequence[tuple[float, float]] | None = None
) -> tuple[float, float]:
    """The weighted mean of the dimensions' interval bounds (`intervals`, when already known, in
    the order of DIMENSION_NAMES): the interval of overall trust as if the three rose and fell
    together, which they mostly do (the same commitments make them), so it is never narrower
    than the truth."""
    if intervals is None:
        intervals = [credible_interval(trust.dimension(name)) for name in DIMENSION_NAMES]
    low = sum(w * lo for w, (lo, _) in zip(weights, intervals, strict=True))
    high = sum(w * hi for w, (_, hi) in zip(weights, intervals, strict=True))
    return low, high


def overall_counts(ability: Opinion, count: int | None = None) -> str:
    """What overall trust rests on: the finished commitments ability counts (`count` of them
    when known), 'from 9 finished commitments, recent ones weighing most'."""
    total = ability.r + ability.s
    if count == 0 or (count is None and total < VISIBLE_DECAY / 2):
        return "no finished commitment yet"
    recent = ", recent ones weighing most" if decay_shows(total, count) else ""
    n = count if count is not None else max(1, round(total))
    return f"from {plural(n, 'finished commitment')}{recent}"


def describe_overall(
    trust: Trust,
    weights: Sequence[float],
    count: int | None = None,
    intervals: Sequence[tuple[float, float]] | None = None,
) -> Figure:
    """Overall trust in words: judged once ability (one piece of evidence a finished
    commitment) is, and resting on the finished commitments ability counts. `intervals`: the
    dimensions' own, when already known (`overall_interval`)."""
    return Figure(
        trust.overall_expected,
        overall_interval(trust, weights, intervals),
        enough_evidence(trust.ability),
        overall_counts(trust.ability, count),
    )


@dataclass(frozen=True)
class FlagCause:
    """Why a pair carries a flag: `over_reliant` for `little_evidence` or `poor_record` (both
    may hold: one cause each), `under_used` for `proven_unused`; with the words that say it."""

    flag: str
    cause: str
    words: str

    def document(self) -> dict[str, Any]:
        return asdict(self)


def _relied(given: float) -> str:
    return "relied on critically" if given >= 1.0 else "relied on heavily"


def flag_causes(given: float, ability: Opinion) -> list[FlagCause]:
    """The causes of model.pair_flags(given, ability), each in words."""
    causes: list[FlagCause] = []
    if given >= RELIED_ON:
        thin = ability.uncertainty > LITTLE_EVIDENCE
        if ability.expected < POOR_ABILITY:
            likely = f"likely {between(credible_interval(ability))} on time"
            if ability.r + ability.s < VISIBLE_DECAY / 2:
                words = f"{_relied(given)}, with nothing yet to show it delivers ({likely})"
            elif thin or not enough_evidence(ability):
                words = f"{_relied(given)}, but its record so far is poor ({likely})"
            else:
                poor = f"ability {percent(ability.expected)}"
                words = f"{_relied(given)}, but its record is poor ({poor})"
            causes.append(FlagCause("over_reliant", "poor_record", words))
        if thin:
            causes.append(
                FlagCause(
                    "over_reliant",
                    "little_evidence",
                    f"{_relied(given)}, but its record is thin "
                    f"(uncertainty {percent(ability.uncertainty)})",
                )
            )
        if causes:
            return causes
    if (
        ability.expected >= PROVEN_ABILITY
        and ability.uncertainty <= PROVEN_UNCERTAINTY
        and given == 0
    ):
        causes.append(
            FlagCause(
                "under_used",
                "proven_unused",
                f"a proven partner (ability {percent(ability.expected)}, uncertainty "
                f"{percent(ability.uncertainty)}) that nothing open relies on",
            )
        )
    return causes


def flag_words(causes: Sequence[FlagCause]) -> dict[str, str]:
    """Each flag with all its causes in one sentence: {'over_reliant': 'relied on … ; …'}."""
    joined: dict[str, list[str]] = {}
    for cause in causes:
        joined.setdefault(cause.flag, []).append(cause.words)
    return {flag: "; ".join(parts) for flag, parts in joined.items()}


METHOD_WORDS = {
    "model": "fitted on this organization's history",
    "pair_ability": "from the pair's record: too little history to fit a model",
}


def method_words(method: str | None) -> str:
    """How a commitment's forecast was made, in words (DESIGN §2 Forecast)."""
    return METHOD_WORDS.get(method or "pair_ability", str(method))
