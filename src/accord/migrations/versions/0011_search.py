"""Search everything: full-text indexes of commitments, partnerships, purposes, teams and people

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Stories keep the index of 0005. On SQLite each table gets an FTS5 table of its words, filled
here from the rows already there and kept by triggers; on PostgreSQL an expression index on its
tsvector, which the database keeps itself. Neither is in the table mappings: accord.search
queries them. A later migration that rebuilds one of these tables on SQLite (a batch alter) drops
its triggers with it, and must make them again.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Each table with the columns whose words are found, the title first.
INDEXED = {
    "commitments": ("title", "conditions_of_satisfaction"),
    "partnerships": ("name",),
    "purposes": ("title", "statement"),
    "teams": ("name", "mission"),
    "people": ("name",),
}
TRIGGERS = ("insert", "delete", "update")


def sqlite_statements(table: str, columns: tuple[str, ...]) -> list[str]:
    fts = f"{table}_fts"
    names = ", ".join(columns)
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    forget = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
    learn = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); "
    return [
        # Prefix indexes of two and three letters keep a short word typed as a prefix quick.
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {learn}END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {forget}END",
        # Only a change of the words themselves: a commitment's moves leave its index alone.
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN {forget}{learn}END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def postgres_statement(table: str, columns: tuple[str, ...]) -> str:
    words = " || ' ' || ".join(columns)
    return f"CREATE INDEX ix_{table}_search ON {table} USING gin (to_tsvector('english', {words}))"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in INDEXED.items():
        if sqlite:
            for statement in sqlite_statements(table, columns):
                op.execute(statement)
        else:
            op.execute(postgres_statement(table, columns))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in INDEXED:
        if sqlite:
            for trigger in TRIGGERS:
                op.execute(f"DROP TRIGGER {table}_fts_{trigger}")
            op.execute(f"DROP TABLE {table}_fts")
        else:
            op.execute(f"DROP INDEX ix_{table}_search")
