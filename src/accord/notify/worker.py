"""The worker: delivers the outbox, schedules reminders and digests.

Delivery is at least once. A worker claims a few due rows under a lease (see
`NotifyRepository.claim`), delivers each outside any transaction, then writes down how it went.
A worker that dies mid-delivery leaves its rows leased; when the lease ends another worker takes
them again, so a receiver may get a delivery twice — with the same idempotency key (the e-mail's
Message-ID, the webhook's `webhook-id`) to drop the second. A failed try is retried with
exponential backoff and jitter; after `delivery_max_attempts` tries the row is set aside as dead
where an admin sees it and may retry it. Nothing in a delivery's failure stops the worker.

`accord worker` runs it as its own process (several app servers); `accord serve` runs one in a
thread of its own by default, so the embedded setup needs no second command.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from accord.config import Settings
from accord.db import utcnow
from accord.notify.delivery import Delivery, DeliveryFailed, NotSetUp, Recipient, Sender
from accord.notify.domain import DeliveryState, Outlet, backoff
from accord.notify.reminders import schedule
from accord.notify.repository import OutboxRow
from accord.notify.senders import default_senders
from accord.org.domain import Person
from accord.uow import UnitOfWork

log = logging.getLogger("accord.worker")

# The longest wait between two tries of one delivery.
BACKOFF_CAP_SECONDS = 3600.0
# Rows one claim takes: enough to keep busy, few enough that a dead worker holds little.
BATCH = 32
# Deliveries of one batch tried at the same time.
CONCURRENCY = 8
# How often reminders and digests are looked for.
SCHEDULE_EVERY = timedelta(seconds=60)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass(frozen=True)
class Outcome:
    """How one try of one delivery went: delivered, or the error and when to try again (None:
    set aside, as dead or as `state`)."""

    row: OutboxRow
    error: str | None
    retry_at: datetime | None
    state: DeliveryState | None
    delivered: bool = False
    at: datetime | None = None


class Worker:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        name: str | None = None,
        senders: Mapping[Outlet, Sender] | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.name = name or worker_name()
        self.senders = dict(senders) if senders is not None else default_senders()
        self.rand = rand
        self._scheduled_at: datetime | None = None
        self._threads: ThreadPoolExecutor | None = None

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, self.clock, read_only=read_only)

    # Scheduling.

    def schedule(self) -> int:
        """Make the reminders and digests that are due; how many rows were made."""
        now = self.clock()
        self._scheduled_at = now
        made = schedule(self.uow(), now, reminder_days=self.settings.reminder_days)
        from accord.notify.digest import due_digests

        return made + due_digests(self.uow(), now, self.settings)

    def _schedule_when_due(self) -> None:
        now = self.clock()
        if self._scheduled_at is None or now - self._scheduled_at >= SCHEDULE_EVERY:
            self.schedule()

    # Delivery.

    def run_once(self) -> int:
        """Schedule what is due, then claim one batch and deliver it; how many were delivered.

        The batch's deliveries are tried at the same time (each waits on a network), and how
        each went is written down together, in one transaction."""
        self._schedule_when_due()
        if not self._anything_due():  # a read: an idle worker takes no write lock
            return 0
        uow = self.uow()
        with uow:
            rows = uow.notify.claim(
                self.name, self.clock(), self.settings.delivery_lease_seconds, BATCH
            )
            uow.commit()
        if not rows:
            return 0
        outcomes = list(self._pool().map(self._try, rows))
        self._write(outcomes)
        return sum(1 for outcome in outcomes if outcome.delivered)

    def drain(self, rounds: int = 1000) -> int:
        """Deliver until nothing more is due now (a test, a benchmark); how many were."""
        total = 0
        for _ in range(rounds):
            sent = self.run_once()
            total += sent
            if not self._anything_due():
                break
        return total

    def deliver(self, row: OutboxRow) -> int:
        """One try of one claimed row, written down; 1 when it was delivered."""
        outcome = self._try(row)
        self._write([outcome])
        return int(outcome.delivered)

    def _anything_due(self) -> bool:
        uow = self.uow(read_only=True)
        with uow:
            return uow.notify.due_count(self.clock()) > 0

    def _pool(self) -> ThreadPoolExecutor:
        if self._threads is None:
            self._threads = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="accord-deliver")
        return self._threads

    def _try(self, row: OutboxRow) -> Outcome:
        try:
            delivery = self._load(row)
            self.senders[row.channel](delivery, self.settings)
        except NotSetUp as skipped:
            return Outcome(row, str(skipped), None, DeliveryState.SKIPPED)
        except DeliveryFailed as failed:
            return Outcome(row, failed.message, self._retry_at(row, failed.retry), None)
        except Exception as error:  # a bug or an outage must not stop the worker
            log.exception("delivery %s failed", row.key)
            message = f"{type(error).__name__}: {error}"
            return Outcome(row, message, self._retry_at(row, True), None)
        return Outcome(row, None, None, None, delivered=True, at=self.clock())

    def _retry_at(self, row: OutboxRow, retry: bool) -> datetime | None:
        if not retry or row.attempts >= self.settings.delivery_max_attempts:
            return None  # dead
        wait = backoff(
            row.attempts,
            base=self.settings.delivery_retry_seconds,
            cap=BACKOFF_CAP_SECONDS,
            rand=self.rand(),
        )
        return self.clock() + timedelta(seconds=wait)

    def _write(self, outcomes: list[Outcome]) -> None:
        uow = self.uow()
        with uow:
            for outcome in outcomes:
                row = outcome.row
                if outcome.delivered:
                    uow.notify.delivered(row.id, self.name, outcome.at or self.clock())
                    status, at = "delivered", outcome.at
                else:
                    error = outcome.error or "failed"
                    uow.notify.failed(
                        row.id, self.name, error, outcome.retry_at, state=outcome.state
                    )
                    status, at = error, None
                if row.webhook_id is not None:
                    uow.notify.webhook_status(row.webhook_id, status, at)
            uow.commit()

    def _load(self, row: OutboxRow) -> Delivery:
        uow = self.uow(read_only=True)
        with uow:
            person: Recipient | None = None
            if row.person_id is not None:
                found: Person = uow.org.person_by_id(row.person_id)
                person = Recipient(row.person_id, found.email, found.name, found.time_zone)
            ids: list[int] = []
            if row.notification_id is not None:
                ids.append(row.notification_id)
            if row.body and isinstance(row.body.get("notifications"), list):
                ids.extend(int(i) for i in row.body["notifications"])
            notifications = uow.notify.notifications(ids)
            webhook = team = None
            if row.webhook_id is not None:
                webhook = uow.notify.webhook(row.webhook_id)
                if webhook is None:
                    raise DeliveryFailed("the webhook was removed", retry=False)
                team = uow.notify.team_slug(webhook.team_id)
            return Delivery(row, person, notifications, webhook, team)

    # The loop.

    def run(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set; idle, look again every `worker_poll_seconds`."""
        log.info("worker %s delivers notifications", self.name)
        try:
            self._loop(stop)
        finally:
            self.close()

    def close(self) -> None:
        """Let the delivering threads go."""
        if self._threads is not None:
            self._threads.shutdown(wait=True)
            self._threads = None

    def _loop(self, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                sent = self.run_once()
                failures = 0
            except Exception:  # the database is down, say: wait, then try again
                failures += 1
                log.exception("the worker could not reach the outbox; trying again")
                stop.wait(min(60.0, self.settings.worker_poll_seconds * 2**failures))
                continue
            if sent == 0:
                stop.wait(self.settings.worker_poll_seconds)


def start_in_thread(engine: Engine, settings: Settings, **kwargs: Any) -> Callable[[], None]:
    """Run a worker in a daemon thread; returns what stops it (and waits for it)."""
    stop = threading.Event()
    worker = Worker(engine, settings, **kwargs)
    thread = threading.Thread(target=worker.run, args=(stop,), name="accord-worker", daemon=True)
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=30)

    return stopper
