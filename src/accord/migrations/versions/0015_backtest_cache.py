"""The backtest kept per state of the evidence, shared by every server process

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trust_backtests",
        sa.Column("evidence", sa.String(length=64), nullable=False),
        sa.Column("computed_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("document", accord.db.JSONType, nullable=False),
        sa.PrimaryKeyConstraint("evidence", name=op.f("pk_trust_backtests")),
    )


def downgrade() -> None:
    op.drop_table("trust_backtests")
