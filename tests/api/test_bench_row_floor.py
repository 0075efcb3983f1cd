"""The load benchmark's row floor (issue 18) reads as the app's reads do: on SQLite in a deferred
transaction that takes no write lock, so a change in progress neither holds it up nor is held up
by it. (It once took the write lock of a change, which made the floor a floor of changes.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
from sqlalchemy import Engine, update

from accord.config import Settings
from accord.org.orm import teams_table
from accord.uow import UnitOfWork
from factories import make_team
from live_server import serve


def test_the_row_floor_reads_while_a_change_holds_the_write_lock(
    engine: Engine, make_uow: Callable[[], UnitOfWork], clock: Callable[[], datetime]
) -> None:
    make_team(make_uow(), "data-platform", name="Data Platform")
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="test-secret", bench_floors=True)
    for base_url in serve(settings, clock):
        with httpx.Client(base_url=base_url, timeout=5) as http:
            # a change to the very row, begun and not committed: on SQLite the write lock is held
            with engine.begin() as change:
                change.execute(
                    update(teams_table)
                    .where(teams_table.c.slug == "data-platform")
                    .values(name="Renamed Meanwhile")
                )
                answer = http.get("/bench/row", params={"slug": "data-platform"})
            assert answer.status_code == 200, answer.text
            assert answer.json()["name"] == "Data Platform"  # the committed row, not the change
            after = http.get("/bench/row", params={"slug": "data-platform"})
            assert after.json()["name"] == "Renamed Meanwhile"
            assert http.get("/bench/row", params={"slug": "nobody"}).status_code == 404
