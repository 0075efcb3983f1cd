"""Sending an answer and reading the round back stay a handful of queries, on SQLite and
PostgreSQL: the round is read with its tallies and their teams, not with the partnership's
charter, purpose, measures and every member, which once made sending an answer slow."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from accord.health import service as health
from accord.uow import UnitOfWork
from factories import SETTINGS

GOOD = {"purpose": 4, "direction": 4, "ability": 5, "integrity": 4, "value": 3, "overall": 4}
# Enough for the person, the round, its tallies, who answered, the writes and the event log.
MOST = 16


@contextmanager
def counted(uow: UnitOfWork) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(uow.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(uow.engine, "before_cursor_execute", seen)


def test_an_answer_and_the_page_after_it_read_little(uow, world) -> None:
    ana, cy = world["ana"], world["cy"]
    check = health.open_round(uow, SETTINGS, ana, "signals", uow.now() + timedelta(days=14))

    with counted(uow) as sending:
        health.answer(uow, cy, check.key, GOOD)
    with counted(uow) as reading:
        state = health.get_round(uow, cy, check.key)
        health.round_results(uow, SETTINGS, cy, check.key)

    assert state.answered
    assert len(sending) <= MOST, "\n".join(sending)
    assert len(reading) <= MOST, "\n".join(reading)
