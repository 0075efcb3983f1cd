"""The backtest of DESIGN §2 Calibration: every finished commitment forecast as Accord would
have forecast it at its promise time T, from the events before T only.

The fitted model is refitted on a rolling origin: the forecast at T comes from a model fitted
on commitments whose outcome was final before the latest refit before T, never later. Beside
it: the pair's ability E, the performer's plain running rate and the base rate.

Over 400 lines: the scores, the rolling origin, the lead-time buckets and the purposes' monthly
backtest make one document (DESIGN §6), and each part reads the others' rows.

Longer than most modules on purpose: the rolling refit, the forecasts at each promise time and
their scores are one sweep, and read best together.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.exc import IntegrityError

from accord.config import Settings
from accord.errors import Conflict
from accord.org.domain import Actor
from accord.trust.features import LEAD_BUCKETS, Snapshot, feature_matrix, pair_abilities
from accord.trust.learner import TRAINING_WINDOW, FittedModel, Training, fit_training
from accord.trust.model import Bin, beta_all_success, calibration, shared_rate
from accord.trust.replay import Checkpoint, Replay, bulk, replay, snapshots
from accord.uow import UnitOfWork

# Refit when the known history has grown by this share since the last fit, or when this much
# time has passed with something new: often enough to follow drift, few enough to stay fast.
REFIT_GROWTH = 0.1
REFIT_EVERY = timedelta(days=30)
BINS = 10
BUCKET_NAMES = ("under 1 day", "1 to 7 days", "8 to 30 days", "over 30 days")


@dataclass(frozen=True)
class Scores:
    """How one forecast did: Brier, log loss, expected calibration error, the diagram."""

    n: int
    brier: float | None
    log_loss: float | None
    ece: float | None
    skill: float | None  # 1 - Brier / Brier of the base rate
    bins: list[Bin]

    def document(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "brier": self.brier,
            "log_loss": self.log_loss,
            "ece": self.ece,
            "skill": self.skill,
            "bins": [asdict(b) for b in self.bins],
        }


def score(forecasts: Sequence[float], outcomes: Sequence[int], base: Sequence[float]) -> Scores:
    """Brier, log loss, ECE (10 equal bins, |mean forecast - observed| weighted by count) and
    the skill against the base-rate forecasts `base` (the figures of `model.calibration`, for
    many commitments at once)."""
    f = np.asarray(forecasts, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    b = np.asarray(base, dtype=float)
    n = len(y)
    index = np.minimum((f * BINS).astype(int), BINS - 1)
    counts = np.bincount(index, minlength=BINS)
    totals = np.bincount(index, weights=f, minlength=BINS)
    hits = np.bincount(index, weights=y, minlength=BINS)
    bins = [
        Bin(
            lo=i / BINS,
            hi=(i + 1) / BINS,
            n=int(counts[i]),
            mean_forecast=float(totals[i]) / int(counts[i]) if counts[i] else None,
            observed=float(hits[i]) / int(counts[i]) if counts[i] else None,
        )
        for i in range(BINS)
    ]
    if n == 0:
        return Scores(0, None, None, None, None, bins)
    brier = float(np.mean((f - y) ** 2))
    brier_base = float(np.mean((b - y) ** 2))
    p = np.clip(f, 1e-6, 1 - 1e-6)
    log_loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    ece = float(np.sum(np.abs(totals - hits)) / n)
    skill = 1.0 - brier / brier_base if brier_base > 0 else None
    return Scores(n, brier, log_loss, ece, skill, bins)


@dataclass(frozen=True)
class Row:
    """One finished commitment in the backtest."""

    key: str
    at: datetime
    lead_days: float
    forecast: float  # what Accord would have said: the model's, or pair E before it could fit
    pair_ability: float
    running_rate: float
    base_rate: float
    outcome: int
    method: str


@dataclass(frozen=True)
class Material:
    """Finished commitments made ready once for the backtest and the final fit alike: in order
    of promise time with their feature rows, and as training rows in the order their outcomes
    became known."""

    ordered: list[Snapshot]
    x: np.ndarray
    training: Training
    settled: list[datetime]  # when each training row's outcome became known

    @classmethod
    def of(
        cls, shots: Sequence[Snapshot], settings: Settings, also: Sequence[Snapshot] = ()
    ) -> Material:
        """`shots` to forecast and learn from; `also`, to learn from only (the overdue)."""
        ordered = sorted(shots, key=lambda s: (s.at, s.key))
        wt, wp = settings.team_prior_weight, settings.pair_prior_weight
        x = feature_matrix([s.inputs for s in ordered], wt, wp)
        learned = [*ordered, *also]
        rows = np.vstack([x, feature_matrix([s.inputs for s in also], wt, wp)]) if also else x
        by_known = sorted(range(len(learned)), key=lambda i: (learned[i].known_at, learned[i].key))
        training = Training.of(learned, rows, by_known)
        return cls(ordered, x, training, [learned[i].known_at for i in by_known])

    @classmethod
    def of_replay(cls, replayed: Replay, settings: Settings) -> Material:
        """The finished commitments of a replay, to forecast; the overdue too, to learn from."""
        return cls.of(replayed.snapshots, settings, also=replayed.overdue)

    def fit_latest(self, settings: Settings) -> FittedModel:
        """The model of the latest TRAINING_WINDOW outcomes, as `learner.fit` makes it."""
        size = len(self.training)
        return fit_training(
            self.training,
            max(0, size - TRAINING_WINDOW),
            size,
            team_prior_weight=settings.team_prior_weight,
            pair_prior_weight=settings.pair_prior_weight,
        )


def rolling_rows(
    material: Material, settings: Settings, *, progress: Any = None
) -> tuple[list[Row], list[tuple[datetime, FittedModel]]]:
    """Every finished commitment's forecasts, the model refitted on a rolling origin; and the
    models with the instant each began to serve.

    The forecast at T comes from the model last fitted at an origin O <= T, on the commitments
    whose outcome was settled before O.
    """
    ordered, x, training, settled = (
        material.ordered,
        material.x,
        material.training,
        material.settled,
    )
    wt, wp = settings.team_prior_weight, settings.pair_prior_weight
    minimum = max(settings.forecast_min_history, 2)
    # where a new model starts to serve: known history grown enough, or old enough
    starts: list[tuple[int, int]] = []  # (index in ordered, how many known outcomes)
    fitted, fitted_at = 0, None
    for index, shot in enumerate(ordered):
        seen = bisect.bisect_left(settled, shot.at)
        if seen < minimum:
            continue
        if (
            not starts
            or seen >= fitted * (1 + REFIT_GROWTH)
            or (fitted_at is not None and shot.at - fitted_at >= REFIT_EVERY and seen > fitted)
        ):
            starts.append((index, seen))
            fitted, fitted_at = seen, shot.at
    pair = pair_abilities([s.inputs for s in ordered], wt, wp)
    forecasts = pair.copy()
    methods = ["pair_ability"] * len(ordered)
    bounds = [index for index, _ in starts] + [len(ordered)]
    models: list[tuple[datetime, FittedModel]] = []
    for (begin, seen), end in zip(starts, bounds[1:], strict=True):
        model = fit_training(
            training,
            max(0, seen - TRAINING_WINDOW),
            seen,
            team_prior_weight=wt,
            pair_prior_weight=wp,
        )
        models.append((ordered[begin].at, model))
        forecasts[begin:end] = model.predict_matrix(x[begin:end])
        methods[begin:end] = ["model"] * (end - begin)
        if progress is not None:
            progress(end - begin)
    rows = [
        Row(
            s.key,
            s.at,
            s.inputs.lead_days,
            float(forecasts[i]),
            float(pair[i]),
            s.running_rate,
            s.base_rate,
            s.outcome,
            methods[i],
        )
        for i, s in enumerate(ordered)
    ]
    return rows, models


@dataclass(frozen=True)
class LeadBucket:
    name: str
    lo_days: float
    hi_days: float | None
    n: int
    observed: float | None
    forecast: Scores
    pair_ability: Scores
    running_rate: Scores


@dataclass(frozen=True)
class Backtest:
    """DESIGN §6's backtest document: the forecast's scores, the comparisons beside it, by
    lead time, and a verdict in words."""

    forecast: Scores
    brier_base: float | None
    pair_ability: Scores
    running_rate: Scores
    base_rate: Scores
    by_lead_time: list[LeadBucket]
    refits: int
    model_share: float  # share of the forecasts that came from a fitted model
    purpose: PurposeBacktest | None = None
    verdict: str = ""

    def document(self) -> dict[str, Any]:
        doc = self.forecast.document()
        doc["brier_base"] = self.brier_base
        doc["verdict"] = self.verdict
        doc["refits"] = self.refits
        doc["model_share"] = self.model_share
        doc["comparisons"] = {
            "pair_ability": self.pair_ability.document(),
            "running_rate": self.running_rate.document(),
            "base_rate": self.base_rate.document(),
        }
        doc["by_lead_time"] = [
            {
                "bucket": b.name,
                "lo_days": b.lo_days,
                "hi_days": b.hi_days,
                "n": b.n,
                "observed": b.observed,
                "forecast": b.forecast.document(),
                "pair_ability": b.pair_ability.document(),
                "running_rate": b.running_rate.document(),
            }
            for b in self.by_lead_time
        ]
        doc["purpose"] = self.purpose.document() if self.purpose is not None else None
        return doc


def verdict(bins: Sequence[Bin]) -> str:
    """The calibration in plain words: the fullest bin at or above one half, as a person says it
    ("Of the commitments we gave about 80%, 78% landed on time.")."""
    filled = [b for b in bins if b.n and b.mean_forecast is not None and b.observed is not None]
    if not filled:
        return "No finished commitment to judge the forecast by yet."
    high = [b for b in filled if (b.mean_forecast or 0) >= 0.5] or filled
    best = max(high, key=lambda b: b.n)
    assert best.mean_forecast is not None
    assert best.observed is not None
    said = round(best.mean_forecast * 100)
    landed = round(best.observed * 100)
    commitments = "commitment" if best.n == 1 else f"{best.n:,} commitments"
    return f"Of the {commitments} we gave about {said}%, {landed}% landed on time."


def summarize(rows: Sequence[Row], refits: int) -> Backtest:
    outcomes = [r.outcome for r in rows]
    base = [r.base_rate for r in rows]
    forecast = score([r.forecast for r in rows], outcomes, base)
    buckets = []
    for name, (lo, hi) in zip(BUCKET_NAMES, LEAD_BUCKETS, strict=True):
        chosen = [r for r in rows if lo <= max(r.lead_days, 0.0) < hi]
        ys = [r.outcome for r in chosen]
        bs = [r.base_rate for r in chosen]
        buckets.append(
            LeadBucket(
                name,
                lo,
                None if math.isinf(hi) else hi,
                len(chosen),
                sum(ys) / len(ys) if ys else None,
                score([r.forecast for r in chosen], ys, bs),
                score([r.pair_ability for r in chosen], ys, bs),
                score([r.running_rate for r in chosen], ys, bs),
            )
        )
    return Backtest(
        forecast=forecast,
        brier_base=calibration(base, base, outcomes).brier,
        pair_ability=score([r.pair_ability for r in rows], outcomes, base),
        running_rate=score([r.running_rate for r in rows], outcomes, base),
        base_rate=score(base, outcomes, base),
        by_lead_time=buckets,
        refits=refits,
        model_share=(sum(r.method == "model" for r in rows) / len(rows)) if rows else 0.0,
        verdict=verdict(forecast.bins),
    )


@dataclass(frozen=True)
class PurposeMonth:
    purpose: str
    month: datetime
    count: int
    probability_all: float
    all_on_time: int


@dataclass(frozen=True)
class PurposeBacktest:
    """A purpose's P(all open high/critical on time) at each month's start, against what
    happened."""

    n: int
    brier: float | None
    brier_base: float | None
    skill: float | None
    months: list[PurposeMonth] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The scores only: a purpose's month by month P(all) would give away the trust of
        pairs a reader may not see (as a purpose forecast's totals would, DESIGN §1)."""
        return {
            "n": self.n,
            "brier": self.brier,
            "brier_base": self.brier_base,
            "skill": self.skill,
        }


