"""Tables of notifications: the inbox, the outbox the worker delivers, teams' webhooks, people's
preferences and feed tokens. Read and written with SQLAlchemy Core by `repository`."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from accord.db import UTCDateTime, metadata

notifications_table = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("subject", String(160), nullable=False),
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("link", String(300), nullable=False),
    Column("event_id", Integer, nullable=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("read_at", UTCDateTime(), nullable=True),
    Column("digest", Boolean, nullable=False, default=False),
    Column("digested_at", UTCDateTime(), nullable=True),
    # a person's inbox, newest first, and its unread count
    Index("ix_notifications_person", "person_id", "id"),
    Index("ix_notifications_unread", "person_id", "read_at"),
)

outbox_table = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=True),
    Column(
        "notification_id",
        Integer,
        ForeignKey("notifications.id", ondelete="CASCADE"),
        nullable=True,
    ),
    Column("body", JSON, nullable=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", UTCDateTime(), nullable=False),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("worker", String(100), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    # what is due to be delivered, oldest first
    Index("ix_outbox_due", "state", "next_at"),
)

webhooks_table = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("format", String(10), nullable=False),
    Column("secret", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", Integer, ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
    Column("last_status", Text, nullable=True),
    Column("last_delivered_at", UTCDateTime(), nullable=True),
    Index("ix_webhooks_team", "team_id"),
)

notification_preferences_table = Table(
    "notification_preferences",
    metadata,
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("channel", String(10), nullable=False),
    PrimaryKeyConstraint("person_id", "kind"),
)

feed_tokens_table = Table(
    "feed_tokens",
    metadata,
    Column(
        "person_id",
        Integer,
        ForeignKey("people.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
)
