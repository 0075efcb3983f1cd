"""The benchmark's simulated organizations import cleanly and their backtest runs."""

from __future__ import annotations

import sys
from pathlib import Path

from accord.interchange.importer import import_document
from accord.trust import backtest as backtesting
from accord.uow import UnitOfWork
from factories import OPERATOR, SETTINGS

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from simulate import documents, simulate


def test_a_simulated_organization_imports_in_batches_and_scores(sqlite_engine) -> None:
    sim = simulate(8, 400, seed=3)
    batches = list(documents(sim, 150))
    assert len(batches) == 3
    for document in batches:
        import_document(UnitOfWork(sqlite_engine), OPERATOR, document)
    again = import_document(UnitOfWork(sqlite_engine), OPERATOR, batches[0])
    assert again.created["commitments"] == 0
    uow = UnitOfWork(sqlite_engine)
    with uow:
        assert len(uow.commitments.list()) == 400
        rows = list(backtesting.backtest_rows(uow.trust.commitment_events(), SETTINGS))
    assert len(rows) > 250
    assert {key for key, *_ in rows} <= set(sim.truth)
    assert all(0.0 < forecast < 1.0 for _, forecast, _, _ in rows)
