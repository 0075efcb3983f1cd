"""The forecast through its services on SQLite and PostgreSQL (DESIGN §2 Forecast): the pair's
ability while history is short, a fitted and stored model once it is not, a stored model that
cannot be read, settled forecasts, who may fit, when a refit is due, and a purpose's forecast."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text, update

from accord.commitments import service as commitments
from accord.errors import Forbidden
from accord.interchange.importer import import_document
from accord.org import service as org
from accord.org.domain import Person
from accord.trust import fitting
from accord.trust import forecast as forecasts
from accord.trust import service as trust
from accord.trust.domain import TRACK_FIELDS, fold
from accord.trust.features import FEATURES, Inputs, Sweep
from accord.trust.learner import FLOOR, FORMAT, FittedModel
from accord.trust.model import beta_all_success
from accord.trust.orm import trust_models_table
from accord.trust.replay import replay
from accord.trust.views import view_at
from accord.uow import UnitOfWork
from built_once import built_once
from factories import OPERATOR, SETTINGS
from forecast_histories import ADMIN, LEADS, MEMBER, forecast_document
from interchange_documents import example

FEW = SETTINGS  # ACCORD_FORECAST_MIN_HISTORY 200: the history below is too short
ENOUGH = SETTINGS.model_copy(update={"forecast_min_history": 20})
FINISHED = 30


@pytest.fixture(autouse=True)
def _forget_models() -> Any:
    """Models are cached per database URL and version; PostgreSQL's URL and versions repeat."""
    fitting.forget_models()
    yield
    fitting.forget_models()


@pytest.fixture
def people(
    request: pytest.FixtureRequest, engine: Engine, uow: UnitOfWork, clock: Any
) -> dict[str, Person]:
    """forecast_document's history, imported: 30 finished commitments, then open ones."""
    return built_once(request, engine, lambda: build_people(uow, clock))


def build_people(uow: UnitOfWork, clock: Any) -> dict[str, Person]:
    import_document(uow, OPERATOR, forecast_document(clock.now, FINISHED))
    emails = {**LEADS, "member": MEMBER, "admin": ADMIN}
    return {name: org.get_person(uow, email) for name, email in emails.items()}


def pair_ability(uow: UnitOfWork, performer: str, requester: str) -> Any:
    return trust.trust_of(uow, FEW, OPERATOR, performer, of=requester).trust.ability


def sweep_inputs(uow: UnitOfWork, key: str, moment: datetime) -> Inputs:
    """What the backtest's sweep knows of `key` at `moment`, from the whole log."""
    with uow:
        events = sorted(uow.trust.commitment_events(upto=moment), key=lambda e: e[0])
    sweep = Sweep(SETTINGS.half_life_days)
    for at, subject, payload in events:
        sweep.advance_to(at)
        sweep.apply(at, subject, payload)
    sweep.advance_to(moment)
    return sweep.inputs(sweep.tracks[key], moment)


def assert_live_inputs_equal_the_sweeps(uow: UnitOfWork, moment: datetime) -> None:
    """What the service reads from the stored sums is what the backtest's sweep of the log
    knows at the same instant, so a model fitted on the one serves the other."""
    for key in ("ahead", "ahead-2", "third", "late"):
        with uow:
            commitment = uow.commitments.get(key)
            live = forecasts.live_inputs(uow, view_at(uow, FEW, moment), commitment, moment)
        swept = sweep_inputs(uow, key, moment)
        for name in ("pair", "team", "org", "requester"):
            assert getattr(live, name) == pytest.approx(getattr(swept, name), rel=1e-9), name
        assert live.lead_days == pytest.approx(swept.lead_days)
        assert live.left_days == pytest.approx(swept.left_days)
        assert (live.reliance, live.counters, live.changes, live.pending_change) == (
            swept.reliance,
            swept.counters,
            swept.changes,
            swept.pending_change,
        )
        assert (live.open_load, live.same_due, live.recent) == (
            swept.open_load,
            swept.same_due,
            swept.recent,
        ), key
    # p's open promised work: ahead, ahead-2, third and late; some of it finished lately
    assert swept.open_load == 3
    assert sum(swept.recent) > 0
    assert swept.pair != (0.0, 0.0)


