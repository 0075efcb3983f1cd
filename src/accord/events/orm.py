"""Tables of the event log and its head (the row that serializes appends)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from accord.db import JSONType, UTCDateTime, mapper_registry, metadata
from accord.events.domain import Event

events_table = Table(
    "events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(320), nullable=True),
    Column("type", String(80), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("payload", JSONType, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_events_subject", "subject", "id"),
    # as-of reads fold the events after a trust snapshot: a range of `at`
    Index("ix_events_at", "at"),
)

event_head_table = Table(
    "event_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("last_hash", Text, nullable=False),
)

mapper_registry.map_imperatively(Event, events_table)
