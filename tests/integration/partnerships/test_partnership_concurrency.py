"""Two leads affirm a charter at the same moment: the partnership still becomes active."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from accord.partnerships import service as partnerships
from factories import chain_ok, checkout


@pytest.fixture
def hold_commits() -> Iterator[threading.Barrier]:
    """Each commit waits (up to a second) until the other thread is about to commit too.

    Without a lock on the partnership both transactions get there, each seeing only its own
    affirmation; with the lock the second waits for the first, and the barrier times out.
    """
    barrier = threading.Barrier(2)

    def wait(session: Session) -> None:
        try:
            barrier.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass

    event.listen(Session, "before_commit", wait)
    yield barrier
    event.remove(Session, "before_commit", wait)


def test_simultaneous_affirmations_activate_the_partnership(uow, make_uow, hold_commits):
    partners = checkout(uow, affirmed=False)
    rita, paul = partners["rita"], partners["paul"]
    hold_commits.reset()
    outcomes: list[Any] = [None, None]

    def affirm(index: int, actor: Any, team: str) -> None:
        try:
            outcomes[index] = partnerships.affirm(make_uow(), actor, "checkout", team)
        except Exception as error:  # the test looks at what each thread got
            outcomes[index] = error

    threads = [
        threading.Thread(target=affirm, args=(0, rita, "payments")),
        threading.Thread(target=affirm, args=(1, paul, "platform")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    view = partnerships.get_partnership(uow, "checkout")
    assert view.partnership.status.value == "active"
    assert view.label.value == "trust-based"
    assert chain_ok(uow)
