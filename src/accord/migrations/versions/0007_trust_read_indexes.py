"""Indexes that answer a forecast's and a team's trust read from the index alone

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

A requester's overdue commitments were found by scanning every overdue commitment of the
organization. A performer's were found through (performer_id, due), then each row read from
the table. Both indexes keep the order those reads summed the rows in (the commitment id is
the row id), so the sums do not change by a bit.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PERFORMER = [
    "performer_id",
    "due",
    "commitment_id",
    "state",
    "notice",
    "due_weight",
    "requester_id",
]
REQUESTER = ["requester_id", "state", "due", "counted", "notice", "due_weight"]


def upgrade() -> None:
    op.drop_index("ix_trust_tracks_performer_due", table_name="trust_tracks")
    op.create_index("ix_trust_tracks_performer", "trust_tracks", PERFORMER, unique=False)
    op.create_index("ix_trust_tracks_requester", "trust_tracks", REQUESTER, unique=False)


def downgrade() -> None:
    op.drop_index("ix_trust_tracks_requester", table_name="trust_tracks")
    op.drop_index("ix_trust_tracks_performer", table_name="trust_tracks")
    op.create_index(
        "ix_trust_tracks_performer_due", "trust_tracks", ["performer_id", "due"], unique=False
    )
