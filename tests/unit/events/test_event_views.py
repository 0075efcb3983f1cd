"""An event as one reader may see it: fields left out, each named, the event itself untouched."""

from __future__ import annotations

from datetime import UTC, datetime

from accord.events.domain import GENESIS_HASH, Event, event_hash, verify_chain, view_of

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def accepted() -> Event:
    event = Event(
        id=1,
        at=T0,
        actor="bo@example.org",
        type="commitment.accepted",
        subject="commitment:c-1",
        payload={"move": "accept", "to": "accepted", "args": {"value": 4, "note": "Great"}},
        prev_hash=GENESIS_HASH,
    )
    event.hash = event_hash(event)
    return event


def test_a_whole_view_is_the_event() -> None:
    event = accepted()
    view = view_of(event)
    assert (view.id, view.at, view.actor, view.type, view.subject) == (
        1,
        T0,
        "bo@example.org",
        "commitment.accepted",
        "commitment:c-1",
    )
    assert (view.payload, view.prev_hash, view.hash, view.withheld) == (
        event.payload,
        GENESIS_HASH,
        event.hash,
        (),
    )


def test_withheld_fields_are_left_out_and_named_and_the_event_is_untouched() -> None:
    event = accepted()
    view = view_of(event, hide=("args.value", "args.note"), chain=False)
    assert view.payload == {"move": "accept", "to": "accepted", "args": {}}
    assert (view.prev_hash, view.hash) == (None, None)
    assert view.withheld == ("payload.args.value", "payload.args.note", "prev_hash", "hash")
    assert event.payload["args"] == {"value": 4, "note": "Great"}
    assert verify_chain([event]).ok


def test_a_field_named_but_absent_is_still_named() -> None:
    """Whether an accept carried a note is not told either: the name says only "not for you"."""
    event = accepted()
    del event.payload["args"]["note"]
    view = view_of(event, hide=("args.value", "args.note"))
    assert view.payload["args"] == {}
    assert view.withheld == ("payload.args.value", "payload.args.note")
    assert view.hash == event.hash


def test_an_event_stored_under_an_earlier_name_is_shown_under_its_name_of_today() -> None:
    """Earlier versions wrote commitment events as `CommitmentAccepted`: the log keeps that name
    (its hash covers it), a reader sees `commitment.accepted`."""
    event = Event(
        id=1,
        at=T0,
        actor="bo@example.org",
        type="CommitmentAccepted",
        subject="commitment:c-1",
        payload={"move": "accept", "to": "accepted", "args": {"value": 4}},
        prev_hash=GENESIS_HASH,
    )
    event.hash = event_hash(event)
    view = view_of(event)
    assert view.type == "commitment.accepted"
    assert (event.type, view.hash) == ("CommitmentAccepted", event.hash)
    assert verify_chain([event]).ok
