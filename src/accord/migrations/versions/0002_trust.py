"""Stored trust: evidence sums per pair and organization, open commitments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

EVIDENCE = ("ability_r", "ability_s", "integrity_r", "integrity_s", "value_r", "value_s")


def _evidence() -> list[sa.Column[float]]:
    return [sa.Column(name, sa.Float(), nullable=False) for name in EVIDENCE]


def upgrade() -> None:
    op.create_table(
        "trust_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reference", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("half_life_days", sa.Float(), nullable=False),
        sa.Column("built", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("latest_at", accord.db.UTCDateTime(timezone=True), nullable=True),
        *_evidence(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_state")),
    )
    op.create_table(
        "trust_pairs",
        sa.Column("requester_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("performer_id", sa.Integer(), autoincrement=False, nullable=False),
        *_evidence(),
        sa.ForeignKeyConstraint(
            ["performer_id"],
            ["teams.id"],
            name=op.f("fk_trust_pairs_performer_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["teams.id"],
            name=op.f("fk_trust_pairs_requester_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("requester_id", "performer_id", name=op.f("pk_trust_pairs")),
    )
    op.create_index("ix_trust_pairs_performer", "trust_pairs", ["performer_id"], unique=False)
    op.create_table(
        "trust_tracks",
        sa.Column("commitment_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("performer_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("due", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_weight", sa.Float(), nullable=False),
        sa.Column("notice", sa.Boolean(), nullable=False),
        sa.Column("reliance", sa.String(length=20), nullable=False),
        sa.Column("delivered_at", accord.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("promised_at", accord.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_trust_tracks_commitment_id_commitments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["performer_id"],
            ["teams.id"],
            name=op.f("fk_trust_tracks_performer_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["teams.id"],
            name=op.f("fk_trust_tracks_requester_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("commitment_id", name=op.f("pk_trust_tracks")),
        sa.UniqueConstraint("key", name=op.f("uq_trust_tracks_key")),
    )
    op.create_index("ix_trust_tracks_due", "trust_tracks", ["due"], unique=False)
    op.create_index(
        "ix_trust_tracks_performer_due", "trust_tracks", ["performer_id", "due"], unique=False
    )
    # A database with commitments already is marked unbuilt: `accord trust rebuild` (run by
    # `accord init` and `accord serve`) computes its sums from the event log.
    has_commitments = op.get_bind().execute(sa.text("SELECT 1 FROM commitments LIMIT 1")).first()
    state = sa.table(
        "trust_state",
        sa.column("id", sa.Integer),
        sa.column("reference", accord.db.UTCDateTime()),
        sa.column("half_life_days", sa.Float),
        sa.column("built", sa.Boolean),
        sa.column("version", sa.Integer),
        *(sa.column(name, sa.Float) for name in EVIDENCE),
    )
    op.bulk_insert(
        state,
        [
            {
                "id": 1,
                "reference": datetime(2026, 1, 1, tzinfo=UTC),
                "half_life_days": 180.0,
                "built": has_commitments is None,
                "version": 0,
                **dict.fromkeys(EVIDENCE, 0.0),
            }
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_trust_tracks_performer_due", table_name="trust_tracks")
    op.drop_index("ix_trust_tracks_due", table_name="trust_tracks")
    op.drop_table("trust_tracks")
    op.drop_index("ix_trust_pairs_performer", table_name="trust_pairs")
    op.drop_table("trust_pairs")
    op.drop_table("trust_state")
