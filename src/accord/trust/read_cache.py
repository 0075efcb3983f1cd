"""The expensive reads of trust (the backtest, trust over time, the trust map), computed at most
once per state of the evidence, and rationed when they must be computed. The API and the pages
ask the one `ExpensiveReads` their app holds, so a page and a route share its answers.

- The cache is keyed by the read, its parameters and the evidence version: the head of the event
  log (every change records an event), the stored sums' version (a rebuild) and the newest
  fitted model. A changed version is a different key, so it is never answered from an older
  one. An answer also ages out after `max_age` seconds, since the present moves with the clock
  (decay, commitments falling due) without any event. At most `entries` answers are kept (LRU).
- Single flight: who asks for an answer being computed waits for it instead of computing it too.
- Rationing, only of answers not in the cache: a token bucket per person and read class
  (`per_minute`), and across the process at most `at_once` computations at a time. Who would
  wait longer than `wait` seconds for either is refused with a Retry-After, never queued for
  ever: the cheap requests keep their threads and the processor.

Longer than most modules on purpose: the cache, the buckets and the gate are one policy, and
the tests count what it does (`computed`, `joined`, `peak`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Engine

from accord.config import Settings
from accord.errors import Busy, TooManyRequests
from accord.org.domain import Actor, Person
from accord.org.repository import token_grant
from accord.org.service import token_hash
from accord.trust import backtest as backtesting
from accord.trust import service as trust
from accord.trust.service import TrustMap, TrustReport
from accord.trust.visibility import ensure_may_see_team, may_see_with
from accord.uow import UnitOfWork

T = TypeVar("T")
Clock = Callable[[], float]  # seconds, e.g. time.monotonic

WHAT = {
    "backtest": "the backtest",
    "trust_map": "the trust map",
    "trust_history": "trust over time",
}


class TokenBucket:
    """Per key, at most `capacity` tokens, refilled at `per_second`; a take spends one."""

    def __init__(self, capacity: float, per_second: float, clock: Clock = time.monotonic) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: Hashable) -> float:
        """0 when a token was spent; else the seconds until there is one (nothing is spent)."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + max(0.0, now - at) * self.per_second)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / self.per_second
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > 10_000:
                self._forget_full(now)
            return 0.0

    def _forget_full(self, now: float) -> None:
        # a bucket refilled to the brim is the same as no bucket: the map stays as small as the
        # number of people who read much lately
        full = [
            key
            for key, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self.per_second >= self.capacity
        ]
        for key in full:
            del self._buckets[key]


@dataclass
class _Flight:
    """One computation under way, and what came of it, for those who wait on it."""

    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None


class ReadCache:
    """Answers by key, at most `entries` (the least recently used go first), each for at most
    `max_age` seconds; a key missing is computed once however many ask for it at the time."""

    def __init__(self, entries: int, max_age: float, clock: Clock = time.monotonic) -> None:
        self.entries = entries
        self.max_age = max_age
        self.clock = clock
        self.joined: Counter[str] = Counter()  # by the key's first part: who waited for another
        self._lock = threading.Lock()
        self._answers: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}

    def __len__(self) -> int:
        return len(self._answers)

    def get_or_compute(
        self,
        key: tuple[Hashable, ...],
        compute: Callable[[], T],
        *,
        wait: float,
        on_miss: Callable[[], None] = lambda: None,
    ) -> T:
        """The answer kept under `key`, else `compute()`'s, once for everyone asking meanwhile.

        `on_miss` runs first for each asker not answered from the cache (it may refuse them);
        one who waits longer than `wait` seconds for another's computation is refused (Busy),
        and one whose computation failed passes its error on to those who waited for it."""
        found, value = self._lookup(key)
        if found:
            return cast(T, value)
        on_miss()
        with self._lock:
            found, value = self._lookup_locked(key)
            if found:
                return cast(T, value)
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
            else:
                self.joined[str(key[0])] += 1
        if not leader:
            if not flight.done.wait(wait):
                raise _busy(wait)
            if flight.error is not None:
                raise flight.error
            return cast(T, flight.value)
        try:
            answer = compute()
            flight.value = answer
            self._store(key, answer)
            return answer
        except BaseException as error:
            flight.error = error
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            return self._lookup_locked(key)

    def _lookup_locked(self, key: Hashable) -> tuple[bool, Any]:
        kept = self._answers.get(key)
        if kept is None:
            return False, None
        stored_at, value = kept
        if self.clock() - stored_at > self.max_age:
            del self._answers[key]
            return False, None
        self._answers.move_to_end(key)
        return True, value

    def _store(self, key: Hashable, value: Any) -> None:
        if self.entries <= 0 or self.max_age <= 0:
            return  # nothing is kept: only the single flight is left
        with self._lock:
            self._answers[key] = (self.clock(), value)
            self._answers.move_to_end(key)
            while len(self._answers) > self.entries:
                self._answers.popitem(last=False)


