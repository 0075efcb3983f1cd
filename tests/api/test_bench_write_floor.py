"""The load benchmark's write floor (issue 18): one row into a scratch table, committed, by the
server in bench mode only; bench/wrk.py makes the table before its run and drops it after."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType

import httpx
from sqlalchemy import Engine, func, inspect, select

from accord.channel.floors import bench_writes_table, drop_scratch, make_scratch
from accord.config import Settings
from accord.db import make_engine, migrate
from bench_scripts import load
from live_server import serve


def _wrk() -> ModuleType:
    return load("wrk.py", "bench_wrk_write")


def _written(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(bench_writes_table)) or 0)


def _settings(engine: Engine, floors: bool) -> Settings:
    url = engine.url.render_as_string(hide_password=False)
    return Settings(database_url=url, secret_key="test-secret", bench_floors=floors)


def test_the_write_floor_commits_a_row_each_request(
    engine: Engine, clock: Callable[[], datetime]
) -> None:
    make_scratch(engine)
    try:
        for base_url in serve(_settings(engine, True), clock):
            with httpx.Client(base_url=base_url, timeout=30) as http:
                for _ in range(3):
                    answer = http.post("/bench/write")
                    assert answer.status_code == 200, answer.text
                    assert answer.json() == {"ok": True}
        # committed: another connection of another engine sees every row
        assert _written(engine) == 3
    finally:
        drop_scratch(engine)
    assert "bench_writes" not in inspect(engine).get_table_names()


def test_without_bench_mode_there_is_no_write_floor(
    engine: Engine, clock: Callable[[], datetime]
) -> None:
    make_scratch(engine)
    try:
        for base_url in serve(_settings(engine, False), clock):
            with httpx.Client(base_url=base_url, timeout=30) as http:
                assert http.post("/bench/write").status_code in (404, 405)
        assert _written(engine) == 0
    finally:
        drop_scratch(engine)


def test_wrk_runs_the_write_floor_on_a_table_of_its_own(tmp_path: Path) -> None:
    wrk = _wrk()
    assert "write" in wrk.SCENARIOS
    assert 'wrk.format("POST", "/bench/write")' in wrk.WRITE_SCRIPT
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    engine = make_engine(url)
    try:
        migrate(engine)
        with wrk.scratch(url, True):
            assert "bench_writes" in inspect(engine).get_table_names()
        assert "bench_writes" not in inspect(engine).get_table_names()
        with wrk.scratch(url, False):  # no write floor asked for: no table
            assert "bench_writes" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
