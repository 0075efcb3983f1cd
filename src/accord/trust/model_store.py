"""Stored forecast models, and what a live forecast reads beside the stored sums: the
newest model's version, the performer's open work and recent outcomes, a commitment's moves,
all in one query. Never commits."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    null,
    select,
)
from sqlalchemy import literal_column as constant
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import TypeEngine

if TYPE_CHECKING:
    from sqlalchemy import Select

from accord.commitments.domain import Commitment
from accord.commitments.orm import commitments_table
from accord.db import JSONType, KeyCache, UTCDateTime
from accord.errors import NotFound
from accord.events.orm import events_table
from accord.trust.domain import COMMITTED, FINISHED, SUBJECT_PREFIX
from accord.trust.features import recent_counts
from accord.trust.orm import trust_backtests_table, trust_models_table, trust_tracks_table
from accord.trust.repository import one_of

M = trust_models_table.c
B = trust_backtests_table.c
# backtests kept besides the newest: a reader on a slightly older state still finds its own
BACKTESTS_KEPT = 4
C = commitments_table.c
T = trust_tracks_table.c
E = events_table.c
# the rows of `ModelStore.live_facts`' query, by their first column
VERSION, OPEN_WORK, RECENT, MOVE = range(4)


@dataclass(frozen=True)
class StoredModel:
    """A fitted forecast model as stored: its version (id), window, size, scores, numbers."""

    version: int
    fitted_at: datetime
    window_start: datetime | None
    window_end: datetime | None
    trained_on: int
    calibrated_on: int
    kind: str
    scores: dict[str, Any]
    parameters: Any


@dataclass(frozen=True)
class LiveFacts:
    """What a live forecast of one open commitment reads beside the stored sums."""

    latest_version: int | None  # of the stored models: the newest
    open_load: int  # the performer's other promised commitments
    same_due: int  # of them, due within the window of this one's due date
    recent: tuple[int, int, int]  # features.recent_counts of the performer's recent outcomes
    moves: list[tuple[datetime, str]]  # the commitment's moves so far, in log order


class ModelStore:
    """The fitted forecast models and what a live forecast reads beside the stored sums."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._commitments = KeyCache[Commitment](session)

    def commitment(self, key: str) -> Commitment:
        """A commitment with its two teams and nothing of theirs, nor its partnership and
        measure: what a forecast reads of it, in one query (the repository's general load
        takes two and brings everything a commitment's page shows)."""
        found = self._commitments.find(
            key, lambda: self.session.scalars(_commitment_query(), {"key": key}).first()
        )
        if found is None:
            raise NotFound(f"no commitment {key!r}", rule="commitment.not_found")
        return found

    def latest_version(self) -> int | None:
        found = self.session.scalar(_latest_query())
        return int(found) if found is not None else None

    def get(self, version: int) -> StoredModel | None:
        row = self.session.execute(select(trust_models_table).where(M.id == version)).first()
        if row is None:
            return None
        return StoredModel(
            version=int(row.id),
            fitted_at=row.fitted_at,
            window_start=row.window_start,
            window_end=row.window_end,
            trained_on=int(row.trained_on),
            calibrated_on=int(row.calibrated_on),
            kind=row.kind,
            scores=row.scores if isinstance(row.scores, dict) else {},
            parameters=row.parameters,
        )

    def add(
        self,
        *,
        fitted_at: datetime,
        window: tuple[datetime | None, datetime | None],
        trained_on: int,
        calibrated_on: int,
        kind: str,
        scores: dict[str, Any],
        parameters: dict[str, Any],
    ) -> int:
        result = self.session.execute(
            insert(trust_models_table)
            .values(
                fitted_at=fitted_at,
                window_start=window[0],
                window_end=window[1],
                trained_on=trained_on,
                calibrated_on=calibrated_on,
                kind=kind,
                scores=scores,
                parameters=parameters,
            )
            .returning(M.id)
        )
        return int(result.scalar_one())

    def latest_scored(self, lookback: int = 5) -> StoredModel | None:
        """The newest of the last few models stored with their backtest."""
        ids = self.session.scalars(select(M.id).order_by(M.id.desc()).limit(lookback))
        for version in ids:
            stored = self.get(int(version))
            if stored is not None and stored.scores.get("bins") is not None:
                return stored
        return None

    def backtest(self, evidence: str) -> dict[str, Any] | None:
        """The backtest document kept for the state of the evidence `evidence` digests."""
        found = self.session.scalar(select(B.document).where(B.evidence == evidence))
        return found if isinstance(found, dict) else None

    def keep_backtest(self, evidence: str, computed_at: datetime, document: dict[str, Any]) -> None:
        """Keep a backtest document for `evidence`, and forget all but the newest few."""
        self.session.execute(
            insert(trust_backtests_table).values(
                evidence=evidence, computed_at=computed_at, document=document
            )
        )
        newest = select(B.evidence).order_by(B.computed_at.desc()).limit(BACKTESTS_KEPT)
        self.session.execute(
            delete(trust_backtests_table).where(B.evidence.not_in(newest.scalar_subquery()))
        )

    def finished_count(self) -> int:
        states = ("accepted", "revoked", "missed")
        return int(self.session.scalar(select(func.count()).where(C.state.in_(states))) or 0)

    def live_facts(
        self,
        key: str,
        commitment: int,
        performer: int,
        due: datetime,
        window: timedelta,
        since: datetime,
    ) -> LiveFacts:
        """In one query: the newest model's version; the performer's promised commitments
        other than `commitment` (its id; `key` its key), and how many fall due within `window`
        of `due`; (on time, late, distinct due dates of the late) of its commitments finished
        since `since`; the moves made on the commitment so far."""
        params = {
            "commitment": commitment,
            "subject": SUBJECT_PREFIX + key,
            "performer": performer,
            "low": due - window,
            "high": due + window,
            "since": since,
        }
        version, load, near = None, 0, 0
        finished: list[tuple[bool, Any]] = []
        moves: list[tuple[int, datetime, str]] = []
        for row in self.session.execute(_live_query(), params):
            if row.part == VERSION:
                version = int(row.n) if row.n is not None else None
            elif row.part == OPEN_WORK:
                load, near = int(row.n or 0), int(row.m or 0)
            elif row.part == RECENT:
                state, delivered_at, due_at = row.label, row.first, row.second
                on_time = (
                    state == "accepted" and delivered_at is not None and delivered_at <= due_at
                )
                finished.append((on_time, due_at.date()))
            elif isinstance(row.payload, dict) and "move" in row.payload:
                moves.append((row.n, row.first, str(row.payload["move"])))
        moves.sort(key=lambda move: move[0])
        return LiveFacts(
            version, load, near, recent_counts(finished), [(at, move) for _, at, move in moves]
        )