def test_with_too_little_history_the_forecast_is_the_pairs_ability(
    uow: UnitOfWork, people: dict[str, Person], clock: Any
) -> None:
    with uow:
        tracks = fold(uow.trust.commitment_events())
        assert uow.models.finished_count() == FINISHED
    finished = [t for t in tracks.values() if t.outcome() is not None]
    assert len(finished) == FINISHED
    assert 0 < sum(t.on_time() for t in finished) < FINISHED
    assert tracks["late"].due < clock.now < tracks["ahead"].due
    assert_live_inputs_equal_the_sweeps(uow, clock.now)

    result = forecasts.commitment_forecast(uow, FEW, people["r"], "ahead")
    assert result.method == "pair_ability"
    assert result.model_version is None
    assert result.probability == pytest.approx(pair_ability(uow, "p", "r").expected, rel=1e-9)
    assert any("fewer than 200 finished commitments" in reason for reason in result.reasons)
    assert any("Team P" in reason for reason in result.reasons)
    other = forecasts.commitment_forecast(uow, FEW, people["o"], "third")
    assert other.probability == pytest.approx(pair_ability(uow, "p", "o").expected, rel=1e-9)

    report = fitting.fit_model(uow, FEW, people["admin"])
    assert report.version is None
    assert report.finished == FINISHED
    with uow:
        assert uow.models.latest_version() is None
        assert fitting.current_model(uow).model is None
    assert fitting.refit_if_due(uow, FEW) is None  # not due: no model, and too little history


def test_a_fitted_model_is_stored_and_serves_the_forecast(
    uow: UnitOfWork, people: dict[str, Person], clock: Any
) -> None:
    report = fitting.fit_model(uow, ENOUGH, people["admin"])
    with uow:
        version = uow.models.latest_version()
        stored = uow.models.get(version) if version is not None else None
    assert version is not None
    assert report.version == version
    assert stored is not None
    assert stored.fitted_at == clock.now
    assert (stored.trained_on, stored.calibrated_on) == (report.trained_on, report.calibrated_on)
    assert report.finished == FINISHED
    # `late` (due a day ago, undelivered) is a failure already: the model learns from it too
    assert report.overdue == 1
    assert report.trained_on + report.calibrated_on == FINISHED + 1
    assert report.window[0] is not None
    assert report.window[1] is not None
    assert report.window[0] < report.window[1] < clock.now
    assert {"n", "brier", "brier_base", "skill", "log_loss", "ece"} <= set(stored.scores)
    assert stored.scores["n"] == FINISHED
    model = FittedModel.from_document(stored.parameters)
    assert model.features == FEATURES

    result = forecasts.commitment_forecast(uow, ENOUGH, people["r"], "ahead")
    assert result.method == "model"
    assert result.model_version == version
    assert result.probability is not None
    assert 0 < result.probability < 1
    assert result.reasons
    assert all(isinstance(reason, str) and reason.strip() for reason in result.reasons)
    assert not any("fewer than" in reason for reason in result.reasons)
    # the live forecast reads what the backtest's sweep would know at this instant
    expected = model.predict(sweep_inputs(uow, "ahead", clock.now))
    assert result.probability == pytest.approx(expected, rel=1e-9)

    # the same model, and history, but a setting that asks for more: the pair's ability
    fewer = forecasts.commitment_forecast(uow, FEW, people["r"], "ahead")
    assert fewer.method == "pair_ability"

    clock.advance(hours=1)
    newer = fitting.fit_model(uow, ENOUGH, OPERATOR, backtest=False)
    assert newer.version == version + 1
    assert newer.scores == {}  # no rolling backtest asked for
    result = forecasts.commitment_forecast(uow, ENOUGH, people["r"], "ahead")
    assert result.model_version == newer.version


def corrupt(engine: Engine, parameters: Any) -> None:
    with engine.begin() as connection:
        connection.execute(update(trust_models_table).values(parameters=parameters))
    fitting.forget_models()


def assert_falls_back(uow: UnitOfWork, person: Person) -> None:
    result = forecasts.commitment_forecast(uow, ENOUGH, person, "ahead")
    assert result.method == "pair_ability"
    assert result.model_version is None
    assert result.probability == pytest.approx(pair_ability(uow, "p", "r").expected, rel=1e-9)
    assert any("cannot be read" in r and "falls back" in r for r in result.reasons), result.reasons


