"""The daily digest: once a day, at the hour of the settings in each reader's time zone, one
e-mail gathers the notifications they chose to read in it.

The worker calls `due_digests` as it goes; it writes the digest's delivery into the outbox and
marks the notifications it carries, in one transaction. The delivery's key names the
person and their local date, so a person gets at most one digest a day, however many workers
look; what arrives after today's digest waits for tomorrow's.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.config import Settings
from accord.errors import NotFound
from accord.notify.domain import Outlet
from accord.uow import UnitOfWork


def local_day(now: datetime, time_zone: str | None) -> datetime:
    """`now` in the time zone (UTC when None or unknown)."""
    try:
        zone = ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone)


def digest_key(person_id: int, day: date) -> str:
    return f"digest:{person_id}:{day.isoformat()}"


def due_digests(uow: UnitOfWork, now: datetime, settings: Settings) -> int:
    """Enqueue the digests that are due now, and commit them; how many were.

    A person's digest is due when notifications wait for it, their local time has passed the
    digest hour, and they got none today. A person who may no longer sign in gets none: what
    waited is marked as carried, so it waits no longer."""
    enqueued = 0
    with uow:
        for person_id, waiting in uow.notify.waiting_for_digest().items():
            ids = [notification.id for notification in waiting]
            try:
                person = uow.org.person_by_id(person_id)
            except NotFound:
                continue
            if not person.active:
                uow.notify.mark_digested(ids, now)
                continue
            local = local_day(now, person.time_zone)
            if local.hour < settings.digest_hour:
                continue
            day = local.date()
            if uow.notify.enqueue(
                Outlet.DIGEST,
                digest_key(person_id, day),
                now,
                person_id=person_id,
                body={"notifications": ids, "day": day.isoformat()},
            ):
                uow.notify.mark_digested(ids, now)
                enqueued += 1
        uow.commit()
    return enqueued
