"""Tags as a story keeps them: normalized, without repeats, at most ten."""

from __future__ import annotations

import pytest

from accord.errors import Invalid
from accord.stories.domain import MAX_TAGS, normalize_tags


def test_too_many_tags_are_refused_before_the_rest_is_read() -> None:
    # A form may send thousands: the count is known at the eleventh, whatever follows.
    tags = [f"tag-{n}" for n in range(MAX_TAGS + 1)] + ["!!"] * 100_000

    with pytest.raises(Invalid) as refused:
        normalize_tags(tags)

    assert refused.value.rule == "story.too_many_tags"


def test_repeats_count_once_toward_the_limit() -> None:
    tags = [f"Tag {n}" for n in range(MAX_TAGS)] * 3

    assert normalize_tags(tags) == [f"tag-{n}" for n in range(MAX_TAGS)]
