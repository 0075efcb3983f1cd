"""Fixtures of the integration tests: whatever a test does through a unit of work, the event
log it leaves behind still verifies; a second database to import exports into."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accord.db import make_engine, migrate
from accord.uow import UnitOfWork
from factories import chain_ok


@pytest.fixture(autouse=True)
def _chain_still_verifies(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that uses `uow`, the log verifies; a module that breaks it on purpose
    (the audit's tests) says so with `BREAKS_THE_LOG = True`."""
    checked = "uow" in request.fixturenames and not getattr(request.module, "BREAKS_THE_LOG", False)
    uow: UnitOfWork | None = request.getfixturevalue("uow") if checked else None
    yield
    if uow is not None:
        assert chain_ok(uow), "the event log no longer verifies"


@pytest.fixture
def other_uow(tmp_path, clock) -> Iterator[UnitOfWork]:
    """A second, empty database (SQLite) to import exports into."""
    engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    migrate(engine)
    yield UnitOfWork(engine, clock=clock)
    engine.dispose()
