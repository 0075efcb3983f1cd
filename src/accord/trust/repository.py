"""Stored trust: the upkeep that folds each commit's events into the sums, and the reads.

Never commits. Sums are scaled to `trust_state.reference`: a read multiplies them by
2 ** (-(T - reference) / H), which makes decay exact without touching old rows. A read asks
what it needs of the sums in one statement (`sums`), and the statements of reads are built once.

Longer than most modules on purpose: the upkeep, the rebuild's replace and the reads of the
same three tables share their bookkeeping (the overdue watermark, rebasing), and they must
agree to the last bit; split, they would drift apart.

Longer than most modules on purpose: the upkeep and the reads share the scaling of the stored
sums, which must stay in one place.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    Boolean,
    Float,
    Integer,
    Row,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from accord.commitments.orm import commitments_table
from accord.db import DirectRead, insert_rows
from accord.events.catalog import CommitmentMoved, CommitmentRequested, TeamCreated
from accord.events.orm import events_table
from accord.org.orm import teams_table
from accord.trust.domain import (
    COMMITTED,
    FINAL,
    SUBJECT_PREFIX,
    TRACK_FIELDS,
    Accumulator,
    Track,
)
from accord.trust.model import MAX_EXPONENT, Evidence, days_between, scaled_weight
from accord.trust.orm import (
    EVIDENCE_COLUMNS,
    commitment_subject,
    trust_models_table,
    trust_pairs_table,
    trust_snapshots_table,
    trust_state_table,
    trust_tracks_table,
)
from accord.trust.snapshots import SnapshotStore, boundary_after, boundary_before

if TYPE_CHECKING:
    from sqlalchemy.sql import ColumnElement, Select

    from accord.commitments.domain import Commitment

log = logging.getLogger("accord.trust")
COMMITMENT = "commitment:"  # the start of a commitment event's subject
Pair = tuple[int, int]
CHUNK = 500
S = trust_state_table.c
P = trust_pairs_table.c
T = trust_tracks_table.c
M = trust_models_table.c
C = commitments_table.c
NEW_SUMS = tuple(f"new_{name}" for name in EVIDENCE_COLUMNS)
_PAIR_COLUMNS = ("requester_id", "performer_id", *EVIDENCE_COLUMNS)


class Fixed(NamedTuple):
    """Ids the upkeep of a commit's moves needs that no later commit changes (`look_up`):
    those of the commitments requested, by key, and of their teams, by slug."""

    commitment_ids: dict[str, int]
    team_ids: dict[str, int]


@dataclass
class StoredState:
    """The bookkeeping row of the stored sums. `half_life_days` is the half-life they were built
    with: the setting's at the last rebuild, which a start makes again when the setting differs
    (`service.ensure_built`); reads and the upkeep decay the sums with it."""

    reference: datetime
    half_life_days: float
    built: bool
    version: int
    latest_at: datetime | None
    org: list[float]
    overdue_through: datetime | None = None
    # how many open commitments due before `overdue_through`, their weights with / without notice
    overdue: tuple[int, float, float] = (0, 0.0, 0.0)
    # snapshots after this instant were dropped and are not made again yet
    snapshot_gap: datetime | None = None


def _ids_of(commitment: Commitment | None) -> tuple[int, int, int] | None:
    """A commitment's id and its requester's and performer's, if it has them all."""
    if commitment is None:
        return None
    key, requester, performer = commitment.id, commitment.requester.id, commitment.performer.id
    if key is None or requester is None or performer is None:
        return None
    return key, requester, performer


def _evidence(values: Iterable[Any]) -> Evidence:
    return Evidence(*(float(v or 0.0) for v in values))


def _track(row: Row[Any]) -> Track:
    return Track(
        key=row.key,
        requester=row.requester_id,
        performer=row.performer_id,
        state=row.state,
        due=row.due,
        reliance=row.reliance,
        notice=bool(row.notice),
        delivered_at=row.delivered_at,
        promised_at=row.promised_at,
    )


def track_row(
    track: Track,
    commitment_id: int,
    reference: datetime,
    half_life: float,
    counted: bool = False,
) -> dict[str, Any]:
    return {
        "commitment_id": commitment_id,
        "key": track.key,
        "requester_id": track.requester,
        "performer_id": track.performer,
        "state": track.state,
        "due": track.due,
        "due_weight": scaled_weight(track.due, reference, half_life),
        "notice": track.notice,
        "reliance": track.reliance,
        "delivered_at": track.delivered_at,
        "promised_at": track.promised_at,
        "counted": counted,
    }


def stored_state(row: Mapping[Any, Any]) -> StoredState:
    """The bookkeeping row of the stored sums (its columns by name), as `TrustStore.state` reads
    it and `org.repository.read_grant` reads it beside a token."""
    return StoredState(
        reference=row["reference"],
        half_life_days=float(row["half_life_days"]),
        built=bool(row["built"]),
        version=int(row["version"]),
        latest_at=row["latest_at"],
        org=[float(row[name]) for name in EVIDENCE_COLUMNS],
        overdue_through=row["overdue_through"],
        overdue=(
            int(row["overdue_count"] or 0),
            float(row["overdue_notice"] or 0.0),
            float(row["overdue_silent"] or 0.0),
        ),
        snapshot_gap=row["snapshot_gap"],
    )


