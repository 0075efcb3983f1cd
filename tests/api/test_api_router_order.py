"""The API's routers are matched hottest first and documented in their own order, each once."""

from __future__ import annotations

from accord.app import DOCUMENTED, HOT, MATCHED


def test_matched_is_the_hot_routers_then_the_rest_as_documented() -> None:
    assert len(set(DOCUMENTED)) == len(DOCUMENTED) == len(MATCHED)
    assert MATCHED[: len(HOT)] == HOT
    assert MATCHED[len(HOT) :] == tuple(m for m in DOCUMENTED if m not in HOT)
    assert [m.__name__.rsplit(".", 1)[-1] for m in MATCHED[:2]] == ["trust", "partnerships"]
