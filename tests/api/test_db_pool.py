"""A server process keeps a connection for each request thread it has used: at its busiest (40
requests at once, its thread pool) and at the next busy time it opens none again. A pool
smaller than the threads, with overflow, made every busy time open and close connections (a
PostgreSQL server process each), on SQLite and PostgreSQL. After a busy time, the connection
used last serves next (its prepared statements and server caches warm)."""

from __future__ import annotations

from contextlib import ExitStack

from sqlalchemy import Engine, event

from accord.app import create_app
from accord.config import Settings

THREADS = 40  # anyio's default thread pool: the most requests a process serves at once


def test_a_busy_time_reopens_no_connection(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, secret_key="test", _env_prefix="NONE_"))
    served: Engine = app.state.engine
    opened: list[object] = []
    event.listen(served, "connect", lambda connection, record: opened.append(connection))
    reader = served.execution_options(accord_read_only=True)  # SQLite: no write lock each
    try:
        for busy_time in range(3):
            with ExitStack() as held:  # every request thread holds a connection at once
                connections = [held.enter_context(reader.connect()) for _ in range(THREADS)]
                assert all(c.exec_driver_sql("SELECT 1").scalar() == 1 for c in connections)
            assert len(opened) == THREADS, f"busy time {busy_time} opened connections again"
        assert served.pool.checkedout() == 0
    finally:
        served.dispose()


def test_after_a_busy_time_the_connection_used_last_serves_next(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, secret_key="test", _env_prefix="NONE_"))
    served: Engine = app.state.engine
    reader = served.execution_options(accord_read_only=True)
    try:
        with ExitStack() as held:
            connections = [held.enter_context(reader.connect()) for _ in range(5)]
            ids = [id(c.connection.dbapi_connection) for c in connections]
        # the stack gave them back last taken first: the first went back last (FIFO would hand
        # out the fifth, then the fourth...)
        for _ in range(3):
            with reader.connect() as again:
                assert id(again.connection.dbapi_connection) == ids[0]
    finally:
        served.dispose()