def purpose_backtest(
    replayed: Replay, models: Sequence[tuple[datetime, FittedModel]], settings: Settings
) -> PurposeBacktest:
    """At each month's start, each purpose's P(all its open high/critical commitments on time),
    from the model in force then (or the pairs' ability before the first fit), commitments of
    one pair sharing one rate; scored against what happened, beside the share of earlier
    purpose-months that landed whole."""
    wt, wp = settings.team_prior_weight, settings.pair_prior_weight
    forecast = _checkpoint_forecasts(replayed.checkpoints, models, wt, wp)
    months: dict[tuple[datetime, str], list[int]] = {}
    for index, checkpoint in enumerate(replayed.checkpoints):
        months.setdefault((checkpoint.month, checkpoint.purpose), []).append(index)
    results: list[PurposeMonth] = []
    for (month, purpose), group in sorted(months.items()):
        outcomes = [replayed.outcomes.get(replayed.checkpoints[i].key) for i in group]
        if any(outcome is None for outcome in outcomes):
            continue  # withdrawn, declined or still open: no verdict on the month
        pairs: dict[tuple[str, str], tuple[list[float], float]] = {}
        for index in group:
            checkpoint = replayed.checkpoints[index]
            forecasts, strength = pairs.setdefault(
                (checkpoint.requester, checkpoint.performer),
                ([], sum(checkpoint.inputs.pair) + wp),
            )
            forecasts.append(float(forecast[index]))
        probability = 1.0
        for forecasts, strength in pairs.values():
            group_rate = shared_rate(forecasts, strength)
            probability *= beta_all_success(group_rate.alpha, group_rate.beta, group_rate.count)
        landed_whole = int(all(outcome == 1 for outcome in outcomes))
        results.append(PurposeMonth(purpose, month, len(group), probability, landed_whole))
    forecasts = [m.probability_all for m in results]
    outcomes_all = [m.all_on_time for m in results]
    base = []
    landed = 0
    for index, month_result in enumerate(results):
        base.append((landed + 1) / (index + 2))
        landed += month_result.all_on_time
    scored = calibration(forecasts, base, outcomes_all)
    return PurposeBacktest(scored.n, scored.brier, scored.brier_base, scored.skill, results)