@dataclass
class _KeptPairs:
    """The pairs' sums kept by `TrustStore.pairs_kept`: each pair asked for (None: it has no
    row), those that have a row, and those changed since the table was last written."""

    sums: dict[Pair, list[float] | None] = field(default_factory=dict)
    stored: set[Pair] = field(default_factory=set)
    changed: set[Pair] = field(default_factory=set)


class TrustStore:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.snapshots = SnapshotStore(session)
        self._kept: _KeptPairs | None = None

    @contextmanager
    def pairs_kept(self) -> Iterator[None]:
        """Inside, the pairs' sums that the upkeep reads and writes are kept here: each pair is
        read from the table once, and written to it once, on leaving, instead of at every
        commit (a bulk import's every batch touches most pairs again). The table is written
        first whenever something else reads or scales it (a read of sums, a snapshot, a
        rebase). What is kept is what is stored: a fold reads pairs only once it holds the
        trust state's row (`_locked_state`), which every other writer of the sums takes too (a
        rebuild as well), and the transaction holds it from its first batch to its commit.
        Left by an error, nothing kept is written: the transaction is to be rolled back."""
        if self._kept is not None:
            yield
            return
        self._kept = _KeptPairs()
        try:
            yield
            self._write_kept()
        finally:
            self._kept = None

    def _write_kept(self) -> None:
        """Write the kept pairs changed since the table was last written (`pairs_kept`)."""
        kept = self._kept
        if kept is None or not kept.changed:
            return
        changed: dict[Pair, list[float]] = {}
        for pair in kept.changed:
            sums = kept.sums[pair]
            assert sums is not None  # a changed pair has sums
            changed[pair] = sums
        self._store_pairs(changed, kept.stored & kept.changed)
        kept.stored |= kept.changed
        kept.changed = set()

    def state(self, *, for_update: bool = False) -> StoredState:
        row = self.session.execute(_state_query(for_update)).one()
        return stored_state(row._mapping)

    def look_up(
        self,
        events: Sequence[TeamCreated | CommitmentMoved],
        held: Callable[[str], Commitment | None] | None = None,
    ) -> Fixed:
        """The ids of the commitments these events request and of their teams, which `project`
        needs and no later commit changes: read before the log's head is locked, taken from the
        commitments the unit of work holds (`held`, by key) where it can."""
        fixed = Fixed({}, {})
        missing = []
        for e in events:
            if not isinstance(e, CommitmentRequested):
                continue
            ids = _ids_of(held(e.commitment) if held is not None else None)
            if ids is None:
                missing.append(e)
                continue
            fixed.commitment_ids[e.commitment] = ids[0]
            fixed.team_ids[e.requester], fixed.team_ids[e.performer] = ids[1], ids[2]
        if missing:
            slugs = {slug for e in missing for slug in (e.requester, e.performer)}
            fixed.commitment_ids.update(self.commitment_ids_of({e.commitment for e in missing}))
            fixed.team_ids.update(self._team_ids(slugs))
        return fixed

    def project(
        self,
        events: Sequence[TeamCreated | CommitmentMoved],
        now: datetime,
        fixed: Fixed | None = None,
    ) -> None:
        """Fold the moves of one commit into the stored sums (same transaction), in log order,
        and count the open commitments that fell due before `now`. `fixed`: what `look_up`
        read of these events (read here when not given)."""
        if any(isinstance(e, TeamCreated) for e in events):
            # a new team changes everyone's network reputation: readers key it on the version
            self.session.execute(
                update(trust_state_table).where(S.id == 1).values(version=S.version + 1)
            )
        moves = [e for e in events if isinstance(e, CommitmentMoved)]
        if not moves:
            return
        state, newest = self._locked_state()
        if not state.built:
            return
        self._snapshot(state, min(e.at for e in moves), newest)
        top = max(e.at for e in moves)
        if days_between(state.reference, top) / state.half_life_days > MAX_EXPONENT:
            self._rebase(state, top)
        # a commitment whose first move here is its request is new (keys are never reused, and a
        # commitment is never deleted): it has no track yet, so none is read for it
        first: dict[str, CommitmentMoved] = {}
        for e in moves:
            first.setdefault(e.commitment, e)
        keys = {k for k, e in first.items() if not isinstance(e, CommitmentRequested)}
        tracks, before = self._tracks(keys) if keys else ({}, {})
        known = set(tracks)
        requests = [e for e in moves if isinstance(e, CommitmentRequested)]
        ids, team_ids = fixed or self.look_up(requests)
        touched = {(t.requester, t.performer) for t in tracks.values()} | {
            (team_ids[e.requester], team_ids[e.performer])
            for e in requests
            if e.requester in team_ids and e.performer in team_ids
        }
        fold = Accumulator(
            state.reference,
            state.half_life_days,
            state.org,
            tracks,
            load_pair=self._pair_loader(touched),
        )
        fold.latest = state.latest_at
        for event in moves:
            key = event.commitment
            if not fold.apply(event.at, key, event.payload(), team_ids):
                log.warning("trust: no track for commitment %r; run `accord trust rebuild`", key)
                self.session.execute(update(trust_state_table).where(S.id == 1).values(built=False))
                return
        # the watermark only moves forward
        through = now if state.overdue_through is None else max(now, state.overdue_through)
        count, notice, silent = state.overdue
        counted: set[str] = set()
        for key, track in tracks.items():
            if key in before and before[key][0]:
                _, had_notice, weight = before[key]
                count -= 1
                notice, silent = (
                    (notice - weight, silent) if had_notice else (notice, silent - weight)
                )
            if track.state not in FINAL and track.committed and track.due < through:
                weight = scaled_weight(track.due, state.reference, state.half_life_days)
                count += 1
                notice, silent = (
                    (notice + weight, silent) if track.notice else (notice, silent + weight)
                )
                counted.add(key)
        self._write_tracks(tracks, known, ids, state, counted)
        swept = self._sweep(state.overdue_through, through)
        count, notice, silent = count + swept[0], notice + swept[1], silent + swept[2]
        self._write_pairs(fold.pairs, fold.stored_pairs)
        self.session.execute(
            _state_update(),
            {
                "new_version": state.version + 1,
                "new_latest_at": fold.latest,
                "new_overdue_through": through,
                "new_overdue_count": count,
                "new_overdue_notice": notice,
                "new_overdue_silent": silent,
                **dict(zip(NEW_SUMS, state.org, strict=True)),
            },
        )

    def snapshots_due(self) -> None:
        """Forget every snapshot but the empty one before the first move, and mark them to be
        made again from the log (at the next start, or by a rebuild): reads of the past fold
        the log from that first one until then."""
        first = self.snapshots.first_event_at()
        if first is None:
            return
        origin = boundary_before(first)
        self.snapshots.forget_after(origin)
        if self.snapshots.newest() is None:
            self.snapshots.write_origin(origin, self.state().half_life_days)
        self.session.execute(update(trust_state_table).where(S.id == 1).values(snapshot_gap=origin))

    def _locked_state(self) -> tuple[StoredState, datetime | None]:
        """The state row, locked until the commit, and the newest snapshot's instant.

        On SQLite a change holds the write lock from its BEGIN, so nothing changes between
        the two and one statement reads both. On PostgreSQL the lock may be waited for: in
        READ COMMITTED a statement that waited sees the locked row as committed meanwhile but
        reads the other tables as they were when it began, so the snapshots (which a rebuild
        or the start's remaking of them writes under this lock) are read after it."""
        if self.session.get_bind().dialect.name == "sqlite":
            row = self.session.execute(_moving_state_query()).one()
            return stored_state(row._mapping), row.newest_snapshot
        return self.state(for_update=True), self.snapshots.newest()

    def _snapshot(self, state: StoredState, earliest: datetime, newest: datetime | None) -> None:
        """Keep the snapshots before this commit's moves (at `earliest` and after): drop those
        after a move told about the past, and write the boundary that ends the last period with
        moves once a later period's first move arrives (the sums hold exactly the periods
        before). `newest`: the newest snapshot's instant, read with the state."""
        if newest is not None and earliest < newest:
            self.snapshots.forget_after(earliest)
            newest = self.snapshots.newest()
            gap = earliest if state.snapshot_gap is None else min(earliest, state.snapshot_gap)
            self.session.execute(
                update(trust_state_table).where(S.id == 1).values(snapshot_gap=gap)
            )
        if state.latest_at is None:
            if newest is None:
                self.snapshots.write_origin(boundary_before(earliest), state.half_life_days)
            return
        boundary = boundary_after(state.latest_at)
        if newest is not None and newest < boundary <= earliest:
            self._write_kept()  # the snapshot copies the table's sums
            self.snapshots.write(boundary, newest, state.reference, state.half_life_days, state.org)

    def _sweep(self, since: datetime | None, through: datetime) -> tuple[int, float, float]:
        """Count the untouched open commitments that fell due in [since, through)."""
        count, notice, silent = 0, 0.0, 0.0
        bounds = {"through": through} if since is None else {"through": through, "since": since}
        found = self.session.execute(_sweep_query(since is not None), bounds)
        for has_notice, number, weight in found:
            count += int(number)
            if has_notice:
                notice += float(weight or 0.0)
            else:
                silent += float(weight or 0.0)
        if count:  # the same commitments marked counted
            self.session.execute(_sweep_update(since is not None), bounds)
        return count, notice, silent

    def _write_tracks(
        self,
        tracks: dict[str, Track],
        known: set[str],
        ids: dict[str, int],
        state: StoredState,
        counted: set[str],
    ) -> None:
        gone = [key for key, track in tracks.items() if key in known and track.state in FINAL]
        for chunk in _chunks(gone):
            self.session.execute(delete(trust_tracks_table).where(T.key.in_(chunk)))
        rows = [
            track_row(track, ids[key], state.reference, state.half_life_days, key in counted)
            for key, track in tracks.items()
            if key not in known and track.state not in FINAL
        ]
        if rows:
            self.session.execute(_tracks_insert(), rows)
        changed = [
            track_row(track, 0, state.reference, state.half_life_days, key in counted)
            for key, track in tracks.items()
            if key in known and track.state not in FINAL
        ]
        if changed:
            for row in changed:
                row["k"] = row.pop("key")
                del row["commitment_id"], row["requester_id"], row["performer_id"]
            self.session.execute(
                _track_update(), changed, execution_options={"synchronize_session": False}
            )

    def _tracks(
        self, keys: set[str]
    ) -> tuple[dict[str, Track], dict[str, tuple[bool, bool, float]]]:
        """The tracks of `keys`, and for each whether it was counted overdue, with its notice
        and weight then."""
        found: dict[str, Track] = {}
        before: dict[str, tuple[bool, bool, float]] = {}
        for chunk in _chunks(sorted(keys)):
            for row in self.session.execute(_tracks_query(), {"keys": chunk}):
                found[row.key] = _track(row)
                before[row.key] = (bool(row.counted), bool(row.notice), float(row.due_weight))
        return found, before

    def commitment_ids_of(self, keys: set[str]) -> dict[str, int]:
        return self._ids(commitments_table.c.key, commitments_table.c.id, keys)

    def _team_ids(self, slugs: set[str]) -> dict[str, int]:
        return self._ids(teams_table.c.slug, teams_table.c.id, slugs)

    def _ids(self, name: Any, id_: Any, values: set[str]) -> dict[str, int]:
        """{value: id} of the rows whose `name` column is one of `values`, asked in chunks."""
        found: dict[str, int] = {}
        for chunk in _chunks(sorted(values)):
            for value, row_id in self.session.execute(select(name, id_).where(name.in_(chunk))):
                found[value] = int(row_id)
        return found

    def _pair_loader(self, pairs: set[Any]) -> Callable[[Any], list[float] | None]:
        """The stored sums of a pair, asked for as a fold needs them: the first question reads
        those of every pair in `pairs` (all a commit's moves can touch) in one go."""
        loaded: dict[Pair, list[float]] | None = None

        def load(pair: Any) -> list[float] | None:
            nonlocal loaded
            if loaded is None:
                loaded = self._pairs(pairs)
            return loaded.get(pair)

        return load

    def _pairs(self, pairs: set[Pair]) -> dict[Pair, list[float]]:
        """The sums of those of `pairs` that have any: kept ones from memory (`pairs_kept`,
        each a copy, which the fold adds to), the others read."""
        kept = self._kept
        if kept is None:
            return self._read_pairs(pairs)
        unknown = {pair for pair in pairs if pair not in kept.sums}
        if unknown:
            found = self._read_pairs(unknown)
            kept.stored.update(found)
            for pair in unknown:
                kept.sums[pair] = found.get(pair)
        return {pair: list(sums) for pair in pairs if (sums := kept.sums[pair]) is not None}

    def _read_pairs(self, pairs: set[Pair]) -> dict[Pair, list[float]]:
        """The stored sums of those of `pairs` that have a row, a chunk of pairs a query: only
        the pairs asked for are read. (Asking for the pairs' requesters and performers instead
        reads every pair between them: an import's batch touches most teams, and read most of
        the table each time.)"""
        found: dict[Pair, list[float]] = {}
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        for chunk in _chunks(sorted(pairs)):
            if postgresql:
                rows = self.session.execute(
                    _pairs_joined(),
                    {"r": [r for r, _ in chunk], "p": [p for _, p in chunk]},
                )
            else:
                requesters = sorted({requester for requester, _ in chunk})
                rows = self.session.execute(
                    _pairs_query(), {"requesters": requesters, "pairs": list(chunk)}
                )
            for row in rows:
                found[(int(row[0]), int(row[1]))] = [float(v) for v in row[2:]]
        return found

    def _write_pairs(self, pairs: dict[Any, list[float]], stored: set[Any]) -> None:
        """The sums of the pairs a fold touched (`stored`: those read from the table), kept
        for later (`pairs_kept`) or written now."""
        kept = self._kept
        if kept is None:
            self._store_pairs(pairs, stored)
            return
        for pair, sums in pairs.items():
            kept.sums[pair] = list(sums)
        kept.changed.update(pairs)

    def _store_pairs(self, pairs: dict[Any, list[float]], stored: set[Any]) -> None:
        """The sums of `pairs` written: the `stored` ones updated by one statement run for every
        row, the others inserted in one go (`insert_rows`)."""
        changed = [
            {"r": pair[0], "p": pair[1], **dict(zip(NEW_SUMS, sums, strict=True))}
            for pair, sums in pairs.items()
            if pair in stored
        ]
        if changed:
            self.session.execute(_pair_update(), changed)
        new = [(*pair, *sums) for pair, sums in pairs.items() if pair not in stored]
        insert_rows(self.session, trust_pairs_table, _PAIR_COLUMNS, new)

    def _rebase(self, state: StoredState, reference: datetime) -> None:
        """Move the reference time forward, scaling every stored sum to match (rare)."""
        factor = 2.0 ** (-days_between(state.reference, reference) / state.half_life_days)
        self._write_kept()
        if self._kept is not None:
            self._kept.sums.clear()  # scaled in the table: read again
        self.session.execute(
            update(trust_pairs_table).values(
                **{name: P[name] * factor for name in EVIDENCE_COLUMNS}
            )
        )
        self.session.execute(update(trust_tracks_table).values(due_weight=T.due_weight * factor))
        state.org = [value * factor for value in state.org]
        count, notice, silent = state.overdue
        state.overdue = (count, notice * factor, silent * factor)
        state.reference = reference
        self.session.execute(update(trust_state_table).where(S.id == 1).values(reference=reference))

    def replace(
        self,
        *,
        reference: datetime,
        half_life_days: float,
        org: Evidence,
        pairs: dict[Pair, Evidence],
        tracks: Sequence[Track],
        latest_at: datetime | None,
        overdue_through: datetime,
    ) -> None:
        """Replace every stored sum (a rebuild), marking the store built; the open commitments
        due before `overdue_through` are counted as overdue."""
        ids = self.commitment_ids_of({track.key for track in tracks})
        track_rows = [track_row(t, ids[t.key], reference, half_life_days) for t in tracks]
        count, notice, silent = 0, 0.0, 0.0
        for row in track_rows:
            row["counted"] = row["state"] in COMMITTED and row["due"] < overdue_through
            if row["counted"]:
                count += 1
                if row["notice"]:
                    notice += row["due_weight"]
                else:
                    silent += row["due_weight"]
        self.session.execute(delete(trust_tracks_table))
        self.session.execute(delete(trust_pairs_table))
        if self._kept is not None:
            self._kept = _KeptPairs()
        pair_rows = [
            {
                "requester_id": r,
                "performer_id": p,
                **dict(zip(EVIDENCE_COLUMNS, e.as_tuple(), strict=True)),
            }
            for (r, p), e in pairs.items()
        ]
        for chunk in _chunks(pair_rows, 5000):
            self.session.execute(insert(trust_pairs_table), chunk)
        for chunk in _chunks(track_rows, 5000):
            self.session.execute(insert(trust_tracks_table), chunk)
        version = self.session.scalar(select(S.version).where(S.id == 1)) or 0
        self.session.execute(
            update(trust_state_table)
            .where(S.id == 1)
            .values(
                reference=reference,
                half_life_days=half_life_days,
                built=True,
                version=int(version) + 1,
                latest_at=latest_at,
                overdue_through=overdue_through,
                overdue_count=count,
                overdue_notice=notice,
                overdue_silent=silent,
                **dict(zip(EVIDENCE_COLUMNS, org.as_tuple(), strict=True)),
            )
        )

    def sums(
        self,
        moment: datetime,
        state: StoredState,
        *,
        requester: int | None = None,
        performer: int | None = None,
        parts: Iterable[str] = (),
        org: bool = True,
    ) -> Sums:
        """The stored and the overdue evidence at `moment` of the `parts` asked for ("pair",
        "team": the performer's, "requester": all of the requester's commitments) and of the
        organization (with `org`), in one query: the same queries as one by one, and the same
        arithmetic on their rows."""
        self._write_kept()
        wanted = set(parts)
        asked = tuple(part for part in SUM_PARTS if part in wanted)
        assert performer is not None or not wanted & {"pair", "team"}
        assert requester is not None or not wanted & {"pair", "requester"}
        since = state.overdue_through
        later = since is not None and moment >= since
        org_rows = ("since" if since is not None else "all") if org else None
        params: dict[str, Any] = {"moment": moment, "requester": requester, "performer": performer}
        if since is not None:
            params["low"], params["high"] = (since, moment) if later else (moment, since)
        rows: dict[int, list[Any]] = {}
        for row in _sums_read(asked, org_rows).rows(self.session, params):
            rows.setdefault(row.part, []).append(row)
        found: dict[str, tuple[Evidence, Evidence]] = {}
        for part in asked:
            code = SUM_PARTS.index(part) * 2
            stored = _evidence(rows[code][0][3:]) if code in rows else Evidence()
            overdue = _overdue_of((r.notice, r.n, r.v0) for r in rows.get(code + 1, []))[0]
            found[part] = (stored, overdue)
        org_sums = None
        if org_rows is not None:
            counted = [(r.notice, r.n, r.v0) for r in rows.get(ORG_PART, [])]
            org_sums = (
                _org_since(state, later, counted) if since is not None else _overdue_of(counted)
            )
        return Sums(found.get("pair"), found.get("team"), found.get("requester"), org_sums)

    def overdue_counted(
        self, moment: datetime, *, performer: int | None = None, requester: int | None = None
    ) -> tuple[Evidence, tuple[int, float]]:
        """The overdue evidence, and (how many, total weight): what the network depends on."""
        query = _overdue_arm(None, T.due < moment)
        if performer is not None:
            query = query.where(T.performer_id == performer)
        if requester is not None:
            query = query.where(T.requester_id == requester)
        return _overdue_of((r.notice, r.n, r.v0) for r in self.session.execute(query))

    def org_overdue(
        self, moment: datetime, state: StoredState
    ) -> tuple[Evidence, tuple[int, float]]:
        """Overdue evidence of the whole organization at `moment`: the counted sums, plus what
        fell due since the watermark (or minus what falls due between `moment` and it)."""
        found = self.sums(moment, state).org
        assert found is not None
        return found

    def local_trust(self, moment: datetime) -> Iterator[tuple[int, int, float]]:
        """(requester, performer, r - s) of ability and integrity, scaled, for EigenTrust."""
        self._write_kept()
        overdue: dict[Pair, float] = {}
        query = (
            select(T.requester_id, T.performer_id, T.notice, func.sum(T.due_weight))
            .where(T.due < moment, T.state.in_(sorted(COMMITTED)))
            .group_by(T.requester_id, T.performer_id, T.notice)
        )
        for requester, performer, notice, weight in self.session.execute(query):
            # an overdue commitment is negative ability, and negative integrity without notice
            delta = 0.0 if notice else -2.0 * float(weight)
            overdue[(requester, performer)] = overdue.get((requester, performer), 0.0) + delta
        rows = self.session.execute(
            select(
                P.requester_id,
                P.performer_id,
                P.ability_r + P.integrity_r - P.ability_s - P.integrity_s,
            )
        )
        for requester, performer, local in rows:
            yield requester, performer, float(local) + overdue.pop((requester, performer), 0.0)
        for (requester, performer), local in overdue.items():
            yield requester, performer, local

    def given(self, requester: int, performer: int) -> list[str]:
        """The reliance of each open commitment of the pair."""
        return list(
            self.session.scalars(
                select(T.reliance).where(T.performer_id == performer, T.requester_id == requester)
            )
        )

    def team_ids(self) -> list[int]:
        t = teams_table.c
        return [int(i) for i in self.session.scalars(select(t.id).order_by(t.id))]

    def count_commitment_events(self) -> int:
        e = events_table.c
        return int(
            self.session.scalar(select(func.count()).where(commitment_subject(e.subject))) or 0
        )

    def latest_commitment_event_at(self) -> datetime | None:
        """The instant of the latest commitment event, None when there is none."""
        e = events_table.c
        latest: datetime | None = self.session.scalar(
            select(func.max(e.at)).where(commitment_subject(e.subject))
        )
        return latest

    def pair_commitments(self, requester: int, performer: int) -> dict[str, str]:
        """{key: title} of every commitment with this requester and performer."""
        c = commitments_table.c
        rows = self.session.execute(
            select(c.key, c.title).where(c.requester_id == requester, c.performer_id == performer)
        )
        return {row.key: row.title for row in rows}

    def events_of(
        self, keys: Iterable[str], *, upto: datetime | None = None
    ) -> list[tuple[datetime, str, dict[str, Any]]]:
        """The events (at, subject, payload) of the commitments `keys`, in log order."""
        e = events_table.c
        found: list[tuple[int, datetime, str, dict[str, Any]]] = []
        subjects = sorted(SUBJECT_PREFIX + key for key in keys)
        for chunk in _chunks(subjects):
            query = select(e.id, e.at, e.subject, e.payload).where(e.subject.in_(chunk))
            if upto is not None:
                query = query.where(e.at <= upto)
            found.extend(
                (row.id, row.at, row.subject, row.payload) for row in self.session.execute(query)
            )
        found.sort(key=lambda event: event[0])
        return [(at, subject, payload) for _, at, subject, payload in found]

    def commitment_moves(
        self, *, batch: int = 20_000
    ) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
        """Every commitment event as `commitment_events` reads it, its payload cut down to the
        parts a track reads (domain.TRACK_FIELDS), picked out by the database: a log of
        millions of moves reads in about half the time, titles and notes left unparsed."""
        e = events_table.c
        picked = [
            e.payload[path[0] if len(path) == 1 else path].as_string()
            if path[-1] != "value"
            else e.payload[path].as_integer()
            for path in TRACK_FIELDS
        ]
        after = 0
        while True:
            query = (
                select(e.id, e.at, e.subject, *picked)
                .where(e.id > after, commitment_subject(e.subject))
                .order_by(e.id)
                .limit(batch)
            )
            rows = self.session.execute(query).all()
            if not rows:
                return
            for row in rows:
                payload: dict[str, Any] = {}
                for path, value in zip(TRACK_FIELDS, row[3:], strict=True):
                    if value is None:
                        continue
                    if len(path) == 1:
                        payload[path[0]] = value
                    else:
                        payload.setdefault(path[0], {})[path[1]] = value
                yield row.at, row.subject, payload
            after = rows[-1].id

    def commitment_events(
        self, *, upto: datetime | None = None, batch: int = 20_000
    ) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
        """Every commitment event (at, subject, payload) in log order, read in batches."""
        e = events_table.c
        after = 0
        while True:
            query = (
                select(e.id, e.at, e.subject, e.payload)
                .where(
                    e.id > after,
                    commitment_subject(e.subject),
                )
                .order_by(e.id)
                .limit(batch)
            )
            if upto is not None:
                query = query.where(e.at <= upto)
            rows = self.session.execute(query).all()
            if not rows:
                return
            for row in rows:
                yield row.at, row.subject, row.payload
            after = rows[-1].id

    def commitment_events_by_time(
        self, *, batch: int = 20_000
    ) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
        """Every commitment event (at, subject, payload) in time order, the events of one
        instant in log order (as a stable sort of the log by time orders them), streamed from
        one query `batch` rows at a time: memory holds a batch whatever the log's length (an
        imported history is in the log commitment by commitment, not in time order). The
        subject is tested as text, not as a range of its index, so that SQLite walks the index
        of times instead of sorting every commitment event."""
        e = events_table.c
        query = (
            select(e.at, e.subject, e.payload)
            .where(func.substr(e.subject, 1, len(COMMITMENT)) == COMMITMENT)
            .order_by(e.at, e.id)
        )
        for row in self.session.execute(query, execution_options={"yield_per": batch}):
            yield row.at, row.subject, row.payload


