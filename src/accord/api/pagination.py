"""Cursor pagination: every list answers one bounded page and an opaque cursor to the next."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from accord.db import MAX_ID
from accord.errors import Invalid

T = TypeVar("T")
S = TypeVar("S")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")]
Cursor = Annotated[
    str | None,
    Query(max_length=500, description="The `next` cursor of the page before; omit for the first."),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


def encode(position: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode().rstrip("=")


def decode(cursor: str | None, *kinds: type) -> list[Any] | None:
    """The position a cursor holds, checked against the kinds of its parts; None for none."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except ValueError:
        position = None
    if (
        not isinstance(position, list)
        or len(position) != len(kinds)
        or not all(_is(part, kind) for part, kind in zip(position, kinds, strict=True))
    ):
        raise Invalid("cursor is not one that this list gave out", rule="page.cursor_invalid")
    return position


def _is(part: Any, kind: type) -> bool:
    """Whether a cursor's part is of `kind`; true and false are no ints, nor is a number too big."""
    if kind is int:
        return type(part) is int and -MAX_ID <= part <= MAX_ID
    return isinstance(part, kind)


def page(
    items: Sequence[S],
    limit: int,
    position: Callable[[S], Sequence[Any]],
    read: Callable[[S], T],
) -> Page[T]:
    """One page from `items` (fetched with `limit + 1` to tell whether more follow)."""
    shown = list(items[:limit])
    more = len(items) > limit
    return Page[T](
        items=[read(item) for item in shown],
        next=encode(position(shown[-1])) if more and shown else None,
    )


def page_of_all(
    items: Sequence[S],
    limit: int,
    cursor: str | None,
    position: Callable[[S], tuple[Any, ...]],
    kinds: tuple[type, ...],
    read: Callable[[S], T],
) -> Page[T]:
    """One page of a short list a service gives whole (a person's tokens, the tags in use),
    ordered here by `position`: the cursor holds the last position shown, and the next page
    starts after it even when that item has gone since."""
    after = decode(cursor, *kinds)
    ordered = sorted(items, key=position)
    if after is not None:
        ordered = [item for item in ordered if position(item) > tuple(after)]
    return page(ordered[: limit + 1], limit, lambda item: list(position(item)), read)
