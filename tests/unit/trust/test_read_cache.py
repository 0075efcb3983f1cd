"""The token bucket, the read cache and the gate of the expensive reads, with an injected clock:
no database, no server, and no timing (concurrency is synchronized with events)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from accord.errors import Busy
from accord.trust.read_cache import Gate, ReadCache, TokenBucket


class Seconds:
    """A clock that stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def until(condition: Callable[[], bool]) -> None:
    """Wait until `condition()` holds (a synchronization, not a measurement)."""
    pause = threading.Event()
    for _ in range(3000):
        if condition():
            return
        pause.wait(0.01)
    raise AssertionError("the condition never held")


def test_a_bucket_gives_its_capacity_then_says_when_the_next_token_comes() -> None:
    clock = Seconds()
    bucket = TokenBucket(3, 3 / 60, clock)

    assert [bucket.take("ana") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("ana") == pytest.approx(20.0)  # one token every 20 s
    assert bucket.take("bo") == 0.0  # everyone has a bucket of their own
    clock.now += 19.0
    assert bucket.take("ana") == pytest.approx(1.0)  # a refusal spends nothing
    clock.now += 1.0
    assert bucket.take("ana") == 0.0
    assert bucket.take("ana") > 0


def test_a_bucket_never_holds_more_than_its_capacity() -> None:
    clock = Seconds()
    bucket = TokenBucket(2, 2 / 60, clock)
    bucket.take("ana")
    clock.now += 3600.0  # an hour idle refills to 2, not to 120

    assert [bucket.take("ana") > 0 for _ in range(3)] == [False, False, True]


def test_a_bucket_survives_a_clock_that_goes_back() -> None:
    clock = Seconds()
    bucket = TokenBucket(1, 1 / 60, clock)
    bucket.take("ana")
    clock.now -= 100.0

    assert bucket.take("ana") == pytest.approx(60.0)


def test_the_cache_answers_a_key_computed_before_without_computing_or_charging() -> None:
    cache = ReadCache(entries=8, max_age=60, clock=Seconds())
    computed: list[int] = []
    misses: list[str] = []

    def compute() -> int:
        computed.append(1)
        return 42

    first = cache.get_or_compute(("read", 1), compute, wait=1, on_miss=lambda: misses.append("x"))
    second = cache.get_or_compute(("read", 1), compute, wait=1, on_miss=lambda: misses.append("x"))

    assert first == second == 42
    assert len(computed) == len(misses) == 1


def test_a_new_version_is_another_key_and_never_gets_the_old_answer() -> None:
    cache = ReadCache(entries=8, max_age=60, clock=Seconds())

    assert cache.get_or_compute(("read", "v1"), lambda: "old", wait=1) == "old"
    assert cache.get_or_compute(("read", "v2"), lambda: "new", wait=1) == "new"
    assert cache.get_or_compute(("read", "v2"), lambda: "wrong", wait=1) == "new"


def test_an_answer_ages_out_after_max_age() -> None:
    clock = Seconds()
    cache = ReadCache(entries=8, max_age=60, clock=clock)
    cache.get_or_compute(("read",), lambda: "then", wait=1)
    clock.now += 60.0
    assert cache.get_or_compute(("read",), lambda: "now", wait=1) == "then"
    clock.now += 0.5
    assert cache.get_or_compute(("read",), lambda: "now", wait=1) == "now"


def test_no_entries_or_no_age_keeps_nothing() -> None:
    for cache in (
        ReadCache(entries=0, max_age=60, clock=Seconds()),
        ReadCache(entries=8, max_age=0, clock=Seconds()),
    ):
        cache.get_or_compute(("read",), lambda: "then", wait=1)
        assert cache.get_or_compute(("read",), lambda: "now", wait=1) == "now"
        assert len(cache) == 0


def test_the_cache_keeps_the_most_recently_used_entries_only() -> None:
    cache = ReadCache(entries=2, max_age=60, clock=Seconds())
    for key in ("a", "b"):
        cache.get_or_compute((key,), lambda key=key: key, wait=1)
    cache.get_or_compute(("a",), lambda: "again", wait=1)  # a is used: b is now the oldest
    cache.get_or_compute(("c",), lambda: "c", wait=1)

    assert len(cache) == 2
    assert cache.get_or_compute(("a",), lambda: "again", wait=1) == "a"
    assert cache.get_or_compute(("b",), lambda: "again", wait=1) == "again"


def test_a_refusal_on_miss_computes_nothing() -> None:
    cache = ReadCache(entries=8, max_age=60, clock=Seconds())

    def refuse() -> None:
        raise RuntimeError("over the limit")

    with pytest.raises(RuntimeError, match="over the limit"):
        cache.get_or_compute(("read",), lambda: pytest.fail("computed"), wait=1, on_miss=refuse)
    assert len(cache) == 0


def test_concurrent_askers_of_a_missing_key_compute_it_once() -> None:
    cache = ReadCache(entries=8, max_age=60, clock=Seconds())
    release = threading.Event()
    computed: list[int] = []

    def compute() -> str:
        computed.append(1)
        assert release.wait(30)
        return "answer"

    with ThreadPoolExecutor(5) as pool:
        answers = [
            pool.submit(cache.get_or_compute, ("read", "v1"), compute, wait=30) for _ in range(5)
        ]
        until(lambda: cache.joined["read"] == 4)
        release.set()
        results = [a.result() for a in answers]

    assert results == ["answer"] * 5
    assert len(computed) == 1


def test_a_failed_computation_is_not_kept_and_its_waiters_get_its_error() -> None:
    cache = ReadCache(entries=8, max_age=60, clock=Seconds())
    release = threading.Event()

    def fail() -> str:
        assert release.wait(30)
        raise LookupError("no such team")

    with ThreadPoolExecutor(2) as pool:
        leader = pool.submit(cache.get_or_compute, ("read",), fail, wait=30)
        until(lambda: len(cache._flights) == 1)
        waiter = pool.submit(cache.get_or_compute, ("read",), fail, wait=30)
        until(lambda: cache.joined["read"] == 1)
        release.set()
        for answer in (leader, waiter):
            with pytest.raises(LookupError, match="no such team"):
                answer.result()

    assert len(cache) == 0
    assert cache.get_or_compute(("read",), lambda: "later", wait=1) == "later"


def test_who_waits_longer_than_wait_for_anothers_computation_is_refused_busy() -> None:
    cache = ReadCache(entries=8, max_age=60, clock=Seconds())
    release = threading.Event()

    def slow() -> str:
        assert release.wait(30)
        return "answer"

    with ThreadPoolExecutor(1) as pool:
        leader: Future[str] = pool.submit(cache.get_or_compute, ("read",), slow, wait=30)
        until(lambda: len(cache._flights) == 1)
        with pytest.raises(Busy) as refused:
            cache.get_or_compute(("read",), slow, wait=0.05)
        release.set()
        assert leader.result() == "answer"

    assert refused.value.retry_after == 1
    assert refused.value.rule == "read.busy"


def test_the_gate_lets_at_once_through_and_refuses_who_waits_too_long() -> None:
    gate = Gate(at_once=2)
    inside = threading.Barrier(3)
    release = threading.Event()

    def hold() -> None:
        with gate.slot(30):
            inside.wait(30)
            assert release.wait(30)

    with ThreadPoolExecutor(2) as pool:
        held = [pool.submit(hold) for _ in range(2)]
        inside.wait(30)  # both slots are taken
        with pytest.raises(Busy) as refused, gate.slot(0.05):
            pass
        release.set()
        for future in held:
            future.result()
        with gate.slot(0.05):
            assert gate.running == 1

    assert refused.value.retry_after == 1
    assert gate.peak == 2
    assert gate.running == 0
