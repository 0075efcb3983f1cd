"""Indexes for the commitments page's sorts, and planner statistics on SQLite

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

The commitments page sorts every commitment the reader may see by due date, last change or
title and shows one page. Without an index in that order each page read and sorted the whole
table (about 100 ms at 500,000 commitments on SQLite, 200 to 300 ms on PostgreSQL); with them a
page is read in index order and cut. SQLite keeps no statistics until ANALYZE runs, and without
them it reads "my teams' overdue" through the state index instead of the team indexes.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_commitments_due": ["due", "id"],
    "ix_commitments_updated_at": ["updated_at", "id"],
    "ix_commitments_title": ["title", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "commitments", columns, unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ANALYZE commitments")


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="commitments")
