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
from accord.notify.delivery import Delivery, DeliveryFailed, NotSetUp, Sender
from accord.notify.domain import DeliveryState, Outlet, backoff
from accord.notify.reminders import schedule
from accord.notify.repository import OutboxRow
from accord.notify.senders import default_senders
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


def _notification_ids(row: OutboxRow) -> set[int]:
    """The notifications an outbox row carries: its own, and a digest's list."""
    ids = {row.notification_id} if row.notification_id is not None else set()
    if row.body and isinstance(row.body.get("notifications"), list):
        ids.update(int(i) for i in row.body["notifications"])
    return ids


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
        return self._round()[1]

    def _round(self) -> tuple[int, int]:
        """`run_once`: how many rows were tried, and how many of them delivered."""
        self._schedule_when_due()
        if not self._anything_due():  # a read: an idle worker takes no write lock
            return 0, 0
        uow = self.uow()
        with uow:
            rows = uow.notify.claim(
                self.name, self.clock(), self.settings.delivery_lease_seconds, BATCH
            )
            uow.commit()
        if not rows:
            return 0, 0
        outcomes = self._deliver(rows)
        self._write(outcomes)
        return len(rows), sum(1 for outcome in outcomes if outcome.delivered)

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
        [outcome] = self._deliver([row])
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

    def _deliver(self, rows: list[OutboxRow]) -> list[Outcome]:
        """Try claimed rows: what their outlets need read together, then sent at the same time
        (each waits on a network), one outcome a row in their order."""
        try:
            loaded = self._load(rows)
        except Exception as error:  # the database is down, say: each row is tried again
            log.exception("the deliveries of %d rows could not be read", len(rows))
            message = f"{type(error).__name__}: {error}"
            return [Outcome(row, message, self._retry_at(row, True), None) for row in rows]
        if len(rows) == 1:
            return [self._try(rows[0], loaded[0])]
        return list(self._pool().map(self._try, rows, loaded))

    def _try(self, row: OutboxRow, loaded: Delivery | DeliveryFailed) -> Outcome:
        try:
            if isinstance(loaded, DeliveryFailed):
                raise loaded
            self.senders[row.channel](loaded, self.settings)
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
        """Write down how a batch went, in one transaction: the deliveries made in one
        statement, the failed tries in one or two, each webhook's latest status once."""
        sent: list[tuple[int, datetime]] = []
        failed: list[tuple[int, str, datetime | None, DeliveryState | None]] = []
        hooks: dict[int, tuple[str, datetime | None]] = {}
        for outcome in outcomes:
            row = outcome.row
            if outcome.delivered:
                at = outcome.at or self.clock()
                sent.append((row.id, at))
                status, when = "delivered", at
            else:
                error = outcome.error or "failed"
                failed.append((row.id, error, outcome.retry_at, outcome.state))
                status, when = error, None
            if row.webhook_id is not None:
                last = hooks.get(row.webhook_id)
                hooks[row.webhook_id] = (status, when or (last[1] if last else None))
        uow = self.uow()
        with uow:
            uow.notify.delivered(self.name, sent)
            uow.notify.failed(self.name, failed)
            for webhook_id, (status, when) in hooks.items():
                uow.notify.webhook_status(webhook_id, status, when)
            uow.commit()

    def _load(self, rows: list[OutboxRow]) -> list[Delivery | DeliveryFailed]:
        """What each row's outlet needs, read in one transaction with a query for all of their
        people, one for all of their notifications, one a webhook; a row whose webhook or
        person is gone gets the failure that says so."""
        wanted = [_notification_ids(row) for row in rows]
        uow = self.uow(read_only=True)
        with uow:
            people = uow.notify.recipients({r.person_id for r in rows if r.person_id is not None})
            found = uow.notify.notifications({i for ids in wanted for i in ids})
            hooks = {
                hook: uow.notify.webhook(hook)
                for hook in {r.webhook_id for r in rows if r.webhook_id is not None}
            }
            teams = {h.team_id: uow.notify.team_slug(h.team_id) for h in hooks.values() if h}
        notifications = {notification.id: notification for notification in found}
        loaded: list[Delivery | DeliveryFailed] = []
        for row, ids in zip(rows, wanted, strict=True):
            person = people.get(row.person_id) if row.person_id is not None else None
            webhook = hooks.get(row.webhook_id) if row.webhook_id is not None else None
            team = teams.get(webhook.team_id) if webhook is not None else None
            if row.person_id is not None and person is None:
                loaded.append(DeliveryFailed("the person was removed", retry=False))
            elif row.webhook_id is not None and webhook is None:
                loaded.append(DeliveryFailed("the webhook was removed", retry=False))
            else:
                mine = [notifications[i] for i in sorted(ids) if i in notifications]
                loaded.append(Delivery(row, person, mine, webhook, team))
        return loaded

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
                tried, _ = self._round()
                failures = 0
            except Exception:  # the database is down, say: wait, then try again
                failures += 1
                log.exception("the worker could not reach the outbox; trying again")
                stop.wait(min(60.0, self.settings.worker_poll_seconds * 2**failures))
                continue
            if tried == 0:  # after a batch, even one all failed or skipped, the next at once
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
