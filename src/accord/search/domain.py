"""What a search finds and how its hits are ranked, in plain Python.

The database finds the matches with its own full-text index (FTS5 on SQLite, tsvector on
PostgreSQL), with word forms and word starts; the hits are ranked here, the same way on both: a
hit whose title holds the words the reader typed comes before one that only mentions them
further down, whatever its kind. (The databases' own scores, bm25 and ts_rank, read every
matching row's entry of the index: at half a million commitments a common word costs more than
a page may take.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 16


class Kind(StrEnum):
    """What a hit is, in the order a tie between equally good hits shows them."""

    COMMITMENT = "commitment"
    PARTNERSHIP = "partnership"
    PURPOSE = "purpose"
    TEAM = "team"
    PERSON = "person"
    STORY = "story"


KIND_ORDER = {kind: position for position, kind in enumerate(Kind)}


def search_words(query: str) -> list[str]:
    """The words of a search, lower case, without what a search syntax would read as operators
    (quotes, stars, dashes, brackets, colons)."""
    return [word.lower() for word in WORD.findall(query)][:MAX_WORDS]


def same_word(typed: str, word: str) -> bool:
    """Whether a typed word starts `word`, or both are forms of one word ('shared', 'sharing';
    'dashboards', 'dashboard'), roughly as the index's stemming finds them."""
    if word.startswith(typed):
        return True
    if len(typed) < 4 or typed[:4] != word[:4]:
        return False
    common = 4
    while common < min(len(typed), len(word)) and typed[common] == word[common]:
        common += 1
    return common >= min(len(typed), len(word)) - 3


def rank_of(words: Sequence[str], title: str) -> float:
    """A hit's rank, higher first: the share of the words its title holds (0 to 1), then half
    the share of its title those words make up, so that the shortest title holding them all
    comes first. Every hit holds every word somewhere: the index made sure."""
    found = [word.lower() for word in WORD.findall(title)]
    if not words or not found:
        return 0.0
    held = sum(1 for typed in words if any(same_word(typed, word) for word in found))
    covered = sum(1 for word in found if any(same_word(typed, word) for typed in words))
    return held / len(words) + 0.5 * covered / len(found)


@dataclass(frozen=True)
class SearchHit:
    """One thing found: its kind, its name, a line that places it, where it lives, its rank.

    `item` is the thing itself (a Commitment, a Team, …) for pages that say more of it.
    """

    kind: Kind
    key: str
    title: str
    context: str
    path: str
    rank: float
    item: object = None
