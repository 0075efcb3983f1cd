"""Stories of how partners built their partnerships and what they achieved, and their replies."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from accord.errors import Forbidden, Invalid
from accord.org.domain import Actor, Person, Team, ensure_can_write, is_admin, may_write
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_RESULTS = 5_000
MAX_REPLY = 10_000
MAX_TAGS = 10
MAX_TAG = 40
MAX_LINKS = 20
TAG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Keys the story pages and API use for themselves (/stories/new, /stories/tags).
RESERVED_KEYS = frozenset({"new", "tags"})


# What no text of a story may hold: control characters but tab and line breaks, lone surrogates
# and the two non-characters (PostgreSQL refuses NUL; XML, hence the Atom feed, all of them).
def normalize_tag(tag: str) -> str:
    """A tag as kept: lower case, words joined by hyphens ('Data Sharing' -> 'data-sharing')."""
    words = re.findall(r"[^\W_]+", tag.casefold())
    normal = "-".join(words)
    if not normal or not TAG.fullmatch(normal) or len(normal) > MAX_TAG:
        raise Invalid(
            f"tag {tag!r} must be 1-{MAX_TAG} letters, digits and hyphens",
            rule="story.tag_invalid",
            field="tags",
        )
    return normal


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """The tags, normalized, without repeats, in the order first given."""
    seen: dict[str, None] = {}
    for tag in tags:
        seen[normalize_tag(tag)] = None
        if len(seen) > MAX_TAGS:  # before reading the rest, however many were sent
            raise Invalid(
                f"a story has at most {MAX_TAGS} tags", rule="story.too_many_tags", field="tags"
            )
    return list(seen)


@dataclass(eq=False)
class StoryTag:
    tag: str
    id: int | None = None


@dataclass(eq=False)
class Reply:
    """One reply in a story's thread."""

    author: Person
    body: str
    created_at: datetime
    id: int | None = None


@dataclass(eq=False)
class Story:
    """A story, its links to partnerships, teams and purposes, its results and its thread."""

    key: str
    title: str
    body: str
    author: Person
    created_at: datetime
    updated_at: datetime
    results: str = ""
    metric_name: str | None = None
    metric_value: float | None = None
    metric_unit: str | None = None
    tag_rows: list[StoryTag] = field(default_factory=list)
    tags_text: str = ""  # the tags joined by spaces, for full-text search
    partnerships: list[Partnership] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    purposes: list[Purpose] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    hidden_at: datetime | None = None
    hidden_by: Person | None = None
    hidden_reason: str | None = None
    id: int | None = None

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    def set_tags(self, tags: Iterable[str]) -> None:
        wanted = normalize_tags(tags)
        kept = {row.tag: row for row in self.tag_rows}
        self.tag_rows = [kept.get(tag) or StoryTag(tag) for tag in wanted]
        self.tags_text = " ".join(wanted)

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None

    def hide(self, by: Person, at: datetime, reason: str) -> None:
        self.hidden_at = at
        self.hidden_by = by
        self.hidden_reason = reason

    def show(self) -> None:
        self.hidden_at = None
        self.hidden_by = None
        self.hidden_reason = None

    def reply(self, reply_id: int) -> Reply | None:
        for reply in self.replies:
            if reply.id == reply_id:
                return reply
        return None


def may_see_story(actor: Actor, story: Story) -> bool:
    """Every signed-in person reads stories; a hidden one only its author and admins."""
    if not story.hidden or is_admin(actor):
        return True
    return isinstance(actor, Person) and story.author.id == actor.id


def may_edit_story(actor: Actor, story: Story) -> bool:
    """Whether `actor` may edit or delete `story`: its author, while they may write, or an admin
    (DESIGN §7)."""
    return is_admin(actor) or (may_write(actor) and story.author.id == actor.id)


def ensure_may_edit_story(actor: Actor, story: Story, doing: str) -> None:
    if not may_edit_story(actor, story):
        ensure_can_write(actor)  # a viewer, say, is refused as such
        raise Forbidden(
            f"only the author of story {story.key!r} or an admin may {doing}",
            rule="permission.author_only",
        )


def may_delete_reply(actor: Actor, reply: Reply) -> bool:
    """Whether `actor` may delete `reply`: its author, while they may write, or an admin."""
    return is_admin(actor) or (may_write(actor) and reply.author.id == actor.id)


def ensure_may_delete_reply(actor: Actor, reply: Reply) -> None:
    if not may_delete_reply(actor, reply):
        ensure_can_write(actor)  # a viewer, say, is refused as such
        raise Forbidden(
            "only the author of a reply or an admin may delete it", rule="permission.author_only"
        )
