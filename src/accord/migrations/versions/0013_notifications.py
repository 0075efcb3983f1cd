"""Notifications: the inbox, the outbox the worker delivers, webhooks, preferences, feed tokens

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

The outbox is written in the transaction of the change that causes it, so a change and the
notice of it are kept together or not at all; the worker delivers it afterwards.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.db import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(160), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("link", sa.String(300), nullable=False),
        sa.Column("event_id", sa.Integer, nullable=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.Column("digest", sa.Boolean, nullable=False),
        sa.Column("digested_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_notifications_person", "notifications", ["person_id", "id"])
    op.create_index("ix_notifications_unread", "notifications", ["person_id", "read_at"])
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "created_by", sa.Integer, sa.ForeignKey("people.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("last_status", sa.Text, nullable=True),
        sa.Column("last_delivered_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_webhooks_team", "webhooks", ["team_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column(
            "person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column(
            "webhook_id",
            sa.Integer,
            sa.ForeignKey("webhooks.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "notification_id",
            sa.Integer,
            sa.ForeignKey("notifications.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("body", sa.JSON, nullable=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_outbox_due", "outbox", ["state", "next_at"])
    op.create_table(
        "notification_preferences",
        sa.Column(
            "person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "kind"),
    )
    op.create_table(
        "feed_tokens",
        sa.Column(
            "person_id",
            sa.Integer,
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("feed_tokens", "notification_preferences", "outbox", "webhooks"):
        op.drop_table(table)
    op.drop_index("ix_notifications_unread", "notifications")
    op.drop_index("ix_notifications_person", "notifications")
    op.drop_table("notifications")
