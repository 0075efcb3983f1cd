"""Invitations: a team joins a partnership only when a party invites it and it accepts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

An invitation is kept once answered (accepted, declined or withdrawn), for the record.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                "withdrawn",
                name="invitation_state",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", accord.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["people.id"],
            name=op.f("fk_invitations_answered_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["people.id"],
            name=op.f("fk_invitations_invited_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_invitations_partnership_id_partnerships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_invitations_team_id_teams"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
    )
    op.create_index(op.f("ix_invitations_partnership_id"), "invitations", ["partnership_id"])
    op.create_index(op.f("ix_invitations_team_id"), "invitations", ["team_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_invitations_team_id"), table_name="invitations")
    op.drop_index(op.f("ix_invitations_partnership_id"), table_name="invitations")
    op.drop_table("invitations")