def test_a_stored_model_that_cannot_be_read_falls_back_to_the_pair(
    engine: Engine, uow: UnitOfWork, people: dict[str, Person]
) -> None:
    fitting.fit_model(uow, ENOUGH, people["admin"], backtest=False)
    first = forecasts.commitment_forecast(uow, ENOUGH, people["r"], "ahead")
    assert first.method == "model"
    with uow:
        version = uow.models.latest_version()
        assert version is not None
        stored = uow.models.get(version)
        assert stored is not None
        good = dict(stored.parameters)
    with engine.begin() as connection:
        connection.execute(update(trust_models_table).values(parameters="garbage"))
    # read once per process and version: the damage shows only to a process that reads it anew
    cached = forecasts.commitment_forecast(uow, ENOUGH, people["r"], "ahead")
    assert (cached.method, cached.probability) == (first.method, first.probability)
    for parameters in (
        "garbage",
        [1, 2, 3],
        {"format": "pickle", "payload": "gASVAAAA"},
        {"format": FORMAT, "features": list(FEATURES), "low": [0.0]},
        {**good, "coef": good["coef"][:-1]},
        {**good, "scale": [0.0] * len(FEATURES)},
        {**good, "features": list(reversed(FEATURES))},
        {**good, "intercept": "1"},
        {**good, "calibration": {"kind": "isotonic", "x": [0.9, 0.1], "y": [0.1, 0.9]}},
    ):
        corrupt(engine, parameters)
        assert_falls_back(uow, people["r"])
        with uow:
            current = fitting.current_model(uow)
        assert current.model is None
        assert current.problem is not None
    corrupt(engine, good)
    again = forecasts.commitment_forecast(uow, ENOUGH, people["r"], "ahead")
    assert (again.method, again.probability) == (first.method, first.probability)


