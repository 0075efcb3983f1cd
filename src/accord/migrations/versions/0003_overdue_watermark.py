"""Overdue evidence summed up to a watermark, so reads add only what fell due since

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trust_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("overdue_through", accord.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("overdue_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("overdue_notice", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("overdue_silent", sa.Float(), nullable=True))
    with op.batch_alter_table("trust_tracks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counted", sa.Boolean(), nullable=True))
        batch_op.drop_index("ix_trust_tracks_due")
        batch_op.create_index(
            "ix_trust_tracks_state_due",
            ["state", "due", "counted", "notice", "due_weight"],
            unique=False,
        )
    # Sums kept before the watermark existed are rebuilt by `accord init` / `accord serve`.
    op.execute("UPDATE trust_state SET built = false WHERE EXISTS (SELECT 1 FROM commitments)")


def downgrade() -> None:
    with op.batch_alter_table("trust_tracks", schema=None) as batch_op:
        batch_op.drop_index("ix_trust_tracks_state_due")
        batch_op.create_index("ix_trust_tracks_due", ["due"], unique=False)
        batch_op.drop_column("counted")
    with op.batch_alter_table("trust_state", schema=None) as batch_op:
        batch_op.drop_column("overdue_silent")
        batch_op.drop_column("overdue_notice")
        batch_op.drop_column("overdue_count")
        batch_op.drop_column("overdue_through")
