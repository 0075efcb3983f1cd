"""The backtest without a fitted model is kept in the database per state of the evidence: every
server process (and a restarted one) answers it without computing it again, and any change to
the evidence or to the settings it reads makes it computed anew. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from accord.interchange.importer import import_document
from accord.trust import backtest as backtesting
from accord.trust.model_store import BACKTESTS_KEPT
from accord.trust.orm import trust_backtests_table
from accord.uow import UnitOfWork
from factories import OPERATOR, SETTINGS, make_team
from forecast_histories import forecast_document

FINISHED = 12


@pytest.fixture
def history(engine: Engine, clock: Callable[[], datetime]) -> Engine:
    import_document(UnitOfWork(engine, clock), OPERATOR, forecast_document(clock(), FINISHED))
    return engine


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the backtest was computed."""
    runs: list[int] = []
    compute = backtesting.backtest

    def counted(*args: Any, **kwargs: Any) -> backtesting.Backtest:
        runs.append(1)
        return compute(*args, **kwargs)

    monkeypatch.setattr(backtesting, "backtest", counted)
    return runs


def kept(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(trust_backtests_table)))


def test_the_backtest_is_computed_once_per_state_of_the_evidence(
    history: Engine, clock: Callable[[], datetime], computed: list[int]
) -> None:
    def reader() -> UnitOfWork:  # as the routes read: a unit of work that writes nothing
        return UnitOfWork(history, clock, read_only=True)

    first = backtesting.latest(reader(), SETTINGS, OPERATOR)
    assert first["n"] == FINISHED
    assert first["model_version"] is None
    assert (len(computed), kept(history)) == (1, 1)
    # another process, or this one restarted: the same answer, from the database
    clock.advance(minutes=5)
    assert backtesting.latest(reader(), SETTINGS, OPERATOR) == first
    assert len(computed) == 1
    # a change to the evidence: computed again, and kept beside the older one
    make_team(UnitOfWork(history, clock), "newcomers")
    again = backtesting.latest(reader(), SETTINGS, OPERATOR)
    assert (len(computed), kept(history)) == (2, 2)
    assert again["computed_at"] != first["computed_at"]
    assert backtesting.latest(reader(), SETTINGS, OPERATOR) == again
    # another half-life is another backtest
    other = SETTINGS.model_copy(update={"half_life_days": 30.0})
    backtesting.latest(reader(), other, OPERATOR)
    assert len(computed) == 3


def test_only_the_newest_backtests_are_kept(
    history: Engine, clock: Callable[[], datetime], computed: list[int]
) -> None:
    for number in range(BACKTESTS_KEPT + 2):
        make_team(UnitOfWork(history, clock), f"team-{number}")
        clock.advance(minutes=1)
        backtesting.latest(UnitOfWork(history, clock), SETTINGS, OPERATOR)
    assert len(computed) == BACKTESTS_KEPT + 2
    assert kept(history) == BACKTESTS_KEPT