@functools.cache
def _pairs_query() -> Any:
    """The stored sums of a list of pairs (SQLite): the requesters are named too, so that the
    key's index finds each requester's few rows and only those are checked against the list."""
    columns = (P.requester_id, P.performer_id, *(P[n] for n in EVIDENCE_COLUMNS))
    return select(*columns).where(
        P.requester_id.in_(bindparam("requesters", expanding=True)),
        tuple_(P.requester_id, P.performer_id).in_(bindparam("pairs", expanding=True)),
    )


@functools.cache
def _pairs_joined() -> Any:
    """The stored sums of a list of pairs (PostgreSQL): the pairs, as two arrays, joined to the
    table by its key. (PostgreSQL checks a list of pairs as one condition per pair on every row
    it reads: 30 ms for 500 pairs at 100,000 rows, against 2-4 ms joined.)"""
    wanted = (
        func.unnest(bindparam("r", type_=ARRAY(Integer)), bindparam("p", type_=ARRAY(Integer)))
        .table_valued("r", "p")
        .render_derived(name="wanted")
    )
    columns = (P.requester_id, P.performer_id, *(P[n] for n in EVIDENCE_COLUMNS))
    return select(*columns).join_from(
        wanted,
        trust_pairs_table,
        and_(P.requester_id == wanted.c.r, P.performer_id == wanted.c.p),
    )


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Sums:
    """One read of the stored sums: (stored, overdue) evidence of each part asked for, and the
    organization's overdue evidence with (how many, total weight)."""

    pair: tuple[Evidence, Evidence] | None
    team: tuple[Evidence, Evidence] | None
    requester: tuple[Evidence, Evidence] | None
    org: tuple[Evidence, tuple[int, float]] | None


