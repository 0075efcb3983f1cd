"""Appending to and reading the event log; never commits."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from accord.db import insert_rows, sqlite_utc
from accord.events.catalog import stored_types
from accord.events.domain import Event, canonical_json, iso
from accord.events.orm import event_head_table, events_table

if TYPE_CHECKING:
    from accord.events.catalog import DomainEvent


# A text as JSON writes it without escaping what is not ASCII (as `canonical_json` does).
_quoted: Callable[[str], str] = encode_basestring
COLUMNS = ("id", "at", "actor", "type", "subject", "payload", "prev_hash", "hash")


def _chain_hash(
    id: int, at: str, actor: str | None, type: str, subject: str, payload: str, prev: str
) -> str:
    """`chain_hash` of an event whose instant and payload are given as their canonical texts
    (`iso`, `canonical_json`): the canonical JSON of the event is put together around them
    (the keys in their sorted order) rather than made again."""
    who = "null" if actor is None else _quoted(actor)
    text = (
        f'{{"actor":{who},"at":"{at}","id":{id},"payload":{payload},'
        f'"prev_hash":{_quoted(prev)},"subject":{_quoted(subject)},"type":{_quoted(type)}}}'
    )
    return hashlib.sha256(text.encode()).hexdigest()


def instant_texts(moment: datetime) -> tuple[str, str]:
    """The instant as the hash chain writes it (`iso`) and as SQLite stores a `UTCDateTime`
    (`db.sqlite_utc`): for an instant in UTC (nearly every one) both from one conversion to
    text."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("naive datetime given to the database; times are aware UTC")
    if not offset and moment.year >= 1000:
        text = moment.isoformat(" ", "microseconds")  # 'YYYY-MM-DD HH:MM:SS.ffffff+00:00'
        hashed = f"{text[:10]}T{text[11:26] if moment.microsecond else text[11:19]}Z"
        return hashed, text[:-6]
    return iso(moment), sqlite_utc(moment)


# The statements of every append, built once: building one costs about what running it does.
@functools.cache
def _head_locked() -> Any:
    head = event_head_table.c
    return select(head.last_id, head.last_hash).where(head.id == 1).with_for_update()


@functools.cache
def _head_update() -> Any:
    head = event_head_table.c
    return (
        update(event_head_table)
        .where(head.id == 1)
        .values(last_id=bindparam("new_id"), last_hash=bindparam("new_hash"))
    )


class EventStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, pending: Sequence[DomainEvent]) -> list[int]:
        """Chain and insert events, in order, and return their ids; the head row is locked so
        appends never fork the chain. Each payload is made JSON once, for its hash and its row;
        the rows go in in one go (`insert_rows`)."""
        head = self.session.execute(_head_locked()).one()
        last_id, last_hash = int(head.last_id), str(head.last_hash)
        # on SQLite the instant goes in as the text it is stored as, made with the hash's
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        rows: list[tuple[Any, ...]] = []
        for item in pending:
            event_id, payload = last_id + 1, canonical_json(item.payload())
            subject, at = item.subject, item.at
            hashed, stored = instant_texts(at)
            digest = _chain_hash(
                event_id, hashed, item.actor, item.type, subject, payload, last_hash
            )
            rows.append(
                (
                    event_id,
                    stored if sqlite else at,
                    item.actor,
                    item.type,
                    subject,
                    payload,
                    last_hash,
                    digest,
                )
            )
            last_id, last_hash = event_id, digest
        ready = ("at", "payload") if sqlite else ("payload",)
        insert_rows(self.session, events_table, COLUMNS, rows, ready=ready)
        self.session.execute(_head_update(), {"new_id": last_id, "new_hash": last_hash})
        return [row[0] for row in rows]

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
