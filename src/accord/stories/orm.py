"""Tables of stories, their tags, links and replies; search indexes are made by the migration."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from accord.db import UTCDateTime, mapper_registry, metadata
from accord.org.domain import Person, Team
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose
from accord.stories.domain import Reply, Story, StoryTag

stories_table = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(100), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("results", Text, nullable=False),
    Column("metric_name", String(200), nullable=True),
    Column("metric_value", Float, nullable=True),
    Column("metric_unit", String(40), nullable=True),
    Column("tags_text", Text, nullable=False),
    Column(
        "author_id",
        Integer,
        ForeignKey("people.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    ),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("hidden_at", UTCDateTime(), nullable=True),
    Column("hidden_by_id", Integer, ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
    Column("hidden_reason", Text, nullable=True),
)

# Made by the migration, outside the mappings: SQLite's FTS5 table (and its shadow tables,
# named after it) or PostgreSQL's expression index.
SEARCH_TABLE = "stories_fts"
SEARCH_INDEX = "ix_stories_search"

story_tags_table = Table(
    "story_tags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("tag", String(40), nullable=False, index=True),
    UniqueConstraint("story_id", "tag", name="uq_story_tags_story_tag"),
)


def _link_table(name: str, target: str) -> Table:
    return Table(
        name,
        metadata,
        Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
        Column(
            f"{target}_id",
            Integer,
            ForeignKey(f"{target}s.id" if target != "team" else "teams.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        PrimaryKeyConstraint("story_id", f"{target}_id", name=f"pk_{name}"),
    )


story_partnerships_table = _link_table("story_partnerships", "partnership")
story_teams_table = _link_table("story_teams", "team")
story_purposes_table = _link_table("story_purposes", "purpose")

story_replies_table = Table(
    "story_replies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "story_id",
        Integer,
        ForeignKey("stories.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("author_id", Integer, ForeignKey("people.id", ondelete="RESTRICT"), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

mapper_registry.map_imperatively(
    Story,
    stories_table,
    properties={
        "author": relationship(Person, lazy="joined", foreign_keys=[stories_table.c.author_id]),
        "hidden_by": relationship(
            Person, lazy="joined", foreign_keys=[stories_table.c.hidden_by_id]
        ),
        "tag_rows": relationship(
            StoryTag, cascade="all, delete-orphan", lazy="selectin", order_by=story_tags_table.c.id
        ),
        "partnerships": relationship(
            Partnership, secondary=story_partnerships_table, lazy="selectin"
        ),
        "teams": relationship(Team, secondary=story_teams_table, lazy="selectin"),
        "purposes": relationship(Purpose, secondary=story_purposes_table, lazy="selectin"),
        "replies": relationship(
            Reply,
            cascade="all, delete-orphan",
            lazy="selectin",
            order_by=story_replies_table.c.id,
        ),
    },
)
mapper_registry.map_imperatively(StoryTag, story_tags_table)
mapper_registry.map_imperatively(
    Reply, story_replies_table, properties={"author": relationship(Person, lazy="joined")}
)
