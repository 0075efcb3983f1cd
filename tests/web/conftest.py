"""Fixtures for tests that speak HTTP to a real server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from accord.config import Settings
from live_server import serve


@pytest.fixture
def base_url(sqlite_engine: Engine) -> Iterator[str]:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    yield from serve(Settings(database_url=url, secret_key="test-secret"))


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        yield http
