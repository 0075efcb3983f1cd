"""The full-text indexes search reads, by kind; the migration makes them, outside the mappings.

On SQLite each indexed table has an FTS5 table of its words (`<table>_fts`, kept by triggers);
on PostgreSQL an expression index on its tsvector (`ix_<table>_search`). Stories keep the index
their own search made first (accord.stories.orm).
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.search.domain import Kind
from accord.stories.orm import SEARCH_INDEX as STORIES_INDEX
from accord.stories.orm import SEARCH_TABLE as STORIES_FTS


@dataclass(frozen=True)
class Indexed:
    """A table whose words search finds; its first column is the title."""

    table: str
    columns: tuple[str, ...]
    fts: str
    index: str

    def vector(self, alias: str) -> str:
        """The PostgreSQL expression the index is made on, word for word (the planner then
        uses the index)."""
        joined = " || ' ' || ".join(f"{alias}.{column}" for column in self.columns)
        return f"to_tsvector('english', {joined})"


def _made(table: str, *columns: str) -> Indexed:
    return Indexed(table, columns, f"{table}_fts", f"ix_{table}_search")


INDEXED: dict[Kind, Indexed] = {
    Kind.COMMITMENT: _made("commitments", "title", "conditions_of_satisfaction"),
    Kind.PARTNERSHIP: _made("partnerships", "name"),
    Kind.PURPOSE: _made("purposes", "title", "statement"),
    Kind.TEAM: _made("teams", "name", "mission"),
    Kind.PERSON: _made("people", "name"),
    Kind.STORY: Indexed(
        "stories", ("title", "body", "tags_text", "results"), STORIES_FTS, STORIES_INDEX
    ),
}


def made_by_the_migration(name: str | None) -> bool:
    """Whether a table, trigger or index is one of search's (the schema checks leave them be)."""
    return name is not None and any(
        name.startswith(indexed.fts) or name == indexed.index for indexed in INDEXED.values()
    )
