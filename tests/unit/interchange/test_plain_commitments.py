"""The plain twin of a commitment an import replays histories on: the same rules, the very same
functions, with no ORM bookkeeping; and the other shortcuts of the bulk import."""

from __future__ import annotations

import gc
import json
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect

import accord.models  # noqa: F401  (maps Commitment, as in the application)
from accord.commitments.domain import (
    MOVE_FIELDS,
    Commitment,
    Move,
    PlainCommitment,
    Replay,
    Side,
    plain_commitments,
)
from accord.errors import AccordError
from accord.events.domain import canonical_json, iso
from accord.interchange import bulk
from accord.interchange.reading import has_date_alone, read_dates
from accord.org.domain import Person, Team
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose, PurposeStatus
from interchange_documents import example

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _opened(
    replay: Replay | None,
) -> Callable[[], tuple[Commitment, dict[str, Any]]]:
    requester = Team(slug="payments", name="Payments")
    performer = Team(slug="platform", name="Platform")
    purpose = Purpose(key="p", title="Halve churn", status=PurposeStatus.ACTIVE)
    partnership = Partnership(key="k", name="Checkout", purpose=purpose)
    partnership.add_party(requester, "checkout flow")
    partnership.add_party(performer, "payment rails")

    def request() -> tuple[Commitment, dict[str, Any]]:
        return Commitment.request(
            key="c-1",
            partnership=partnership,
            requester=requester,
            performer=performer,
            measure=None,
            sides=frozenset({Side.REQUESTER}),
            at=T0,
            args={"title": " Card vault API ", "due": T0 + timedelta(days=3)},
            replay=replay,
        )

    return request


def test_a_request_makes_a_plain_commitment_only_within_plain_commitments():
    request = _opened(None)
    mapped, payload = request()
    with plain_commitments():
        plain, plain_payload = request()
    again, _ = request()

    assert type(mapped) is Commitment
    assert type(again) is Commitment
    assert type(plain) is PlainCommitment
    assert inspect(mapped, raiseerr=False) is not None  # the ORM knows it
    assert inspect(plain, raiseerr=False) is None  # no session, no bookkeeping
    assert "_sa_instance_state" not in vars(plain)
    assert payload == plain_payload
    assert _fields(plain) == _fields(mapped)


def test_the_twin_has_the_very_same_rules():
    """Not a copy of the rules: the same function objects (the mapped class's `__init__` alone
    is the ORM's)."""
    shared = [
        name
        for name, value in vars(PlainCommitment).items()
        if callable(value) or isinstance(value, classmethod | staticmethod | property)
    ]
    assert {"apply", "request", "_effect", "_side_for", "allowed_moves"} <= set(shared)
    for name in shared:
        if name == "__init__":
            continue
        assert vars(PlainCommitment)[name] is vars(Commitment)[name], name


SIDES = st.sampled_from(
    [
        frozenset({Side.REQUESTER}),
        frozenset({Side.PERFORMER}),
        frozenset({Side.REQUESTER, Side.PERFORMER}),
    ]
)
WORDS = st.text(alphabet="ab c", min_size=0, max_size=6)


@st.composite
def a_move(draw: st.DrawFn) -> tuple[Move, frozenset[Side], int, dict[str, Any], str]:
    move = draw(st.sampled_from([m for m in Move if m != Move.REQUEST]))
    allowed = sorted(MOVE_FIELDS[move][0])
    args: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(allowed), unique=True)) if allowed else []:
        if name == "due":
            args[name] = T0 + timedelta(hours=draw(st.integers(-48, 24 * 40)))
        elif name == "value":
            args[name] = draw(st.integers(0, 6))
        elif name == "reliance":
            args[name] = draw(st.sampled_from(["none", "high", "odd"]))
        else:
            args[name] = draw(WORDS)
    actor = draw(st.sampled_from(["ann@x.org", "bob@x.org"]))
    return move, draw(SIDES), draw(st.integers(-60, 60 * 24 * 9)), args, actor


def _fields(commitment: Commitment) -> dict[str, Any]:
    """What a commitment holds, its partnership and teams by their keys."""
    held = {k: v for k, v in vars(commitment).items() if not k.startswith("_sa_")}
    for name in ("partnership", "requester", "performer"):
        held[name] = getattr(held[name], "key", None) or held[name].slug
    return held


