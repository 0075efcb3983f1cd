"""The array work of a read of the past: a snapshot's pairs kept in order of their teams' ids,
and the pairs' keys grouped with the overdue and moved commitments' without sorting them all
again, as sorting everything groups them."""

from __future__ import annotations

import numpy as np
import pytest

from accord.trust.snapshots import PAIR, pairs_value
from accord.trust.views import _group


def test_pairs_are_kept_in_order_of_their_teams_ids() -> None:
    value = pairs_value([(12, 3, [1.0] * 6), (2, 40, [2.0] * 6), (2, 5, [3.0] * 6)])
    assert value is not None
    pairs = np.frombuffer(value, dtype=PAIR)
    assert list(zip(pairs["requester"].tolist(), pairs["performer"].tolist(), strict=True)) == [
        (2, 5),
        (2, 40),
        (12, 3),
    ]


@pytest.mark.parametrize("seed", range(6))
def test_keys_grouped_are_those_of_a_sort_of_all(seed: int) -> None:
    rng = np.random.default_rng(seed)
    distinct = np.unique(rng.integers(0, 5000, 400))
    more = np.concatenate([rng.choice(distinct, 50), rng.integers(0, 6000, 50)])
    for first in (distinct, rng.permutation(distinct)):  # in order, and not
        want_keys, want_inverse = np.unique(np.concatenate([first, more]), return_inverse=True)
        keys, inverse = _group(first, more)
        assert np.array_equal(keys, want_keys)
        assert np.array_equal(inverse, want_inverse)
    keys, inverse = _group(distinct, np.zeros(0, dtype=np.int64))
    assert np.array_equal(keys, distinct)
    assert np.array_equal(inverse, np.arange(len(distinct)))
