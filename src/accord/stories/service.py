"""Use cases of stories: publish, edit, hide, delete, reply, read, search.

Longer than most modules on purpose: each use case is short, and they share the context's
checks, lookups and views.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.errors import Conflict, Forbidden, Invalid, NotFound, about
from accord.events.catalog import (
    ReplyDeleted,
    StoryDeleted,
    StoryHidden,
    StoryPublished,
    StoryReplied,
    StoryShown,
    StoryUpdated,
)
from accord.org.domain import (
    Actor,
    Person,
    actor_name,
    check_characters,
    check_text,
    choose_key,
    ensure_admin,
    ensure_can_write,
    is_admin,
    may_write,
)
from accord.org.domain import Team as TeamType
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose
from accord.stories.domain import (
    MAX_BODY,
    MAX_LINKS,
    MAX_REPLY,
    MAX_RESULTS,
    MAX_TITLE,
    RESERVED_KEYS,
    Reply,
    Story,
    ensure_may_delete_reply,
    ensure_may_edit_story,
    may_delete_reply,
    may_edit_story,
    may_see_story,
    normalize_tag,
)
from accord.stories.repository import StoryFilter, search_words
from accord.uow import UnitOfWork

MAX_REASON = 500
MAX_METRIC_NAME = 200
MAX_METRIC_UNIT = 40
_UNSET: Any = object()


def _keys_like(uow: UnitOfWork, prefix: str) -> set[str]:
    """The keys taken that start with `prefix`: stories' and the pages'."""
    return uow.stories.keys_like(prefix) | {k for k in RESERVED_KEYS if k.startswith(prefix)}


def _visible(uow: UnitOfWork, actor: Actor, key: str) -> Story:
    """The story, or not found when the actor may not see it (a hidden one is not announced)."""
    story = uow.stories.get(key)
    if not may_see_story(actor, story):
        raise NotFound(f"no story {key!r}", rule="story.not_found")
    return story


def _filter_for(actor: Actor) -> StoryFilter:
    return StoryFilter(
        all_hidden=is_admin(actor),
        reader_id=actor.id if isinstance(actor, Person) else None,
    )


def _links(uow: UnitOfWork, what: str, keys: Sequence[str]) -> list[Any]:
    """The partnerships, teams or purposes named, each once; an unknown one is named."""
    named = (check_characters(k, what, field=what).strip() for k in keys if k.strip())
    unique = list(dict.fromkeys(named))
    if len(unique) > MAX_LINKS:
        raise Invalid(
            f"a story links at most {MAX_LINKS} {what}", rule="story.too_many_links", field=what
        )
    with about(what):
        if what == "partnerships":
            return [uow.partnerships.get(k) for k in unique]
        if what == "teams":
            return [uow.org.team(k, members=False) for k in unique]
        return [uow.purposes.get(k) for k in unique]


def _metric(
    name: str | None, value: float | None, unit: str | None
) -> tuple[str | None, float | None, str | None]:
    """A result's metric: a name and a value, with an optional unit; or none at all."""
    name = check_text(
        name or "", "metric_name", max_length=MAX_METRIC_NAME, required=False, field="metric.name"
    )
    unit = check_text(
        unit or "", "metric_unit", max_length=MAX_METRIC_UNIT, required=False, field="metric.unit"
    )
    if value is not None and not math.isfinite(value):
        raise Invalid(
            "the metric's value must be a finite number",
            rule="story.metric_invalid",
            field="metric.value",
        )
    if (value is None) != (not name):
        raise Invalid(
            "a metric needs both a name and a value: give both, or neither",
            rule="story.metric_incomplete",
            field="metric.value",
        )
    if unit and value is None:
        raise Invalid(
            "a metric's unit needs a name and a value too",
            rule="story.metric_incomplete",
            field="metric.value",
        )
    return (name or None, value, unit or None)


def _linked(story: Story) -> dict[str, Any]:
    # Keys only, no text: a story hidden later keeps its words out of the event log.
    return {
        "tags": story.tags,
        "partnerships": [p.key for p in story.partnerships],
        "teams": [t.slug for t in story.teams],
        "purposes": [p.key for p in story.purposes],
    }


