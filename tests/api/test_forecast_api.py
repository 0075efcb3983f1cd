"""The forecast and the backtest through the REST API (DESIGN §6), on SQLite and PostgreSQL: a
server whose forecasts come from a fitted model, and one with too little history for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from accord.config import Settings
from accord.interchange.importer import import_document
from accord.org import service as org
from accord.trust import fitting
from accord.uow import UnitOfWork
from factories import OPERATOR
from forecast_histories import ADMIN, LEADS, forecast_document
from live_server import serve

FINISHED = 30
BACKTEST_KEYS = {"n", "brier", "brier_base", "skill", "ece", "log_loss", "bins", "comparisons",
                 "by_lead_time", "verdict"}  # fmt: skip


@pytest.fixture
def served(engine: Engine, clock: Callable[[], datetime]) -> Iterator[dict[str, Any]]:
    """The history imported and a model fitted (ACCORD_FORECAST_MIN_HISTORY 20); a server with
    that setting, one with the default (200), and tokens for r's lead, q's lead and an admin."""
    fitting.forget_models()
    uow = UnitOfWork(engine, clock)
    import_document(uow, OPERATOR, forecast_document(clock(), FINISHED))
    url = engine.url.render_as_string(hide_password=False)
    enough = Settings(database_url=url, secret_key="test-secret", forecast_min_history=20)
    report = fitting.fit_model(UnitOfWork(engine, clock), enough, OPERATOR, backtest=False)
    tokens = {
        name: org.create_token(UnitOfWork(engine, clock), OPERATOR, email)
        for name, email in (("r", LEADS["r"]), ("q", LEADS["q"]), ("admin", ADMIN))
    }
    few = Settings(database_url=url, secret_key="test-secret")
    for with_model in serve(enough, clock):
        for without in serve(few, clock):
            yield {
                "model": with_model,
                "few": without,
                "tokens": tokens,
                "version": report.version,
                "fit": lambda: fitting.fit_model(UnitOfWork(engine, clock), enough, OPERATOR),
            }
    fitting.forget_models()


def client(served: dict[str, Any], server: str, who: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {served['tokens'][who]}"}
    return httpx.Client(base_url=served[server], headers=headers, timeout=30)


def test_a_commitments_forecast_says_its_method_version_and_reasons(
    served: dict[str, Any],
) -> None:
    with client(served, "model", "r") as http:
        fitted = http.get("/api/v1/commitments/ahead/forecast")
    assert fitted.status_code == 200, fitted.text
    document = fitted.json()
    assert {"p", "method", "model_version", "reasons"} <= set(document)
    assert document["p"] == document["probability"]
    assert document["key"] == "ahead"
    assert document["method"] == "model"
    assert document["model_version"] == served["version"]
    assert 0 < document["probability"] < 1
    assert document["reasons"]
    assert all(isinstance(r, str) and r for r in document["reasons"])

    with client(served, "few", "r") as http:
        plain = http.get("/api/v1/commitments/ahead/forecast").json()
        trust = http.get("/api/v1/teams/p/trust", params={"of": "r"}).json()
    assert plain["method"] == "pair_ability"
    assert plain["model_version"] is None
    assert plain["probability"] == pytest.approx(trust["ability"]["expected"], rel=1e-9)
    assert any("fewer than 200 finished commitments" in r for r in plain["reasons"])


def test_a_forecast_is_for_the_two_teams_and_admins(served: dict[str, Any]) -> None:
    with client(served, "model", "q") as http:
        refused = http.get("/api/v1/commitments/ahead/forecast")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    with client(served, "model", "admin") as http:
        allowed = http.get("/api/v1/commitments/ahead/forecast")
        finished = http.get("/api/v1/commitments/h000/forecast")
    assert allowed.status_code == 200
    assert allowed.json()["method"] == "model"
    assert finished.status_code == 200
    assert finished.json()["probability"] is None


def test_the_backtest_has_the_keys_of_design_section_6(served: dict[str, Any]) -> None:
    with client(served, "model", "q") as http:
        fitted = http.get("/api/v1/trust/backtest")
    with client(served, "few", "q") as http:
        plain = http.get("/api/v1/trust/backtest")
    assert fitted.status_code == plain.status_code == 200
    for document in (fitted.json(), plain.json()):
        assert set(document) >= BACKTEST_KEYS
        assert document["n"] == FINISHED
        assert sum(b["n"] for b in document["bins"]) == FINISHED
        assert {"lo", "hi", "n", "mean_forecast", "observed"} <= set(document["bins"][0])
        assert set(document["comparisons"]) >= {"pair_ability", "running_rate", "base_rate"}
        assert sum(b["n"] for b in document["by_lead_time"]) == FINISHED
        assert document["verdict"]
    assert plain.json()["model_share"] == 0.0
    assert fitted.json()["model_share"] > 0.0
    with httpx.Client(base_url=served["model"], timeout=30) as anonymous:
        assert anonymous.get("/api/v1/trust/backtest").status_code == 401


def test_the_backtest_stored_with_the_newest_model_is_the_one_served(
    served: dict[str, Any],
) -> None:
    report = served["fit"]()  # with its rolling backtest this time
    with client(served, "few", "q") as http:
        document = http.get("/api/v1/trust/backtest").json()
    assert set(document) >= BACKTEST_KEYS
    assert document["model_version"] == report.version
    assert document["n"] == report.scores["n"] == FINISHED
    assert document["brier"] == pytest.approx(report.scores["brier"])
    assert document["model_share"] > 0.0  # as fitted, with ACCORD_FORECAST_MIN_HISTORY 20
