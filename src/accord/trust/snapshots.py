"""Trust snapshots: the fold of the commitment events kept at regular boundaries (every
`EVERY` from UTC midnight), so that a read as of a past instant starts from the nearest boundary
at or before it and folds only the events after it, at most `EVERY` of the log (DESIGN §2 "as
of"), with the figures of a replay of the whole log.

A snapshot at boundary S holds what the fold of every event with `at < S` leaves: the
organization's finished evidence decayed to S, and, each in one value read into columns at
once, the pairs whose finished evidence changed in the period before (`pairs`) and the
commitments that moved in it (`tracks`: each one's track by commitment id, or that it
finished). Keeping changes only keeps the snapshots proportional to the moves; a full copy of
every pair and open commitment once every `FULL_EVERY` (a snapshot marked `full`) bounds what a
read looks at: the snapshots from the full copy before its own on, the latest of each pair and
commitment in them, found with array operations (pairs and commitments are integers).

The upkeep writes the snapshot of a boundary when the first move of a later period arrives (the
stored sums are then exactly the fold before that boundary); a move told about the past
drops the snapshots after it, which the next rebuild makes again. Never commits.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    delete,
    func,
    insert,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from accord.commitments.orm import commitments_table
from accord.db import DirectRead
from accord.events.orm import events_table
from accord.events.repository import EventStore
from accord.org.orm import teams_table
from accord.trust.domain import (
    COMMITTED,
    FINAL,
    FINISHED,
    OPEN,
    RELIANCE_WEIGHT,
    SUBJECT_PREFIX,
    Accumulator,
    TeamRef,
    Track,
    commitment_key,
)
from accord.trust.model import MAX_EXPONENT, Evidence, days_between, scale_to
from accord.trust.orm import (
    EVIDENCE_COLUMNS,
    commitment_subject,
    trust_pairs_table,
    trust_snapshots_table,
    trust_state_table,
    trust_tracks_table,
)

Event = tuple[datetime, str, Mapping[str, Any]]
Pairs = list[tuple[int, int, list[float]]]
Versions = dict[int, dict[str, Any] | None]
SN = trust_snapshots_table.c
CHUNK = 500
BATCH = 5000
# How often a snapshot is taken (a divisor of a day): a read folds at most this much of the log
# after its snapshot; more often stores a few more changes (a commitment moving in two periods).
EVERY = timedelta(hours=2)
# How often a snapshot is a full copy: more often reads fewer changes, and stores more.
FULL_EVERY = timedelta(days=7)
# A snapshot's pairs in one value: the teams' ids and the six sums decayed to the snapshot.
PAIR = np.dtype([("requester", "<i8"), ("performer", "<i8"), ("sums", "<f8", (6,))])
# Its commitments in one value: each one's id (`commitments.id`) and track (times in
# microseconds since the epoch, NONE for none; whether it is promised and the reliance weight it
# puts, as a read counts them), or `open` false for one that finished.
OPEN_TRACK = np.dtype(
    [
        ("id", "<i8"),
        ("requester", "<i8"),
        ("performer", "<i8"),
        ("due", "<i8"),
        ("delivered", "<i8"),
        ("promised", "<i8"),
        ("state", "S20"),
        ("reliance", "S20"),
        ("committed", "?"),
        ("notice", "?"),
        ("given", "<f8"),
        ("open", "?"),
    ]
)
NONE = np.iinfo(np.int64).min
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TRACK_COLUMNS = (
    "requester_id",
    "performer_id",
    "state",
    "due",
    "notice",
    "reliance",
    "delivered_at",
    "promised_at",
)


def boundary_before(at: datetime) -> datetime:
    """The snapshot boundary that starts `at`'s period (every `EVERY` from UTC midnight)."""
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day + (at - day) // EVERY * EVERY


def boundary_after(at: datetime) -> datetime:
    """The boundary that ends `at`'s period: the snapshot that first holds `at`'s events."""
    return boundary_before(at) + EVERY


def micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware time, as the snapshots keep times."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def _time(value: int) -> datetime | None:
    return None if value == NONE else EPOCH + timedelta(microseconds=value)


