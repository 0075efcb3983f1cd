"""The notification tables, read and written in the unit of work's session (SQLAlchemy Core).

Over 400 lines: five small tables that change together (an inbox notice, its e-mail and a
webhook's delivery are written in one go; the worker reads a delivery with its notice and its
webhook), each with a handful of plain statements.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from accord.notify.domain import DEFAULT_CHANNEL, Channel, DeliveryState, Kind, Notice, Outlet
from accord.notify.orm import (
    feed_tokens_table,
    notification_preferences_table,
    notifications_table,
    outbox_table,
    webhooks_table,
)
from accord.org.domain import MemberRole
from accord.org.orm import memberships_table, people_table, teams_table

n = notifications_table.c
o = outbox_table.c
w = webhooks_table.c
pref = notification_preferences_table.c
feed = feed_tokens_table.c


@dataclass(frozen=True)
class Notification:
    """A notification as its reader's inbox shows it."""

    id: int
    kind: Kind
    subject: str
    title: str
    text: str
    link: str
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class Recipient:
    """The person a delivery goes to, as an e-mail addresses them."""

    id: int
    email: str
    name: str
    time_zone: str | None


@dataclass(frozen=True)
class Member:
    """One of a team's people now, as notifications address them."""

    id: int
    email: str
    lead: bool


@dataclass(frozen=True)
class OutboxRow:
    """One delivery: through which outlet, to whom, with what, and how it went so far."""

    id: int
    channel: Outlet
    key: str
    person_id: int | None
    webhook_id: int | None
    notification_id: int | None
    body: dict[str, Any] | None
    state: DeliveryState
    attempts: int
    next_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    worker: str | None = None  # who took it last


@dataclass(frozen=True)
class Webhook:
    id: int
    team_id: int
    url: str
    format: str
    secret: str
    active: bool
    created_at: datetime
    last_status: str | None
    last_delivered_at: datetime | None


def _notification(row: Any) -> Notification:
    return Notification(
        id=row.id,
        kind=Kind(row.kind),
        subject=row.subject,
        title=row.title,
        text=row.text,
        link=row.link,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def _outbox(row: Any) -> OutboxRow:
    return OutboxRow(
        id=row.id,
        channel=Outlet(row.channel),
        key=row.key,
        person_id=row.person_id,
        webhook_id=row.webhook_id,
        notification_id=row.notification_id,
        body=row.body,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        next_at=row.next_at,
        created_at=row.created_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
        worker=row.worker,
    )


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=row.id,
        team_id=row.team_id,
        url=row.url,
        format=row.format,
        secret=row.secret,
        active=row.active,
        created_at=row.created_at,
        last_status=row.last_status,
        last_delivered_at=row.last_delivered_at,
    )


class NotifyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # The inbox.

    def add(self, notice: Notice, at: datetime, *, digest: bool = False) -> int | None:
        """Keep a notification; None when one with its key is already kept (it is made once)."""
        if self.session.scalar(select(n.id).where(n.key == notice.key)) is not None:
            return None
        return int(
            self.session.execute(
                insert(notifications_table)
                .values(
                    person_id=notice.person_id,
                    kind=notice.kind.value,
                    subject=notice.subject[:160],
                    title=notice.title[:200],
                    text=notice.text,
                    link=notice.link[:300],
                    event_id=notice.event_id,
                    key=notice.key,
                    created_at=at,
                    digest=digest,
                )
                .returning(n.id)
            ).scalar_one()
        )

    def add_new(self, notices: Sequence[tuple[Notice, bool]], at: datetime) -> dict[str, int]:
        """Keep notifications whose keys are new (an event's, or reminders checked with
        `keys_kept`), each with whether it waits for the digest, in one statement; their ids by
        key. A key kept meanwhile by another transaction fails the whole (a Conflict)."""
        if not notices:
            return {}
        rows = self.session.execute(
            _notices_insert(),
            [
                {
                    "person_id": notice.person_id,
                    "kind": notice.kind.value,
                    "subject": notice.subject[:160],
                    "title": notice.title[:200],
                    "text": notice.text,
                    "link": notice.link[:300],
                    "event_id": notice.event_id,
                    "key": notice.key,
                    "created_at": at,
                    "digest": digest,
                    "read_at": None,
                    "digested_at": None,
                }
                for notice, digest in notices
            ],
        )
        return {key: int(row_id) for row_id, key in rows}

    def enqueue_new(self, deliveries: Sequence[dict[str, Any]], at: datetime) -> None:
        """Add deliveries due now whose keys are new, in one statement; each a dict of `channel`
        (an Outlet), `key` and any of `person_id`, `webhook_id`, `notification_id`, `body`."""
        if not deliveries:
            return
        fresh = {**_FRESH, "next_at": at, "created_at": at}
        self.session.execute(
            _outbox_insert(),
            [
                {**fresh, **delivery, "channel": Outlet(delivery["channel"]).value}
                for delivery in deliveries
            ],
        )

    def keys_kept(self, keys: Collection[str]) -> set[str]:
        """Which of these notification keys are kept already."""
        if not keys:
            return set()
        return set(self.session.scalars(select(n.key).where(n.key.in_(sorted(keys)))))

    def inbox(
        self,
        person_id: int,
        *,
        unread_only: bool = False,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[Notification]:
        """A person's notifications, newest first; `before_id` starts a page."""
        query = select(notifications_table).where(n.person_id == person_id)
        if unread_only:
            query = query.where(n.read_at.is_(None))
        if before_id is not None:
            query = query.where(n.id < before_id)
        rows = self.session.execute(query.order_by(n.id.desc()).limit(limit))
        return [_notification(row) for row in rows]

    def notification(self, notification_id: int) -> tuple[int, Notification] | None:
        """A notification and whose it is."""
        row = self.session.execute(
            select(notifications_table).where(n.id == notification_id)
        ).first()
        return None if row is None else (row.person_id, _notification(row))

    def notifications(self, ids: Collection[int]) -> list[Notification]:
        if not ids:
            return []
        rows = self.session.execute(
            select(notifications_table).where(n.id.in_(sorted(ids))).order_by(n.id)
        )
        return [_notification(row) for row in rows]

    def recipients(self, ids: Collection[int]) -> dict[int, Recipient]:
        """The people with these ids, as deliveries address them (one query; the missing are
        left out)."""
        if not ids:
            return {}
        p = people_table.c
        rows = self.session.execute(
            select(p.id, p.email, p.name, p.time_zone).where(p.id.in_(sorted(ids)))
        )
        return {row.id: Recipient(row.id, row.email, row.name, row.time_zone) for row in rows}

    def notices_count(self) -> int:
        """Every notification kept, of everyone."""
        return int(self.session.scalar(select(func.count()).select_from(notifications_table)) or 0)

    def unread_count(self, person_id: int) -> int:
        query = select(func.count()).where(n.person_id == person_id, n.read_at.is_(None))
        return int(self.session.scalar(query) or 0)

    def mark_read(self, person_id: int, ids: Collection[int] | None, at: datetime) -> int:
        """Mark a person's notifications read (all of them when `ids` is None); how many were."""
        query = update(notifications_table).where(n.person_id == person_id, n.read_at.is_(None))
        if ids is not None:
            query = query.where(n.id.in_(sorted(ids)))
        return int(self.session.execute(query.values(read_at=at)).rowcount)  # type: ignore[attr-defined]

    def waiting_for_digest(self) -> dict[int, list[Notification]]:
        """Per person, the notifications the next digest carries, oldest first."""
        rows = self.session.execute(
            select(notifications_table)
            .where(n.digest.is_(True), n.digested_at.is_(None))
            .order_by(n.person_id, n.id)
        )
        waiting: dict[int, list[Notification]] = {}
        for row in rows:
            waiting.setdefault(row.person_id, []).append(_notification(row))
        return waiting

    def mark_digested(self, ids: Collection[int], at: datetime) -> None:
        if ids:
            self.session.execute(
                update(notifications_table).where(n.id.in_(sorted(ids))).values(digested_at=at)
            )

    # Who is in a team now.

    def members(self, team_ids: Collection[int]) -> dict[int, list[Member]]:
        """Per team, its active people now (one query for all the teams)."""
        m, p = memberships_table.c, people_table.c
        found: dict[int, list[Member]] = {team_id: [] for team_id in team_ids}
        if not team_ids:
            return found
        rows = self.session.execute(
            select(m.team_id, p.id, p.email, m.role)
            .join(people_table, p.id == m.person_id)
            .where(m.team_id.in_(sorted(team_ids)), m.left_at.is_(None), p.active.is_(True))
            .order_by(m.team_id, p.id)
        )
        for team_id, person_id, email, role in rows:
            found[team_id].append(Member(person_id, email, role == MemberRole.LEAD))
        return found

    def members_heard(
        self, team_ids: Collection[int]
    ) -> tuple[dict[int, list[Member]], dict[int, dict[Kind, Channel]]]:
        """`members`, and the `preferences` of every one of them, in one query."""
        found: dict[int, list[Member]] = {team_id: [] for team_id in team_ids}
        chosen: dict[int, dict[Kind, Channel]] = {}
        if not team_ids:
            return found, chosen
        rows = self.session.execute(_members_heard(), {"team_ids": sorted(team_ids)})
        last: tuple[int, int] | None = None
        for team_id, person_id, email, role, kind, channel in rows:
            if (team_id, person_id) != last:  # a member's first row (one per preference)
                last = (team_id, person_id)
                found[team_id].append(Member(person_id, email, role == MemberRole.LEAD))
            channels = chosen.setdefault(person_id, dict.fromkeys(Kind, DEFAULT_CHANNEL))
            if kind in Kind._value2member_map_ and channel in Channel._value2member_map_:
                channels[Kind(kind)] = Channel(channel)
        return found, chosen

    # Preferences.

    def preferences(self, person_ids: Collection[int]) -> dict[int, dict[Kind, Channel]]:
        """Each person's channel per kind, the default where they chose none."""
        chosen: dict[int, dict[Kind, Channel]] = {
            pid: dict.fromkeys(Kind, DEFAULT_CHANNEL) for pid in person_ids
        }
        if person_ids:
            rows = self.session.execute(
                select(pref.person_id, pref.kind, pref.channel).where(
                    pref.person_id.in_(sorted(person_ids))
                )
            )
            for person_id, kind, channel in rows:
                if kind in Kind._value2member_map_ and channel in Channel._value2member_map_:
                    chosen[person_id][Kind(kind)] = Channel(channel)
        return chosen

    def set_preferences(self, person_id: int, channels: dict[Kind, Channel]) -> None:
        self.session.execute(
            delete(notification_preferences_table).where(
                pref.person_id == person_id, pref.kind.in_([k.value for k in channels])
            )
        )
        if channels:
            self.session.execute(
                insert(notification_preferences_table),
                [
                    {"person_id": person_id, "kind": kind.value, "channel": channel.value}
                    for kind, channel in channels.items()
                ],
            )

    # The outbox.

    def enqueue(
        self,
        channel: Outlet,
        key: str,
        at: datetime,
        *,
        person_id: int | None = None,
        webhook_id: int | None = None,
        notification_id: int | None = None,
        body: dict[str, Any] | None = None,
    ) -> bool:
        """Add a delivery due now; False when one with its key is kept already."""
        if self.session.scalar(select(o.id).where(o.key == key)) is not None:
            return False
        self.session.execute(
            insert(outbox_table).values(
                channel=channel.value,
                key=key,
                person_id=person_id,
                webhook_id=webhook_id,
                notification_id=notification_id,
                body=body,
                state=DeliveryState.PENDING.value,
                attempts=0,
                next_at=at,
                created_at=at,
            )
        )
        return True

    def claim(
        self, worker: str, now: datetime, lease_seconds: float, limit: int
    ) -> list[OutboxRow]:
        """Take up to `limit` deliveries that are due and held by no live lease, for `worker`,
        counting the try. Two workers never take the same row at once: on PostgreSQL the rows
        are locked and skipped by the other (FOR UPDATE SKIP LOCKED); on SQLite the one UPDATE
        runs under the database's write lock."""
        due = (
            select(o.id)
            .where(
                o.state == DeliveryState.PENDING.value,
                o.next_at <= now,
                or_(o.lease_until.is_(None), o.lease_until < now),
            )
            .order_by(o.next_at, o.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        taken = (
            update(outbox_table)
            .where(o.id.in_(due.scalar_subquery()))
            .values(
                lease_until=now + timedelta(seconds=lease_seconds),
                worker=worker,
                attempts=o.attempts + 1,
            )
            .returning(*outbox_table.c)
        )
        rows = [_outbox(row) for row in self.session.execute(taken)]
        return sorted(rows, key=lambda row: (row.next_at, row.id))

    def due_count(self, now: datetime) -> int:
        """Deliveries due now and held by no live lease."""
        query = select(func.count()).where(
            o.state == DeliveryState.PENDING.value,
            o.next_at <= now,
            or_(o.lease_until.is_(None), o.lease_until < now),
        )
        return int(self.session.scalar(query) or 0)

    def delivered(self, worker: str, sent: Sequence[tuple[int, datetime]]) -> None:
        """Note the deliveries `worker` made, (outbox id, when) each, in one statement."""
        if not sent:
            return
        self.session.execute(
            update(outbox_table)
            .where(o.id == bindparam("outbox_id"), o.worker == worker)
            .values(
                state=DeliveryState.SENT.value,
                sent_at=bindparam("delivered_at"),
                lease_until=None,
                last_error=None,
            ),
            [{"outbox_id": outbox_id, "delivered_at": at} for outbox_id, at in sent],
        )

    def failed(
        self,
        worker: str,
        tries: Sequence[tuple[int, str, datetime | None, DeliveryState | None]],
    ) -> None:
        """Note the failed tries of `worker`, (outbox id, error, when to try again, state) each:
        tried again at that instant, or set aside when there is none (dead, or the state
        given); one statement for each of the two."""
        again = [
            {"outbox_id": outbox_id, "error": error[:2000], "retry_at": retry_at}
            for outbox_id, error, retry_at, _ in tries
            if retry_at is not None
        ]
        aside = [
            {
                "outbox_id": outbox_id,
                "error": error[:2000],
                "aside": (state or DeliveryState.DEAD).value,
            }
            for outbox_id, error, retry_at, state in tries
            if retry_at is None
        ]
        mine = update(outbox_table).where(o.id == bindparam("outbox_id"), o.worker == worker)
        failed: dict[str, Any] = {"last_error": bindparam("error"), "lease_until": None}
        if again:
            self.session.execute(mine.values(**failed, next_at=bindparam("retry_at")), again)
        if aside:
            self.session.execute(mine.values(**failed, state=bindparam("aside")), aside)

    def deliveries(
        self,
        states: Collection[DeliveryState] | None = None,
        *,
        failing: bool = False,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[OutboxRow]:
        """Deliveries, newest first: in these states, or (`failing`) pending after a failure."""
        query = select(outbox_table)
        ways: list[ColumnElement[bool]] = []
        if states is not None:
            ways.append(o.state.in_([s.value for s in states]))
        if failing:
            ways.append(and_(o.state == DeliveryState.PENDING.value, o.last_error.is_not(None)))
        if ways:
            query = query.where(or_(*ways))
        if before_id is not None:
            query = query.where(o.id < before_id)
        rows = self.session.execute(query.order_by(o.id.desc()).limit(limit))
        return [_outbox(row) for row in rows]

    def delivery(self, outbox_id: int) -> OutboxRow | None:
        row = self.session.execute(select(outbox_table).where(o.id == outbox_id)).first()
        return None if row is None else _outbox(row)

    def retry(self, outbox_id: int, now: datetime) -> None:
        """Deliver a dead or skipped row again from its first try."""
        self.session.execute(
            update(outbox_table)
            .where(o.id == outbox_id)
            .values(
                state=DeliveryState.PENDING.value,
                attempts=0,
                next_at=now,
                lease_until=None,
                worker=None,
            )
        )

    def counts(self) -> dict[DeliveryState, int]:
        rows = self.session.execute(select(o.state, func.count()).group_by(o.state))
        return {DeliveryState(state): int(count) for state, count in rows}

    # Webhooks.

    def webhooks_of(self, team_ids: Collection[int], *, active_only: bool = False) -> list[Webhook]:
        if not team_ids:
            return []
        query = _webhooks_of(active_only)
        rows = self.session.execute(query, {"team_ids": sorted(team_ids)})
        return [_webhook(row) for row in rows]

    def webhook(self, webhook_id: int) -> Webhook | None:
        row = self.session.execute(select(webhooks_table).where(w.id == webhook_id)).first()
        return None if row is None else _webhook(row)

    def add_webhook(
        self,
        team_id: int,
        url: str,
        format: str,
        secret: str,
        at: datetime,
        created_by: int | None,
    ) -> int:
        return int(
            self.session.execute(
                insert(webhooks_table)
                .values(
                    team_id=team_id,
                    url=url,
                    format=format,
                    secret=secret,
                    active=True,
                    created_at=at,
                    created_by=created_by,
                )
                .returning(w.id)
            ).scalar_one()
        )

    def remove_webhook(self, webhook_id: int) -> None:
        self.session.execute(delete(outbox_table).where(o.webhook_id == webhook_id))
        self.session.execute(delete(webhooks_table).where(w.id == webhook_id))

    def webhook_status(self, webhook_id: int, status: str, at: datetime | None) -> None:
        values: dict[str, Any] = {"last_status": status[:500]}
        if at is not None:
            values["last_delivered_at"] = at
        self.session.execute(update(webhooks_table).where(w.id == webhook_id).values(**values))

    def team_slug(self, team_id: int) -> str | None:
        return self.session.scalar(select(teams_table.c.slug).where(teams_table.c.id == team_id))

    # Feed tokens.

    def feed_token_person(self, token_hash: str) -> int | None:
        return self.session.scalar(select(feed.person_id).where(feed.token_hash == token_hash))

    def has_feed_token(self, person_id: int) -> datetime | None:
        """When the person's feed token was made; None when they have none."""
        return self.session.scalar(select(feed.created_at).where(feed.person_id == person_id))

    def set_feed_token(self, person_id: int, token_hash: str, at: datetime) -> None:
        self.drop_feed_token(person_id)
        self.session.execute(
            insert(feed_tokens_table).values(
                person_id=person_id, token_hash=token_hash, created_at=at
            )
        )

    def drop_feed_token(self, person_id: int) -> None:
        self.session.execute(delete(feed_tokens_table).where(feed.person_id == person_id))


# The statements every move runs, built once with parameters (building one, and its cache key,
# costs about what running it does).
@functools.cache
def _members_heard() -> Any:
    m, p = memberships_table.c, people_table.c
    return (
        select(m.team_id, p.id, p.email, m.role, pref.kind, pref.channel)
        .join(people_table, p.id == m.person_id)
        .outerjoin(notification_preferences_table, pref.person_id == p.id)
        .where(
            m.team_id.in_(bindparam("team_ids", expanding=True)),
            m.left_at.is_(None),
            p.active.is_(True),
        )
        .order_by(m.team_id, p.id)
    )


@functools.cache
def _notices_insert() -> Any:
    return insert(notifications_table).returning(n.id, n.key)


@functools.cache
def _outbox_insert() -> Any:
    return insert(outbox_table)


# A new delivery's columns but its channel, key, what it delivers and when (`enqueue_new`).
_FRESH: dict[str, Any] = {
    "person_id": None,
    "webhook_id": None,
    "notification_id": None,
    "body": None,
    "state": DeliveryState.PENDING.value,
    "attempts": 0,
    "lease_until": None,
    "worker": None,
    "last_error": None,
    "sent_at": None,
}


@functools.cache
def _webhooks_of(active_only: bool) -> Any:
    query = select(webhooks_table).where(w.team_id.in_(bindparam("team_ids", expanding=True)))
    if active_only:
        query = query.where(w.active.is_(True))
    return query.order_by(w.id)
