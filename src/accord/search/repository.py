"""Queries of search: the matches of each kind by the database's own full-text index, and the
things found; never commits."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from accord.commitments.domain import Commitment
from accord.commitments.orm import commitments_table
from accord.org.domain import Membership, Person, Team
from accord.org.orm import people_table, teams_table
from accord.partnerships.domain import Partnership, Party
from accord.partnerships.orm import partnerships_table
from accord.purposes.domain import Purpose
from accord.purposes.orm import purposes_table
from accord.search.domain import Kind
from accord.search.orm import INDEXED, Indexed
from accord.stories.domain import Story
from accord.stories.orm import stories_table

# What each kind loads as, by its table's id column.
LOADED: dict[Kind, tuple[type, Any]] = {
    Kind.COMMITMENT: (Commitment, commitments_table.c.id),
    Kind.PARTNERSHIP: (Partnership, partnerships_table.c.id),
    Kind.PURPOSE: (Purpose, purposes_table.c.id),
    Kind.TEAM: (Team, teams_table.c.id),
    Kind.PERSON: (Person, people_table.c.id),
    Kind.STORY: (Story, stories_table.c.id),
}


@dataclass(frozen=True)
class Seen:
    """What of the matches a reader may see: hidden stories (all, or their own) and people
    no longer active."""

    all_hidden: bool = False
    reader_id: int | None = None
    inactive_people: bool = False


@dataclass(frozen=True)
class Match:
    """A match as the index found it: which row, and its title."""

    id: int
    title: str


def sqlite_match(words: Sequence[str]) -> str:
    """An FTS5 query that finds every word, each of two letters or more also as the start of a
    longer one; quoted, so that nothing in it is an operator."""
    return " ".join(
        '"' + word.replace('"', '""') + '"' + ("*" if len(word) > 1 else "") for word in words
    )


def postgres_query(words: Sequence[str]) -> str:
    """The same for PostgreSQL's to_tsquery: every word, each as a prefix, each quoted."""
    return " & ".join("'" + word.replace("'", "''") + "':*" for word in words)


@functools.cache
def _shown() -> dict[Kind, tuple[Any, ...]]:
    """What each kind loads with it: what a hit's line names (a commitment's teams, a
    partnership's purpose and parties, a person's teams), and none of theirs (built once: the
    mappers are configured by then, and building options costs about as much as a query)."""
    return {
        Kind.COMMITMENT: (
            joinedload(Commitment.requester).lazyload("*"),  # type: ignore[misc, arg-type]
            joinedload(Commitment.performer).lazyload("*"),  # type: ignore[misc, arg-type]
            lazyload("*"),
        ),
        Kind.PARTNERSHIP: (
            joinedload(Partnership.purpose).lazyload("*"),  # type: ignore[misc, arg-type]
            selectinload(Partnership.parties)  # type: ignore[arg-type]
            .joinedload(Party.team)  # type: ignore[misc, arg-type]
            .lazyload("*"),
            lazyload("*"),
        ),
        Kind.PURPOSE: (lazyload("*"),),
        Kind.TEAM: (lazyload("*"),),
        Kind.PERSON: (
            selectinload(Person.memberships)  # type: ignore[arg-type]
            .joinedload(Membership.team)  # type: ignore[misc, arg-type]
            .lazyload("*"),
        ),
        Kind.STORY: (lazyload("*"),),
    }


class SearchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @contextmanager
    def indexed_after(self, kind: Kind) -> Iterator[None]:
        """Rows of `kind` inserted inside (new rows only, with ids above those there) are
        indexed at the end in one statement rather than by the insert trigger one at a time,
        which costs ten times as much (SQLite; PostgreSQL keeps its index itself). The trigger
        is dropped and made again from its own text, in the same transaction: a rollback
        restores it with the rows."""
        if self.session.get_bind().dialect.name != "sqlite":
            yield
            return
        indexed = INDEXED[kind]
        trigger = f"{indexed.fts}_insert"
        made = self.session.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": trigger},
        )
        if made is None:
            yield
            return
        last = self.session.scalar(text(f"SELECT max(id) FROM {indexed.table}")) or 0
        self.session.execute(text(f"DROP TRIGGER {trigger}"))
        try:
            yield
        except BaseException:
            self.session.execute(text(made))
            raise
        names = ", ".join(indexed.columns)
        self.session.execute(
            text(
                f"INSERT INTO {indexed.fts}(rowid, {names}) "
                f"SELECT id, {names} FROM {indexed.table} WHERE id > :last"
            ),
            {"last": last},
        )
        self.session.execute(text(made))

    def matches(self, kind: Kind, words: Sequence[str], seen: Seen, pool: int) -> list[Match]:
        """At most `pool` rows of `kind` that hold every word, the newest when more do, with
        their titles."""
        if not words:
            return []
        indexed = INDEXED[kind]
        where, params = self._seen(kind, seen)
        if self.session.get_bind().dialect.name == "sqlite":
            query, params["match"] = self._sqlite(indexed, where), sqlite_match(words)
        else:
            query, params["match"] = self._postgres(indexed, where), postgres_query(words)
        rows = self.session.execute(text(query), {**params, "pool": pool})
        return [Match(int(id_), str(title)) for id_, title in rows]

    @staticmethod
    def _seen(kind: Kind, seen: Seen) -> tuple[str, dict[str, Any]]:
        """The condition on the row (alias `t`) that leaves out what the reader may not see."""
        if kind == Kind.STORY and not seen.all_hidden:
            return "(t.hidden_at IS NULL OR t.author_id = :reader)", {
                "reader": seen.reader_id if seen.reader_id is not None else -1
            }
        if kind == Kind.PERSON and not seen.inactive_people:
            return "t.active = :active", {"active": True}
        return "", {}

    @staticmethod
    def _sqlite(indexed: Indexed, where: str) -> str:
        # The newest matches first, which FTS5 finds walking its index by rowid, never
        # scoring them all.
        fts = indexed.fts
        condition = f" AND {where}" if where else ""
        return (
            f"SELECT t.id, t.{indexed.columns[0]} FROM {fts} "
            f"JOIN {indexed.table} AS t ON t.id = {fts}.rowid "
            f"WHERE {fts} MATCH :match{condition} ORDER BY {fts}.rowid DESC LIMIT :pool"
        )

    @staticmethod
    def _postgres(indexed: Indexed, where: str) -> str:
        # The matches through the GIN index, materialized so that the planner never walks the
        # primary key backwards computing each row's words instead; then the newest of them.
        condition = f" AND {where}" if where else ""
        return (
            f"WITH found AS MATERIALIZED (SELECT t.id FROM {indexed.table} AS t "
            f"WHERE {indexed.vector('t')} @@ to_tsquery('english', :match){condition}) "
            f"SELECT t.id, t.{indexed.columns[0]} FROM found "
            f"JOIN {indexed.table} AS t ON t.id = found.id ORDER BY found.id DESC LIMIT :pool"
        )

    def load(self, kind: Kind, ids: Sequence[int]) -> dict[int, Any]:
        """The things of `kind` with these ids, by id, with what their line says and no more."""
        if not ids:
            return {}
        cls, column = LOADED[kind]
        found: Iterable[Any] = self.session.scalars(
            select(cls).where(column.in_(ids)).options(*_shown()[kind])
        ).unique()
        return {item.id: item for item in found}