def _outcome(commitment: Commitment, step: Any, replay: Replay | None, at: datetime) -> Any:
    move, sides, _, args, actor = step
    try:
        payload = commitment.apply(
            move, sides=sides, at=at, expected_version=None, args=args, actor=actor, replay=replay
        )
    except AccordError as error:
        return ("refused", type(error).__name__, error.message, error.rule)
    return ("made", payload)


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(a_move(), max_size=12), replayed=st.booleans())
def test_random_histories_go_the_same_on_both(steps: list[Any], replayed: bool):
    mapped_replay = Replay(Person(email="admin@x.org", name="A")) if replayed else None
    plain_replay = Replay(Person(email="admin@x.org", name="A")) if replayed else None
    mapped, _ = _opened(mapped_replay)()
    with plain_commitments():
        plain, _ = _opened(plain_replay)()
    at = T0
    for step in steps:
        at += timedelta(minutes=step[2])
        assert _outcome(mapped, step, mapped_replay, at) == _outcome(plain, step, plain_replay, at)
        assert _fields(plain) == _fields(mapped)
    if replayed:
        assert mapped_replay is not None
        assert plain_replay is not None
        assert mapped_replay.notes == plain_replay.notes


def test_an_item_without_a_date_alone_reads_as_itself():
    """`has_date_alone` says when `read_dates` would change an item; else the item is used as
    it is."""
    items = example()["commitments"]
    assert items
    for item in items:
        assert not has_date_alone(item)
        assert read_dates(item, [], "commitments[0]") == item
    dated = {**items[0], "history": [{**items[0]["history"][0], "at": "2024-03-01"}]}
    assert has_date_alone(dated)
    assert read_dates(dated, [], "commitments[0]") != dated
    assert has_date_alone([{"x": {"due": "2024-03-01"}}])
    # a text of ten characters that is no date, and a date in a field that is no instant
    assert not has_date_alone({"at": "2024-03-0x", "title": "2024-03-01"})


def test_the_collector_is_back_as_it_was_after_the_commitments(monkeypatch):
    """The cycle collector is held off while the histories are read, and given back (enabled,
    nothing frozen) afterwards, whatever happens."""

    class Boom(Exception):
        pass

    def items() -> Any:
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0
        yield 0, {}
        raise Boom

    seen = bulk.BulkCommitments.__new__(bulk.BulkCommitments)
    monkeypatch.setattr(bulk.BulkCommitments, "add", lambda self, index, data: None)
    monkeypatch.setattr(bulk.BulkCommitments, "finish", lambda self: None)
    seen.read = 0
    assert gc.isenabled()
    with pytest.raises(Boom):
        seen.add_all(items())
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def _iso_before(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def test_iso_writes_the_text_it_always_wrote():
    chance = random.Random(7)
    for _ in range(20_000):
        zone = timezone(timedelta(minutes=chance.randint(-900, 900)))
        moment = datetime(
            chance.choice([chance.randint(1, 9998), chance.randint(1900, 2200)]),
            chance.randint(1, 12),
            chance.randint(1, 28),
            chance.randint(0, 23),
            chance.randint(0, 59),
            chance.randint(0, 59),
            chance.choice([0, chance.randint(0, 999_999)]),
            tzinfo=zone,
        )
        try:
            expected = _iso_before(moment)
        except OverflowError:
            continue
        assert iso(moment) == expected


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON)
def test_canonical_json_writes_what_json_dumps_wrote(value: Any):
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_json(value) == expected


def test_an_import_on_another_thread_leaves_the_collector_alone(monkeypatch):
    monkeypatch.setattr(bulk.BulkCommitments, "add", lambda self, index, data: None)
    monkeypatch.setattr(bulk.BulkCommitments, "finish", lambda self: None)
    seen: list[tuple[bool, int]] = []

    def items() -> Any:
        seen.append((gc.isenabled(), gc.get_freeze_count()))
        yield 0, {}

    def run() -> None:
        reader = bulk.BulkCommitments.__new__(bulk.BulkCommitments)
        reader.read = 0
        reader.add_all(items())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [(True, 0)]
