"""Appending to and reading the event log; never commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from accord.events.catalog import stored_types
from accord.events.domain import Event, chain_hash
from accord.events.orm import event_head_table, events_table

if TYPE_CHECKING:
    from accord.events.catalog import DomainEvent


class EventStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, pending: Sequence[DomainEvent]) -> list[int]:
        """Chain and insert events, in order, and return their ids; the head row is locked so
        appends never fork the chain."""
        head = self.session.execute(
            select(event_head_table.c.last_id, event_head_table.c.last_hash)
            .where(event_head_table.c.id == 1)
            .with_for_update()
        ).one()
        last_id, last_hash = int(head.last_id), str(head.last_hash)
        rows: list[dict[str, Any]] = []
        for item in pending:
            event_id, payload = last_id + 1, item.payload()
            digest = chain_hash(
                event_id, item.at, item.actor, item.type, item.subject, payload, last_hash
            )
            rows.append(
                {
                    "id": event_id,
                    "at": item.at,
                    "actor": item.actor,
                    "type": item.type,
                    "subject": item.subject,
                    "payload": payload,
                    "prev_hash": last_hash,
                    "hash": digest,
                }
            )
            last_id, last_hash = event_id, digest
        self.session.execute(insert(events_table), rows)
        self.session.execute(
            update(event_head_table)
            .where(event_head_table.c.id == 1)
            .values(last_id=last_id, last_hash=last_hash)
        )
        return [row["id"] for row in rows]

    def count_after(self, event_id: int) -> int:
        return int(
            self.session.scalar(
                select(func.count()).select_from(events_table).where(events_table.c.id > event_id)
            )
            or 0
        )

    def head(self) -> tuple[int, str]:
        row = self.session.execute(
            select(event_head_table.c.last_id, event_head_table.c.last_hash)
        ).one()
        return int(row.last_id), str(row.last_hash)

    def scan(self, batch: int = 5000, *, upto: int | None = None) -> Iterator[Event]:
        """Every event in id order (up to id `upto`), read in batches."""
        after = 0
        while True:
            query = select(events_table).where(events_table.c.id > after)
            if upto is not None:
                query = query.where(events_table.c.id <= upto)
            rows = self.session.execute(query.order_by(events_table.c.id).limit(batch)).all()
            if not rows:
                return
            for row in rows:
                yield Event(
                    id=row.id,
                    at=row.at,
                    actor=row.actor,
                    type=row.type,
                    subject=row.subject,
                    payload=row.payload,
                    prev_hash=row.prev_hash,
                    hash=row.hash,
                )
            after = rows[-1].id

    def list(
        self, *, subject: str | None = None, after: int = 0, limit: int = 100
    ) -> Sequence[Event]:
        query = select(Event).where(events_table.c.id > after)
        if subject is not None:
            query = query.where(events_table.c.subject == subject)
        return self.session.scalars(query.order_by(events_table.c.id).limit(limit)).all()

    def newest(
        self,
        *,
        subject: str | None = None,
        type: str | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> Sequence[Event]:
        """Events newest first, with ids below `before`; of `type` under any of its names."""
        query = select(Event)
        if before is not None:
            query = query.where(events_table.c.id < before)
        if subject is not None:
            query = query.where(events_table.c.subject == subject)
        if type is not None:
            query = query.where(events_table.c.type.in_(stored_types(type)))
        return self.session.scalars(query.order_by(events_table.c.id.desc()).limit(limit)).all()

    def for_subject(self, subject: str) -> Sequence[Event]:
        return self.session.scalars(
            select(Event).where(events_table.c.subject == subject).order_by(events_table.c.id)
        ).all()
