"""Trust snapshots with their pairs in order of the teams' ids: a read of the past sorts the
pairs since the full copy before it in one pass over runs already in order

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

The snapshots made before (a full copy's pairs in another order, which a read sorts at some
milliseconds' cost) are dropped, and made again at the next start (`accord trust rebuild` also
makes them); until then a read of the past replays the log. The form of a snapshot is the same.
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

REMAKE = (
    "UPDATE trust_state SET snapshot_gap = (SELECT min(at) FROM events "
    "WHERE subject >= 'commitment:' AND subject < 'commitment;') WHERE snapshot_gap IS NULL"
)


def upgrade() -> None:
    op.execute("DELETE FROM trust_snapshots")
    op.execute(REMAKE)


def downgrade() -> None:
    op.execute("DELETE FROM trust_snapshots")
    op.execute(REMAKE)
