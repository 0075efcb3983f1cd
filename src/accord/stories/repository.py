"""Queries for stories and their search; never commits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, column, false, func, or_, select, table, text
from sqlalchemy.orm import Session

from accord.db import KeyCache
from accord.errors import NotFound
from accord.stories.domain import Story
from accord.stories.orm import (
    SEARCH_TABLE,
    stories_table,
    story_partnerships_table,
    story_purposes_table,
    story_tags_table,
    story_teams_table,
)

S = stories_table
# The expression PostgreSQL's search index is made on (migration 0005), word for word, so that
# the planner uses the index.
POSTGRES_VECTOR = (
    "to_tsvector('english', stories.title || ' ' || stories.body || ' ' || stories.tags_text "
    "|| ' ' || stories.results)"
)
WORD = re.compile(r"[^\W_]+")
SQLITE_SEARCH = table(SEARCH_TABLE, column("rowid"), column("rank"))


def search_words(query: str) -> list[str]:
    """The words of a search, without the characters a search syntax would read as operators."""
    return WORD.findall(query)[:32]


def sqlite_match(words: Sequence[str]) -> str:
    """An FTS5 query that finds every word, each also as the start of a longer one."""
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


@dataclass(frozen=True)
class StoryFilter:
    """Which stories a list holds: by words, tag, link or author, and whether hidden ones show."""

    words: Sequence[str] = ()
    tag: str | None = None
    partnership_id: int | None = None
    team_id: int | None = None
    purpose_id: int | None = None
    author_id: int | None = None
    all_hidden: bool = False  # admins see every hidden story
    reader_id: int | None = None  # an author sees their own hidden stories


class StoryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_key = KeyCache[Story](session)

    def add(self, story: Story) -> None:
        self.session.add(story)
        self._by_key.remember(story.key, story)

    def delete(self, story: Story) -> None:
        self.session.delete(story)

    def find(self, key: str) -> Story | None:
        return self._by_key.find(
            key,
            lambda: self.session.scalars(select(Story).where(stories_table.c.key == key)).first(),
        )

    def get(self, key: str) -> Story:
        story = self.find(key)
        if story is None:
            raise NotFound(f"no story {key!r}", rule="story.not_found")
        return story

    def keys_like(self, prefix: str) -> set[str]:
        return set(
            self.session.scalars(
                select(stories_table.c.key).where(stories_table.c.key.startswith(prefix))
            )
        )

    def every_story(self) -> Sequence[Story]:
        """Every story, hidden ones too, oldest first (an export)."""
        return self.session.scalars(select(Story).order_by(S.c.created_at, S.c.key)).unique().all()

    def _conditions(self, where: StoryFilter) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if where.tag is not None:
            found.append(
                S.c.id.in_(
                    select(story_tags_table.c.story_id).where(story_tags_table.c.tag == where.tag)
                )
            )
        for link, name, wanted in (
            (story_partnerships_table, "partnership_id", where.partnership_id),
            (story_teams_table, "team_id", where.team_id),
            (story_purposes_table, "purpose_id", where.purpose_id),
        ):
            if wanted is not None:
                found.append(S.c.id.in_(select(link.c.story_id).where(link.c[name] == wanted)))
        if where.author_id is not None:
            found.append(S.c.author_id == where.author_id)
        if not where.all_hidden:
            own = S.c.author_id == where.reader_id if where.reader_id is not None else false()
            found.append(or_(S.c.hidden_at.is_(None), own))
        return found

    def list(
        self, where: StoryFilter, *, after: Story | None = None, limit: int | None = None
    ) -> Sequence[Story]:
        """Newest first; with words, best match first. `after` is the last story of the page
        before."""
        if where.words:
            return self._search(where, after, limit)
        query = select(Story).where(*self._conditions(where))
        if after is not None:
            query = query.where(
                or_(
                    S.c.created_at < after.created_at,
                    and_(S.c.created_at == after.created_at, S.c.id < after.id),
                )
            )
        query = query.order_by(S.c.created_at.desc(), S.c.id.desc()).limit(limit)
        return self.session.scalars(query).unique().all()

    def _search(
        self, where: StoryFilter, after: Story | None, limit: int | None
    ) -> Sequence[Story]:
        # Ranked ids of every match, then one page of them: a rank is no stable cursor.
        query = select(S.c.id).where(*self._conditions(where))
        if self.session.get_bind().dialect.name == "sqlite":
            match = text(f"{SEARCH_TABLE} MATCH :match").bindparams(match=sqlite_match(where.words))
            query = (
                query.join(SQLITE_SEARCH, SQLITE_SEARCH.c.rowid == S.c.id)
                .where(match)
                .order_by(SQLITE_SEARCH.c.rank, S.c.created_at.desc(), S.c.id.desc())
            )
        else:
            words = " ".join(where.words)
            # Every word, as on SQLite: plainto_ reads no operator, where websearch_ reads "or".
            tsquery = "plainto_tsquery('english', :words)"
            query = query.where(
                text(f"{POSTGRES_VECTOR} @@ {tsquery}").bindparams(words=words)
            ).order_by(
                text(f"ts_rank({POSTGRES_VECTOR}, {tsquery}) DESC").bindparams(words=words),
                S.c.created_at.desc(),
                S.c.id.desc(),
            )
        ids = list(self.session.scalars(query))
        if after is not None:
            ids = ids[ids.index(after.id) + 1 :] if after.id in ids else []
        ids = ids[:limit] if limit is not None else ids
        if not ids:
            return []
        found = {s.id: s for s in self.session.scalars(select(Story).where(S.c.id.in_(ids)))}
        return [found[i] for i in ids if i in found]

    def tag_counts(self, where: StoryFilter) -> Sequence[tuple[str, int]]:
        """Each tag in use on the stories `where` allows, with how many stories carry it."""
        count = func.count()
        rows = self.session.execute(
            select(story_tags_table.c.tag, count)
            .join(S, S.c.id == story_tags_table.c.story_id)
            .where(*self._conditions(where))
            .group_by(story_tags_table.c.tag)
            .order_by(count.desc(), story_tags_table.c.tag)
        )
        return [(str(tag), int(n)) for tag, n in rows]
