"""The secondary indexes of the tables a large import fills, built once after its rows rather
than kept row by row while they go in.

Kept row by row, the commitments' indexes (eight B-trees, and on PostgreSQL the full-text GIN
index) and the log's (its instants, its subjects) cost PostgreSQL about twice what the rows
themselves cost, on the same two cores as the import; built once from the loaded table, about
half. On SQLite an import took 7-10% less time at 100,000 commitments, 13% at 500,000. It is
done only into an organization with no commitment yet (the indexes are then built from the
import's rows and the few events before them). DDL is transactional on both databases, so the
indexes are dropped and made again inside the import's transaction, and a rollback (a refused
document, a failure) brings them back as they were. The indexes that hold a constraint (primary
keys, the commitments' unique keys) are kept: they are what the rows are checked against.

On PostgreSQL the two tables are locked first: a reader of either waits for the import's commit
instead of reading the empty organization; one already reading (or writing) when the import
would lock them leaves the indexes in place (`NOWAIT`: the import never waits on it, and never
deadlocks with it). On SQLite the import holds the one write lock from its start, and readers
read the organization as it was before it, with its indexes, until its commit.
"""

from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

TABLES = ("commitments", "events")

# the secondary indexes of TABLES (those no constraint uses), each with the statement that makes it
_SECONDARY = text(
    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
    "WHERE i.indrelid = ANY(CAST(:tables AS regclass[])) "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
    "ORDER BY i.indexrelid"
)

# the same on SQLite: the indexes made by a statement of their own (a constraint's has none),
# other than a unique one
_SECONDARY_ON_SQLITE = text(
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN :tables "
    "AND sql IS NOT NULL AND upper(sql) NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
).bindparams(bindparam("tables", expanding=True))


class DeferredIndexes:
    """The secondary indexes of the commitments and the log, set aside for a bulk load inside
    one transaction (`set_aside`) and made again from their own definitions (`restore`)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.held: list[str] = []  # the statements that make the indexes set aside

    def set_aside(self) -> bool:
        """Drop the secondary indexes when nothing is in the way (no commitment stored; on
        PostgreSQL both tables locked at once without waiting); say whether they were."""
        session = self.session
        if self.held:
            return False
        if session.get_bind().dialect.name == "sqlite":
            return self._set_aside_on_sqlite()
        savepoint = session.begin_nested()
        try:
            session.execute(text(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE NOWAIT"))
        except DBAPIError:  # someone reads or writes them: the rows go in with the indexes
            savepoint.rollback()
            return False
        if session.scalar(text("SELECT EXISTS (SELECT 1 FROM commitments)")):
            savepoint.rollback()  # the lock goes with it
            return False
        found = session.execute(_SECONDARY, {"tables": list(TABLES)}).all()
        for name, _ in found:
            session.execute(text(f"DROP INDEX {name}"))
        savepoint.commit()
        self.held = [str(made) for _, made in found]
        return bool(self.held)

    def _set_aside_on_sqlite(self) -> bool:
        session = self.session
        if session.scalar(text("SELECT EXISTS (SELECT 1 FROM commitments)")):
            return False
        found = session.execute(_SECONDARY_ON_SQLITE, {"tables": list(TABLES)}).all()
        for name, _ in found:
            session.execute(text(f'DROP INDEX "{name}"'))
        self.held = [str(made) for _, made in found]
        return bool(self.held)

    def restore(self) -> None:
        """Make the indexes set aside again, from the rows now in their tables."""
        held, self.held = self.held, []
        for made in held:
            self.session.execute(text(made))
