"""The fitted forecast (DESIGN §2 Forecast, Calibration): what it learns, that a stored model is
plain numbers and nothing else, the backtest's scores, and a rolling origin that never learns
from an outcome settled after the forecast it serves."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.trust.backtest import Material, Row, rolling_rows, score, summarize, verdict
from accord.trust.features import FEATURES, Inputs, Snapshot, feature_matrix, pair_abilities
from accord.trust.learner import FLOOR, FORMAT, FittedModel, batch_weights, fit
from accord.trust.model import Bin, beta_all_success, calibration, outlook, shared_rate
from factories import SETTINGS
from forecast_histories import START

WT, WP = SETTINGS.team_prior_weight, SETTINGS.pair_prior_weight


def chance(lead_days: float) -> float:
    """The true P(on time) of the synthetic history: longer leads land more often."""
    return 1.0 / (1.0 + math.exp(-1.6 * (math.log(lead_days) - math.log(8.0))))


def inputs(lead: float, *, rng: random.Random | None = None, **extra: Any) -> Inputs:
    """Inputs with a lead time; the evidence is noise the outcome does not depend on."""
    rng = rng or random.Random(0)
    noise = [(rng.uniform(0, 6), rng.uniform(0, 6)) for _ in range(3)]
    pair = (noise[0][0] / 3, noise[0][1] / 3)
    values: dict[str, Any] = {
        "pair": pair,
        "team": (pair[0] + noise[1][0], pair[1] + noise[1][1]),
        "org": (20.0 + noise[2][0], 20.0 + noise[2][1]),
        "requester": noise[1],
        "lead_days": lead,
        "left_days": lead,
        "reliance": rng.choice([0.0, 0.25, 0.5, 0.75, 1.0]),
        "open_load": rng.randint(0, 5),
    }
    values.update(extra)
    return Inputs(**values)


def synthetic(
    count: int, seed: int, outcome: Callable[[float, random.Random], int] | None = None
) -> list[Snapshot]:
    """`count` finished commitments promised six hours apart, leads 0.2 to 60 days, the
    outcome drawn from `chance(lead)` (or given by `outcome`)."""
    rng = random.Random(seed)
    draw = outcome or (lambda lead, rng: int(rng.random() < chance(lead)))
    shots = []
    for index in range(count):
        lead = math.exp(rng.uniform(math.log(0.2), math.log(60)))
        at = START + timedelta(hours=6 * index)
        performer = f"t{rng.randint(0, 5)}"
        shots.append(
            Snapshot(
                key=f"s{index:05d}",
                at=at,
                known_at=at + timedelta(days=lead + rng.uniform(-0.5, 3)),
                inputs=inputs(lead, rng=rng),
                outcome=draw(lead, rng),
                base_rate=0.5,
                running_rate=0.5,
                performer=performer,
                requester="r",
            )
        )
    return shots


@pytest.fixture(scope="module")
def platt() -> FittedModel:
    return fit(synthetic(600, seed=1), team_prior_weight=WT, pair_prior_weight=WP)


@pytest.fixture(scope="module")
def isotonic() -> FittedModel:
    return fit(synthetic(3000, seed=2), team_prior_weight=WT, pair_prior_weight=WP)


def test_a_longer_lead_time_gives_a_higher_forecast(platt: FittedModel) -> None:
    assert platt.calibration.kind == "platt"  # 120 held out: too few for isotonic
    leads = [0.5, 2.0, 8.0, 30.0, 60.0]
    forecasts = [platt.predict(inputs(lead)) for lead in leads]
    assert forecasts[-1] - forecasts[0] > 0.4
    assert forecasts[0] < 0.35 < 0.65 < forecasts[-1]
    named = dict(zip(FEATURES, platt.coef, strict=True))
    assert named["lead_log"] > 0


def test_the_calibrated_forecast_lands_as_often_as_it_says(isotonic: FittedModel) -> None:
    assert isotonic.calibration.kind == "isotonic"  # 600 held out
    x = list(isotonic.calibration.x)
    assert x == sorted(x)
    assert all(FLOOR <= y <= 1 - FLOOR for y in isotonic.calibration.y)
    fresh = synthetic(3000, seed=3)
    forecasts = [isotonic.predict(s.inputs) for s in fresh]
    outcomes = [s.outcome for s in fresh]
    rate = sum(outcomes) / len(outcomes)
    scores = score(forecasts, outcomes, [rate] * len(outcomes))
    assert scores.ece is not None
    assert scores.ece < 0.05
    assert scores.skill is not None
    assert scores.skill > 0.15
    truth = [chance(s.inputs.lead_days) for s in fresh]
    assert np.mean(np.abs(np.asarray(forecasts) - np.asarray(truth))) < 0.08


def test_no_forecast_is_certain() -> None:
    """A history where the lead time decides everything: the raw classifier is near 0 and 1,
    the forecasts stay within [FLOOR, 1 - FLOOR], even far outside what it was fitted on."""
    decided = synthetic(800, seed=4, outcome=lambda lead, rng: int(lead >= 8))
    model = fit(decided, team_prior_weight=WT, pair_prior_weight=WP)
    asked = [inputs(lead) for lead in (0.01, 0.5, 3, 7.9, 8.1, 20, 60, 1e4, 1e9)]
    asked += [inputs(-5.0), inputs(30, open_load=10**6, same_due=10**5, counters=50)]
    forecasts = model.predict_matrix(model.matrix(asked))
    assert np.all(np.isfinite(forecasts))
    assert forecasts.min() >= FLOOR
    assert forecasts.max() <= 1 - FLOOR
    assert forecasts.min() < 0.1
    assert forecasts.max() > 0.9


def test_one_outcome_only_still_fits_and_stays_uncertain() -> None:
    always = synthetic(50, seed=5, outcome=lambda lead, rng: 1)
    model = fit(always, team_prior_weight=WT, pair_prior_weight=WP)
    forecasts = [model.predict(inputs(lead)) for lead in (0.5, 5, 50)]
    assert all(0.5 < p <= 1 - FLOOR for p in forecasts)
    with pytest.raises(ValueError, match="at least two"):
        fit(always[:1], team_prior_weight=WT, pair_prior_weight=WP)


def test_contributions_add_up_to_the_raw_forecast(platt: FittedModel) -> None:
    asked = inputs(3.0, counters=2, changes=1, pending_change=True, same_due=3)
    parts = platt.contributions(asked)
    assert [name for name, _ in parts] != list(FEATURES)  # ordered by size, not by name
    assert sorted(name for name, _ in parts) == sorted(FEATURES)
    assert [abs(v) for _, v in parts] == sorted((abs(v) for _, v in parts), reverse=True)
    logit = sum(v for _, v in parts) + platt.intercept
    raw = float(platt.raw(platt.matrix([asked]))[0])
    assert 1 / (1 + math.exp(-logit)) == pytest.approx(raw, rel=1e-9)


@pytest.mark.parametrize("kind", ["platt", "isotonic"])
def test_a_stored_document_gives_back_the_same_forecasts(
    kind: str, request: pytest.FixtureRequest
) -> None:
    model: FittedModel = request.getfixturevalue(kind)
    document = json.loads(json.dumps(model.document()))
    assert document["format"] == FORMAT
    again = FittedModel.from_document(document)
    assert again == model
    assert again.document() == model.document()
    rng = random.Random(9)
    asked = [inputs(math.exp(rng.uniform(-3, 5)), rng=rng) for _ in range(200)]
    assert list(again.predict_matrix(again.matrix(asked))) == list(
        model.predict_matrix(model.matrix(asked))
    )


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    def change(document: dict[str, Any]) -> Any:
        *parents, last = path.split(".")
        target: Any = document
        for name in parents:
            target = target[name]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
        return document

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], Any]:
    def change(document: dict[str, Any]) -> Any:
        *parents, last = path.split(".")
        target: Any = document
        for name in parents:
            target = target[name]
        del target[last]
        return document

    return change


def _isotonic(x: list[float], y: list[float]) -> Callable[[dict[str, Any]], Any]:
    def change(document: dict[str, Any]) -> Any:
        document["calibration"] = {"kind": "isotonic", "x": x, "y": y, "a": 1.0, "b": 0.0}
        return document

    return change


N = len(FEATURES)
BROKEN: dict[str, Callable[[dict[str, Any]], Any]] = {
    "another format": _set("format", "accord-forecast/0"),
    "no format": _drop("format"),
    "features reordered": _set("features", list(reversed(FEATURES))),
    "a feature less": _set("features", list(FEATURES[:-1])),
    "a feature more": _set("features", [*FEATURES, "shoe_size"]),
    "features as one string": _set("features", ",".join(FEATURES)),
    "NaN in coef": _set("coef.0", float("nan")),
    "inf in mean": _set("mean.3", float("inf")),
    "-inf in low": _set("low.1", float("-inf")),
    "a string in high": _set("high.2", "1.0"),
    "a bool in coef": _set("coef.4", True),
    "None in scale": _set("scale.0", None),
    "a list in mean": _set("mean.0", [1.0]),
    "NaN intercept": _set("intercept", float("nan")),
    "string intercept": _set("intercept", "0.3"),
    "bool intercept": _set("intercept", False),
    "infinite prior weight": _set("team_prior_weight", float("inf")),
    "string prior weight": _set("pair_prior_weight", "8"),
    "coef a number short": lambda d: {**d, "coef": d["coef"][:-1]},
    "mean a number long": lambda d: {**d, "mean": [*d["mean"], 0.0]},
    "low not a list": _set("low", {"0": 1.0}),
    "zero scale": _set("scale.5", 0.0),
    "negative scale": _set("scale.0", -1.0),
    "unknown calibration": _set("calibration.kind", "magic"),
    "platt a NaN": _set("calibration.a", float("nan")),
    "platt b a string": _set("calibration.b", "0"),
    "isotonic x decreasing": _isotonic([0.1, 0.5, 0.3], [0.1, 0.4, 0.6]),
    "isotonic x of one point": _isotonic([0.5], [0.5]),
    "isotonic y shorter than x": _isotonic([0.1, 0.5, 0.9], [0.1, 0.6]),
    "isotonic y NaN": _isotonic([0.1, 0.9], [0.1, float("nan")]),
    "a list": lambda d: [d],
    "a string": lambda d: json.dumps(d),
    "None": lambda d: None,
    "a number": lambda d: 42,
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_document_that_is_not_plain_numbers_of_the_right_shape_is_refused(
    name: str, platt: FittedModel
) -> None:
    document = json.loads(json.dumps(platt.document()))
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        FittedModel.from_document(BROKEN[name](document))


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("calibration a list", id="calibration-a-list"),
        pytest.param("no coef", id="no-coef"),
        pytest.param("no calibration", id="no-calibration"),
    ],
)
def test_a_document_missing_a_part_is_refused_with_a_value_error(
    name: str, platt: FittedModel
) -> None:
    changes = {
        "calibration a list": _set("calibration", [1.0, 0.0]),
        "no coef": _drop("coef"),
        "no calibration": _drop("calibration"),
    }
    document = json.loads(json.dumps(platt.document()))
    with pytest.raises(ValueError):  # noqa: PT011
        FittedModel.from_document(changes[name](document))


def test_isotonic_x_may_repeat_a_value_but_not_go_back(platt: FittedModel) -> None:
    document = _isotonic([0.1, 0.5, 0.5, 0.9], [0.1, 0.4, 0.5, 0.9])(platt.document())
    model = FittedModel.from_document(document)
    assert FLOOR <= model.predict(inputs(5.0)) <= 1 - FLOOR


def test_batch_weights_make_a_slipped_release_one_event() -> None:
    shots = synthetic(6, seed=6)
    day = START + timedelta(days=40)
    same = [
        replace(s, performer="p", at=day, inputs=replace(s.inputs, lead_days=0.5))
        for s in shots[:4]
    ]
    other_team = replace(same[0], key="x", performer="o")
    other_day = replace(same[0], key="y", at=day + timedelta(days=2))
    weights = batch_weights([*same, other_team, other_day])
    assert list(weights) == pytest.approx([0.5, 0.5, 0.5, 0.5, 1.0, 1.0])


def test_score_against_a_hand_computed_example() -> None:
    forecasts = [0.9, 0.2, 0.6, 0.6]
    outcomes = [1, 0, 0, 1]
    scores = score(forecasts, outcomes, [0.5] * 4)
    assert scores.n == 4
    assert scores.brier == pytest.approx((0.01 + 0.04 + 0.36 + 0.16) / 4)
    assert scores.skill == pytest.approx(1 - 0.1425 / 0.25)
    log_loss = -(math.log(0.9) + math.log(0.8) + math.log(0.4) + math.log(0.6)) / 4
    assert scores.log_loss == pytest.approx(log_loss)
    # bins 9 (0.9 vs 1), 2 (0.2 vs 0) and 6 (0.6 twice vs one in two), weighted by count
    assert scores.ece == pytest.approx((0.1 + 0.2 + 2 * 0.1) / 4)
    assert [b.n for b in scores.bins] == [0, 0, 1, 0, 0, 0, 2, 0, 0, 1]
    assert scores.bins[6].mean_forecast == pytest.approx(0.6)
    assert scores.bins[6].observed == 0.5
    document = scores.document()
    assert set(document) == {"n", "brier", "log_loss", "ece", "skill", "bins"}


def test_score_of_certain_forecasts_and_of_nothing() -> None:
    wrong = score([1.0, 0.0], [0, 1], [0.5, 0.5])
    assert wrong.brier == 1.0
    assert wrong.log_loss is not None
    assert math.isfinite(wrong.log_loss)
    assert wrong.log_loss > 10
    assert wrong.ece == pytest.approx(1.0)
    empty = score([], [], [])
    assert (empty.n, empty.brier, empty.log_loss, empty.ece, empty.skill) == (
        0,
        None,
        None,
        None,
        None,
    )


def _bin(lo: float, n: int, mean: float | None, observed: float | None) -> Bin:
    return Bin(lo, lo + 0.1, n, mean, observed)


def test_verdict_names_the_fullest_bin_at_or_above_one_half() -> None:
    bins = score([0.9, 0.2, 0.6, 0.6], [1, 0, 0, 1], [0.5] * 4).bins
    assert verdict(bins) == "Of the 2 commitments we gave about 60%, 50% landed on time."
    many = [_bin(0.1, 5000, 0.14, 0.2), _bin(0.8, 1234, 0.81, 0.776), _bin(0.9, 80, 0.93, 0.9)]
    assert verdict(many) == "Of the 1,234 commitments we gave about 81%, 78% landed on time."
    one = [_bin(0.9, 1, 0.9, 1.0)]
    assert verdict(one) == "Of the commitment we gave about 90%, 100% landed on time."
    low = [_bin(0.1, 3, 0.12, 0.0), _bin(0.3, 7, 0.33, 0.29)]
    assert verdict(low) == "Of the 7 commitments we gave about 33%, 29% landed on time."
    assert verdict([_bin(0.0, 0, None, None)]) == (
        "No finished commitment to judge the forecast by yet."
    )


def _row(lead: float, forecast: float, outcome: int, method: str = "model") -> Row:
    return Row("k", START, lead, forecast, 0.5, 0.6, 0.5, outcome, method)


def test_summarize_scores_each_forecast_and_each_lead_time() -> None:
    rows = [
        _row(0.5, 0.2, 0, "pair_ability"),
        _row(3.0, 0.6, 1),
        _row(12.0, 0.8, 1),
        _row(45.0, 0.9, 1),
        _row(200.0, 0.7, 0),
        _row(-1.0, 0.1, 0),  # promised after its due date: the shortest lead there is
    ]
    result = summarize(rows, refits=3)
    assert result.forecast.n == 6
    assert result.forecast.brier == pytest.approx((0.04 + 0.16 + 0.04 + 0.01 + 0.49 + 0.01) / 6)
    assert result.pair_ability.brier == pytest.approx(0.25)
    assert result.running_rate.brier == pytest.approx((0.36 * 3 + 0.16 * 3) / 6)
    assert result.brier_base == pytest.approx(0.25)
    assert result.model_share == pytest.approx(5 / 6)
    assert result.refits == 3
    # DESIGN's buckets: under 1 day, 1 to 7, 8 to 30, over 30 days
    assert [b.n for b in result.by_lead_time] == [2, 1, 1, 2]
    assert result.by_lead_time[0].observed == 0.0
    assert result.by_lead_time[3].hi_days is None
    document = result.document()
    assert set(document) >= {"n", "brier", "brier_base", "skill", "ece", "log_loss", "bins",
                             "comparisons", "by_lead_time", "verdict"}  # fmt: skip
    assert set(document["comparisons"]) == {"pair_ability", "running_rate", "base_rate"}
    assert document["by_lead_time"][1]["bucket"] == "1 to 7 days"
    assert document["verdict"] == result.verdict


def test_a_lead_of_exactly_a_week_is_in_the_bucket_named_1_to_7_days() -> None:
    result = summarize([_row(7.0, 0.5, 1), _row(30.0, 0.5, 1)], refits=0)
    named = {b.name: b.n for b in result.by_lead_time}
    assert named["1 to 7 days"] == 1
    assert named["8 to 30 days"] == 1


def test_the_rolling_origin_serves_only_models_fitted_on_what_was_settled_before() -> None:
    """Flip every outcome settled after T0: no forecast for a commitment promised by T0
    changes, and later ones do (so the flip reached the models)."""
    settings = SETTINGS.model_copy(update={"forecast_min_history": 30})
    shots = synthetic(360, seed=8)
    rows, models = rolling_rows(Material.of(shots, settings), settings)
    cut = shots[200].at
    flipped = [replace(s, outcome=1 - s.outcome) if s.known_at > cut else s for s in shots]
    again, models_again = rolling_rows(Material.of(flipped, settings), settings)
    assert [at for at, _ in models_again] == [at for at, _ in models]
    assert len(models) >= 5
    early = [(a, b) for a, b in zip(rows, again, strict=True) if a.at <= cut]
    late = [(a, b) for a, b in zip(rows, again, strict=True) if a.at > cut]
    assert sum(a.method == "model" for a, _ in early) > 100
    for a, b in early:
        assert (a.key, a.method, a.forecast) == (b.key, b.method, b.forecast)
    assert any(a.forecast != b.forecast for a, b in late)


def test_the_rolling_origin_starts_once_enough_is_settled() -> None:
    settings = SETTINGS.model_copy(update={"forecast_min_history": 30})
    shots = synthetic(200, seed=10)
    rows, models = rolling_rows(Material.of(shots, settings), settings)
    origins = [at for at, _ in models]
    assert origins == sorted(origins)
    first = origins[0]
    settled_by_first = sum(s.known_at < first for s in shots)
    assert settled_by_first >= 30
    for shot, row in zip(sorted(shots, key=lambda s: (s.at, s.key)), rows, strict=True):
        assert row.key == shot.key
        assert row.outcome == shot.outcome
        assert row.pair_ability == pytest.approx(shot.inputs.pair_opinion(WT, WP).expected)
        if shot.at < first:
            assert row.method == "pair_ability"
            assert row.forecast == row.pair_ability
        else:
            assert row.method == "model"
            assert FLOOR <= row.forecast <= 1 - FLOOR
    # before the first origin fewer than 30 outcomes were settled
    earlier = [s for s in shots if s.at < first]
    if earlier:
        latest = max(s.at for s in earlier)
        assert sum(s.known_at < latest for s in shots) < 30


def test_the_pair_beta_of_design_gives_its_test_vector() -> None:
    """DESIGN §2: Beta(9, 3), k = 2 -> 90/156 = 0.576923, not 0.75² = 0.5625."""
    group = shared_rate([0.75, 0.75], 12.0)
    assert (group.alpha, group.beta, group.count) == (pytest.approx(9.0), pytest.approx(3.0), 2)
    assert beta_all_success(group.alpha, group.beta, 2) == pytest.approx(0.576923, abs=1e-6)
    assert outlook([group], draws=2000).probability_all == pytest.approx(90 / 156)


@given(
    st.lists(st.floats(0.01, 0.99), min_size=1, max_size=8),
    st.floats(0.5, 500),
)
def test_a_shared_rate_is_never_below_independence(
    probabilities: list[float], strength: float
) -> None:
    group = shared_rate(probabilities, strength)
    assert group.expected == pytest.approx(sum(probabilities) / len(probabilities))
    together = beta_all_success(group.alpha, group.beta, group.count)
    assert together >= math.prod(probabilities) * (1 - 1e-9)


def test_the_flip_check_would_catch_a_model_fitted_on_the_future() -> None:
    """The same data fitted on everything, future included, does change early forecasts: the
    rolling-origin test above is able to fail."""
    shots = synthetic(360, seed=8)
    cut = shots[200].at
    flipped = [replace(s, outcome=1 - s.outcome) if s.known_at > cut else s for s in shots]
    early = [s.inputs for s in shots if s.at <= cut][:50]
    cheat = fit(shots, team_prior_weight=WT, pair_prior_weight=WP)
    cheat_flipped = fit(flipped, team_prior_weight=WT, pair_prior_weight=WP)
    assert any(cheat.predict(i) != cheat_flipped.predict(i) for i in early)


# --- the figures computed for many commitments at once agree with their one-at-a-time forms


def test_a_feature_row_is_the_same_alone_or_among_many() -> None:
    rng = random.Random(7)
    many = [
        inputs(
            rng.choice([-2.0, 0.0, 0.4, 3.0, 12.0, 45.0, 200.0]),
            rng=rng,
            left_days=rng.uniform(-5, 60),
            counters=rng.randint(0, 3),
            changes=rng.randint(0, 2),
            pending_change=rng.random() < 0.2,
            same_due=rng.randint(0, 4),
            recent=(rng.randint(0, 9), rng.randint(0, 9), rng.randint(0, 3)),
        )
        for _ in range(300)
    ]
    together = feature_matrix(many, WT, WP)
    assert together.shape == (300, len(FEATURES))
    for row, one in zip(together, many, strict=True):
        assert list(row) == one.vector(WT, WP)
    # the columns read the fields they are named after
    named = {name: together[:, i] for i, name in enumerate(FEATURES)}
    leads = np.array([i.lead_days for i in many])
    assert list(named["past_due"]) == list((leads < 0).astype(float))
    assert list(named["lead_8_30"]) == list(((leads >= 8) & (leads < 31)).astype(float))
    assert list(named["pending_change"]) == [float(i.pending_change) for i in many]
    expected = [i.pair_opinion(WT, WP).expected for i in many]
    assert list(pair_abilities(many, WT, WP)) == pytest.approx(expected, rel=1e-12)
    assert feature_matrix([], WT, WP).shape == (0, len(FEATURES))


@given(
    st.lists(
        st.tuples(st.floats(0.0, 1.0), st.integers(0, 1), st.floats(0.0, 1.0)),
        min_size=0,
        max_size=60,
    )
)
def test_the_scores_are_those_of_the_reference_calibration(
    cases: list[tuple[float, int, float]],
) -> None:
    forecasts = [f for f, _, _ in cases]
    outcomes = [o for _, o, _ in cases]
    base = [b for _, _, b in cases]
    scores = score(forecasts, outcomes, base)
    reference = calibration(forecasts, base, outcomes)
    assert scores.n == reference.n
    assert [(b.lo, b.hi, b.n) for b in scores.bins] == [(b.lo, b.hi, b.n) for b in reference.bins]
    for mine, theirs in zip(scores.bins, reference.bins, strict=True):
        assert mine.mean_forecast == pytest.approx(theirs.mean_forecast)
        assert mine.observed == pytest.approx(theirs.observed)
    if not cases:
        assert scores.brier is None
        assert scores.ece is None
        return
    assert scores.brier == pytest.approx(reference.brier)
    assert scores.skill == pytest.approx(reference.skill)
    ece = sum(b.n * abs((b.mean_forecast or 0) - (b.observed or 0)) for b in reference.bins)
    assert scores.ece == pytest.approx(ece / len(cases))


def test_the_backtest_and_the_fit_share_one_preparation_and_agree() -> None:
    shots = synthetic(900, seed=11)
    material = Material.of(shots, SETTINGS)
    alone = fit(shots, team_prior_weight=WT, pair_prior_weight=WP)
    assert material.fit_latest(SETTINGS) == alone
    rows, models = rolling_rows(material, SETTINGS)
    assert [row.key for row in rows] == [s.key for s in sorted(shots, key=lambda s: s.at)]
    assert len(models) > 3
    # the last refit learned from what was settled before it, as a plain fit of those would
    start, last = models[-1]
    settled = [s for s in shots if s.known_at < start]
    assert last == fit(settled, team_prior_weight=WT, pair_prior_weight=WP)


def test_a_fit_learns_from_the_latest_window_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The oldest outcomes beyond TRAINING_WINDOW are left out: a model of a long history
    equals the model of its latest part."""
    import accord.trust.learner as learner

    monkeypatch.setattr(learner, "TRAINING_WINDOW", 400)
    shots = synthetic(1000, seed=12)
    latest = sorted(shots, key=lambda s: (s.known_at, s.key))[-400:]
    assert fit(shots, team_prior_weight=WT, pair_prior_weight=WP) == fit(
        latest, team_prior_weight=WT, pair_prior_weight=WP
    )
