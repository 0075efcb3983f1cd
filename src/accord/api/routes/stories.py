"""Stories: how partners built their partnerships and what it achieved, with their threads."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from accord.api.errors import problems
from accord.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode, page, page_of_all
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep, UowDep
from accord.stories import service as stories
from accord.stories.schemas import (
    ReplyCreate,
    ReplyRead,
    StoryCreate,
    StoryRead,
    StoryUpdate,
    TagCount,
)

router = make_router("stories")


@router.get("/stories", response_model=Page[StoryRead], responses=problems(401, 404, 422))
def list_stories(
    person: CurrentPerson,
    uow: ReadUowDep,
    q: Annotated[
        str | None,
        Query(max_length=500, description="Words to search for: best match first."),
    ] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    partnership: Annotated[str | None, Query(description="Only those about it.")] = None,
    team: Annotated[str | None, Query(description="Only those about this team.")] = None,
    purpose: Annotated[str | None, Query(description="Only those about this purpose.")] = None,
    author: Annotated[str | None, Query(description="Only those of this e-mail.")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[StoryRead]:
    """Stories newest first, or best match first with `q`; by tag, partnership, team, purpose."""
    after = decode(cursor, str)
    found = stories.list_stories(
        uow,
        person,
        q=q,
        tag=tag,
        partnership=partnership,
        team=team,
        purpose=purpose,
        author=author,
        after=after[0] if after else None,
        limit=limit + 1,
    )
    return page(found, limit, lambda s: [s.key], StoryRead.of)


@router.post(
    "/stories",
    status_code=201,
    response_model=StoryRead,
    responses=problems(401, 403, 404, 409, 422),
)
def create_story(body: StoryCreate, person: CurrentPerson, uow: UowDep) -> StoryRead:
    """Share a story (any member; viewers only read)."""
    created = stories.create_story(uow, person, **body.args())
    return StoryRead.of(stories.get_story(uow, person, created.key))


@router.get("/stories/tags", response_model=Page[TagCount], responses=problems(401, 422))
def tags(
    person: CurrentPerson,
    uow: ReadUowDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[TagCount]:
    """Every tag in use, with how many stories carry it, most used first (then by name)."""
    return page_of_all(
        [TagCount(tag=t, stories=n) for t, n in stories.tags_in_use(uow, person)],
        limit,
        cursor,
        lambda tag: (-tag.stories, tag.tag),
        (int, str),
        lambda tag: tag,
    )


@router.get("/stories/{key}", response_model=StoryRead, responses=problems(401, 404))
def get_story(key: str, person: CurrentPerson, uow: ReadUowDep) -> StoryRead:
    """One story with its links, results and thread."""
    return StoryRead.of(stories.get_story(uow, person, key))


@router.patch(
    "/stories/{key}", response_model=StoryRead, responses=problems(401, 403, 404, 409, 422)
)
def update_story(key: str, body: StoryUpdate, person: CurrentPerson, uow: UowDep) -> StoryRead:
    """Edit a story (its author or an admin), or hide or show it (an admin)."""
    stories.update_story(uow, person, key, **body.changes())
    return StoryRead.of(stories.get_story(uow, person, key))


@router.delete(
    "/stories/{key}", status_code=204, response_class=Response, responses=problems(401, 403, 404)
)
def delete_story(key: str, person: CurrentPerson, uow: UowDep) -> Response:
    """Delete a story and its thread (its author or an admin)."""
    stories.delete_story(uow, person, key)
    return Response(status_code=204)


@router.post(
    "/stories/{key}/replies",
    status_code=201,
    response_model=ReplyRead,
    responses=problems(401, 403, 404, 422),
)
def reply(key: str, body: ReplyCreate, person: CurrentPerson, uow: UowDep) -> ReplyRead:
    """Reply in a story's thread (any member)."""
    answer = stories.reply(uow, person, key, body.body)
    return ReplyRead.of(answer)


@router.delete(
    "/stories/{key}/replies/{reply_id}",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404, 422),
)
def delete_reply(key: str, reply_id: int, person: CurrentPerson, uow: UowDep) -> Response:
    """Delete a reply (its author or an admin)."""
    stories.delete_reply(uow, person, key, reply_id)
    return Response(status_code=204)
