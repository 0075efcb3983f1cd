"""Trust snapshots: the fold of the commitment events kept at UTC midnights, so that a read as
of a past instant starts from the nearest midnight at or before it and folds only the events
after it (DESIGN §2 "as of"), with the figures of a replay of the whole log.

A snapshot at midnight S holds what the fold of every event with `at < S` leaves: the
organization's finished evidence decayed to S (`trust_snapshots`), each pair's
(`trust_snapshot_pairs`, a row at the midnights after its sums changed) and each open
commitment's track (`trust_snapshot_tracks`, a version valid from one midnight until the
next change). Storing changes only keeps the rows proportional to the moves: a full copy of
every pair at every midnight would be days times pairs.

The upkeep writes the snapshot of a midnight when the first move of a later day arrives (the
stored sums are then exactly the fold before that midnight); a move told about the past
drops the snapshots after it, which the next rebuild makes again. Never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from accord.commitments.orm import commitments_table
from accord.events.orm import events_table
from accord.org.orm import teams_table
from accord.trust.domain import (
    FINAL,
    FINISHED,
    SUBJECT_PREFIX,
    Accumulator,
    Ledger,
    TeamRef,
    Track,
    commitment_key,
)
from accord.trust.model import (
    MAX_EXPONENT,
    Evidence,
    days_between,
    decay_weight,
    scale_to,
)
from accord.trust.orm import (
    EVIDENCE_COLUMNS,
    trust_pairs_table,
    trust_snapshot_pairs_table,
    trust_snapshot_tracks_table,
    trust_snapshots_table,
    trust_state_table,
    trust_tracks_table,
)

Event = tuple[datetime, str, Mapping[str, Any]]
SN = trust_snapshots_table.c
SP = trust_snapshot_pairs_table.c
ST = trust_snapshot_tracks_table.c
CHUNK = 500
BATCH = 5000
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


def midnight(at: datetime) -> datetime:
    """The UTC midnight that starts `at`'s day."""
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def day_after(at: datetime) -> datetime:
    """The UTC midnight that ends `at`'s day: the snapshot that first holds `at`'s events."""
    return midnight(at) + timedelta(days=1)