def _checkpoint_forecasts(
    checkpoints: Sequence[Checkpoint],
    models: Sequence[tuple[datetime, FittedModel]],
    team_prior_weight: float,
    pair_prior_weight: float,
) -> np.ndarray:
    """Each checkpoint's forecast from the model in force at its month (the pair's ability
    before the first fit), computed model by model."""
    inputs = [c.inputs for c in checkpoints]
    forecast = pair_abilities(inputs, team_prior_weight, pair_prior_weight)
    starts = [at for at, _ in models]
    serving = np.array([bisect.bisect_right(starts, c.month) - 1 for c in checkpoints], dtype=int)
    if not len(inputs) or serving.max() < 0:
        return forecast
    x = feature_matrix(inputs, team_prior_weight, pair_prior_weight)
    for index in np.unique(serving[serving >= 0]):
        chosen = serving == index
        forecast[chosen] = models[int(index)][1].predict_matrix(x[chosen])
    return forecast


def backtest_rows(
    events: Iterable[tuple[datetime, str, Mapping[str, Any]]], settings: Settings
) -> Iterator[tuple[str, float, float, int]]:
    """(key, pair-E forecast, base-rate forecast, outcome) of every finished commitment in order
    of its promise time: the reference forecast of DESIGN §2, from the events before T."""
    wt, wp = settings.team_prior_weight, settings.pair_prior_weight
    for shot in snapshots(events, settings.half_life_days):
        yield shot.key, shot.inputs.pair_opinion(wt, wp).expected, shot.base_rate, shot.outcome


