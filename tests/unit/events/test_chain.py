"""The event log's hash chain: stable hashes, and every kind of tampering found."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from accord.errors import Invalid
from accord.events.domain import (
    GENESIS_HASH,
    Event,
    canonical_json,
    event_hash,
    iso,
    out_of_range,
    parse_instant,
    verify_chain,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def chain(n: int = 5) -> list[Event]:
    events: list[Event] = []
    prev = GENESIS_HASH
    for i in range(1, n + 1):
        event = Event(
            id=i,
            at=T0 + timedelta(minutes=i),
            actor=f"person{i % 2}@example.com",
            type="CommitmentPromised",
            subject=f"commitment:c-{i}",
            payload={"move": "promise", "version": i, "note": "ça marche", "n": [i, None]},
            prev_hash=prev,
        )
        event.hash = event_hash(event)
        prev = event.hash
        events.append(event)
    return events


def copy(event: Event, **changes: Any) -> Event:
    return dataclasses.replace(event, **changes)


def test_hash_is_stable_for_the_same_event() -> None:
    a = chain(1)[0]
    b = Event(
        id=1,
        at=a.at,
        actor=a.actor,
        type=a.type,
        subject=a.subject,
        payload={k: a.payload[k] for k in reversed(list(a.payload))},
        prev_hash=a.prev_hash,
    )
    assert event_hash(a) == event_hash(b) == a.hash
    assert re.fullmatch(r"[0-9a-f]{64}", a.hash), a.hash  # SHA-256, in lowercase hex


def test_hash_ignores_the_time_zone_of_the_same_instant() -> None:
    a = chain(1)[0]
    b = copy(a, at=a.at.astimezone(timezone(timedelta(hours=-5))))
    assert event_hash(b) == event_hash(a)


@pytest.mark.parametrize(
    "changes",
    [
        {"id": 2},
        {"at": T0},
        {"actor": None},
        {"actor": "someone@example.com"},
        {"type": "CommitmentRevoked"},
        {"subject": "commitment:other"},
        {"payload": {"move": "promise"}},
        {"prev_hash": "f" * 64},
    ],
)
def test_hash_changes_with_every_field(changes: dict[str, Any]) -> None:
    a = chain(1)[0]
    assert event_hash(copy(a, **changes)) != event_hash(a)


def test_hash_does_not_cover_its_own_hash_field() -> None:
    a = chain(1)[0]
    assert event_hash(copy(a, hash="anything")) == a.hash


def test_canonical_json_and_iso() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'
    assert iso(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2025-01-02T03:04:05Z"
    assert iso(datetime(2025, 1, 2, 3, 4, 5, 120, tzinfo=UTC)) == "2025-01-02T03:04:05.000120Z"
    plus_two = timezone(timedelta(hours=2))
    assert iso(datetime(2025, 1, 2, 3, 0, tzinfo=plus_two)) == "2025-01-02T01:00:00Z"


def test_a_good_chain_verifies() -> None:
    events = chain()
    report = verify_chain(events, head_id=5, head_hash=events[-1].hash)
    assert report.ok
    assert report.checked == 5
    assert report.first_bad_id is None
    assert report.problem is None


def test_an_empty_log_verifies() -> None:
    report = verify_chain([], head_id=0, head_hash=GENESIS_HASH)
    assert report.ok
    assert report.checked == 0


def test_a_good_chain_verifies_without_head() -> None:
    assert verify_chain(chain()).ok


@pytest.mark.parametrize("bad", [1, 3, 5])
def test_an_edited_payload_is_found(bad: int) -> None:
    events = chain()
    events[bad - 1].payload["note"] = "edited"
    report = verify_chain(events, head_id=5, head_hash=events[-1].hash)
    assert not report.ok
    assert report.first_bad_id == bad
    assert report.checked == bad - 1
    assert "changed" in (report.problem or "")


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link() -> None:
    events = chain()
    events[1].payload["note"] = "edited"
    events[1].hash = event_hash(events[1])
    report = verify_chain(events)
    assert report.first_bad_id == 3
    assert "does not chain" in (report.problem or "")


@pytest.mark.parametrize("removed", [1, 2, 4])
def test_a_deleted_event_is_found(removed: int) -> None:
    events = chain()
    head = events[-1].hash
    del events[removed - 1]
    report = verify_chain(events, head_id=5, head_hash=head)
    assert not report.ok
    assert report.first_bad_id == removed + 1
    assert f"event {removed} is missing" in (report.problem or "")


def test_a_deleted_middle_event_with_renumbered_ids_is_found() -> None:
    events = chain()
    del events[2]
    events = [copy(e, id=i) for i, e in enumerate(events, start=1)]
    report = verify_chain(events)
    assert not report.ok
    assert report.first_bad_id == 3


def test_a_deleted_last_event_is_found_by_the_head() -> None:
    events = chain()
    head_hash = events[-1].hash
    del events[-1]
    assert verify_chain(events).ok  # without the head, a truncated log looks whole
    report = verify_chain(events, head_id=5, head_hash=head_hash)
    assert not report.ok
    assert report.first_bad_id == 5
    assert report.checked == 4


def test_a_deleted_last_event_is_found_by_the_head_hash_alone() -> None:
    events = chain()
    head_hash = events[-1].hash
    del events[-1]
    report = verify_chain(events, head_hash=head_hash)
    assert not report.ok
    assert report.first_bad_id is not None


def test_swapped_events_are_found() -> None:
    events = chain()
    events[1], events[2] = events[2], events[1]
    report = verify_chain(events, head_id=5, head_hash=events[-1].hash)
    assert not report.ok
    assert report.first_bad_id == 3


def test_swapped_events_with_swapped_ids_are_found() -> None:
    events = chain()
    second, third = events[1], events[2]
    events[1], events[2] = copy(third, id=2), copy(second, id=3)
    report = verify_chain(events)
    assert not report.ok
    assert report.first_bad_id == 2


def test_a_forged_first_event_must_start_from_genesis() -> None:
    events = chain()
    forged = copy(events[0], prev_hash="a" * 64)
    forged.hash = event_hash(forged)
    report = verify_chain([forged, *events[1:]])
    assert report.first_bad_id == 1


@pytest.mark.parametrize(
    ("text", "taken"),
    [
        ("1900-01-01T00:00:00Z", True),
        ("2199-12-31T23:59:59Z", True),
        ("1899-12-31T23:59:59Z", False),
        ("2200-01-01T00:00:00Z", False),
        ("9999-12-31T23:59:59-14:00", False),  # past the calendar's end in UTC
        ("0001-01-01T00:00:00+01:00", False),  # before its start in UTC
    ],
)
def test_instants_are_taken_from_1900_to_2199(text: str, taken: bool) -> None:
    moment = datetime.fromisoformat(text)
    assert (out_of_range(moment) is None) is taken
    if taken:
        assert parse_instant(text, "as_of") == moment
    else:
        with pytest.raises(Invalid, match=r"as_of .* must lie from 1900 to 2199"):
            parse_instant(text, "as_of")
