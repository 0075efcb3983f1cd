"""How the log's rows are made quickly: an instant made text once for its hash and its SQLite
row, and canonical JSON from an encoder made once; the very texts of the slower ways."""

from __future__ import annotations

import json
import json.encoder
from datetime import UTC, datetime
from typing import Any

import pytest

from accord.db import sqlite_utc
from accord.events.domain import canonical_json, iso
from accord.events.repository import instant_texts
from factories import odd_instants

ODD = 'a "quoted"\\ back\tslash\nnew line, é, 東京, \u2028'


def test_an_instant_is_made_the_texts_of_the_hash_and_of_the_row() -> None:
    times = odd_instants()

    assert [instant_texts(t) for t in times] == [(iso(t), sqlite_utc(t)) for t in times]
    with pytest.raises(ValueError, match="naive"):
        instant_texts(datetime(2026, 1, 1))


def values() -> list[Any]:
    """Payloads and parts of them as the log holds them: odd texts, numbers, nesting."""
    payload = {
        "move": "request",
        "from": None,
        "to": "requested",
        "version": 3,
        "side": "R",
        "args": {"title": ODD, "due": "2026-02-01T00:00:00Z", "n": 1 / 3, "big": 10**30},
        "terms": {"z": [1, 2.5, -0.0, True, False, None], "a": {"b": {"c": ODD}}},
        ODD: 1e-7,
    }
    return [payload, {}, [], [payload, [payload]], ODD, "", 0, -7, 0.1 + 0.2, None, True]


def test_canonical_json_is_json_dumps_with_sorted_keys_and_no_spaces() -> None:
    for value in values():
        expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonical_json(value) == expected
    with pytest.raises(TypeError, match="not JSON serializable"):
        canonical_json({"when": datetime(2026, 1, 1, tzinfo=UTC)})


def test_canonical_json_makes_no_encoder_for_each_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """What makes it quicker: `JSONEncoder.encode` makes a C encoder for every value; the
    log's payloads are encoded by one made once."""
    real = json.encoder.c_make_encoder
    assert real is not None
    made: list[object] = []

    def counting(*args: Any) -> Any:
        made.append(args)
        return real(*args)

    monkeypatch.setattr(json.encoder, "c_make_encoder", counting)

    texts = [canonical_json(value) for value in values()]

    assert made == []
    assert texts[0].startswith('{"a \\"quoted\\"')
