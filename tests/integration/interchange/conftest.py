"""Whatever a test here does, the event log it leaves behind still verifies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accord.db import make_engine, migrate
from accord.uow import UnitOfWork
from factories import chain_ok


@pytest.fixture(autouse=True)
def _chain_still_verifies(uow: UnitOfWork) -> Iterator[None]:
    yield
    assert chain_ok(uow), "the event log no longer verifies"


@pytest.fixture
def other_uow(tmp_path, clock) -> Iterator[UnitOfWork]:
    """A second, empty database (SQLite) to import exports into."""
    engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    migrate(engine)
    yield UnitOfWork(engine, clock=clock)
    engine.dispose()
