"""Queries for stories and their search; never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import KeyCache
from accord.errors import NotFound
from accord.stories.domain import Story
from accord.stories.orm import stories_table


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