def create_story(
    uow: UnitOfWork,
    actor: Actor,
    *,
    title: str,
    body: str,
    tags: Sequence[str] = (),
    partnerships: Sequence[str] = (),
    teams: Sequence[str] = (),
    purposes: Sequence[str] = (),
    results: str = "",
    metric_name: str | None = None,
    metric_value: float | None = None,
    metric_unit: str | None = None,
    key: str | None = None,
    at: datetime | None = None,
    imported: bool = False,
    author: str | None = None,
) -> Story:
    """Share a story (any member); on import an admin gives its author and time."""
    with uow:
        actor = uow.bind(actor)
        if imported:
            ensure_admin(actor, "import stories")
            if author is not None:
                writer = uow.org.person(author)
            elif isinstance(actor, Person):
                writer = actor
            else:
                raise Invalid("an imported story needs its author", rule="story.author_required")
        else:
            writer = ensure_can_write(actor)
            if at is not None or author is not None:
                raise Forbidden(
                    "only an import gives a story's author and time", rule="permission.admin_only"
                )
        when = at or uow.now()
        title = check_text(title, "title", max_length=MAX_TITLE, field="title")
        story = Story(
            key="",
            title=title,
            body=check_text(body, "body", max_length=MAX_BODY, field="body"),
            author=writer,
            created_at=when,
            updated_at=when,
            results=check_text(
                results, "results", max_length=MAX_RESULTS, required=False, field="results"
            ),
        )
        story.metric_name, story.metric_value, story.metric_unit = _metric(
            metric_name, metric_value, metric_unit
        )
        story.set_tags(tags)
        story.partnerships = _links(uow, "partnerships", partnerships)
        story.teams = _links(uow, "teams", teams)
        story.purposes = _links(uow, "purposes", purposes)
        if key in RESERVED_KEYS:
            raise Invalid(
                f"story key {key!r} is the name of a page", rule="story.key_reserved", field="key"
            )
        story.key = choose_key(key, title, "story", lambda p: _keys_like(uow, p))
        if uow.stories.find(story.key) is not None:
            raise Conflict(f"story {story.key!r} already exists", rule="story.exists", field="key")
        uow.stories.add(story)
        uow.record(
            StoryPublished(story=story.key, actor=actor_name(actor), at=when, **_linked(story))
        )
        uow.commit()
        return story


def update_story(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    *,
    title: str | None = None,
    body: str | None = None,
    tags: Sequence[str] | None = None,
    partnerships: Sequence[str] | None = None,
    teams: Sequence[str] | None = None,
    purposes: Sequence[str] | None = None,
    results: str | None = None,
    metric_name: str | None = _UNSET,
    metric_value: float | None = _UNSET,
    metric_unit: str | None = _UNSET,
    hidden: bool | None = None,
    hidden_reason: str | None = None,
) -> Story:
    """Edit a story (its author or an admin); `hidden` hides or shows it (an admin)."""
    with uow:
        actor = uow.bind(actor)
        story = _visible(uow, actor, key)
        if hidden is not None:
            ensure_admin(actor, "hide or show a story")
        edits = {
            "title": title,
            "body": body,
            "tags": tags,
            "partnerships": partnerships,
            "teams": teams,
            "purposes": purposes,
            "results": results,
        }
        metric = (metric_name, metric_value, metric_unit)
        changed = [name for name, value in edits.items() if value is not None]
        if any(m is not _UNSET for m in metric):
            changed.append("metric")
        if changed or hidden is None:  # an empty edit is still one only they may make
            ensure_may_edit_story(actor, story, "edit it")
        if changed:
            _edit(uow, story, edits, metric)
            story.updated_at = uow.now()
            uow.record(
                StoryUpdated(
                    story=story.key,
                    actor=actor_name(actor),
                    at=uow.now(),
                    changed=changed,
                    **_linked(story),
                )
            )
        if hidden is True:
            _hide(uow, actor, story, hidden_reason)
        elif hidden is False:
            _show(uow, actor, story)
        elif hidden_reason is not None:
            raise Invalid(
                "hidden_reason goes with hidden: true",
                rule="story.reason_alone",
                field="hidden_reason",
            )
        uow.commit()
        return story


