"""The fitted forecast (DESIGN §2 Forecast): a logistic regression over what is known at the
instant asked, then a calibration step fitted on later, held-out history.

A fitted model is plain numbers (means, scales, coefficients, the calibration curve) kept as
JSON in the database: no pickle is ever loaded, so no stored file can run code. `FittedModel.
from_document` refuses anything that is not such a document.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np

from accord.trust.features import FEATURES, Inputs, Snapshot, feature_matrix

FORMAT = "accord-forecast/1"
# The last share of the training window, by promise time, held out to fit the calibration.
HOLDOUT = 0.3
# Below this many held-out commitments a two-parameter (Platt) curve replaces isotonic.
ISOTONIC_MIN = 500
FLOOR = 0.005  # no forecast is certain: log loss stays finite and one surprise stays possible
C = 1.0  # inverse strength of the L2 penalty
# A fit learns from at most this many of the latest settled commitments: the old ones say less
# of today's teams, and a bounded window keeps every fit quick whatever the history's length.
TRAINING_WINDOW = 100_000
RANGE_SAMPLE = 20_000


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0))))


@dataclass(frozen=True)
class Calibration:
    """Maps the classifier's raw probability to a calibrated one."""

    kind: str  # "isotonic" | "platt"
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 1.0
    b: float = 0.0

    def apply(self, raw: np.ndarray) -> np.ndarray:
        if self.kind == "isotonic":
            calibrated = np.interp(raw, np.asarray(self.x), np.asarray(self.y))
        else:
            logits = np.log(np.clip(raw, 1e-6, 1 - 1e-6) / np.clip(1 - raw, 1e-6, 1))
            calibrated = _sigmoid(self.a * logits + self.b)
        return np.asarray(np.clip(calibrated, FLOOR, 1.0 - FLOOR))


@dataclass(frozen=True)
class FittedModel:
    """A standardized logistic regression and its calibration."""

    features: tuple[str, ...]
    low: tuple[float, ...]  # each feature is clipped to the range it had in training:
    high: tuple[float, ...]  # a load or a record never seen does not extrapolate a line
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    calibration: Calibration
    team_prior_weight: float
    pair_prior_weight: float

    def matrix(self, inputs: Sequence[Inputs]) -> np.ndarray:
        return feature_matrix(inputs, self.team_prior_weight, self.pair_prior_weight)

    def standardized(self, x: np.ndarray) -> np.ndarray:
        clipped = np.clip(x, np.asarray(self.low), np.asarray(self.high))
        return np.asarray((clipped - np.asarray(self.mean)) / np.asarray(self.scale))

    def raw(self, x: np.ndarray) -> np.ndarray:
        z = self.standardized(x) @ np.asarray(self.coef)
        return _sigmoid(z + self.intercept)

    def predict_matrix(self, x: np.ndarray) -> np.ndarray:
        return self.calibration.apply(self.raw(x))

    def predict(self, inputs: Inputs) -> float:
        return float(self.predict_matrix(self.row(inputs))[0])

    def row(self, inputs: Inputs) -> np.ndarray:
        """One commitment's features (a forecast and its reasons read the same row)."""
        return _row(inputs, self.team_prior_weight, self.pair_prior_weight)

    def contributions(self, inputs: Inputs) -> list[tuple[str, float]]:
        """How much each feature moved this forecast's log-odds from the average commitment's,
        largest first."""
        x = self.row(inputs)
        parts = self.standardized(x)[0] * np.asarray(self.coef)
        named = [(name, float(value)) for name, value in zip(self.features, parts, strict=True)]
        return sorted(named, key=lambda item: -abs(item[1]))

    def document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "features": list(self.features),
            "low": list(self.low),
            "high": list(self.high),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "calibration": {
                "kind": self.calibration.kind,
                "x": list(self.calibration.x),
                "y": list(self.calibration.y),
                "a": self.calibration.a,
                "b": self.calibration.b,
            },
            "team_prior_weight": self.team_prior_weight,
            "pair_prior_weight": self.pair_prior_weight,
        }

    @classmethod
    def from_document(cls, doc: Any) -> FittedModel:
        """The model a stored document describes; ValueError when it is not a sound one."""
        try:
            return cls._from_document(doc)
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"a part of the model is missing or wrong: {error}") from None

    @classmethod
    def _from_document(cls, doc: Any) -> FittedModel:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f"not an {FORMAT} document")
        features = tuple(str(name) for name in doc["features"])
        if features != FEATURES:
            raise ValueError("the model was fitted on other features than this version reads")
        numbers = {
            name: _floats(doc[name], len(features))
            for name in ("low", "high", "mean", "scale", "coef")
        }
        if any(value <= 0 for value in numbers["scale"]):
            raise ValueError("a feature scale is not positive")
        calibration = doc["calibration"]
        kind = calibration["kind"]
        if kind not in ("isotonic", "platt"):
            raise ValueError(f"unknown calibration {kind!r}")
        x = _floats(calibration.get("x", []), None)
        y = _floats(calibration.get("y", []), len(x))
        if kind == "isotonic" and (len(x) < 2 or any(b < a for a, b in pairwise(x))):
            raise ValueError("the isotonic calibration curve is not increasing in x")
        return cls(
            features=features,
            low=numbers["low"],
            high=numbers["high"],
            mean=numbers["mean"],
            scale=numbers["scale"],
            coef=numbers["coef"],
            intercept=_finite(doc["intercept"]),
            calibration=Calibration(
                kind, x, y, _finite(calibration.get("a", 1.0)), _finite(calibration.get("b", 0.0))
            ),
            team_prior_weight=_finite(doc["team_prior_weight"]),
            pair_prior_weight=_finite(doc["pair_prior_weight"]),
        )


