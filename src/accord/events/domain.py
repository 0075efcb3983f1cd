"""Event records and the hash chain that makes the log tamper-evident."""

from __future__ import annotations

import copy
import hashlib
import json
import json.encoder
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from accord.events.catalog import current_type

GENESIS_HASH = "0" * 64


@dataclass(eq=False)
class Event:
    """One change: who did what to which subject, when, chained to the event before it."""

    id: int
    at: datetime
    actor: str | None
    type: str  # as written, an earlier version's name too (`current_type` gives today's)
    subject: str
    payload: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""


# The fields that chain an event to the log; from them and the rest of the event, a field left
# out of its payload could be guessed back (a rating of 1 to 5 in five tries).
CHAIN_FIELDS = ("prev_hash", "hash")


@dataclass(frozen=True)
class EventView:
    """An event as one reader may see it; each field left out for them is named in `withheld`
    (a payload field by its path, 'payload.args.value'; the hashes as 'prev_hash', 'hash')."""

    id: int
    at: datetime
    actor: str | None
    type: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str | None
    hash: str | None
    withheld: tuple[str, ...] = ()


def view_of(event: Event, *, hide: Iterable[str] = (), chain: bool = True) -> EventView:
    """`event` under its type's name of today, without the payload fields at the dotted paths
    `hide` ('args.value'), and without its hashes unless `chain`. Each is named whether or not
    the payload holds it, so that the names tell nothing; the event itself is left as it is,
    and so is the chain (which covers the type as stored)."""
    hidden = tuple(hide)
    payload = copy.deepcopy(event.payload) if hidden else event.payload
    for path in hidden:
        *parents, name = path.split(".")
        holder: Any = payload
        for part in parents:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if isinstance(holder, dict):
            holder.pop(name, None)
    withheld = tuple(f"payload.{path}" for path in hidden) + (() if chain else CHAIN_FIELDS)
    return EventView(
        id=event.id,
        at=event.at,
        actor=event.actor,
        type=current_type(event.type),
        subject=event.subject,
        payload=payload,
        prev_hash=event.prev_hash if chain else None,
        hash=event.hash if chain else None,
        withheld=withheld,
    )


def iso(moment: datetime) -> str:
    """The canonical text of an instant: UTC, microseconds only when present, 'Z'."""
    moment = moment.astimezone(UTC)
    if moment.year >= 1000:  # the same text, made quicker (`isoformat` pads a year to four)
        return moment.isoformat()[:-6] + "Z"
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def spoken(moment: datetime) -> str:
    """An instant as a message to a person says it: 'Thu 3 Dec 2026 15:10 UTC', to the minute
    (pages show times on the reader's clock; a message, made below the pages, in UTC)."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{moment:%a} {moment.day} {moment:%b %Y %H:%M} UTC"


# The instants Accord takes: wide enough for any real history and any plan, narrow enough that
# every date converts to UTC and every decay weight stays a number.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def out_of_range(moment: datetime) -> str | None:
    """Why an aware instant is not one Accord takes (None: it is)."""
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None  # at the very ends of the calendar: no UTC instant at all
    if utc is None or not EARLIEST <= utc < LATEST:
        return f"must lie from {EARLIEST.year} to {LATEST.year - 1} (UTC)"
    return None


def parse_instant(text: str, what: str) -> datetime:
    """An ISO 8601 instant with a zone, or a date (midnight UTC); anything else is refused."""
    from accord.errors import Invalid

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(
            f"{what} {text!r} is not an ISO 8601 date-time (e.g. 2026-06-01T00:00:00Z)",
            rule="time.invalid",
            field=what,
        ) from None
    if len(text) == 10:
        moment = moment.replace(tzinfo=UTC)
    elif moment.tzinfo is None:
        raise Invalid(
            f"{what} {text!r} needs a time zone, e.g. {text}Z", rule="time.no_zone", field=what
        )
    why = out_of_range(moment)
    if why is not None:
        raise Invalid(f"{what} {text!r} {why}", rule="time.out_of_range", field=what)
    return moment.astimezone(UTC)


# `json.dumps` with these arguments, made once rather than for every payload of the log.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# What `_CANONICAL.encode` runs, made once too: `encode` makes a new C encoder for each value.
# Without the check for circular values, which no payload has (one would overflow the stack
# instead of raising ValueError).
_MAKE_ENCODER: Callable[..., Callable[[Any, int], Sequence[str]]] | None = getattr(
    json.encoder, "c_make_encoder", None
)
_ENCODE = (
    _MAKE_ENCODER(
        None,  # no markers: no check for circular values
        _CANONICAL.default,
        json.encoder.encode_basestring,  # ensure_ascii=False
        None,  # indent
        ":",
        ",",
        True,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan, as `json.dumps`
    )
    if _MAKE_ENCODER is not None
    else None
)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    if _ENCODE is None:  # a Python without json's C speedups
        return _CANONICAL.encode(value)
    return "".join(_ENCODE(value, 0))


def event_hash(event: Event) -> str:
    """SHA-256 over the canonical JSON of the event together with the previous hash; over its
    type as stored, an earlier version's name included."""
    return chain_hash(
        event.id, event.at, event.actor, event.type, event.subject, event.payload, event.prev_hash
    )


def chain_hash(
    id: int,
    at: datetime,
    actor: str | None,
    type: str,
    subject: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> str:
    """`event_hash` of the event with these fields (an event about to be written)."""
    body = {
        "id": id,
        "at": iso(at),
        "actor": actor,
        "type": type,
        "subject": subject,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying the log: how many events, and the first bad one if any."""

    checked: int
    first_bad_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(
    events: Iterable[Event], head_id: int | None = None, head_hash: str | None = None
) -> ChainReport:
    """Check ids run 1, 2, 3…, each prev_hash is the hash before, and each hash is right.

    `head_id` and `head_hash` are what the log's head says was last appended, so that a
    deleted last event is found too.
    """
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    for event in events:
        if event.id != expected_id:
            return ChainReport(
                checked,
                event.id,
                f"event {event.id} follows event {expected_id - 1}: "
                f"event {expected_id} is missing or the order was changed",
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                checked,
                event.id,
                f"event {event.id} does not chain to the event before it "
                "(an event before it was changed, removed or moved)",
            )
        if event_hash(event) != event.hash:
            return ChainReport(
                checked, event.id, f"event {event.id} was changed after it was written"
            )
        expected_prev = event.hash
        expected_id += 1
        checked += 1
    if head_id is not None and head_id != checked:
        return ChainReport(
            checked,
            checked + 1 if head_id > checked else head_id + 1,
            f"the log's head records {head_id} events but {checked} are present",
        )
    if head_hash is not None and head_hash != expected_prev:
        return ChainReport(
            checked, checked or None, "the last event is not the one the log's head records"
        )
    return ChainReport(checked)