def _edit(
    uow: UnitOfWork,
    story: Story,
    edits: dict[str, Any],
    metric: tuple[Any, Any, Any],  # each _UNSET when not given
) -> None:
    if edits["title"] is not None:
        story.title = check_text(edits["title"], "title", max_length=MAX_TITLE, field="title")
    if edits["body"] is not None:
        story.body = check_text(edits["body"], "body", max_length=MAX_BODY, field="body")
    if edits["results"] is not None:
        story.results = check_text(
            edits["results"], "results", max_length=MAX_RESULTS, required=False, field="results"
        )
    if edits["tags"] is not None:
        story.set_tags(edits["tags"])
    if edits["partnerships"] is not None:
        linked: list[Partnership] = _links(uow, "partnerships", edits["partnerships"])
        story.partnerships = linked
    if edits["teams"] is not None:
        teams: list[TeamType] = _links(uow, "teams", edits["teams"])
        story.teams = teams
    if edits["purposes"] is not None:
        purposes: list[Purpose] = _links(uow, "purposes", edits["purposes"])
        story.purposes = purposes
    if any(m is not _UNSET for m in metric):
        name, value, unit = metric
        story.metric_name, story.metric_value, story.metric_unit = _metric(
            story.metric_name if name is _UNSET else name,
            story.metric_value if value is _UNSET else value,
            story.metric_unit if unit is _UNSET else unit,
        )


def _hide(uow: UnitOfWork, actor: Actor, story: Story, reason: str | None) -> None:
    why = check_text(reason or "", "hidden_reason", max_length=MAX_REASON, field="hidden_reason")
    story.hide(actor if isinstance(actor, Person) else None, uow.now(), why)  # type: ignore[arg-type]
    uow.record(StoryHidden(story=story.key, actor=actor_name(actor), at=uow.now(), reason=why))


def _show(uow: UnitOfWork, actor: Actor, story: Story) -> None:
    if story.hidden:
        story.show()
        uow.record(StoryShown(story=story.key, actor=actor_name(actor), at=uow.now()))


def hide_story(uow: UnitOfWork, actor: Actor, key: str, reason: str) -> Story:
    """Hide a story from everyone but its author and the admins (an admin), saying why."""
    return update_story(uow, actor, key, hidden=True, hidden_reason=reason)


def show_story(uow: UnitOfWork, actor: Actor, key: str) -> Story:
    """Show a hidden story to everyone again (an admin)."""
    return update_story(uow, actor, key, hidden=False)


def set_imported_state(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    *,
    updated_at: datetime,
    hidden_at: datetime | None = None,
    hidden_by: str | None = None,
    hidden_reason: str | None = None,
) -> Story:
    """On import (an admin): the story's last edit time, and whether and why it was hidden."""
    with uow:
        actor = uow.bind(actor)
        ensure_admin(actor, "import stories")
        story = uow.stories.get(key)
        if updated_at < story.created_at:
            raise Invalid("updated_at must not be before created_at", rule="story.time_backwards")
        story.updated_at = updated_at
        if hidden_at is not None:
            why = check_text(hidden_reason or "", "hidden_reason", max_length=MAX_REASON)
            by = uow.org.person(hidden_by) if hidden_by else None
            story.hidden_at, story.hidden_by, story.hidden_reason = hidden_at, by, why
            uow.record(
                StoryHidden(
                    story=story.key,
                    actor=by.email if by else actor_name(actor),
                    at=hidden_at,
                    reason=why,
                )
            )
        uow.commit()
        return story


def delete_story(uow: UnitOfWork, actor: Actor, key: str) -> None:
    """Delete a story and its thread (its author or an admin)."""
    with uow:
        actor = uow.bind(actor)
        story = _visible(uow, actor, key)
        ensure_may_edit_story(actor, story, "delete it")
        uow.stories.delete(story)
        uow.record(StoryDeleted(story=story.key, actor=actor_name(actor), at=uow.now()))
        uow.commit()


def reply(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    body: str,
    *,
    author: str | None = None,
    at: datetime | None = None,
    imported: bool = False,
) -> Reply:
    """Reply in a story's thread (any member); on import an admin gives its author and time."""
    with uow:
        actor = uow.bind(actor)
        story = _visible(uow, actor, key)
        if imported:
            ensure_admin(actor, "import replies")
            if author is not None:
                writer = uow.org.person(author)
            elif isinstance(actor, Person):
                writer = actor
            else:
                raise Invalid("an imported reply needs its author", rule="story.author_required")
        else:
            writer = ensure_can_write(actor)
            if at is not None or author is not None:
                raise Forbidden(
                    "only an import gives a reply's author and time", rule="permission.admin_only"
                )
        when = at or uow.now()
        answer = Reply(
            author=writer,
            body=check_text(body, "body", max_length=MAX_REPLY, field="body"),
            created_at=when,
        )
        story.replies.append(answer)
        uow.flush()
        uow.record(StoryReplied(story=story.key, actor=actor_name(actor), at=when, reply=answer.id))
        uow.commit()
        return answer


