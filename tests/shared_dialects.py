"""One SQLAlchemy dialect, and so one cache of compiled statements, for every engine of a run.

SQLAlchemy keeps the statements it has compiled in a cache of the engine's, keyed by the engine's
dialect object. A process of Accord makes its engine once and compiles each statement once; a
test run makes two or three engines a test (the test's database, the app's, a CLI command's), and
each compiled every statement again: about a fifth of the run's time. Engines made while this is
in force share the dialect and cache of the first engine alike (same driver, same options that
reach the dialect) that connected; the SQL they send is the same.

This reaches into the engine (`dialect`, `_compiled_cache`) and its pool (`_dialect`), as
SQLAlchemy 2.0 names them; `tests/unit/test_shared_dialects.py` fails if a new SQLAlchemy makes
that stop working.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.util import LRUCache

# What create_engine hands the pool or the connection, not the dialect: engines differing only
# in these may share one.
NOT_THE_DIALECTS = frozenset(
    {
        "pool_size",
        "max_overflow",
        "pool_pre_ping",
        "pool_timeout",
        "pool_recycle",
        "poolclass",
        "connect_args",
    }
)
# Statements of a whole run (SQLAlchemy keeps 500 an engine)
CACHED = 5000


def sharing(create_engine: Callable[..., Engine]) -> Callable[..., Engine]:
    """`create_engine`, giving each engine it makes the dialect and compiled statements of the
    first engine made alike that connected (and so set its dialect up for the server)."""
    shared: dict[tuple[Any, ...], tuple[Any, LRUCache[Any, Any]]] = {}

    def make(url: Any, **options: Any) -> Engine:
        engine = create_engine(url, **options)
        own = tuple(sorted((k, repr(v)) for k, v in options.items() if k not in NOT_THE_DIALECTS))
        key = (engine.dialect.name, engine.dialect.driver, own)
        found = shared.get(key)
        if found is not None:
            dialect, cache = found
            engine.dialect = dialect
            engine.pool._dialect = dialect
            engine._compiled_cache = cache
            return engine

        # after SQLAlchemy's own listener, which sets the dialect up at the first connection
        def connected(_dbapi_connection: Any, _record: Any) -> None:
            if key not in shared:
                shared[key] = (engine.dialect, LRUCache(CACHED))
                engine._compiled_cache = shared[key][1]

        event.listen(engine, "connect", connected, once=True)
        return engine

    return make