@functools.cache
def _commitment_query() -> Select[tuple[Commitment]]:
    sides = ("requester", "performer")
    teams = (joinedload(getattr(Commitment, side)).lazyload("*") for side in sides)
    return select(Commitment).where(C.key == bindparam("key")).options(lazyload("*"), *teams)


@functools.cache
def _latest_query() -> Any:
    return select(func.max(M.id))


def _row(part: int, **given: Any) -> list[Any]:
    """The columns of one part of `_live_query`: those not `given` are typed NULLs."""
    types: dict[str, TypeEngine[Any]] = {
        "n": Integer(),
        "m": Integer(),
        "label": String(20),
        "first": UTCDateTime(),
        "second": UTCDateTime(),
        "payload": JSONType,
    }
    return [
        constant(str(part)).label("part"),
        *(given.get(name, cast(null(), kind)).label(name) for name, kind in types.items()),
    ]


@functools.cache
def _live_query() -> Any:
    """`ModelStore.live_facts`' query: the same questions as one by one, in one union."""
    performer: BindParameter[Any] = bindparam("performer")
    close = case((and_(T.due >= bindparam("low"), T.due <= bindparam("high")), 1), else_=0)
    committed = one_of(T.state, COMMITTED)
    return select(*_row(VERSION, n=func.max(M.id))).union_all(
        select(*_row(OPEN_WORK, n=func.count(), m=func.sum(close))).where(
            T.performer_id == performer, committed, T.commitment_id != bindparam("commitment")
        ),
        select(*_row(RECENT, label=C.state, first=C.delivered_at, second=C.due)).where(
            C.performer_id == performer,
            C.updated_at >= bindparam("since"),
            one_of(C.state, FINISHED),
        ),
        select(*_row(MOVE, n=E.id, first=E.at, payload=E.payload)).where(
            E.subject == bindparam("subject")
        ),
    )
