"""Holding a change's turn (`accord.channel.turns`) from a test: a request of a commitment made
through the API waits, once it has its turn and before it signs in, until the test lets it go."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from accord.api import routes
from accord.commitments.schemas import CommitmentCreate


class Held:
    """Holds each request of a commitment once it is its turn, before it signs in (so before its
    transaction: SQLite would make every other writer wait for it), until let go."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inside = threading.Semaphore(0)
        self.go = threading.Event()
        real = routes.signed_in

        @contextmanager
        def held(arguments: dict[str, Any]) -> Iterator[None]:
            if isinstance(arguments.get("body"), CommitmentCreate):
                self.inside.release()
                assert self.go.wait(30), "the test never let the change go"
            with real(arguments):
                yield

        monkeypatch.setattr(routes, "signed_in", held)

    def entered(self, timeout: float = 30) -> bool:
        return self.inside.acquire(timeout=timeout)