# The parts of one combined read; part i's stored sums are rows tagged 2i, its overdue 2i + 1.
SUM_PARTS = ("pair", "team", "requester")
ORG_PART = 2 * len(SUM_PARTS)


def _overdue_of(rows: Iterable[tuple[Any, Any, Any]]) -> tuple[Evidence, tuple[int, float]]:
    """(notice, how many, total weight) rows of overdue commitments as evidence, and the count
    and weight: always a failure of ability; of integrity only without notice."""
    total = Evidence()
    count, weights = 0, 0.0
    for notice, number, weight in rows:
        w = float(weight or 0.0)
        count, weights = count + int(number), weights + w
        total = total + (Evidence(0.0, w, w, 0.0) if notice else Evidence(0.0, w, 0.0, w))
    return total, (count, weights)


def _org_since(
    state: StoredState, later: bool, rows: Iterable[tuple[Any, Any, Any]]
) -> tuple[Evidence, tuple[int, float]]:
    """The counted overdue sums, plus the rows that fell due since the watermark (`later`), or
    minus those that fall due between the instant asked and it."""
    count, notice, silent = state.overdue
    sign = 1 if later else -1
    for has_notice, number, weight in rows:
        count += sign * int(number)
        if has_notice:
            notice += sign * float(weight or 0.0)
        else:
            silent += sign * float(weight or 0.0)
    evidence = Evidence(0.0, notice + silent, notice, silent, 0.0, 0.0)
    return evidence, (count, notice + silent)


