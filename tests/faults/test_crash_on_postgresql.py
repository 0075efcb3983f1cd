"""The server killed under concurrent moves, on PostgreSQL (see test_crash_and_outage)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from test_crash_and_outage import killed_under_concurrent_moves, live_org

__all__ = ["live_org"]  # the organization's fixture, served to this file's test

pytestmark = pytest.mark.slow


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_killed_under_concurrent_moves_the_server_loses_and_repeats_nothing(
    engine: Engine, live_org: dict[str, str]
) -> None:
    killed_under_concurrent_moves(engine, live_org)
