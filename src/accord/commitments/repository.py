"""Queries for commitments; never commits."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from accord.commitments.domain import COMMITTED, Commitment, Side, State
from accord.commitments.orm import commitments_table
from accord.db import KeyCache
from accord.errors import NotFound
from accord.org.domain import Team
from accord.partnerships.domain import Partnership

c = commitments_table.c


@functools.cache
def _alone() -> tuple[Any, ...]:
    """Load a commitment with its partnership, teams and measure, but none of theirs: their
    members, parties and purposes load only when a use case asks (a list page loads 50)."""
    return tuple(
        joinedload(getattr(Commitment, name)).lazyload("*")
        for name in ("partnership", "requester", "performer", "measure")
    )


class CommitmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_key = KeyCache[Commitment](session)

    def add(self, commitment: Commitment) -> None:
        self.session.add(commitment)
        self._by_key.remember(commitment.key, commitment)

    def find(self, key: str) -> Commitment | None:
        return self._by_key.find(key, lambda: self._load(key))

    def _load(self, key: str) -> Commitment | None:
        # A plain look-up first: loading a commitment with its eager graph costs milliseconds
        # even when there is none, and an import asks about thousands of new keys.
        if self.session.scalar(select(c.id).where(c.key == key)) is None:
            return None
        return self.session.scalars(
            select(Commitment).where(c.key == key).options(*_alone())
        ).first()

    def get(self, key: str) -> Commitment:
        commitment = self.find(key)
        if commitment is None:
            raise NotFound(f"no commitment {key!r}", rule="commitment.not_found")
        return commitment

    def list(
        self,
        *,
        partnership: Partnership | None = None,
        team: Team | None = None,
        side: Side | None = None,
        states: Sequence[State] | None = None,
        overdue_at: datetime | None = None,
        due_before: datetime | None = None,
        after: tuple[datetime, int] | None = None,
        limit: int | None = None,
    ) -> Sequence[Commitment]:
        """By due date; `team` with `side` keeps one side; `after` (due, id) starts a page."""
        query = select(Commitment).order_by(c.due, c.id).options(*_alone())
        if partnership is not None:
            query = query.where(c.partnership_id == partnership.id)
        if team is not None and side == Side.REQUESTER:
            query = query.where(c.requester_id == team.id)
        elif team is not None and side == Side.PERFORMER:
            query = query.where(c.performer_id == team.id)
        elif team is not None:
            query = query.where(or_(c.requester_id == team.id, c.performer_id == team.id))
        if due_before is not None:
            query = query.where(c.due < due_before)
        if after is not None:
            due, last_id = after
            query = query.where(or_(c.due > due, and_(c.due == due, c.id > last_id)))
        if states is not None:
            query = query.where(c.state.in_(list(states)))
        if overdue_at is not None:
            query = query.where(c.state.in_(list(COMMITTED)), c.due < overdue_at)
        if limit is not None:
            query = query.limit(limit)
        return self.session.scalars(query).unique().all()

    def with_keys(self, keys: Collection[str]) -> Sequence[Commitment]:
        """The commitments of these keys that exist, with their teams, in one query."""
        if not keys:
            return []
        query = select(Commitment).where(c.key.in_(sorted(keys))).options(*_alone())
        return self.session.scalars(query).unique().all()

    def keys_like(self, prefix: str) -> set[str]:
        return set(self.session.scalars(select(c.key).where(c.key.startswith(prefix))))