# Statements are built once, with parameters: building one costs more than running it.
@functools.cache
def _state_query(for_update: bool = False) -> Select[Any]:
    query = select(trust_state_table).where(S.id == 1)
    return query.with_for_update() if for_update else query


@functools.cache
def _tracks_query() -> Select[Any]:
    """The tracks of the keys in parameter `keys`."""
    return select(trust_tracks_table).where(T.key.in_(bindparam("keys", expanding=True)))


@functools.cache
def _tracks_insert() -> Any:
    return insert(trust_tracks_table)


@functools.cache
def _track_update() -> Any:
    """A track's changed columns, by its key in parameter `k`."""
    return update(trust_tracks_table).where(T.key == bindparam("k"))


@functools.cache
def _moving_state_query() -> Select[Any]:
    """The state row with the newest snapshot's instant (`newest_snapshot`, None when there is
    none): one statement, for SQLite (`TrustStore._locked_state`)."""
    newest = select(func.max(trust_snapshots_table.c.at)).scalar_subquery()
    return select(trust_state_table, newest.label("newest_snapshot")).where(S.id == 1)


# What the upkeep writes of the state row after each commit, as parameters "new_<column>".
_STATE_WRITTEN = (
    "version",
    "latest_at",
    "overdue_through",
    "overdue_count",
    "overdue_notice",
    "overdue_silent",
    *EVIDENCE_COLUMNS,
)