@functools.lru_cache(maxsize=256)
def _row(inputs: Inputs, team_prior_weight: float, pair_prior_weight: float) -> np.ndarray:
    x = feature_matrix([inputs], team_prior_weight, pair_prior_weight)
    x.flags.writeable = False  # shared between callers
    return x


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return float(value)


def _floats(values: Any, size: int | None) -> tuple[float, ...]:
    if not isinstance(values, list) or (size is not None and len(values) != size):
        raise ValueError("a list of numbers has the wrong length")
    return tuple(_finite(v) for v in values)


def _calibration(raw: np.ndarray, outcomes: np.ndarray, weights: np.ndarray) -> Calibration:
    """Isotonic regression when the held-out history is large enough, else Platt scaling."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    if len(raw) >= ISOTONIC_MIN and 0 < outcomes.sum() < len(outcomes):
        iso = IsotonicRegression(out_of_bounds="clip", y_min=FLOOR, y_max=1 - FLOOR)
        iso.fit(raw, outcomes, sample_weight=weights)
        return Calibration(
            "isotonic",
            tuple(float(v) for v in iso.X_thresholds_),
            tuple(float(v) for v in iso.y_thresholds_),
        )
    if len(raw) < 2 or outcomes.min() == outcomes.max():
        return Calibration("platt")
    logits = np.log(np.clip(raw, 1e-6, 1 - 1e-6) / np.clip(1 - raw, 1e-6, 1)).reshape(-1, 1)
    platt = LogisticRegression(C=1.0).fit(logits, outcomes, sample_weight=weights)
    return Calibration("platt", a=float(platt.coef_[0][0]), b=float(platt.intercept_[0]))


def _classifier(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> dict[str, Any]:
    """A standardized, L2-regularized logistic regression on features clipped to their
    0.5th-99.5th percentiles."""
    from sklearn.linear_model import LogisticRegression

    # the range from an even sample of at most RANGE_SAMPLE rows: as good, and quick
    sample = x[:: max(1, len(x) // RANGE_SAMPLE)]
    low = np.percentile(sample, 0.5, axis=0)
    high = np.percentile(sample, 99.5, axis=0)
    clipped = np.clip(x, low, high)
    mean = clipped.mean(axis=0)
    scale = clipped.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (clipped - mean) / scale
    if y.min() == y.max():  # one class only: the constant rate, smoothed
        rate = (y.sum() + 1) / (len(y) + 2)
        coef, intercept = np.zeros(x.shape[1]), float(math.log(rate / (1 - rate)))
    else:
        # Newton steps: a handful of iterations for a few dozen features, however many rows
        model = LogisticRegression(C=C, solver="newton-cholesky", max_iter=100)
        model.fit(z, y, sample_weight=weights)
        coef, intercept = model.coef_[0], float(model.intercept_[0])
    numbers = {"low": low, "high": high, "mean": mean, "scale": scale, "coef": coef}
    return {name: tuple(float(v) for v in values) for name, values in numbers.items()} | {
        "intercept": intercept
    }


def batch_weights(snapshots: Sequence[Snapshot]) -> np.ndarray:
    """1 / sqrt(size) for each commitment of a batch (one performer, one due date): a slipped
    release is one event with many commitments, and must not outweigh many separate events."""
    ids: dict[tuple[str, Any], int] = {}
    return weights_of_batches(np.array([ids.setdefault(s.batch, len(ids)) for s in snapshots]))


def weights_of_batches(batch_ids: np.ndarray) -> np.ndarray:
    """`batch_weights` from each commitment's batch number."""
    if not len(batch_ids):
        return np.zeros(0)
    _, inverse, counts = np.unique(batch_ids, return_inverse=True, return_counts=True)
    return np.asarray(1.0 / np.sqrt(counts[inverse]))


