"""Trust snapshots every two hours, a full copy every week, commitments by id: a read of the
past folds at most two hours of the log after its snapshot and finds the latest entry of each
commitment since the full copy with array operations

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

The snapshots made before (their commitments by key) are dropped, and made again in the new
form at the next start (`accord trust rebuild` also makes them); until then a read of the past
replays the log.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
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
