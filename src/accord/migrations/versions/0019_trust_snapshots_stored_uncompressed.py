"""Trust snapshots' packed values stored uncompressed on PostgreSQL

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05

A read of the past reads a week of snapshots' packed values (at 1,000,000 commitments about
11 MB): PostgreSQL compressed them (pglz, the default for `bytea`), and decompressed them on
every read, which took most of the read's time on the server. Packed numbers compress to about
half, so `pairs` and `tracks` are now kept out of line without compression (STORAGE EXTERNAL),
and the snapshots written before are written again so that they are too: the same values
(nothing to remake at the next start), about twice the space. SQLite compresses nothing: no-op.
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

COLUMNS = ("pairs", "tracks")


def _storage(kind: str) -> None:
    columns = ", ".join(f"ALTER COLUMN {name} SET STORAGE {kind}" for name in COLUMNS)
    op.execute(f"ALTER TABLE trust_snapshots {columns}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _storage("EXTERNAL")
    # a value written before keeps its compressed form when the row is written again as it is;
    # `value || ''` is a new value, which the column's storage now keeps uncompressed
    op.execute(
        "UPDATE trust_snapshots SET "
        + ", ".join(f"{name} = {name} || ''::bytea" for name in COLUMNS)
        + " WHERE "
        + " OR ".join(f"{name} IS NOT NULL" for name in COLUMNS)
    )


def downgrade() -> None:
    # the values stay as they are (compressed again only when written anew): the same values
    if op.get_bind().dialect.name != "postgresql":
        return
    _storage("EXTENDED")
