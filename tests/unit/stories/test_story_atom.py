"""The Atom feed as XML: well-formed whatever a story holds."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import feedparser

import accord.models  # noqa: F401  (the mappings: a mapped class is made with its collections)
from accord.org.domain import Person
from accord.stories.domain import Story
from accord.web.routes.stories import atom_feed

WHEN = datetime(2026, 6, 1, tzinfo=UTC)


def test_characters_xml_refuses_are_left_out_of_the_feed() -> None:
    # Services refuse them; a story kept before that rule, or written around it, must not
    # break the feed of everyone.
    author = Person(email="ana@example.org", name="Ana\x01")
    story = Story(
        key="odd",
        title="Tab\there, vertical\x0btab, nul\x00",
        body="Escape \x1b[31m",
        author=author,
        created_at=WHEN,
        updated_at=WHEN,
    )

    document = atom_feed([story], "https://accord.example", None, WHEN)
    parsed = feedparser.parse(document)

    assert not parsed.bozo, parsed.get("bozo_exception")
    assert ET.fromstring(document) is not None
    assert parsed.entries[0].title == "Tab\there, verticaltab, nul"
    assert parsed.entries[0].author == "Ana"
