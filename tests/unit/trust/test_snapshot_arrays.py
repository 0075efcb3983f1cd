"""The array work of a read of the past: a snapshot's pairs kept in order of their teams' ids,
and the pairs' keys grouped with the overdue and moved commitments' without sorting them all
again, as sorting everything groups them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from accord.trust.snapshots import PAIR, SnapshotStore, micros, pairs_value, tracks_value
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


def _tracks_rows(seed: int) -> tuple[list[tuple[str, bytes | None, bytes | None]], dict[int, Any]]:
    """Snapshots' `tracks` in time order (a full copy, then changes), and each commitment's
    latest entry by a walk in that order (None: finished)."""
    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows: list[tuple[str, bytes | None, bytes | None]] = []
    latest: dict[int, Any] = {}
    for number in range(12):
        ids = np.unique(rng.integers(1, 400, 120 if number == 0 else int(rng.integers(0, 30))))
        versions: dict[int, dict[str, Any] | None] = {}
        for commitment in ids.tolist():
            if number and rng.random() < 0.3:
                versions[commitment] = None
                continue
            due = start + timedelta(days=int(rng.integers(1, 90)), microseconds=int(commitment))
            delivered = due - timedelta(hours=3) if rng.random() < 0.3 else None
            versions[commitment] = {
                "requester_id": int(rng.integers(1, 9)),
                "performer_id": int(rng.integers(1, 9)),
                "state": str(rng.choice(["requested", "promised", "in_progress", "delivered"])),
                "due": due,
                "notice": bool(rng.random() < 0.5),
                "reliance": str(rng.choice(["none", "low", "high", "critical"])),
                "delivered_at": delivered,
                "promised_at": start if rng.random() < 0.7 else None,
            }
        latest.update(versions)
        at = (start + timedelta(hours=2 * number)).isoformat(sep=" ").removesuffix("+00:00")
        rows.append((at, None, tracks_value(versions)))
    return rows, latest


@pytest.mark.parametrize("seed", range(5))
def test_the_latest_entry_of_each_commitment_is_the_last_in_time_order(seed: int) -> None:
    """`_open` finds each commitment's latest entry by a sort by id that keeps time order: the
    open ones not moved as columns in id order, the moved ones open as tracks, both as a walk of
    the snapshots in time order leaves them."""
    rows, latest = _tracks_rows(seed)
    rng = np.random.default_rng(seed + 100)
    moved = {int(n): f"k{n}" for n in rng.choice(sorted(latest), 25, replace=False).tolist()}
    moved[10_000] = "absent"  # moved, and in no snapshot: nothing to take
    still, tracks = SnapshotStore._open(rows, moved)
    staying = sorted(n for n, v in latest.items() if v is not None and n not in moved)
    assert len(staying) > 10
    versions = [latest[n] for n in staying]
    assert still.requester.tolist() == [v["requester_id"] for v in versions]
    assert still.performer.tolist() == [v["performer_id"] for v in versions]
    assert still.due.tolist() == [micros(v["due"]) for v in versions]
    assert still.notice.tolist() == [v["notice"] for v in versions]
    taken = sorted(n for n in moved if latest.get(n) is not None)
    assert taken
    assert [t.key for t in tracks] == [moved[n] for n in taken]
    for track, number in zip(tracks, taken, strict=True):
        version = latest[number]
        assert (track.requester, track.performer) == (
            version["requester_id"],
            version["performer_id"],
        )
        assert (track.state, track.due, track.reliance, track.notice) == (
            version["state"],
            version["due"],
            version["reliance"],
            version["notice"],
        )
        assert (track.delivered_at, track.promised_at) == (
            version["delivered_at"],
            version["promised_at"],
        )
    # no snapshot holds a commitment: nothing open
    still, tracks = SnapshotStore._open([(rows[0][0], None, None)], moved)
    assert len(still.requester) == 0
    assert tracks == []


@pytest.mark.parametrize("seed", range(4))
def test_the_latest_of_each_pair_and_the_time_of_its_snapshot(seed: int) -> None:
    """`_pairs`: each pair's sums from the latest snapshot that holds it, in order of the two
    teams' ids, with that snapshot's time (one decay per snapshot: `source` into `stamps`)."""
    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows: list[tuple[str, bytes | None, bytes | None]] = []
    latest: dict[tuple[int, int], tuple[int, list[float]]] = {}
    for number in range(10):
        moment = start + timedelta(hours=2 * number)
        found = {
            (int(r), int(p)): rng.random(6).tolist()
            for r, p in rng.integers(1, 30, (200 if number == 0 else 15, 2)).tolist()
        }
        for pair, sums in found.items():
            latest[pair] = (micros(moment), sums)
        value = pairs_value((r, p, sums) for (r, p), sums in found.items())
        rows.append((moment.isoformat(sep=" ").removesuffix("+00:00"), value, None))
    rows.insert(3, (rows[3][0], None, None))  # a snapshot with no pair
    pairs = SnapshotStore._pairs(rows)
    order = sorted(latest)
    assert list(zip(pairs.requester.tolist(), pairs.performer.tolist(), strict=True)) == order
    assert pairs.at.tolist() == [latest[pair][0] for pair in order]
    assert pairs.sums.tolist() == [latest[pair][1] for pair in order]
    assert len(pairs.stamps) == 10
    empty = SnapshotStore._pairs([(rows[0][0], None, None)])
    assert len(empty.requester) == len(empty.at) == 0
