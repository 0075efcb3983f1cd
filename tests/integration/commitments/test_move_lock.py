"""What a move does while it holds the event log's head: appending locks the head until the
commit, so moves go one at a time from there. Who hears of a move (the teams' people, their
channels, the webhooks) and the ids the trust upkeep needs are read before; only the log, the
stored sums and the notices' writes come after."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from accord.commitments import service as commitments
from factories import checkout

# The tables a move may touch once the head is locked.
AFTER_THE_LOCK = {
    "event_head",
    "events",
    "trust_state",
    "trust_snapshots",
    "trust_tracks",
    "trust_pairs",
    "notifications",
    "outbox",
}
_TABLES = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def after_the_lock(sent: list[str]) -> set[str]:
    """The tables named by the statements sent from the head's lock on."""
    [lock] = [i for i, s in enumerate(sent) if re.search(r"FROM event_head\b", s)]
    return {table for s in sent[lock:] for table in _TABLES.findall(s)}


@pytest.mark.parametrize("move", ["request", "promise"])
def test_a_move_reads_who_hears_of_it_before_it_locks_the_log(engine, uow, move) -> None:
    people = checkout(uow)
    due = uow.now() + timedelta(days=10)

    def request() -> None:
        commitments.request(
            uow,
            people["rita"],
            partnership="checkout",
            requester="payments",
            performer="platform",
            title="Refunds in one click",
            due=due,
            key="refunds",
        )

    if move == "promise":
        request()
    with statements(engine) as sent:
        if move == "request":
            request()
        else:
            commitments.move(uow, people["paul"], "refunds", "promise", version=1)

    touched = after_the_lock(sent)
    assert touched <= AFTER_THE_LOCK, touched - AFTER_THE_LOCK
    assert {"events", "trust_state", "notifications"} <= touched
    # the upkeep takes the new commitment's id and its teams' from the request in hand
    assert not [s for s in sent if re.search(r"SELECT teams\.slug, teams\.id\b", s)]
    assert not [
        s for s in sent if re.search(r"SELECT commitments\.\"?key\"?, commitments\.id\b", s)
    ]
