"""`accord trust fit` and `accord trust backtest --json`, run as real processes on a SQLite file
holding 30 finished commitments (forecast_histories.forecast_document)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from accord.db import make_engine
from accord.interchange.importer import import_document
from accord.trust.learner import HOLDOUT
from accord.uow import UnitOfWork
from factories import OPERATOR
from forecast_histories import forecast_document

NOW = datetime(2026, 6, 1, tzinfo=UTC)
FINISHED = 30
BACKTEST_KEYS = {"n", "brier", "brier_base", "skill", "ece", "log_loss", "bins", "comparisons",
                 "by_lead_time", "verdict"}  # fmt: skip


@pytest.fixture(scope="module")
def history(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The history imported once into a migrated SQLite file; each test works on a copy."""
    path = tmp_path_factory.mktemp("fit-history") / "accord.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        import_document(UnitOfWork(engine, lambda: NOW), OPERATOR, forecast_document(NOW, FINISHED))
    finally:
        engine.dispose()
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    return path


def overdue(db: Path) -> int:
    """The open promises past their due date by now (the CLI runs on the real clock, after
    NOW): failures already, which the model learns from too."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with closing(sqlite3.connect(db)) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM commitments WHERE state IN ('promised', 'renegotiating') "
            "AND due < ?",
            (now,),
        ).fetchone()
    assert count >= 1  # `late` was due a day before NOW
    return int(count)


def sizes(db: Path) -> tuple[int, int, int]:
    """(overdue, trained on, held out for the calibration: the settled last)."""
    late = overdue(db)
    held_out = round((FINISHED + late) * HOLDOUT)
    return late, FINISHED + late - held_out, held_out


@pytest.fixture
def db(history: Path, tmp_path: Path) -> Path:
    shutil.copyfile(history, tmp_path / "accord.db")
    return tmp_path / "accord.db"


def accord(db: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """`accord ARGS` in a fresh process on `db`, with ACCORD_* `settings` and no others."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(COLUMNS="200", NO_COLOR="1", TERM="dumb", ACCORD_DATABASE_URL=f"sqlite:///{db}")
    env.update({f"ACCORD_{name.upper()}": value for name, value in settings.items()})
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli", *args],
        capture_output=True, text=True, env=env, cwd=db.parent, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def stored_models(db: Path) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute(
            "SELECT id, trained_on, calibrated_on, kind, scores FROM trust_models ORDER BY id"
        ).fetchall()


def test_fit_with_too_little_history_says_so_and_stores_nothing(db: Path) -> None:
    result = accord(db, "trust", "fit")
    assert result.stdout.strip().endswith(
        f"{FINISHED} finished commitments: a model needs 200 (ACCORD_FORECAST_MIN_HISTORY); "
        "forecasts stay the pair's ability"
    )
    report = json.loads(accord(db, "trust", "fit", "--json").stdout)
    assert report["version"] is None
    assert report["finished"] == FINISHED
    assert report["scores"] == {}
    assert stored_models(db) == []


def test_fit_stores_a_version_and_reports_it_as_json(db: Path) -> None:
    late, trained, held_out = sizes(db)
    report = json.loads(accord(db, "trust", "fit", "--json", forecast_min_history="20").stdout)
    assert set(report) == {"version", "finished", "overdue", "trained_on", "calibrated_on",
                           "window", "scores", "seconds"}  # fmt: skip
    assert report["overdue"] == late
    assert report["version"] == 1
    assert (report["finished"], report["trained_on"], report["calibrated_on"]) == (
        FINISHED,
        trained,
        held_out,
    )
    start, end = (datetime.fromisoformat(w) for w in report["window"])
    assert start < end < NOW
    scores = report["scores"]
    assert scores["n"] == FINISHED
    assert 0 <= scores["brier"] <= 1
    assert 0 <= scores["ece"] <= 1
    assert scores["skill"] == pytest.approx(1 - scores["brier"] / scores["brier_base"])
    ((version, trained_on, calibrated, kind, stored),) = stored_models(db)
    assert (version, trained_on, calibrated) == (1, trained, held_out)
    assert kind
    assert json.loads(stored) == scores

    quick = json.loads(
        accord(db, "trust", "fit", "--json", "--quick", forecast_min_history="20").stdout
    )
    assert quick["version"] == 2
    assert quick["scores"] == {}  # no rolling backtest
    assert [row[0] for row in stored_models(db)] == [1, 2]


def test_fit_prints_the_version_and_its_scores(db: Path) -> None:
    late, trained, held_out = sizes(db)
    out = accord(db, "trust", "fit", forecast_min_history="20").stdout
    assert (
        f"model 1: fitted on {trained} commitments, calibrated on the {held_out} settled last, "
        "in " in out
    )
    assert f"{late} of them are still open past their due date: failures already" in out
    assert "backtest: Brier " in out
    assert "(base rate " in out
    assert "pair ability " in out
    assert "ECE " in out


def test_backtest_json_has_the_document_of_design_section_6(db: Path) -> None:
    plain = json.loads(accord(db, "trust", "backtest", "--json").stdout)
    assert set(plain) >= BACKTEST_KEYS
    assert plain["n"] == FINISHED
    assert plain["model_share"] == 0.0  # too little history: the pair's ability throughout
    assert plain["brier"] == pytest.approx(plain["comparisons"]["pair_ability"]["brier"])
    assert len(plain["bins"]) == 10
    assert sum(b["n"] for b in plain["bins"]) == FINISHED
    assert {"lo", "hi", "n", "mean_forecast", "observed"} <= set(plain["bins"][0])
    assert set(plain["comparisons"]) >= {"pair_ability", "running_rate", "base_rate"}
    assert sum(b["n"] for b in plain["by_lead_time"]) == FINISHED
    assert plain["verdict"].startswith("Of the ")

    fitted = json.loads(accord(db, "trust", "backtest", "--json", forecast_min_history="20").stdout)
    assert set(fitted) >= BACKTEST_KEYS
    assert fitted["n"] == FINISHED
    assert 0 < fitted["model_share"] < 1  # the first 20 or so settle before any fit
    assert fitted["refits"] >= 1
    # the comparisons do not depend on the model
    assert fitted["comparisons"] == plain["comparisons"]
    assert fitted["brier_base"] == plain["brier_base"]
    text = accord(db, "trust", "backtest", forecast_min_history="20").stdout
    assert f"{FINISHED} finished commitments, each forecast from what was known" in text
    assert fitted["verdict"] in text