class Gate:
    """At most `at_once` computations at a time; `peak` is the most there ever were at once."""

    def __init__(self, at_once: int) -> None:
        self.at_once = at_once
        self.running = 0
        self.peak = 0
        self._slots = threading.BoundedSemaphore(at_once)
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, wait: float) -> Iterator[None]:
        """Hold one of the slots, waiting at most `wait` seconds for it (else Busy)."""
        if not self._slots.acquire(timeout=wait):
            raise _busy(wait)
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            yield
        finally:
            with self._lock:
                self.running -= 1
            self._slots.release()


def _busy(wait: float) -> Busy:
    seconds = max(1, math.ceil(wait))
    return Busy(
        "the server is busy computing other expensive reads (the backtest, trust over time, "
        f"the trust map); try again in {seconds} seconds",
        retry_after=seconds,
        rule="read.busy",
    )


def evidence_version(uow: UnitOfWork) -> tuple[Hashable, ...]:
    """What every expensive read depends on, in three one-row reads: the head of the event log,
    the stored sums' version, and the newest fitted model."""
    with uow:
        last_id, last_hash = uow.events.head()
        state = uow.trust.state()
        model = uow.models.latest_version()
    return (last_id, last_hash, state.version, state.built, state.half_life_days, model)


class ExpensiveReads:
    """The expensive reads, cached per evidence version and rationed when computed."""

    def __init__(
        self,
        *,
        per_minute: int,
        at_once: int,
        wait: float,
        entries: int,
        max_age: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.wait = wait
        self.computed: Counter[str] = Counter()  # by read: computations that ran
        self._counting = threading.Lock()
        self.cache = ReadCache(entries, max_age, clock)
        self.buckets = TokenBucket(per_minute, per_minute / 60, clock)
        self.gate = Gate(at_once)

    @classmethod
    def of(cls, settings: Settings, clock: Callable[[], datetime] | None = None) -> ExpensiveReads:
        """As the settings say; `clock` is the app's (a test's standing clock stops time)."""
        return cls(
            per_minute=settings.expensive_reads_per_minute,
            at_once=settings.expensive_reads_at_once,
            wait=settings.expensive_reads_wait_seconds,
            entries=settings.read_cache_entries,
            max_age=settings.read_cache_seconds,
            clock=(lambda: clock().timestamp()) if clock is not None else time.monotonic,
        )

    def read(
        self,
        uow: UnitOfWork,
        actor: Actor,
        name: str,
        parameters: tuple[Hashable, ...],
        compute: Callable[[], T],
    ) -> T:
        """`compute()`'s answer for (`name`, `parameters`) at the evidence as it is now: from the
        cache, else computed once, if `actor`'s bucket for `name` and the gate allow."""
        key = (name, *parameters, evidence_version(uow))
        who = f"person:{actor.id}" if isinstance(actor, Person) else "operator"

        def charge() -> None:
            wait = self.buckets.take((who, name))
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                raise TooManyRequests(
                    f"{WHAT.get(name, name)} is computed for one person at most "
                    f"{self.per_minute} times a minute, and it was; try again in {seconds} "
                    "seconds (an answer already computed is given at once)",
                    retry_after=seconds,
                    rule="read.rate_limited",
                )

        def guarded() -> T:
            with self.gate.slot(self.wait):
                with self._counting:
                    self.computed[name] += 1
                return compute()

        return self.cache.get_or_compute(key, guarded, wait=self.wait, on_miss=charge)

    def backtest(self, uow: UnitOfWork, settings: Settings, actor: Actor) -> dict[str, Any]:
        """`backtest.latest`: the same for every reader."""
        return self.read(
            uow, actor, "backtest", (), lambda: backtesting.latest(uow, settings, actor)
        )

    def trust_map(
        self,
        uow: UnitOfWork,
        settings: Settings,
        actor: Actor,
        *,
        purpose: str | None = None,
        team: str | None = None,
        depth: int = 1,
    ) -> TrustMap:
        """`service.trust_map`: what a reader sees of it is theirs (admins all see the same)."""
        reader = "admin" if not isinstance(actor, Person) or actor.is_admin else actor.id
        return self.read(
            uow,
            actor,
            "trust_map",
            (reader, purpose, team, depth),
            lambda: trust.trust_map(uow, settings, actor, purpose=purpose, team=team, depth=depth),
        )

    def trust_history(
        self, uow: UnitOfWork, settings: Settings, actor: Actor, team: str, *, points: int
    ) -> list[TrustReport]:
        """`service.trust_history`: the same for everyone who may see the team's trust, which
        is asked of each reader, cached or not."""
        with uow:
            bound = uow.bind(actor)
            ensure_may_see_team(uow, settings, bound, uow.org.team(team, members=False))
        return self.read(
            uow,
            actor,
            "trust_history",
            (team, points),
            lambda: trust.trust_history(uow, settings, actor, team, points=points),
        )


@dataclass(frozen=True)
class KeptAnswer:
    """A present trust answer as the route sent it: its status line's headers and body."""

    version: int  # the stored sums' version it was read at
    at: float  # the instant it is as of (seconds)
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


class TrustAnswers:
    """The present's team and pair trust answers (`GET /api/v1/teams/{slug}/trust[?of=]`), kept
    as the bytes the route sent, by (team, of), each with the trust version it was read at.

    A kept answer is given again, without computing or serializing anything, only while:
    - the stored sums' version read in the request's own query is the one it was read at (every
      move and every new team changes it, on whichever process commits it);
    - it is as of at most `max_age` seconds ago by the app's clock (its `as_of` says the instant:
      the present moves with the clock, decay and commitments falling due, without any event);
    - the token is live and its owner may see it, decided again from the same query (see
      `visibility.may_see_with`). Every refusal goes the route's way, which says why.
    """

    def __init__(self, entries: int, max_age: float) -> None:
        self.entries = entries
        self.max_age = max_age
        self.served = 0  # answers given from here
        self.read = 0  # answers read from a token before the app (`api.answers`), then kept
        self._lock = threading.Lock()
        self._answers: OrderedDict[tuple[str, str | None], KeptAnswer] = OrderedDict()

    def kept(self, team: str, of: str | None, now: float) -> KeptAnswer | None:
        """The answer kept for (`team`, `of`) if it is recent enough, whatever its version."""
        found = self._answers.get((team, of))
        if found is None or now - found.at > self.max_age:
            return None
        return found

    def keep(self, team: str, of: str | None, answer: KeptAnswer) -> None:
        if self.entries <= 0 or self.max_age <= 0:
            return
        with self._lock:
            self._answers[(team, of)] = answer
            self._answers.move_to_end((team, of))
            while len(self._answers) > self.entries:
                self._answers.popitem(last=False)

    def answer(
        self,
        engine: Engine,
        now: datetime,
        settings: Settings,
        token: str,
        team: str,
        of: str | None,
    ) -> KeptAnswer | None:
        """The kept answer for a request of `team` (`of`) made at `now` with API token `token`,
        if it may be given as the class says; None: the route must answer. `engine` reads
        without a write lock (on SQLite, a deferred BEGIN): one statement, no unit of work."""
        found = self.kept(team, of, now.timestamp())
        if found is None:
            return None
        with engine.connect() as connection:
            grant = token_grant(connection, token_hash(token), team)
        if grant is None or not grant.live(now) or not grant.trust_built:
            return None
        if grant.trust_version != found.version or not may_see_with(grant, settings, team, of):
            return None
        self.served += 1
        return found