def _version(track: Track) -> dict[str, Any]:
    return {
        "requester_id": track.requester,
        "performer_id": track.performer,
        "state": track.state,
        "due": track.due,
        "notice": track.notice,
        "reliance": track.reliance,
        "delivered_at": track.delivered_at,
        "promised_at": track.promised_at,
    }


def _evidence_row(values: Iterable[float]) -> dict[str, float]:
    return dict(zip(EVIDENCE_COLUMNS, values, strict=True))


def tracks_value(versions: Mapping[int, Mapping[str, Any] | None]) -> bytes | None:
    """The `tracks` of a snapshot: by commitment id, its track (`TRACK_COLUMNS`), or None for
    one no longer open; None for none. `OPEN_TRACK` columns."""
    if not versions:
        return None
    rows = []
    for number in sorted(versions):
        version = versions[number]
        if version is None:
            rows.append((number, 0, 0, 0, NONE, NONE, b"", b"", False, False, 0.0, False))
            continue
        state, reliance = version["state"], version["reliance"]
        delivered, promised = version["delivered_at"], version["promised_at"]
        rows.append(
            (
                number,
                int(version["requester_id"]),
                int(version["performer_id"]),
                micros(version["due"]),
                NONE if delivered is None else micros(delivered),
                NONE if promised is None else micros(promised),
                state.encode(),
                reliance.encode(),
                state in COMMITTED,
                bool(version["notice"]),
                RELIANCE_WEIGHT.get(reliance, 0.0) if state in OPEN else 0.0,
                True,
            )
        )
    return np.array(rows, dtype=OPEN_TRACK).tobytes()


