"""Changes take turns within a server process (`ACCORD_CHANGES_AT_ONCE`): the API's and the
pages' forms alike.

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
import inspect
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakKeyDictionary

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from accord.errors import Busy

# The argument through which a route that takes no `Request` of its own is handed it (its app
# holds the process's `Turns`).
ASKED = "accord_request"


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


def parameter_of(parameters: list[inspect.Parameter], kind: type, name: str) -> tuple[str, bool]:
    """The name of the parameter of `kind` a route takes, and True; else `name`, a parameter of
    that kind added to `parameters` (FastAPI fills it in; the route is not given it), and False."""
    for p in parameters:
        if inspect.isclass(p.annotation) and issubclass(p.annotation, kind):
            return p.name, True
    parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind))
    return name, False


def taking_turns(
    work: Callable[[dict[str, Any]], Any], parameters: list[inspect.Parameter]
) -> Callable[..., Any]:
    """A route's coroutine that runs `work(arguments)` in a worker thread once it is the
    request's turn among the process's changes (`app.state.turns`). `parameters` are the
    route's, to which a `Request` is added when it takes none (handed to the coroutine, not to
    `work`)."""
    asked, own_request = parameter_of(parameters, Request, ASKED)

    async def run(**arguments: Any) -> Any:
        request: Request = arguments[asked] if own_request else arguments.pop(asked)
        turns: Turns = request.app.state.turns
        async with turns.turn():
            return await run_in_threadpool(work, arguments)

    return run


def dressed(
    run: Callable[..., Any], endpoint: Callable[..., Any], parameters: list[inspect.Parameter]
) -> Callable[..., Any]:
    """`run` named and documented as `endpoint`, with its signature over `parameters` (FastAPI
    reads a route's parameters from it)."""
    signature = inspect.signature(endpoint, eval_str=True)
    run.__name__ = endpoint.__name__
    run.__qualname__ = endpoint.__qualname__
    run.__module__ = endpoint.__module__
    run.__doc__ = endpoint.__doc__
    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return run