def delete_reply(uow: UnitOfWork, actor: Actor, key: str, reply_id: int) -> None:
    """Delete a reply (its author or an admin)."""
    with uow:
        actor = uow.bind(actor)
        story = _visible(uow, actor, key)
        answer = story.reply(reply_id)
        if answer is None:
            raise NotFound(f"story {key!r} has no reply {reply_id}", rule="story.reply_not_found")
        ensure_may_delete_reply(actor, answer)
        story.replies.remove(answer)
        uow.record(
            ReplyDeleted(story=story.key, actor=actor_name(actor), at=uow.now(), reply=reply_id)
        )
        uow.commit()


def get_story(uow: UnitOfWork, actor: Actor, key: str) -> Story:
    """One story with its links and thread; a hidden one only for its author and admins."""
    with uow:
        return _visible(uow, uow.bind(actor), key)


@dataclass(frozen=True)
class StoryView:
    """A story with what a reader may do with it now (DESIGN §7)."""

    story: Story
    may_edit: bool  # edit or delete it
    may_hide: bool  # hide or show it
    may_reply: bool
    deletable_replies: frozenset[int]  # the replies the reader may delete, by id


def story_view(uow: UnitOfWork, reader: Actor, key: str) -> StoryView:
    """One story as `get_story` reads it, with what `reader` may do with it now."""
    with uow:
        reader = uow.bind(reader)
        story = _visible(uow, reader, key)
        return StoryView(
            story,
            may_edit_story(reader, story),
            is_admin(reader),
            may_write(reader),
            frozenset(
                r.id for r in story.replies if r.id is not None and may_delete_reply(reader, r)
            ),
        )


def list_stories(
    uow: UnitOfWork,
    actor: Actor,
    *,
    q: str | None = None,
    tag: str | None = None,
    partnership: str | None = None,
    team: str | None = None,
    purpose: str | None = None,
    author: str | None = None,
    after: str | None = None,
    limit: int | None = None,
    shown_only: bool = False,
) -> list[Story]:
    """Stories newest first, or best match first for words `q`; filtered by tag, link, author.

    `after` is the key of the last story of the page before; `shown_only` leaves out the hidden
    stories even for those who may see them (a feed).
    """
    for value, what in ((partnership, "partnership"), (team, "team"), (purpose, "purpose")):
        check_characters(value or "", what)
    check_characters(author or "", "author")
    with uow:
        actor = uow.bind(actor)
        seen = StoryFilter() if shown_only else _filter_for(actor)
        where = StoryFilter(
            words=search_words(q or ""),
            tag=normalize_tag(tag) if tag else None,
            partnership_id=uow.partnerships.get(partnership).id if partnership else None,
            team_id=uow.org.team(team, members=False).id if team else None,
            purpose_id=uow.purposes.get(purpose).id if purpose else None,
            author_id=uow.org.person(author).id if author else None,
            all_hidden=seen.all_hidden,
            reader_id=seen.reader_id,
        )
        last = None
        if after is not None:
            last = uow.stories.find(after)
            if last is None or not may_see_story(actor, last):
                raise Invalid(
                    "cursor is not one that this list gave out", rule="page.cursor_invalid"
                )
        return list(uow.stories.list(where, after=last, limit=limit))


def tags_in_use(uow: UnitOfWork, actor: Actor | None = None) -> list[tuple[str, int]]:
    """Each tag with how many stories carry it, most used first (of the stories one may see)."""
    with uow:
        if actor is None:
            return list(uow.stories.tag_counts(StoryFilter()))
        return list(uow.stories.tag_counts(_filter_for(uow.bind(actor))))


def stories_of_partnership(uow: UnitOfWork, actor: Actor, key: str) -> list[Story]:
    """The stories linked to a partnership, newest first."""
    return list_stories(uow, actor, partnership=key)
