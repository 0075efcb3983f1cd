"""Stored trust: the upkeep that folds each commit's events into the sums, and the reads.

Never commits. Sums are scaled to `trust_state.reference`: a read multiplies them by
2 ** (-(T - reference) / H), which makes decay exact without touching old rows.

Longer than most modules on purpose: the upkeep, the rebuild's replace and the reads of the
same three tables share their bookkeeping (the overdue watermark, rebasing), and they must
agree to the last bit; split, they would drift apart.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from accord.commitments.orm import commitments_table
from accord.events.orm import events_table
from accord.org.orm import teams_table
from accord.trust.domain import (
    COMMITTED,
    FINAL,
    SUBJECT_PREFIX,
    Accumulator,
    Track,
    commitment_key,
)
from accord.trust.model import MAX_EXPONENT, Evidence, days_between, scaled_weight
from accord.trust.orm import (
    EVIDENCE_COLUMNS,
    trust_models_table,
    trust_pairs_table,
    trust_state_table,
    trust_tracks_table,
)

if TYPE_CHECKING:
    from accord.events.domain import Event

log = logging.getLogger("accord.trust")
Pair = tuple[int, int]
CHUNK = 500
S = trust_state_table.c
P = trust_pairs_table.c
T = trust_tracks_table.c
M = trust_models_table.c
C = commitments_table.c


@dataclass
class StoredState:
    reference: datetime
    half_life_days: float
    built: bool
    version: int
    latest_at: datetime | None
    org: list[float]
    overdue_through: datetime | None = None
    # how many open commitments due before `overdue_through`, their weights with / without notice
    overdue: tuple[int, float, float] = (0, 0.0, 0.0)


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


class TrustStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def state(self, *, for_update: bool = False) -> StoredState:
        query = select(trust_state_table).where(S.id == 1)
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).one()
        return StoredState(
            reference=row.reference,
            half_life_days=float(row.half_life_days),
            built=bool(row.built),
            version=int(row.version),
            latest_at=row.latest_at,
            org=[float(getattr(row, name)) for name in EVIDENCE_COLUMNS],
            overdue_through=row.overdue_through,
            overdue=(
                int(row.overdue_count or 0),
                float(row.overdue_notice or 0.0),
                float(row.overdue_silent or 0.0),
            ),
        )

    def project(self, events: Sequence[Event], now: datetime) -> None:
        """Fold the commitment events of one commit into the stored sums (same transaction),
        and count the open commitments that fell due before `now`."""
        if any(e.type == "team.created" for e in events):
            # a new team changes everyone's network reputation: readers key it on the version
            self.session.execute(
                update(trust_state_table).where(S.id == 1).values(version=S.version + 1)
            )
        moves = [
            (e, key) for e in events if (key := commitment_key(e.subject)) and "move" in e.payload
        ]
        if not moves:
            return
        state = self.state(for_update=True)
        if not state.built:
            return
        top = max(e.at for e, _ in moves)
        if days_between(state.reference, top) / state.half_life_days > MAX_EXPONENT:
            self._rebase(state, top)
        keys = {key for _, key in moves}
        tracks, before = self._tracks(keys)
        known = set(tracks)
        new_keys = {key for e, key in moves if e.payload["move"] == "request"}
        ids = self.commitment_ids_of(new_keys) if new_keys else {}
        slugs = {
            e.payload[side]
            for e, _ in moves
            if e.payload["move"] == "request"
            for side in ("requester", "performer")
        }
        team_ids = self._team_ids(slugs) if slugs else {}
        fold = Accumulator(
            state.reference, state.half_life_days, state.org, tracks, load_pair=self._pair
        )
        fold.latest = state.latest_at
        for event, key in moves:
            if not fold.apply(event.at, key, event.payload, team_ids):
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
        for pair, sums in fold.pairs.items():
            values = dict(zip(EVIDENCE_COLUMNS, sums, strict=True))
            if pair in fold.stored_pairs:
                self.session.execute(
                    update(trust_pairs_table)
                    .where(P.requester_id == pair[0], P.performer_id == pair[1])
                    .values(**values)
                )
            else:
                self.session.execute(
                    insert(trust_pairs_table).values(
                        requester_id=pair[0], performer_id=pair[1], **values
                    )
                )
        self.session.execute(
            update(trust_state_table)
            .where(S.id == 1)
            .values(
                version=state.version + 1,
                latest_at=fold.latest,
                overdue_through=through,
                overdue_count=count,
                overdue_notice=notice,
                overdue_silent=silent,
                **dict(zip(EVIDENCE_COLUMNS, state.org, strict=True)),
            )
        )

    def _sweep(self, since: datetime | None, through: datetime) -> tuple[int, float, float]:
        """Count the untouched open commitments that fell due in [since, through)."""
        where = [T.state.in_(sorted(COMMITTED)), T.due < through, T.counted.isnot(True)]
        if since is not None:
            where.append(T.due >= since)
        count, notice, silent = 0, 0.0, 0.0
        query = select(T.notice, func.count(), func.sum(T.due_weight)).where(*where)
        for has_notice, number, weight in self.session.execute(query.group_by(T.notice)):
            count += int(number)
            if has_notice:
                notice += float(weight or 0.0)
            else:
                silent += float(weight or 0.0)
        if count:
            self.session.execute(update(trust_tracks_table).where(*where).values(counted=True))
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
            self.session.execute(insert(trust_tracks_table), rows)
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
                update(trust_tracks_table).where(T.key == bindparam("k")),
                changed,
                execution_options={"synchronize_session": False},
            )

    def _tracks(
        self, keys: set[str]
    ) -> tuple[dict[str, Track], dict[str, tuple[bool, bool, float]]]:
        """The tracks of `keys`, and for each whether it was counted overdue, with its notice
        and weight then."""
        found: dict[str, Track] = {}
        before: dict[str, tuple[bool, bool, float]] = {}
        for chunk in _chunks(sorted(keys)):
            for row in self.session.execute(select(trust_tracks_table).where(T.key.in_(chunk))):
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

    def _pair(self, pair: tuple[int | str, int | str]) -> list[float] | None:
        row = self.session.execute(
            select(*(P[name] for name in EVIDENCE_COLUMNS)).where(
                P.requester_id == pair[0], P.performer_id == pair[1]
            )
        ).first()
        return [float(v) for v in row] if row is not None else None

    def _rebase(self, state: StoredState, reference: datetime) -> None:
        """Move the reference time forward, scaling every stored sum to match (rare)."""
        factor = 2.0 ** (-days_between(state.reference, reference) / state.half_life_days)
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

    def pair_sums(self, requester: int, performer: int) -> Evidence:
        row = self._pair((requester, performer))
        return Evidence(*row) if row else Evidence()

    def requester_sums(self, requester: int) -> Evidence:
        row = self.session.execute(
            select(*(func.sum(P[name]) for name in EVIDENCE_COLUMNS)).where(
                P.requester_id == requester
            )
        ).one()
        return _evidence(row)

    def team_sums(self, performer: int) -> Evidence:
        row = self.session.execute(
            select(*(func.sum(P[name]) for name in EVIDENCE_COLUMNS)).where(
                P.performer_id == performer
            )
        ).one()
        return _evidence(row)

    def overdue(
        self, moment: datetime, *, performer: int | None = None, requester: int | None = None
    ) -> Evidence:
        """Scaled evidence of the open commitments overdue at `moment` (counted at their due)."""
        return self.overdue_counted(moment, performer=performer, requester=requester)[0]

    def overdue_counted(
        self, moment: datetime, *, performer: int | None = None, requester: int | None = None
    ) -> tuple[Evidence, tuple[int, float]]:
        """The overdue evidence, and (how many, total weight): what the network depends on."""
        query = (
            select(T.notice, func.count(), func.sum(T.due_weight))
            .where(T.due < moment, T.state.in_(sorted(COMMITTED)))
            .group_by(T.notice)
        )
        if performer is not None:
            query = query.where(T.performer_id == performer)
        if requester is not None:
            query = query.where(T.requester_id == requester)
        total = Evidence()
        count, weights = 0, 0.0
        for notice, number, weight in self.session.execute(query):
            w = float(weight or 0.0)
            count, weights = count + int(number), weights + w
            # always a failure of ability; of integrity only without notice
            total = total + (Evidence(0.0, w, w, 0.0) if notice else Evidence(0.0, w, 0.0, w))
        return total, (count, weights)

    def org_overdue(
        self, moment: datetime, state: StoredState
    ) -> tuple[Evidence, tuple[int, float]]:
        """Overdue evidence of the whole organization at `moment`: the counted sums, plus what
        fell due since the watermark (or minus what falls due between `moment` and it)."""
        if state.overdue_through is None:
            return self.overdue_counted(moment)
        count, notice, silent = state.overdue
        later = moment >= state.overdue_through
        low, high = (state.overdue_through, moment) if later else (moment, state.overdue_through)
        query = (
            select(T.notice, func.count(), func.sum(T.due_weight))
            .where(T.state.in_(sorted(COMMITTED)), T.due >= low, T.due < high)
            .group_by(T.notice)
        )
        sign = 1 if later else -1
        for has_notice, number, weight in self.session.execute(query):
            count += sign * int(number)
            if has_notice:
                notice += sign * float(weight or 0.0)
            else:
                silent += sign * float(weight or 0.0)
        evidence = Evidence(0.0, notice + silent, notice, silent, 0.0, 0.0)
        return evidence, (count, notice + silent)

    def local_trust(self, moment: datetime) -> Iterator[tuple[int, int, float]]:
        """(requester, performer, r - s) of ability and integrity, scaled, for EigenTrust."""
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
            self.session.scalar(
                select(func.count()).where(e.subject >= "commitment:", e.subject < "commitment;")
            )
            or 0
        )

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
                    and_(e.subject >= "commitment:", e.subject < "commitment;"),
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


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
