"""Trust snapshots: the fold of the commitment events at UTC midnights, for reads as of a past
instant; and an index of the events by time

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

A database with commitment events already is marked unbuilt, so that its next start (or
`accord trust rebuild`) makes its snapshots with its sums; until then past instants replay the
whole log, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.db import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

EVIDENCE = ("ability_r", "ability_s", "integrity_r", "integrity_s", "value_r", "value_s")


def _evidence() -> list[sa.Column[float]]:
    return [sa.Column(name, sa.Float(), nullable=False) for name in EVIDENCE]


def _team(name: str, table: str, *, primary: bool) -> sa.Column[int]:
    return sa.Column(
        name,
        sa.Integer(),
        sa.ForeignKey("teams.id", name=f"fk_{table}_{name}_teams", ondelete="CASCADE"),
        nullable=False,
        autoincrement=False if primary else "auto",
    )


def upgrade() -> None:
    op.create_table(
        "trust_snapshots",
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("half_life_days", sa.Float(), nullable=False),
        *_evidence(),
        sa.PrimaryKeyConstraint("at", name="pk_trust_snapshots"),
    )
    op.create_table(
        "trust_snapshot_pairs",
        _team("requester_id", "trust_snapshot_pairs", primary=True),
        _team("performer_id", "trust_snapshot_pairs", primary=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        *_evidence(),
        sa.PrimaryKeyConstraint(
            "requester_id", "performer_id", "at", name="pk_trust_snapshot_pairs"
        ),
    )
    op.create_index("ix_trust_snapshot_pairs_at", "trust_snapshot_pairs", ["at"])
    op.create_table(
        "trust_snapshot_tracks",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=True),
        _team("requester_id", "trust_snapshot_tracks", primary=False),
        _team("performer_id", "trust_snapshot_tracks", primary=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("due", UTCDateTime(), nullable=False),
        sa.Column("notice", sa.Boolean(), nullable=False),
        sa.Column("reliance", sa.String(20), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("promised_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", "since", name="pk_trust_snapshot_tracks"),
    )
    op.create_index("ix_trust_snapshot_tracks_since", "trust_snapshot_tracks", ["since"])
    op.create_index("ix_trust_snapshot_tracks_until", "trust_snapshot_tracks", ["until"])
    op.create_index("ix_events_at", "events", ["at"])
    op.add_column("trust_state", sa.Column("snapshot_gap", UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE trust_state SET built = false WHERE EXISTS "
        "(SELECT 1 FROM events WHERE subject >= 'commitment:' AND subject < 'commitment;')"
    )


def downgrade() -> None:
    with op.batch_alter_table("trust_state") as batch:
        batch.drop_column("snapshot_gap")
    op.drop_index("ix_events_at", table_name="events")
    op.drop_index("ix_trust_snapshot_tracks_until", table_name="trust_snapshot_tracks")
    op.drop_index("ix_trust_snapshot_tracks_since", table_name="trust_snapshot_tracks")
    op.drop_table("trust_snapshot_tracks")
    op.drop_index("ix_trust_snapshot_pairs_at", table_name="trust_snapshot_pairs")
    op.drop_table("trust_snapshot_pairs")
    op.drop_table("trust_snapshots")