def _version(track: Track, since: datetime) -> dict[str, Any]:
    return {
        "key": track.key,
        "since": since,
        "until": None,
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


def snapshot_rows(
    events: Iterable[Event], teams: Mapping[str, TeamRef], half_life_days: float
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every snapshot of the log, as ("snapshots" | "pairs" | "tracks", rows) batches: the fold
    in time order (stable: one commitment's events keep their log order), a snapshot at each
    midnight that ends a day with events, the last day's left to the upkeep."""
    ordered = sorted(events, key=itemgetter(0))
    if not ordered:
        return
    H = half_life_days
    fold = Accumulator(ordered[0][0], H, [0.0] * 6, {})
    origin = midnight(ordered[0][0])
    yield "snapshots", [{"at": origin, "half_life_days": H, **_evidence_row([0.0] * 6)}]
    pending: dict[str, dict[str, Any]] = {}  # the latest version of each open commitment
    touched: set[str] = set()
    changed: set[tuple[TeamRef, TeamRef]] = set()
    boundary = day_after(ordered[0][0])
    done: list[dict[str, Any]] = []
    for at, subject, payload in ordered:
        if at >= boundary:
            factor = scale_to(boundary, fold.reference, H)
            yield (
                "snapshots",
                [
                    {
                        "at": boundary,
                        "half_life_days": H,
                        **_evidence_row(v * factor for v in fold.org),
                    }
                ],
            )
            pairs = [
                {
                    "requester_id": r,
                    "performer_id": p,
                    "at": boundary,
                    **_evidence_row(v * factor for v in fold.pairs[(r, p)]),
                }
                for r, p in sorted(changed, key=str)
            ]
            if pairs:
                yield "pairs", pairs
            for moved in touched:
                track = fold.tracks[moved]
                old = pending.pop(moved, None)
                if old is not None:
                    old["until"] = boundary
                    done.append(old)
                if track.state in FINAL:
                    del fold.tracks[moved]  # a finished commitment moves no more
                else:
                    pending[moved] = _version(track, boundary)
            if len(done) >= BATCH:
                yield "tracks", done
                done = []
            touched, changed = set(), set()
            boundary = day_after(at)
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
    yield "tracks", [*done, *pending.values()]


def _rebase(fold: Accumulator, reference: datetime) -> None:
    factor = scale_to(reference, fold.reference, fold.half_life_days)
    fold.org[:] = [v * factor for v in fold.org]
    for sums in fold.pairs.values():
        sums[:] = [v * factor for v in sums]
    fold.reference = reference


@dataclass(frozen=True)
class Snapshot:
    """The nearest snapshot at or before an instant: its midnight and the organization's
    finished evidence decayed to it."""

    at: datetime
    org: Evidence


def ledger_from(
    snapshot: Snapshot,
    pairs: Iterable[tuple[TeamRef, TeamRef, datetime, Evidence]],
    tracks: Iterable[Track],
    moment: datetime,
    half_life_days: float,
) -> Ledger:
    """The ledger at `moment` (as `domain.ledger` of the whole log's fold): the snapshot's
    finished evidence and each pair's (decayed from the midnight of its row), and the tracks
    open at the snapshot folded on to `moment` with the commitments requested since."""
    H = half_life_days
    result = Ledger(
        moment, org=snapshot.org.scaled(decay_weight(days_between(snapshot.at, moment), H))
    )
    factors: dict[datetime, float] = {}
    for requester, performer, at, evidence in pairs:
        factor = factors.get(at)
        if factor is None:
            factor = factors[at] = decay_weight(days_between(at, moment), H)
        result.pairs[(requester, performer)] = evidence.scaled(factor)
    for track in tracks:
        outcome = track.outcome() or track.overdue(moment)
        if outcome is not None:
            weight = decay_weight(days_between(outcome.at, moment), H)
            result.add(track.requester, track.performer, outcome.evidence(weight))
        if track.given > 0:
            pair = (track.requester, track.performer)
            result.given[pair] = max(result.given.get(pair, 0.0), track.given)
    return result


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SnapshotStore:
    """The snapshot tables: the rebuild's replace, the upkeep's writes and the reads."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- writes --------------------------------------------------------------------------

    def replace(self, batches: Iterable[tuple[str, list[dict[str, Any]]]]) -> int:
        """Replace every snapshot with `batches` (from `snapshot_rows`); how many snapshots."""
        for table in (
            trust_snapshot_tracks_table,
            trust_snapshot_pairs_table,
            trust_snapshots_table,
        ):
            self.session.execute(delete(table))
        tables = {
            "snapshots": trust_snapshots_table,
            "pairs": trust_snapshot_pairs_table,
            "tracks": trust_snapshot_tracks_table,
        }
        self.session.execute(update(trust_state_table).values(snapshot_gap=None))
        count = 0
        waiting: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
        for name, rows in batches:
            count += len(rows) if name == "snapshots" else 0
            waiting[name].extend(rows)
            if len(waiting[name]) >= BATCH:  # many small statements cost more than the rows
                self.session.execute(insert(tables[name]), waiting[name])
                waiting[name] = []
        for name, rows in waiting.items():
            if rows:
                self.session.execute(insert(tables[name]), rows)
        return count

    def newest(self) -> datetime | None:
        found: datetime | None = self.session.scalar(select(func.max(SN.at)))
        return found

    def forget_after(self, moment: datetime) -> None:
        """Drop what the snapshots after `moment` hold: history told later about the past."""
        self.session.execute(delete(trust_snapshots_table).where(SN.at > moment))
        self.session.execute(delete(trust_snapshot_pairs_table).where(SP.at > moment))
        self.session.execute(delete(trust_snapshot_tracks_table).where(ST.since > moment))
        self.session.execute(
            update(trust_snapshot_tracks_table).where(ST.until > moment).values(until=None)
        )

    def write_origin(self, at: datetime, half_life_days: float) -> None:
        """The empty snapshot before an organization's first move."""
        self.session.execute(
            insert(trust_snapshots_table).values(
                at=at, half_life_days=half_life_days, **_evidence_row([0.0] * 6)
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
        """The snapshot at midnight `at` from the stored sums, which hold exactly the events
        before it: the organization, and the pairs and tracks of the commitments that moved
        since the previous snapshot (at `since`)."""
        factor = scale_to(at, reference, half_life_days)
        self.session.execute(
            insert(trust_snapshots_table).values(
                at=at,
                half_life_days=half_life_days,
                **_evidence_row(v * factor for v in org),
            )
        )
        e = events_table.c
        subjects = self.session.scalars(
            select(e.subject)
            .distinct()
            .where(
                e.at >= since,
                e.at < at,
                and_(e.subject >= SUBJECT_PREFIX, e.subject < "commitment;"),
            )
        ).all()
        keys = sorted(s.removeprefix(SUBJECT_PREFIX) for s in subjects)
        if not keys:
            return
        c = commitments_table.c
        t = trust_tracks_table.c
        p = trust_pairs_table.c
        versions: list[dict[str, Any]] = []
        pairs: set[tuple[int, int]] = set()
        for chunk in _chunks(keys):
            open_keys = set()
            rows = self.session.execute(
                select(t.key, *(t[name] for name in TRACK_COLUMNS)).where(t.key.in_(chunk))
            )
            for row in rows:
                open_keys.add(row.key)
                versions.append(
                    {"key": row.key, "since": at, "until": None}
                    | {name: getattr(row, name) for name in TRACK_COLUMNS}
                )
            finished = [key for key in chunk if key not in open_keys]
            if finished:
                pairs.update(
                    (int(r), int(q))
                    for r, q in self.session.execute(
                        select(c.requester_id, c.performer_id).where(c.key.in_(finished))
                    )
                )
            self.session.execute(
                update(trust_snapshot_tracks_table)
                .where(ST.key.in_(chunk), ST.until.is_(None))
                .values(until=at)
            )
        if versions:
            self.session.execute(insert(trust_snapshot_tracks_table), versions)
        rows_out = []
        for chunk in _chunks(sorted(pairs)):
            query = select(p.requester_id, p.performer_id, *(p[n] for n in EVIDENCE_COLUMNS))
            for row in self.session.execute(
                query.where(tuple_(p.requester_id, p.performer_id).in_(chunk))
            ):
                rows_out.append(
                    {
                        "requester_id": int(row[0]),
                        "performer_id": int(row[1]),
                        "at": at,
                        **_evidence_row(float(v) * factor for v in row[2:]),
                    }
                )
        if rows_out:
            self.session.execute(insert(trust_snapshot_pairs_table), rows_out)

    # -- reads ---------------------------------------------------------------------------

    def nearest(self, moment: datetime, half_life_days: float) -> Snapshot | None:
        """The newest snapshot at or before `moment`, if it was made with this half-life."""
        row = self.session.execute(
            select(trust_snapshots_table).where(SN.at <= moment).order_by(SN.at.desc()).limit(1)
        ).first()
        if row is None or float(row.half_life_days) != half_life_days:
            return None
        return Snapshot(row.at, Evidence(*(float(getattr(row, n)) for n in EVIDENCE_COLUMNS)))

    def pairs_at(self, at: datetime) -> Iterator[tuple[int, int, datetime, Evidence]]:
        """Every pair's finished evidence at its latest row at or before `at`, in one pass over
        the rows in key order: SQLite takes a row's other columns from the one where max()
        is found, PostgreSQL keeps the first of each pair with DISTINCT ON."""
        values = [SP[name] for name in EVIDENCE_COLUMNS]
        if self.session.get_bind().dialect.name == "sqlite":
            query = (
                select(SP.requester_id, SP.performer_id, func.max(SP.at), *values)
                .where(SP.at <= at)
                .group_by(SP.requester_id, SP.performer_id)
            )
        else:
            query = (
                select(SP.requester_id, SP.performer_id, SP.at, *values)
                .ext(distinct_on(SP.requester_id, SP.performer_id))
                .where(SP.at <= at)
                .order_by(SP.requester_id, SP.performer_id, SP.at.desc())
            )
        for row in self.session.execute(query).all():  # one fetch: rows one by one cost more
            yield int(row[0]), int(row[1]), row[2], Evidence(*(float(v) for v in row[3:]))

    def team_slugs(self) -> dict[int, str]:
        t = teams_table.c
        return {int(i): str(slug) for i, slug in self.session.execute(select(t.id, t.slug))}

    def open_at(self, at: datetime) -> Iterator[Track]:
        """The track of every commitment open at snapshot `at`."""
        query = select(trust_snapshot_tracks_table).where(
            ST.since <= at, or_(ST.until.is_(None), ST.until > at)
        )
        for row in self.session.execute(query).all():
            yield Track(
                key=row.key,
                requester=int(row.requester_id),
                performer=int(row.performer_id),
                state=row.state,
                due=row.due,
                reliance=row.reliance,
                notice=bool(row.notice),
                delivered_at=row.delivered_at,
                promised_at=row.promised_at,
            )

    def events_between(self, start: datetime, end: datetime) -> list[Event]:
        """The commitment events with `start <= at <= end`, in log order."""
        e = events_table.c
        query = (
            select(e.at, e.subject, e.payload)
            .where(
                e.at >= start,
                e.at <= end,
                and_(e.subject >= SUBJECT_PREFIX, e.subject < "commitment;"),
            )
            .order_by(e.id)
        )
        return [(row.at, row.subject, row.payload) for row in self.session.execute(query)]

    def first_event_at(self) -> datetime | None:
        """The time of the earliest commitment event."""
        e = events_table.c
        found: datetime | None = self.session.scalar(
            select(func.min(e.at)).where(e.subject >= SUBJECT_PREFIX, e.subject < "commitment;")
        )
        return found