def _swept(bounded: bool) -> list[ColumnElement[bool]]:
    """The open commitments not yet counted that fell due before parameter `through` (and, if
    `bounded`, at or after parameter `since`): what `_sweep` counts and then marks."""
    where = [one_of(T.state, COMMITTED), T.due < bindparam("through"), T.counted.isnot(True)]
    if bounded:
        where.append(T.due >= bindparam("since"))
    return where


@functools.cache
def _sweep_query(bounded: bool) -> Select[Any]:
    query = select(T.notice, func.count(), func.sum(T.due_weight)).where(*_swept(bounded))
    return query.group_by(T.notice)


@functools.cache
def _sweep_update(bounded: bool) -> Any:
    return update(trust_tracks_table).where(*_swept(bounded)).values(counted=True)


@functools.cache
def _state_update() -> Any:
    return (
        update(trust_state_table)
        .where(S.id == 1)
        .values({name: bindparam(f"new_{name}") for name in _STATE_WRITTEN})
    )


@functools.cache
def _pair_update() -> Any:
    """The update of one pair's sums: parameters r, p and each evidence column's, prefixed
    with "new_" (a parameter may not take a column's name)."""
    return (
        update(trust_pairs_table)
        .where(P.requester_id == bindparam("r"), P.performer_id == bindparam("p"))
        .values(
            {name: bindparam(new) for name, new in zip(EVIDENCE_COLUMNS, NEW_SUMS, strict=True)}
        )
    )


