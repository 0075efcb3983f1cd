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

from accord.errors import Invalid

BOM = b"\xef\xbb\xbf"
# The events that open an item of a list (a value, an object, a list), besides those that end
# or name a key of one.
_OPENING = frozenset({"start_map", "start_array", "string", "number", "boolean", "null"})
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
    counted = [0]

    def head_events(events: Iterator[tuple[str, str, Any]]) -> Iterator[tuple[str, str, Any]]:
        listed = False  # `commitments` is a list (an object may have a key "item")
        for event in events:
            prefix = event[0]
            if prefix == "commitments":
                listed = event[1] in ("start_array", "end_array")
            elif listed and prefix.startswith(_ITEMS):
                if prefix == _ITEMS and event[1] in _OPENING:
                    counted[0] += 1
                continue
            yield event

    try:
        with _open(path) as source:
            size = os.fstat(source.fileno()).st_size
            events = ijson.parse(source, use_float=True)
            head = next(ijson.items(head_events(events), ""), None)
    except OSError as error:
        raise Invalid(f"cannot read {shown}: {error.strerror}", rule="import.unreadable") from None
    except ijson.JSONError as error:
        raise Invalid(_not_json(shown, error), rule="import.not_json") from None
    if head is None:
        raise Invalid(f"{shown} is not JSON: it is empty", rule="import.not_json")
    return Streamed(path, head, counted[0], size)


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
