"""Use cases of the fitted forecast model: fit it from the event log and store it, read the
current one, refit when it is due.

A stored model is read back through `FittedModel.from_document`, which takes plain numbers
only; a model that cannot be read is reported and the forecast falls back to the pair's
ability (DESIGN §2), so nothing a user stores can crash or take over a forecast.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from accord.config import Settings
from accord.org.domain import Actor, Operator, ensure_admin
from accord.trust.backtest import Material, purpose_backtest, rolling_rows, summarize
from accord.trust.learner import HOLDOUT, TRAINING_WINDOW, FittedModel
from accord.trust.replay import bulk, replay
from accord.uow import UnitOfWork

if TYPE_CHECKING:
    # the repository loads table mappings; the unit of work imports it, services need not
    from accord.trust.model_store import StoredModel

log = logging.getLogger("accord.trust")
KIND = "logistic+calibration"
_MODELS: OrderedDict[tuple[str, int], CurrentModel] = OrderedDict()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class CurrentModel:
    """The model forecasts use now: None with a reason when there is none or it is unreadable."""

    model: FittedModel | None
    stored: StoredModel | None
    problem: str | None = None


def current_model(uow: UnitOfWork) -> CurrentModel:
    """The newest stored model, read once per process and version."""
    return stored_model(uow, uow.models.latest_version())


def stored_model(uow: UnitOfWork, version: int | None) -> CurrentModel:
    """Model `version`, the newest as the caller has just asked the database, read once per
    process and version: a stored model is never changed, a newer one is a new version."""
    if version is None:
        return CurrentModel(None, None)
    key = (str(uow.engine.url), version)
    with _LOCK:
        cached = _MODELS.get(key)
    if cached is None:
        cached = _read(uow, version)
        with _LOCK:
            _MODELS[key] = cached
            while len(_MODELS) > 8:
                _MODELS.popitem(last=False)
    return cached


def _read(uow: UnitOfWork, version: int) -> CurrentModel:
    try:
        stored = uow.models.get(version)
    except ValueError as error:  # a column whose text is not JSON at all
        log.warning("trust: forecast model %s cannot be read (%s)", version, error)
        return CurrentModel(None, None, f"the stored forecast model {version} cannot be read")
    try:
        model = FittedModel.from_document(stored.parameters if stored else None)
    except ValueError as error:
        log.warning("trust: forecast model %s cannot be read (%s)", version, error)
        problem = f"the stored forecast model {version} cannot be read ({error})"
        return CurrentModel(None, stored, problem)
    return CurrentModel(model, stored)


def forget_models() -> None:
    """Drop the models read so far (a database emptied and filled again under the same URL)."""
    with _LOCK:
        _MODELS.clear()


@dataclass(frozen=True)
class FitReport:
    version: int | None  # None: too little history, nothing stored
    finished: int
    trained_on: int
    calibrated_on: int
    window: tuple[datetime | None, datetime | None]
    scores: dict[str, Any]
    seconds: float
    overdue: int = 0  # open commitments past due undelivered: failures learned from too

    def document(self) -> dict[str, Any]:
        from accord.events.domain import iso

        return {
            "version": self.version,
            "finished": self.finished,
            "overdue": self.overdue,
            "trained_on": self.trained_on,
            "calibrated_on": self.calibrated_on,
            "window": [iso(w) if w else None for w in self.window],
            "scores": self.scores,
            "seconds": self.seconds,
        }


def fit_model(
    uow: UnitOfWork,
    settings: Settings,
    actor: Actor,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    backtest: bool = True,
) -> FitReport:
    """Fit the forecast on every finished commitment and store it (admins and the server).

    Its own scores are the whole rolling-origin backtest of the same history, which the API and
    the calibration page then show without computing it again (`backtest=False` skips it).
    """
    import time

    started = time.perf_counter()
    with uow:
        actor = uow.bind(actor)
        if not isinstance(actor, Operator):
            ensure_admin(actor, "fit the forecast model")
        with bulk():
            events = list(uow.trust.commitment_moves())
        # the purposes' monthly checkpoints serve the backtest only
        purposes = {p.key: p.purpose.key for p in uow.partnerships.list()} if backtest else None
        now = uow.now()  # the open commitments past due by now are failures to learn from
    if progress is not None:
        progress("read", len(events), len(events))
    replayed = replay(events, settings.half_life_days, purposes, until=now)
    del events
    shots = replayed.learned_from  # the finished and the overdue: every settled outcome
    finished = len(replayed.snapshots)
    if progress is not None:
        progress("replayed", finished, finished)
    if finished < settings.forecast_min_history:
        return FitReport(None, finished, 0, 0, (None, None), {}, time.perf_counter() - started, 0)
    # the features of every commitment, once, for the model and the backtest alike
    material = Material.of_replay(replayed, settings)
    model = material.fit_latest(settings)
    scores: dict[str, Any] = {}
    if backtest:
        done = [0]

        def tick(count: int) -> None:
            done[0] += count
            if progress is not None:
                progress("backtest", done[0], finished)

        rows, models = rolling_rows(material, settings, progress=tick)
        summary = summarize(rows, len(models))
        purpose = purpose_backtest(replayed, models, settings)
        scores = replace(summary, purpose=purpose).document()
    used = min(len(shots), TRAINING_WINDOW)  # the latest settled, as `fit_latest` takes them
    held_out = round(used * HOLDOUT)
    latest = sorted(shots, key=lambda s: (s.known_at, s.key))[-used:]
    window = (min(s.at for s in latest), max(s.at for s in latest))
    with uow:
        version = uow.models.add(
            fitted_at=uow.now(),
            window=window,
            trained_on=used - held_out,
            calibrated_on=held_out,
            kind=KIND,
            scores=scores,
            parameters=model.document(),
        )
        uow.commit()
    return FitReport(
        version,
        finished,
        used - held_out,
        held_out,
        window,
        scores,
        time.perf_counter() - started,
        len(replayed.overdue),
    )


def refit_due(uow: UnitOfWork, settings: Settings) -> bool:
    """Whether the scheduled refit should run: refits are on, and the newest model is older than
    ACCORD_FORECAST_REFIT_HOURS, or cannot be read (fitted by a version that read other
    features, say), or there is none while the history is large enough."""
    if settings.forecast_refit_hours <= 0:
        return False
    with uow:
        version = uow.models.latest_version()
        stored = uow.models.get(version) if version is not None else None
        if stored is not None:
            if current_model(uow).model is None:
                return True
            return uow.now() - stored.fitted_at >= timedelta(hours=settings.forecast_refit_hours)
        return uow.models.finished_count() >= settings.forecast_min_history


def refit_if_due(uow: UnitOfWork, settings: Settings) -> FitReport | None:
    """The server's scheduled refit: fits and stores a model when one is due."""
    if not refit_due(uow, settings):
        return None
    report = fit_model(uow, settings, Operator())
    log.info(
        "trust: forecast model %s fitted on %d commitments in %.1f s",
        report.version,
        report.finished,
        report.seconds,
    )
    return report


class Refitter(threading.Thread):
    """The server's schedule: checks every `check_seconds` whether a refit is due and runs it,
    in one background thread, so that forecasts follow the organization as it changes."""

    def __init__(
        self,
        make_uow: Callable[[], UnitOfWork],
        settings: Settings,
        *,
        first_check_seconds: float = 60.0,
    ) -> None:
        super().__init__(name="accord-refit", daemon=True)
        self.first_check_seconds = first_check_seconds
        self.make_uow = make_uow
        self.settings = settings
        hours = settings.forecast_refit_hours
        self.check_seconds = max(60.0, min(3600.0, hours * 3600.0 / 4)) if hours > 0 else 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        # the first check waits a minute: a server that has just started serves first
        delay = self.first_check_seconds
        while self.check_seconds and not self.stopped.wait(delay):
            try:
                refit_if_due(self.make_uow(), self.settings)
            except Exception:  # a failed refit must not stop the schedule or the server
                log.exception("trust: the scheduled refit of the forecast model failed")
            delay = self.check_seconds

    def stop(self) -> None:
        self.stopped.set()