@dataclass(frozen=True)
class Training:
    """Finished commitments as the learner reads them, in the order their outcomes became
    known: features, outcomes and each one's batch."""

    x: np.ndarray
    y: np.ndarray
    batches: np.ndarray

    @classmethod
    def of(
        cls, snapshots: Sequence[Snapshot], x: np.ndarray, order: Sequence[int] | None = None
    ) -> Training:
        """From snapshots and their feature rows `x`; `order` their indices in the order their
        outcomes became known (computed when not given)."""
        if order is None:
            order = sorted(
                range(len(snapshots)), key=lambda i: (snapshots[i].known_at, snapshots[i].key)
            )
        ids: dict[tuple[str, Any], int] = {}
        chosen = np.asarray(order, dtype=np.int64)
        return cls(
            x[chosen] if len(chosen) else x[:0],
            np.array([snapshots[i].outcome for i in order], dtype=float),
            np.array([ids.setdefault(snapshots[i].batch, len(ids)) for i in order], dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.y)


def fit(
    snapshots: Sequence[Snapshot], *, team_prior_weight: float, pair_prior_weight: float
) -> FittedModel:
    """The model of the latest TRAINING_WINDOW finished commitments (see `fit_training`)."""
    if len(snapshots) < 2:
        raise ValueError("a model needs at least two finished commitments")
    x = feature_matrix([s.inputs for s in snapshots], team_prior_weight, pair_prior_weight)
    training = Training.of(snapshots, x)
    return fit_training(
        training,
        max(0, len(training) - TRAINING_WINDOW),
        len(training),
        team_prior_weight=team_prior_weight,
        pair_prior_weight=pair_prior_weight,
    )


def fit_training(
    training: Training,
    begin: int,
    end: int,
    *,
    team_prior_weight: float,
    pair_prior_weight: float,
) -> FittedModel:
    """Fit on rows begin..end of `training`: on the history settled first, calibrated on the
    part settled last — later history, held out, with long and short commitments alike (a
    split by promise time would hold out only the quick ones, the long ones of late being
    still open)."""
    size = end - begin
    if size < 2:
        raise ValueError("a model needs at least two finished commitments")
    x, y = training.x[begin:end], training.y[begin:end]
    cut = max(1, min(size - 1, round(size * (1 - HOLDOUT))))
    weights = weights_of_batches(training.batches[begin:end])
    numbers = _classifier(x[:cut], y[:cut], weights[:cut])
    first = FittedModel(
        features=FEATURES,
        calibration=Calibration("platt"),
        team_prior_weight=team_prior_weight,
        pair_prior_weight=pair_prior_weight,
        **numbers,
    )
    calibration = _calibration(first.raw(x[cut:]), y[cut:], weights[cut:])
    return replace(first, calibration=calibration)
