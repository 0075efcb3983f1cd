"""Whatever a test here does, the event log it leaves behind still verifies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accord.uow import UnitOfWork
from factories import chain_ok


@pytest.fixture(autouse=True)
def _chain_still_verifies(uow: UnitOfWork) -> Iterator[None]:
    yield
    assert chain_ok(uow), "the event log no longer verifies"
