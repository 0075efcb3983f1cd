"""The run's engines share their dialects and compiled statements (`tests/shared_dialects.py`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine.interfaces import CacheStats

from accord.db import make_engine
from accord.org.orm import teams_table

TABLE = "CREATE TABLE teams (id INTEGER, slug TEXT)"


def test_an_engine_made_after_one_alike_connected_compiles_nothing_again(tmp_path: Path) -> None:
    statement = select(teams_table.c.slug).where(teams_table.c.slug == "a slug of this test")
    first = make_engine(f"sqlite:///{tmp_path / 'first.db'}")
    second = None
    try:
        with first.connect() as connection:
            connection.exec_driver_sql(TABLE)
            made = connection.execute(statement)
            assert made.context.cache_hit is not CacheStats.CACHE_HIT  # compiled here
        second = make_engine(f"sqlite:///{tmp_path / 'second.db'}")
        assert second.dialect is first.dialect
        with second.connect() as connection:
            connection.exec_driver_sql(TABLE)
            again = connection.execute(statement)
            assert again.context.cache_hit is CacheStats.CACHE_HIT
            assert again.context.compiled is made.context.compiled
    finally:
        first.dispose()
        if second is not None:
            second.dispose()
