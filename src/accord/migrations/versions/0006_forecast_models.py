"""Fitted forecast models, and an index for a performer's recent outcomes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trust_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fitted_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("window_start", accord.db.UTCDateTime(), nullable=True),
        sa.Column("window_end", accord.db.UTCDateTime(), nullable=True),
        sa.Column("trained_on", sa.Integer(), nullable=False),
        sa.Column("calibrated_on", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("scores", accord.db.JSONType, nullable=False),
        sa.Column("parameters", accord.db.JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_models")),
    )
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_commitments_performer_updated", ["performer_id", "updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_index("ix_commitments_performer_updated")
    op.drop_table("trust_models")