def tracks_of(value: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The commitment ids and `OPEN_TRACK` columns of a snapshot's `tracks`."""
    columns = np.frombuffer(value, dtype=OPEN_TRACK)
    return columns["id"], columns


def pairs_value(pairs: Iterable[tuple[int, int, Iterable[float]]]) -> bytes | None:
    """The `pairs` of a snapshot: (requester id, performer id, six sums) each, in increasing
    order of the two ids (a read's sort of them then finds them in order); None for none."""
    rows = sorted((int(r), int(p), tuple(sums)) for r, p, sums in pairs)
    return np.array(rows, dtype=PAIR).tobytes() if rows else None


def snapshot_rows(
    events: Iterable[Event],
    teams: Mapping[str, TeamRef],
    half_life_days: float,
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every snapshot of the log, as ("snapshots", rows) batches: the fold of `events` in time
    order (a stable sort of the log by time, as `TrustStore.commitment_events_by_time` reads
    it: one commitment's events keep their log order), a snapshot at each boundary that ends a
    period with events, the last period's left to the upkeep. A row's `tracks` is by
    commitment key here: `SnapshotStore.replace` writes it by commitment id. The events are
    read as they come: memory holds the fold, not the log."""
    ordered = iter(events)
    first = next(ordered, None)
    if first is None:
        return
    H = half_life_days
    fold = Accumulator(first[0], H, [0.0] * 6, {})
    origin = last_full = boundary_before(first[0])
    empty = {"pairs": None, "tracks": None, **_evidence_row([0.0] * 6)}
    yield "snapshots", [{"at": origin, "half_life_days": H, "full": True, **empty}]
    pending: dict[str, dict[str, Any]] = {}  # the track of each open commitment
    touched: set[str] = set()
    changed: set[tuple[TeamRef, TeamRef]] = set()
    boundary = boundary_after(first[0])
    for at, subject, payload in chain([first], ordered):
        if at >= boundary:
            factor = scale_to(boundary, fold.reference, H)
            full = boundary - last_full >= FULL_EVERY
            if full:
                last_full = boundary
                changed = set(fold.pairs)
            for moved in touched:
                track = fold.tracks[moved]
                if track.state in FINAL:
                    del fold.tracks[moved]  # a finished commitment moves no more
                    pending.pop(moved, None)
                else:
                    pending[moved] = _version(track)
            versions = dict(pending) if full else {key: pending.get(key) for key in touched}
            pairs = pairs_value(
                (int(r), int(p), (v * factor for v in fold.pairs[(r, p)])) for r, p in changed
            )
            yield (
                "snapshots",
                [
                    {
                        "at": boundary,
                        "half_life_days": H,
                        "full": full,
                        "pairs": pairs,
                        "tracks": versions or None,
                        **_evidence_row(v * factor for v in fold.org),
                    }
                ],
            )
            touched, changed = set(), set()
            boundary = boundary_after(at)
        key = commitment_key(subject)
        if key is None or "move" not in payload:
            continue
        if days_between(fold.reference, at) / H > MAX_EXPONENT:
            _rebase(fold, at)
        before = fold.tracks.get(key)
        was = before.state if before is not None else None
        if not fold.apply(at, key, payload, teams):
            continue
        track = fold.tracks[key]
        touched.add(key)
        if track.state in FINISHED and was not in FINISHED:
            changed.add((track.requester, track.performer))


def _rebase(fold: Accumulator, reference: datetime) -> None:
    factor = scale_to(reference, fold.reference, fold.half_life_days)
    fold.org[:] = [v * factor for v in fold.org]
    for sums in fold.pairs.values():
        sums[:] = [v * factor for v in sums]
    fold.reference = reference


@dataclass(frozen=True)
class Snapshot:
    """The nearest snapshot at or before an instant: its boundary, the organization's finished
    evidence decayed to it, and the newest full copy at or before it (a read's first row)."""

    at: datetime
    org: Evidence
    full: datetime | None = None


@dataclass
class PairRows:
    """Each pair's finished evidence at a snapshot, as columns: the teams' ids, the snapshot it
    was read from (a place in `stamps`, the snapshots' times in microseconds since the epoch)
    and its six sums decayed to it."""

    requester: np.ndarray
    performer: np.ndarray
    source: np.ndarray
    stamps: np.ndarray
    sums: np.ndarray

    @property
    def at(self) -> np.ndarray:
        """The time of the snapshot each pair was read from."""
        return np.asarray(self.stamps[self.source])


@dataclass
class OpenRows:
    """Commitments open at a snapshot, as columns: their teams' ids, due dates (microseconds
    since the epoch), whether they are promised, whether they gave notice, and the reliance
    weight they put."""

    requester: np.ndarray
    performer: np.ndarray
    due: np.ndarray
    committed: np.ndarray
    notice: np.ndarray
    given: np.ndarray


def _micros(values: Sequence[Any]) -> np.ndarray:
    """Times as a driver gives them (SQLite: text; PostgreSQL: aware datetimes), as `micros`."""
    if values and isinstance(values[0], str):  # parsed in one call
        return np.array(values, dtype="datetime64[us]").astype(np.int64)
    return np.array([micros(value) for value in values], dtype=np.int64)


def _raw(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A time column as the driver gives it, for `_micros`: the column type's conversion costs
    more than the rest of a read when it runs for every row."""
    return type_coerce(column, NullType())


# How much of an SQLite file a connection reads through memory mapping (SQLite caps it at its
# build's limit, 2 GB in Debian's): a read's packed values, a few megabytes over a thousand
# overflow pages, are then copied from the page cache instead of read a page per system call
# (at 500,000 commitments: 1 ms of CPU instead of 4.5 for a week's snapshots).
MMAP_SIZE = 1 << 36


def _map_file(session: Session) -> None:
    """Turn on memory-mapped reads for this session's SQLite connection (once per pooled
    connection; it stays on for what else the connection reads, which changes no result)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or connection.info.get("mmap"):
        return
    connection.exec_driver_sql(f"PRAGMA mmap_size={MMAP_SIZE}")
    connection.info["mmap"] = True


def _values(session: Session, query: Select[Any]) -> Sequence[Any]:
    """The rows of `query`, which reads snapshots' packed values: on PostgreSQL in the binary
    format (psycopg 3 asks for it per statement, and SQLAlchemy has no option for it), where
    text would send each value as hex, twice its size, for the server to write and the driver
    to parse (at 1,000,000 commitments about 11 MB a read); elsewhere as any query."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return session.execute(query).all()
    compiled = query.compile(dialect=connection.dialect)
    # the statement's own connection, in the session's transaction
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor(binary=True) as cursor:
        cursor.execute(compiled.string, compiled.params)
        rows: list[Any] = cursor.fetchall()
    return rows


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# By database (its URL; eight at most): the log's last event id and hash when its earliest
# commitment event was found, and that event's time (`SnapshotStore.first_event_at`). Read with
# the log's head in one transaction's view of it (a read-only one, or one that appended).
_FIRST_EVENT: dict[str, tuple[int, str, datetime | None]] = {}
# Up to how many events appended since are read for it (more: the whole log is searched again).
FEW_EVENTS = 10_000


@functools.cache
def _moves_read(joined: bool) -> DirectRead:
    """`SnapshotStore.moves_between`'s statement: the events by time (`ix_events_at`), each
    with its commitment's id if `joined` (by its key, unique)."""
    e, c = events_table.c, commitments_table.c
    key = func.substr(e.subject, len(SUBJECT_PREFIX) + 1)
    columns: list[Any] = [e.at, e.subject, e.payload]
    tables: Any = events_table
    if joined:
        columns.append(c.id.label("commitment_id"))
        tables = events_table.outerjoin(commitments_table, c.key == key)
    return DirectRead(
        select(*columns)
        .select_from(tables)
        .where(
            e.at >= bindparam("start", type_=e.at.type),
            e.at <= bindparam("end", type_=e.at.type),
            commitment_subject(e.subject),
        )
        .order_by(e.id)
    )


@functools.cache
def _newest_query() -> Select[tuple[datetime]]:
    return select(func.max(SN.at))


class SnapshotStore:
    """The snapshot table: the rebuild's replace, the upkeep's writes and the reads."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- writes --------------------------------------------------------------------------

    def replace(self, batches: Iterable[tuple[str, list[dict[str, Any]]]]) -> int:
        """Replace every snapshot with `batches` (from `snapshot_rows`); how many snapshots."""
        self.session.execute(delete(trust_snapshots_table))
        self.session.execute(update(trust_state_table).values(snapshot_gap=None))
        count = 0
        waiting: list[dict[str, Any]] = []
        ids: dict[str, int] | None = None
        for _, rows in batches:
            count += len(rows)
            for row in rows:
                if row["tracks"]:
                    if ids is None:
                        c = commitments_table.c
                        ids = {k: int(i) for k, i in self.session.execute(select(c.key, c.id))}
                    # every commitment moved has its row (a log without one is not this database's)
                    row["tracks"] = tracks_value(
                        {ids[key]: version for key, version in row["tracks"].items() if key in ids}
                    )
            waiting.extend(rows)
            if len(waiting) >= 100:  # many small statements cost more than the rows
                self.session.execute(insert(trust_snapshots_table), waiting)
                waiting = []
        if waiting:
            self.session.execute(insert(trust_snapshots_table), waiting)
        return count

    def newest(self) -> datetime | None:
        """The newest snapshot's instant (every move on PostgreSQL asks it: built once)."""
        found: datetime | None = self.session.scalar(_newest_query())
        return found

    def forget_after(self, moment: datetime) -> None:
        """Drop the snapshots after `moment`: history told later about the past."""
        self.session.execute(delete(trust_snapshots_table).where(SN.at > moment))

    def write_origin(self, at: datetime, half_life_days: float) -> None:
        """The empty snapshot before an organization's first move."""
        self.session.execute(
            insert(trust_snapshots_table).values(
                at=at, half_life_days=half_life_days, full=True, **_evidence_row([0.0] * 6)
            )
        )

    def write(
        self,
        at: datetime,
        since: datetime,
        reference: datetime,
        half_life_days: float,
        org: Sequence[float],
    ) -> None:
        """The snapshot at boundary `at` from the stored sums, which hold exactly the events
        before it: the organization, and the pairs and tracks of the commitments that moved
        since the previous snapshot (at `since`); or every pair and open commitment, when the
        full copy before it is `FULL_EVERY` old."""
        factor = scale_to(at, reference, half_life_days)
        last_full = self.full_before(at)
        full = last_full is None or at - last_full >= FULL_EVERY
        pairs, versions = self._every() if full else self._moved(at, since)
        self.session.execute(
            insert(trust_snapshots_table).values(
                at=at,
                half_life_days=half_life_days,
                full=full,
                pairs=pairs_value((r, q, (v * factor for v in sums)) for r, q, sums in pairs),
                tracks=tracks_value(versions),
                **_evidence_row(v * factor for v in org),
            )
        )

    def _moved(self, at: datetime, since: datetime) -> tuple[Pairs, Versions]:
        """The commitments that moved since the snapshot at `since`: their tracks (None:
        finished), and the stored sums of the pairs of those that finished."""
        e = events_table.c
        subjects = self.session.scalars(
            select(e.subject)
            .distinct()
            .where(
                e.at >= since,
                e.at < at,
                commitment_subject(e.subject),
            )
        ).all()
        keys = sorted(s.removeprefix(SUBJECT_PREFIX) for s in subjects)
        c = commitments_table.c
        t = trust_tracks_table.c
        p = trust_pairs_table.c
        versions: Versions = {}
        pairs: set[tuple[int, int]] = set()
        for chunk in _chunks(keys):
            ids = self.ids_of(chunk)
            rows = self.session.execute(
                select(t.key, *(t[name] for name in TRACK_COLUMNS)).where(t.key.in_(chunk))
            )
            opened = set()
            for row in rows:
                opened.add(row.key)
                versions[ids[row.key]] = {name: getattr(row, name) for name in TRACK_COLUMNS}
            finished = [key for key in chunk if key not in opened]
            versions.update(dict.fromkeys(ids[key] for key in finished))
            if finished:
                pairs.update(
                    (int(r), int(q))
                    for r, q in self.session.execute(
                        select(c.requester_id, c.performer_id).where(c.key.in_(finished))
                    )
                )
        found = []
        query = select(p.requester_id, p.performer_id, *(p[n] for n in EVIDENCE_COLUMNS))
        for chunk in _chunks(sorted(pairs)):
            for row in self.session.execute(
                query.where(tuple_(p.requester_id, p.performer_id).in_(chunk))
            ):
                found.append((int(row[0]), int(row[1]), [float(v) for v in row[2:]]))
        return sorted(found), versions

    def _every(self) -> tuple[Pairs, Versions]:
        """Every open commitment's stored track and every pair's stored sums."""
        t = trust_tracks_table.c
        p = trust_pairs_table.c
        c = commitments_table.c
        versions: Versions = {
            int(row.id): {name: getattr(row, name) for name in TRACK_COLUMNS}
            for row in self.session.execute(
                select(c.id, *(t[n] for n in TRACK_COLUMNS)).join_from(
                    trust_tracks_table, commitments_table, c.key == t.key
                )
            )
        }
        query = select(p.requester_id, p.performer_id, *(p[n] for n in EVIDENCE_COLUMNS))
        pairs = sorted(
            (int(row[0]), int(row[1]), [float(v) for v in row[2:]])
            for row in self.session.execute(query)
        )
        return pairs, versions

    # -- reads ---------------------------------------------------------------------------

    def ids_of(self, keys: Iterable[str]) -> dict[str, int]:
        """The ids of the commitments with these keys (those that exist)."""
        c = commitments_table.c
        found: dict[str, int] = {}
        for chunk in _chunks(sorted(set(keys))):
            rows = self.session.execute(select(c.key, c.id).where(c.key.in_(chunk))).all()
            found.update((key, int(number)) for key, number in rows)
        return found

    def full_before(self, at: datetime) -> datetime | None:
        """The newest full copy at or before `at`."""
        found: datetime | None = self.session.scalar(
            select(func.max(SN.at)).where(SN.at <= at, SN.full.is_(True))
        )
        return found

    def nearest(self, moment: datetime, half_life_days: float) -> Snapshot | None:
        """The newest snapshot at or before `moment`, if it was made with this half-life."""
        _map_file(self.session)
        # the full copy before it in the same query (the newest at or before `moment` is the
        # newest at or before the snapshot, the newest of all at or before `moment`)
        full = select(func.max(SN.at)).where(SN.at <= moment, SN.full.is_(True)).scalar_subquery()
        row = self.session.execute(
            select(
                SN.at,
                SN.half_life_days,
                *(SN[n] for n in EVIDENCE_COLUMNS),
                type_coerce(full, SN.at.type).label("full_at"),
            )
            .where(SN.at <= moment)
            .order_by(SN.at.desc())
            .limit(1)
        ).first()
        if row is None or float(row.half_life_days) != half_life_days:
            return None
        return Snapshot(
            row.at, Evidence(*(float(getattr(row, n)) for n in EVIDENCE_COLUMNS)), row.full_at
        )

    def columns_at(
        self, at: datetime, start: datetime | None, moved: Mapping[int, str]
    ) -> tuple[PairRows, OpenRows, list[Track]]:
        """At snapshot `at`, from the snapshots at or after `start` (the full copy before it,
        which holds everything) in one query: every pair's finished evidence, the commitments
        open but those `moved` (their keys by id), and the tracks of the `moved` ones open."""
        where = [SN.at <= at]
        if start is not None:
            where.append(SN.at >= start)
        _map_file(self.session)
        rows = _values(
            self.session, select(_raw(SN.at), SN.pairs, SN.tracks).where(*where).order_by(SN.at)
        )
        return self._pairs(rows), *self._open(rows, moved)

    @staticmethod
    def _pairs(rows: Sequence[Any]) -> PairRows:
        found = [(time, value) for time, value, _ in rows if value]
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return PairRows(empty, empty, empty, empty, np.zeros((0, 6)))
        sizes = [len(value) // PAIR.itemsize for _, value in found]
        sources = np.repeat(np.arange(len(found), dtype=np.int64), sizes)
        pairs = np.frombuffer(b"".join(value for _, value in found), dtype=PAIR)
        # the latest of each pair: the first of the pairs in reverse time order (the rows come in
        # time order); in order of (requester, performer). (A sort that keeps order: quick when
        # each snapshot's pairs are in order, as `pairs_value` keeps them.)
        order = np.arange(len(pairs) - 1, -1, -1)
        keys = (pairs["requester"][order] << 32) | pairs["performer"][order]
        _, first = np.unique(keys, return_index=True)
        chosen = order[first]
        return PairRows(
            requester=pairs["requester"][chosen],
            performer=pairs["performer"][chosen],
            source=sources[chosen],
            stamps=_micros([time for time, _ in found]),
            sums=pairs["sums"][chosen],
        )

    @staticmethod
    def _open(rows: Sequence[Any], moved: Mapping[int, str]) -> tuple[OpenRows, list[Track]]:
        """The latest entry of each commitment in `rows` (in time order): the open ones but the
        `moved` (by id, their keys), and the tracks of the `moved` ones open."""
        # joined as bytes: numpy concatenates records with text in them one by one
        every = np.frombuffer(b"".join(value for _, _, value in rows if value), dtype=OPEN_TRACK)
        # the latest of each commitment, in id order: the last of its entries in a sort by id
        # that keeps their time order (each snapshot's entries are in id order: the sort merges
        # runs; an array by id as large as the greatest id costs more to fill) (columns taken
        # one by one: whole records cost more to gather than the few columns a read needs)
        numbers = every["id"]
        order = np.argsort(numbers, kind="stable")
        ordered = numbers[order]
        last = np.ones(len(ordered), dtype=bool)
        np.not_equal(ordered[1:], ordered[:-1], out=last[:-1])
        latest = order[last]
        # the moved ones among them, found by id
        held = ordered[last]
        wanted = np.fromiter(moved, dtype=np.int64, count=len(moved))
        where = np.searchsorted(held, wanted)
        inside = where < len(held)
        where = where[inside][held[where[inside]] == wanted[inside]]
        taken = np.zeros(len(latest), dtype=bool)
        taken[where] = True
        # the moved ones open, each column as Python values at once (a record's fields one by
        # one cost a microsecond each)
        entries = every[latest[taken]]
        entries = entries[entries["open"]]
        columns = [
            entries[name].tolist()
            for name in (
                "id",
                "requester",
                "performer",
                "state",
                "due",
                "reliance",
                "notice",
                "delivered",
                "promised",
            )
        ]
        tracks = [
            Track(
                key=moved[number],
                requester=requester,
                performer=performer,
                state=state.decode(),
                due=EPOCH + timedelta(microseconds=due),
                reliance=reliance.decode(),
                notice=notice,
                delivered_at=_time(delivered),
                promised_at=_time(promised),
            )
            for (
                number,
                requester,
                performer,
                state,
                due,
                reliance,
                notice,
                delivered,
                promised,
            ) in zip(*columns, strict=True)
        ]
        found = latest[~taken & every["open"][latest]]
        still = OpenRows(
            requester=every["requester"][found],
            performer=every["performer"][found],
            due=every["due"][found],
            committed=every["committed"][found],
            notice=every["notice"][found],
            given=every["given"][found],
        )
        return still, tracks

    def teams_mark(self) -> tuple[Any, ...]:
        """A cheap summary of the teams (how many, the greatest id, their slugs' total length)
        that changes when one is added: what a cache of `team_slugs` is keyed by. Teams are
        never renamed nor removed; each part is one quick query of its own (together, SQLite
        reads every row for each)."""
        t = teams_table.c
        row = self.session.execute(
            select(
                select(func.count()).select_from(teams_table).scalar_subquery(),
                select(func.max(t.id)).scalar_subquery(),
                select(func.sum(func.length(t.slug))).scalar_subquery(),
            )
        ).one()
        return tuple(row)

    def team_slugs(self) -> dict[int, str]:
        """The teams' slugs by id, in increasing order of id (the places `views.Teams` gives
        them then follow their ids, which keeps pairs read in order of ids in order)."""
        t = teams_table.c
        rows = self.session.execute(select(t.id, t.slug).order_by(t.id)).all()
        return {int(i): str(slug) for i, slug in rows}

    def moves_between(self, start: datetime, end: datetime) -> tuple[list[Event], dict[int, str]]:
        """The commitment events with `start <= at <= end`, in log order, and the commitments
        they move that still exist, by id (their keys), on the driver.

        On SQLite in one statement. PostgreSQL runs a statement it has run a few times from
        the plan it made once for any window, and for this join that plan reads every
        commitment into a hash (290 ms at 1,000,000 commitments): there the ids are read by
        their keys in a statement of their own."""
        joined = self.session.get_bind().dialect.name == "sqlite"
        events: list[Event] = []
        moved: dict[int, str] = {}
        for row in _moves_read(joined).rows(self.session, {"start": start, "end": end}):
            events.append((row.at, row.subject, row.payload))
            if joined and row.commitment_id is not None:
                moved[row.commitment_id] = row.subject.removeprefix(SUBJECT_PREFIX)
        if not joined and events:
            keys = {subject.removeprefix(SUBJECT_PREFIX) for _, subject, _ in events}
            moved = {number: key for key, number in self.ids_of(keys).items()}
        return events, moved

    def first_event_at(self) -> datetime | None:
        """The time of the earliest commitment event (a chart's first point).

        Found once per database and log in this process, then from the events appended since:
        the log only grows, and the hash of its last event names all of it (the hash chain of
        `accord.events`), so the earliest up to a later head is the earlier of the one known
        and the earliest of the events since. (Found in the whole log, it costs a walk of the
        events in time order to the first commitment event: 10 ms at 500,000 commitments on
        SQLite, 23 ms at 1,000,000 on PostgreSQL, whose partnerships were formed first.)"""
        e = events_table.c
        last_id, last_hash = EventStore(self.session).head()
        where = str(self.session.connection().engine.url)
        known = _FIRST_EVENT.get(where)
        if known is not None and known[:2] == (last_id, last_hash):
            return known[2]
        if (
            known is not None
            and known[0] < last_id <= known[0] + FEW_EVENTS
            and self.session.scalar(select(e.hash).where(e.id == known[0])) == known[1]
        ):
            found = (known[2], self._first_after(known[0]))
            first = min((moment for moment in found if moment is not None), default=None)
        else:
            first = self._first_after(None)
        if where not in _FIRST_EVENT and len(_FIRST_EVENT) >= 8:
            del _FIRST_EVENT[next(iter(_FIRST_EVENT))]  # the database found first
        _FIRST_EVENT[where] = (last_id, last_hash, first)
        return first

    def _first_after(self, after: int | None) -> datetime | None:
        """The time of the earliest commitment event, of those after event `after` if given."""
        e = events_table.c
        # `subject || ''` keeps the database from reading every commitment event by subject:
        # the events in time order reach the first one at once; those after an id are read in
        # id order (in time order, PostgreSQL would read every event before them)
        query = select(e.at).where(commitment_subject(e.subject.concat("")))
        if after is None:
            found: datetime | None = self.session.scalar(query.order_by(e.at).limit(1))
            return found
        return min(self.session.scalars(query.where(e.id > after).order_by(e.id)), default=None)
