"""The worker loses nothing: killed (SIGKILL) in the middle of a delivery, the next worker
delivers what it held once its lease ends, and a receiver that got the delivery twice sees the
same idempotency key; two workers at once on PostgreSQL never deliver one row twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from accord.config import Settings
from accord.notify import service as notify
from accord.notify.domain import DeliveryState, Outlet
from accord.uow import UnitOfWork
from factories import data_and_care, make_commitment
from notify_receiver import Receiver, receiving

SETTINGS = Settings.defaults().model_copy(update={"webhook_allow_private": True})


@pytest.fixture
def box() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


def worker(engine: Engine, **settings: str) -> subprocess.Popen[str]:
    """`accord worker` as a child process; no SMTP server, so its e-mails are skipped."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")},
        "ACCORD_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "ACCORD_WEBHOOK_ALLOW_PRIVATE": "true",
        "ACCORD_WORKER_POLL_SECONDS": "0.05",
        "ACCORD_LOG_LEVEL": "warning",
        **settings,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def requests_with_a_webhook(uow: UnitOfWork, box: Receiver, count: int) -> list[str]:
    """`count` requests to `data`, whose webhook calls the receiver; the deliveries' keys."""
    team = data_and_care(uow)
    made = notify.add_webhook(uow, team["ana"], SETTINGS, "data", url=box.url)
    box.secrets.append(made.secret)
    for number in range(count):
        make_commitment(uow, team.partnership, team["bo"], "care", "data", title=f"Item {number}")
    with uow:
        rows = uow.notify.deliveries(None, limit=10_000)
        return sorted(r.key for r in rows if r.channel == Outlet.WEBHOOK)


def states(uow: UnitOfWork) -> Counter[DeliveryState]:
    with uow:
        rows = uow.notify.deliveries(None, limit=10_000)
        return Counter(r.state for r in rows if r.channel == Outlet.WEBHOOK)


def claimers(uow: UnitOfWork) -> set[str]:
    """The workers that have claimed webhook deliveries."""
    with uow:
        rows = uow.notify.deliveries(None, limit=10_000)
        return {r.worker for r in rows if r.channel == Outlet.WEBHOOK and r.worker}


def wait_for(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("the condition never held")


def settled(box: Receiver, quiet: float = 0.5) -> None:
    """Wait until the receiver has read all that reached it: nothing new for `quiet` seconds.

    A sender killed after writing a request leaves it in the kernel's buffers; the receiver's
    threads may read it only after the kill."""
    seen = -1
    while seen != len(box.received) + box.partial:
        seen = len(box.received) + box.partial
        time.sleep(quiet)


def stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=60)
    return out


def test_a_worker_killed_mid_delivery_loses_nothing(
    uow: UnitOfWork, box: Receiver, engine: Engine
) -> None:
    keys = requests_with_a_webhook(uow, box, 8)
    box.hold.set()  # what the worker sends stays in flight, unanswered
    first = worker(engine, ACCORD_DELIVERY_LEASE_SECONDS="2")
    try:
        wait_for(lambda: len(box.received) >= 1)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    settled(box)
    in_flight = set(box.ids())
    box.hold.clear()
    box.released.set()
    assert states(uow)[DeliveryState.SENT] == 0  # it died before it could write anything down

    second = worker(engine, ACCORD_DELIVERY_LEASE_SECONDS="2")
    try:
        wait_for(lambda: states(uow)[DeliveryState.SENT] == len(keys))
    finally:
        out = stop(second)
    assert "Traceback" not in out, out
    received = Counter(box.ids())
    assert set(received) == set(keys)  # every delivery arrived
    # only those in flight when the worker died came twice, each under its own same key
    assert {key for key, times in received.items() if times > 1} == in_flight
    assert all(r.signed for r in box.received)


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_two_workers_on_postgresql_never_deliver_one_row_twice(
    uow: UnitOfWork, box: Receiver, engine: Engine
) -> None:
    keys = requests_with_a_webhook(uow, box, 40)
    # What is sent stays in flight until both workers have claimed rows: a batch is 32, so the
    # first to start takes 32 and the other the rest, however far apart the two start. Held
    # sends must not time out meanwhile (a busy machine can start the second worker late): a
    # webhook that timed out is tried again, by design, and would arrive twice.
    box.hold.set()
    patient = {"ACCORD_WEBHOOK_TIMEOUT_SECONDS": "300"}
    workers = [worker(engine, **patient), worker(engine, **patient)]
    try:
        wait_for(lambda: len(claimers(uow)) == 2, seconds=120)
        box.hold.clear()
        box.released.set()
        wait_for(lambda: states(uow)[DeliveryState.SENT] == len(keys), seconds=120)
    finally:
        outs = [stop(process) for process in workers]
    assert all("Traceback" not in out for out in outs), outs
    received = Counter(box.ids())
    assert set(received) == set(keys)
    assert max(received.values()) == 1  # no row went out twice
    with uow:
        rows = uow.notify.deliveries(None, limit=10_000)
        by = Counter(r.worker for r in rows if r.channel == Outlet.WEBHOOK)
    assert len(by) == 2, by  # both took their share
