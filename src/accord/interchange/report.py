"""What an import answers, each item at its JSON path: the problems that refuse a document,
what was adjusted, and how many items of each section were created."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from accord.errors import AccordError

# The sections of an accord/1 document, in the order they are written and imported.
SECTIONS = (
    "teams",
    "people",
    "purposes",
    "partnerships",
    "commitments",
    "health_checks",
    "stories",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, at its JSON path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ImportRefused(AccordError):
    """The document was refused whole; `problems` lists every reason."""

    rule = "import.refused"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(
            f"the document was refused ({count} problem{'s' if count != 1 else ''}); "
            "nothing was imported:\n" + "\n".join(f"  {p}" for p in self.problems)
        )


@dataclass(frozen=True)
class Adjustment:
    """What the import read or let pass differently from a live move, at its JSON path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class ImportReport:
    """How many items of each section were created, and how many were already there; and
    what was adjusted in the items created (those already there were not read again)."""

    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    adjustments: list[Adjustment] = field(default_factory=list)


def json_path(location: Sequence[int | str]) -> str:
    """('commitments', 3, 'history', 2) -> 'commitments[3].history[2]'."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def item_of(path: str) -> str:
    """'commitments[3].history[1].due' -> 'commitments[3]': the item a path is in."""
    return path.split(".", 1)[0]


def path_order(path: str) -> tuple[tuple[int, int | str], ...]:
    """Paths in the order of the document: sections as written, indexes as numbers."""
    parts = re.findall(r"\[(\d+)\]|([^.\[\]]+)", path)
    order: list[tuple[int, int | str]] = []
    for index, name in parts:
        if index:
            order.append((0, int(index)))
        elif not order and name in SECTIONS:
            order.append((0, SECTIONS.index(name)))
        else:
            order.append((1, name))
    return tuple(order)


def merged(found: Sequence[Problem], unknown: Sequence[Problem]) -> list[Problem]:
    """The problems an import found, with the unknown teams named anywhere in the document
    (`reading.unknown_teams`), each once, in the order of the document: a problem the import
    found about an item is left out when the same words are listed for a path in it."""
    said = {(item_of(p.path), p.message) for p in unknown}
    kept = [p for p in found if (item_of(p.path), p.message) not in said]
    return sorted({*kept, *unknown}, key=lambda p: path_order(p.path))