def run(
    events: Iterable[tuple[datetime, str, Mapping[str, Any]]],
    settings: Settings,
    *,
    purposes: Mapping[str, str] | None = None,
    progress: Any = None,
) -> Backtest:
    """The whole backtest from commitment events (at, subject, payload); with `purposes`
    (partnership key -> purpose key), the purposes' monthly backtest too."""
    replayed = replay(events, settings.half_life_days, purposes)
    rows, models = rolling_rows(Material.of_replay(replayed, settings), settings, progress=progress)
    summary = summarize(rows, len(models))
    if purposes is None:
        return summary
    return replace(summary, purpose=purpose_backtest(replayed, models, settings))


def backtest(uow: UnitOfWork, settings: Settings, actor: Actor) -> Backtest:
    """How well the forecast predicted every finished commitment (DESIGN §2 Calibration)."""
    del actor  # an aggregate with no team in it: every reader may see it
    with uow, bulk():
        events = list(uow.trust.commitment_moves())
        purposes = {p.key: p.purpose.key for p in uow.partnerships.list()}
    return run(events, settings, purposes=purposes)


def latest(uow: UnitOfWork, settings: Settings, actor: Actor) -> dict[str, Any]:
    """The backtest document for readers: the one stored with the newest fitted model (made
    when it was fitted, on a schedule), else the one kept in the database for the evidence as
    it is now, else computed now and kept there (for every server process, and past a restart).
    Says which and when."""
    from accord.events.domain import iso

    with uow:
        stored = uow.models.latest_scored()
        evidence = evidence_digest(uow, settings)
        kept = uow.models.backtest(evidence) if stored is None else None
    if stored is not None:
        return {
            **stored.scores,
            "computed_at": iso(stored.fitted_at),
            "model_version": stored.version,
        }
    if kept is not None:
        return kept
    computed_at = uow.now()
    document = backtest(uow, settings, actor).document()
    document = {**document, "computed_at": iso(computed_at), "model_version": None}
    keep(UnitOfWork(uow.engine, uow.clock), evidence, computed_at, document)
    return document


def keep(uow: UnitOfWork, evidence: str, computed_at: datetime, document: dict[str, Any]) -> None:
    """Keeps a backtest computed for a reader, in a transaction of its own (the reader's writes
    nothing). Two processes may compute the same one at once: the second finds the key taken
    and keeps nothing, and loses nothing, since both documents are the same."""
    with contextlib.suppress(Conflict, IntegrityError), uow:
        if uow.models.backtest(evidence) is None:
            uow.models.keep_backtest(evidence, computed_at, document)
            uow.commit()


def evidence_digest(uow: UnitOfWork, settings: Settings) -> str:
    """What the backtest depends on, in one digest: the head of the event log (every change
    records an event), the stored sums' version (a rebuild) and the settings it reads."""
    last_id, last_hash = uow.events.head()
    state = uow.trust.state()
    parts = (
        last_id,
        last_hash,
        state.version,
        state.built,
        settings.half_life_days,
        settings.team_prior_weight,
        settings.pair_prior_weight,
        settings.forecast_min_history,
    )
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
