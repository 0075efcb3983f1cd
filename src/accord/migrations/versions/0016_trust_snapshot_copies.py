"""Trust snapshots: a snapshot's pairs and commitments in one value each, and a full copy of
them at a midnight about once a month, so that a read of the past reads only the snapshots
since the copy before its own

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

The snapshots made before are dropped, and made again in the new form at the next start
(`accord trust rebuild` also makes them); until then a read of the past replays the log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.db import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

EVIDENCE = ("ability_r", "ability_s", "integrity_r", "integrity_s", "value_r", "value_s")
REMAKE = (
    "UPDATE trust_state SET snapshot_gap = (SELECT min(at) FROM events "
    "WHERE subject >= 'commitment:' AND subject < 'commitment;') WHERE snapshot_gap IS NULL"
)


def _team(name: str, table: str, *, primary: bool) -> sa.Column[int]:
    return sa.Column(
        name,
        sa.Integer(),
        sa.ForeignKey("teams.id", name=f"fk_{table}_{name}_teams", ondelete="CASCADE"),
        nullable=False,
        autoincrement=False if primary else "auto",
    )


def upgrade() -> None:
    op.execute("DELETE FROM trust_snapshots")
    op.drop_index("ix_trust_snapshot_pairs_at", table_name="trust_snapshot_pairs")
    op.drop_table("trust_snapshot_pairs")
    op.drop_index("ix_trust_snapshot_tracks_until", table_name="trust_snapshot_tracks")
    op.drop_index("ix_trust_snapshot_tracks_since", table_name="trust_snapshot_tracks")
    op.drop_table("trust_snapshot_tracks")
    with op.batch_alter_table("trust_snapshots") as batch:
        batch.add_column(sa.Column("pairs", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("tracks", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("full", sa.Boolean(), nullable=True))
    op.execute(REMAKE)


def downgrade() -> None:
    op.execute("DELETE FROM trust_snapshots")
    with op.batch_alter_table("trust_snapshots") as batch:
        batch.drop_column("full")
        batch.drop_column("tracks")
        batch.drop_column("pairs")
    op.create_table(
        "trust_snapshot_pairs",
        _team("requester_id", "trust_snapshot_pairs", primary=True),
        _team("performer_id", "trust_snapshot_pairs", primary=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        *[sa.Column(name, sa.Float(), nullable=False) for name in EVIDENCE],
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
    op.execute(REMAKE)