def one_of(column: ColumnElement[Any], constants: Iterable[str]) -> ColumnElement[bool]:
    """`column IN (...)` with the constants written into the statement: an IN of parameters
    is expanded anew at every execution of a statement built once."""
    assert all(value.isidentifier() for value in constants)
    return column.in_([literal_column(f"'{value}'") for value in sorted(constants)])


def _tag(part: int | None) -> ColumnElement[Any]:
    return literal_column(str(-1 if part is None else part)).label("part")


def _sums_arm(part: int, *where: ColumnElement[bool]) -> Select[Any]:
    """The stored evidence of the pairs `where` picks, summed: one row."""
    return select(
        _tag(part),
        cast(null(), Boolean).label("notice"),
        func.count().label("n"),
        *(func.sum(P[name]).label(f"v{i}") for i, name in enumerate(EVIDENCE_COLUMNS)),
    ).where(*where)


def _overdue_arm(part: int | None, *where: ColumnElement[bool]) -> Select[Any]:
    """How many promised commitments `where` picks, and their weight, with and without
    notice (in the columns of `_sums_arm`, so that both make one query)."""
    return (
        select(
            _tag(part),
            T.notice.label("notice"),
            func.count().label("n"),
            func.sum(T.due_weight).label("v0"),
            *(cast(null(), Float).label(f"v{i}") for i in range(1, len(EVIDENCE_COLUMNS))),
        )
        .where(one_of(T.state, COMMITTED), *where)
        .group_by(T.notice)
    )


