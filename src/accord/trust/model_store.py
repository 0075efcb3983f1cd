"""Stored forecast models, and what a live forecast reads beside the stored sums: the
performer's open work and recent outcomes, a commitment's moves. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, select
from sqlalchemy.orm import Session

from accord.commitments.orm import commitments_table
from accord.events.orm import events_table
from accord.trust.domain import COMMITTED
from accord.trust.features import recent_counts
from accord.trust.orm import trust_models_table, trust_tracks_table

M = trust_models_table.c
C = commitments_table.c
T = trust_tracks_table.c


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


class ModelStore:
    """The fitted forecast models and what a live forecast reads beside the stored sums."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def latest_version(self) -> int | None:
        found = self.session.scalar(select(func.max(M.id)))
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

    def finished_count(self) -> int:
        states = ("accepted", "revoked", "missed")
        return int(self.session.scalar(select(func.count()).where(C.state.in_(states))) or 0)

    def open_work(self, performer: int, key: str, due: datetime, window: Any) -> tuple[int, int]:
        """The performer's other promised commitments, and how many fall due near `due`."""
        committed = T.state.in_(sorted(COMMITTED))
        close = case((and_(T.due >= due - window, T.due <= due + window), 1), else_=0)
        load, near = self.session.execute(
            select(func.count(), func.sum(close)).where(
                T.performer_id == performer, committed, T.key != key
            )
        ).one()
        return int(load or 0), int(near or 0)

    def recent_outcomes(self, performer: int, since: datetime) -> tuple[int, int, int]:
        """(on time, late, distinct due dates of the late) of the performer's commitments
        finished since `since`."""
        rows = self.session.execute(
            select(C.state, C.delivered_at, C.due).where(
                C.performer_id == performer,
                C.updated_at >= since,
                C.state.in_(("accepted", "revoked", "missed")),
            )
        )
        return recent_counts(
            (
                state == "accepted" and delivered_at is not None and delivered_at <= due,
                due.date(),
            )
            for state, delivered_at, due in rows
        )

    def moves_of(self, key: str) -> list[tuple[datetime, str]]:
        """The moves made on one commitment so far (time, move), in log order."""
        e = events_table.c
        rows = self.session.execute(
            select(e.at, e.payload).where(e.subject == f"commitment:{key}").order_by(e.id)
        )
        return [
            (at, str(payload["move"]))
            for at, payload in rows
            if isinstance(payload, dict) and "move" in payload
        ]