@pytest.fixture
def sqlite_only(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL refuses text that is not JSON in a JSON column")


@pytest.mark.usefixtures("sqlite_only")
def test_a_stored_model_that_is_not_even_json_falls_back_to_the_pair(
    engine: Engine, uow: UnitOfWork, people: dict[str, Person]
) -> None:
    fitting.fit_model(uow, ENOUGH, people["admin"], backtest=False)
    with engine.begin() as connection:
        connection.execute(text("UPDATE trust_models SET parameters = 'not json {'"))
    fitting.forget_models()
    assert_falls_back(uow, people["r"])


def test_settled_forecasts_need_no_model(
    uow: UnitOfWork, people: dict[str, Person], clock: Any
) -> None:
    for settings in (FEW, ENOUGH):
        if settings is ENOUGH:
            fitting.fit_model(uow, ENOUGH, people["admin"], backtest=False)
        late = forecasts.commitment_forecast(uow, settings, people["r"], "late")
        assert late.overdue is True
        assert late.probability == FLOOR
        assert "due date has passed" in late.reasons[0]
        done = forecasts.commitment_forecast(uow, settings, people["r"], "delivered")
        assert done.probability == 1 - FLOOR
        assert done.reasons[0].startswith("delivered before its due date")
        finished = forecasts.commitment_forecast(uow, settings, people["admin"], "h000")
        assert finished.probability is None
        assert finished.reasons == []
    # once accepted, the delivered one has no forecast any more
    done_by = commitments.get_commitment(uow, "delivered").commitment
    commitments.move(uow, people["r"], "delivered", "accept", version=done_by.version, value=4)
    after = forecasts.commitment_forecast(uow, ENOUGH, people["r"], "delivered")
    assert after.probability is None


def test_who_may_fit_and_who_may_read_a_forecast(
    uow: UnitOfWork, people: dict[str, Person]
) -> None:
    for name in ("member", "r", "p"):
        with pytest.raises(Forbidden):
            fitting.fit_model(uow, ENOUGH, people[name])
    with uow:
        assert uow.models.latest_version() is None
    assert fitting.fit_model(uow, ENOUGH, OPERATOR, backtest=False).version is not None
    assert fitting.fit_model(uow, ENOUGH, people["admin"], backtest=False).version is not None
    assert forecasts.commitment_forecast(uow, ENOUGH, people["member"], "ahead").probability
    with pytest.raises(Forbidden):
        forecasts.commitment_forecast(uow, ENOUGH, people["q"], "ahead")  # not of the pair


def test_when_a_refit_is_due(uow: UnitOfWork, people: dict[str, Person], clock: Any) -> None:
    never = ENOUGH.model_copy(update={"forecast_refit_hours": 0})
    assert fitting.refit_due(uow, never) is False
    assert fitting.refit_if_due(uow, never) is None
    assert fitting.refit_due(uow, FEW) is False  # no model, and too little history for one
    assert ENOUGH.forecast_refit_hours == 24
    assert fitting.refit_due(uow, ENOUGH) is True  # no model yet, and enough history
    report = fitting.refit_if_due(uow, ENOUGH)
    assert report is not None
    assert report.version is not None
    assert fitting.refit_due(uow, ENOUGH) is False  # right after a fit
    clock.advance(hours=23, minutes=59)
    assert fitting.refit_due(uow, ENOUGH) is False
    clock.advance(minutes=2)
    assert fitting.refit_due(uow, ENOUGH) is True  # older than ACCORD_FORECAST_REFIT_HOURS
    assert fitting.refit_due(uow, never) is False
    again = fitting.refit_if_due(uow, ENOUGH)
    assert again is not None
    assert again.version == report.version + 1
    assert fitting.refit_due(uow, ENOUGH) is False
    # a model this version cannot read (fitted on other features, by an older one): due at once
    corrupt(uow.engine, {"format": FORMAT, "features": ["an_old_feature"]})
    fitting.forget_models()
    assert fitting.refit_due(uow, ENOUGH) is True
    third = fitting.refit_if_due(uow, ENOUGH)
    assert third is not None
    assert fitting.refit_due(uow, ENOUGH) is False
    result = forecasts.commitment_forecast(uow, ENOUGH, people["r"], "ahead")
    assert (result.method, result.model_version) == ("model", third.version)


def purpose_rows(result: forecasts.PurposeForecast) -> dict[str, float]:
    rows = {c.key: c.probability for c in result.commitments}
    assert all(p is not None for p in rows.values())
    return {k: float(p) for k, p in rows.items() if p is not None}


def test_a_purpose_forecast_counts_commitments_of_one_pair_as_sharing_a_rate(
    uow: UnitOfWork, people: dict[str, Person]
) -> None:
    """DESIGN §2: commitments of one pair share p ~ Beta(r + 8a, s + 8(1 - a)); P(all k) is
    the product of (alpha + i) / (alpha + beta + i); pairs are independent. `ahead` and
    `ahead-2` are r's from p, `third` o's; `late` and `delivered` are relied on little."""
    result = forecasts.purpose_forecast(uow, FEW, people["admin"], "churn", seed=3)
    rows = purpose_rows(result)
    assert sorted(rows) == ["ahead", "ahead-2", "third"]
    rp, op = pair_ability(uow, "p", "r"), pair_ability(uow, "p", "o")
    assert rows["ahead"] == pytest.approx(rp.expected, rel=1e-9)
    assert rows["third"] == pytest.approx(op.expected, rel=1e-9)
    exact = beta_all_success(rp.alpha, rp.beta, 2) * op.expected
    assert result.outlook.probability_all == pytest.approx(exact, rel=1e-9)
    independent = math.prod(rows.values())
    assert result.outlook.probability_all > independent
    assert result.outlook.expected_count == pytest.approx(sum(rows.values()), rel=1e-9)
    assert sum(result.outlook.distribution) == pytest.approx(1.0)
    assert len(result.outlook.distribution) == 4

    fitting.fit_model(uow, ENOUGH, people["admin"], backtest=False)
    result = forecasts.purpose_forecast(uow, ENOUGH, people["admin"], "churn", seed=3)
    rows = purpose_rows(result)
    assert sorted(rows) == ["ahead", "ahead-2", "third"]
    for key in rows:
        single = forecasts.commitment_forecast(uow, ENOUGH, people["admin"], key)
        assert single.method == "model"
        assert rows[key] == pytest.approx(single.probability, rel=1e-12)
    probability_all = result.outlook.probability_all
    assert math.prod(rows.values()) * (1 - 1e-9) <= probability_all <= min(rows.values())
    assert result.outlook.expected_count == pytest.approx(sum(rows.values()), rel=1e-9)


def _at(payload: dict[str, Any], path: tuple[str, ...]) -> Any:
    found: Any = payload
    for part in path:
        found = found.get(part) if isinstance(found, dict) else None
    return found


@pytest.mark.parametrize("document", ["forecast", "example"])
def test_the_log_read_for_the_forecast_holds_all_a_track_reads(
    uow: UnitOfWork, clock: Any, document: str
) -> None:
    """`commitment_moves` (the payload's parts picked out by the database) gives every part a
    track reads exactly as the whole payload has it, and so the same tracks and snapshots."""
    if document == "example":  # a change of date agreed: new terms
        import_document(uow, OPERATOR, example())
    else:  # many commitments, some open, some finished late
        import_document(uow, OPERATOR, forecast_document(clock.now, FINISHED))
    with uow:
        whole = list(uow.trust.commitment_events())
        cut = list(uow.trust.commitment_moves())
    assert [(at, subject) for at, subject, _ in cut] == [(at, s) for at, s, _ in whole]
    seen = set()
    for (_, _, full), (_, _, part) in zip(whole, cut, strict=True):
        for path in TRACK_FIELDS:
            assert _at(part, path) == _at(full, path), path
            if _at(full, path) is not None:
                seen.add(path)
        assert set(part) <= {path[0] for path in TRACK_FIELDS}
    assert {("move",), ("to",), ("requester",), ("args", "due"), ("args", "value")} <= seen
    if document == "example":
        assert ("terms", "due") in seen
    assert fold(cut) == fold(whole)
    assert replay(cut, SETTINGS.half_life_days).snapshots == (
        replay(whole, SETTINGS.half_life_days).snapshots
    )
