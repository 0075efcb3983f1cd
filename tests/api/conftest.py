"""Fixtures for tests that use the REST API through HTTP, against a real uvicorn server
(the organization they serve is api_org's)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from api_org import ORG_TIME, Org, build_org, served
from sqlalchemy import Engine

from accord.db import make_engine


@pytest.fixture(scope="session")
def org_template(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """The organization built once on SQLite; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("org-template") / "org.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        tokens = build_org(engine, lambda: ORG_TIME)
    finally:
        engine.dispose()
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")  # one file holds everything
    return path, tokens


@pytest.fixture
def api(
    org_template: tuple[Path, dict[str, str]], tmp_path: Path, clock: Callable[[], datetime]
) -> Iterator[Org]:
    """The organization on SQLite, served over HTTP."""
    assert clock() == ORG_TIME, "the organization was built at the clock's start"
    template, tokens = org_template
    shutil.copyfile(template, tmp_path / "accord.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'accord.db'}")
    try:
        for base_url in served(engine, clock):
            yield Org(base_url, engine, clock, tokens)
    finally:
        engine.dispose()


@pytest.fixture
def api_on(engine: Engine, clock: Callable[[], datetime]) -> Iterator[Org]:
    """The organization on SQLite and on PostgreSQL, served over HTTP."""
    tokens = build_org(engine, clock)
    for base_url in served(engine, clock):
        yield Org(base_url, engine, clock, tokens)


@pytest.fixture
def as_role(api: Org) -> Iterator[Callable[[str], httpx.Client]]:
    """Clients by role, closed at the end of the test."""
    clients: list[httpx.Client] = []

    def make(role: str) -> httpx.Client:
        clients.append(api.client(role))
        return clients[-1]

    yield make
    for client in clients:
        client.close()