@functools.cache
def _sums_read(parts: tuple[str, ...], org: str | None) -> DirectRead:
    """`_sums_query`, read straight on the driver (`DirectRead`): the hottest read of trust."""
    return DirectRead(_sums_query(parts, org))


@functools.cache
def _sums_query(parts: tuple[str, ...], org: str | None) -> Any:
    """`TrustStore.sums`' query: its parameters are moment, requester, performer, low, high."""
    moment: BindParameter[Any] = bindparam("moment")
    requester: BindParameter[Any] = bindparam("requester")
    performer: BindParameter[Any] = bindparam("performer")
    pairs = {
        "pair": (P.requester_id == requester, P.performer_id == performer),
        "team": (P.performer_id == performer,),
        "requester": (P.requester_id == requester,),
    }
    tracks = {
        "pair": (T.performer_id == performer, T.requester_id == requester),
        "team": (T.performer_id == performer,),
        "requester": (T.requester_id == requester,),
    }
    arms = []
    for part in parts:
        code = SUM_PARTS.index(part) * 2
        arms.append(_sums_arm(code, *pairs[part]))
        arms.append(_overdue_arm(code + 1, T.due < moment, *tracks[part]))
    if org == "since":
        arms.append(_overdue_arm(ORG_PART, T.due >= bindparam("low"), T.due < bindparam("high")))
    elif org == "all":
        arms.append(_overdue_arm(ORG_PART, T.due < moment))
    return arms[0] if len(arms) == 1 else union_all(*arms)
