"""API changes take turns within a server process (`ACCORD_CHANGES_AT_ONCE`).

Every change that logs an event appends to the one hash-chained log, so the database makes
changes one after another whatever the number of requests (the log's head is locked from the
append to the commit; SQLite has one writer). Changes started together in one process only
contend: for the log's head, the write lock and the interpreter, each holding the others up.
Measured with 64 clients making moves on two processes, three runs each way after the one-row
floor's: PostgreSQL 56-92 -> 66-145 moves a second, SQLite 106-160 -> 142-169, the p99 two to
eight times shorter. A change waits its turn here, before a worker thread is taken, so reads go
on meanwhile; one that waits longer than `ACCORD_CHANGES_WAIT_SECONDS` is refused with 503 and
Retry-After.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from weakref import WeakKeyDictionary

from accord.errors import Busy


class Turns:
    """At most `at_once` changes at a time (0: no limit), the others served in order of
    arrival; `peak` is the most there ever were at once."""

    def __init__(self, at_once: int, wait: float) -> None:
        self.at_once = at_once
        self.wait = wait
        self.running = 0
        self.peak = 0
        # one semaphore an event loop (a server has one; a test may start several)
        self._slots: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            WeakKeyDictionary()
        )

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold a turn while the block runs, waiting at most `wait` seconds for it (else Busy)."""
        if self.at_once <= 0:
            yield
            return
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.at_once)
        try:
            await asyncio.wait_for(slots.acquire(), self.wait)
        except TimeoutError:
            seconds = max(1, math.ceil(self.wait))
            raise Busy(
                f"the server is busy making other changes; try again in {seconds} seconds",
                retry_after=seconds,
                rule="change.busy",
            ) from None
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            yield
        finally:
            self.running -= 1
            slots.release()
