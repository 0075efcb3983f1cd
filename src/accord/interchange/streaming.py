"""Reading an `accord/1` document from a file as it comes, in two passes, so that memory holds
the small sections and one commitment at a time, never the whole document.

The first pass reads every section but the items of `commitments` (the head), whatever the
order of the document's fields, and finds a file that is not JSON before anything is imported;
the second reads the commitments one by one. Both parse with ijson's C backend.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson
from ijson.common import ObjectBuilder

from accord.errors import Invalid

BOM = b"\xef\xbb\xbf"
_STARTS = frozenset({"start_map", "start_array"})
_ENDS = frozenset({"end_map", "end_array"})
_ITEMS = "commitments.item"


@dataclass(frozen=True)
class Streamed:
    """A document read in two passes: its head, and how many commitments it lists."""

    path: Path
    head: Any
    commitments: int
    size: int

    def items(self) -> Iterator[tuple[int, Any]]:
        """The commitments with their indexes, read one by one from the file."""
        if not self.commitments:
            return
        with _open(self.path) as source:
            yield from enumerate(ijson.items(source, _ITEMS, use_float=True))


def read_head(path: Path, name: str | None = None) -> Streamed:
    """The document's head (every field, `commitments` an empty list when it is one), and how
    many commitments follow; a file that cannot be read, is not UTF-8 or not JSON is refused
    with its name (`name`, the path if none is given)."""
    shown = name or str(path)
    try:
        with _open(path) as source:
            size = os.fstat(source.fileno()).st_size
            head, counted = _head(ijson.basic_parse(source, use_float=True))
    except OSError as error:
        raise Invalid(f"cannot read {shown}: {error.strerror}", rule="import.unreadable") from None
    except ijson.JSONError as error:
        raise Invalid(_not_json(shown, error), rule="import.not_json") from None
    if head is None:
        raise Invalid(f"{shown} is not JSON: it is empty", rule="import.not_json")
    return Streamed(path, head, counted, size)


def _head(events: Iterator[tuple[str, Any]]) -> tuple[Any, int]:
    """The first value the parser's events make, the items of its list `commitments` left out
    (the list kept, empty), and how many items that list has. The items' events are only
    counted, as they come: nothing is built of them, and no name of where they stand (a
    parser's prefix) is made for each, which took as long as the parsing itself."""
    builder = ObjectBuilder()
    depth, counted, started = 0, 0, False
    key: str | None = None  # the last key of the document's own object
    for event, value in events:
        started = True
        if depth == 1 and key == "commitments" and event == "start_array":
            builder.event(event, value)
            counted += _skip_items(events)
            builder.event("end_array", None)
            continue
        if event in _STARTS:
            depth += 1
        elif event in _ENDS:
            depth -= 1
        elif depth == 1 and event == "map_key":
            key = value
        builder.event(event, value)
        if depth == 0:
            break  # the document's value is whole: what may follow it is not read
    return (builder.value if started else None), counted


def _skip_items(events: Iterator[tuple[str, Any]]) -> int:
    """Read the events of a list's items up to the end of the list; returns how many."""
    counted, depth = 0, 0
    for event, _ in events:
        if event in _STARTS:
            if depth == 0:
                counted += 1
            depth += 1
        elif event in _ENDS:
            if depth == 0:
                return counted
            depth -= 1
        elif depth == 0:
            counted += 1  # a number, a text, true, false or null
    return counted  # cut short: the parser has refused it already


def _open(path: Path) -> IO[bytes]:
    """The file, past a UTF-8 byte order mark if it starts with one."""
    source = path.open("rb")
    if source.read(len(BOM)) != BOM:
        source.seek(0)
    return source


def _not_json(name: str, error: Exception) -> str:
    text = error.args[0] if error.args else str(error)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text)
    if "UTF8" in text:
        return f"{name} is not UTF-8 text"
    return f"{name} is not JSON: {text.strip().splitlines()[0] if text.strip() else text}"
