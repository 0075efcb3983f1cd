"""A person's time zone, chosen on the profile page

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

Pages show and read times in it; a person without one (everyone, at this upgrade) reads UTC.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
