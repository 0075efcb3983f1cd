"""Queries for health-check rounds; never commits."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from accord.db import KeyCache
from accord.errors import NotFound
from accord.health.domain import HealthCheck, Tally
from accord.health.orm import (
    health_checks_table,
    health_respondents_table,
    health_tallies_table,
)
from accord.org.domain import Person
from accord.partnerships.domain import Partnership
from accord.partnerships.orm import partnerships_table


@functools.cache
def _listed() -> tuple[Any, ...]:
    """Load a round with its partnership, opener and tallies (with their teams), and nothing of
    theirs: a list of thousands of rounds needs no parties, members or measures."""
    return (
        joinedload(HealthCheck.partnership).lazyload("*"),  # type: ignore[misc, arg-type]
        joinedload(HealthCheck.opened_by).lazyload("*"),  # type: ignore[arg-type]
        selectinload(HealthCheck.tallies)  # type: ignore[arg-type]
        .joinedload(Tally.team)  # type: ignore[misc, arg-type]
        .lazyload("*"),
    )


class HealthRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_key = KeyCache[HealthCheck](session)

    def add(self, check: HealthCheck) -> None:
        self.session.add(check)
        self._by_key.remember(check.key, check)

    def find(self, key: str) -> HealthCheck | None:
        return self._by_key.find(
            key,
            lambda: self.session.scalars(
                select(HealthCheck).where(health_checks_table.c.key == key).options(*_listed())
            ).first(),
        )

    def get(self, key: str, *, for_update: bool = False) -> HealthCheck:
        """The round; `for_update` locks its row until the commit (PostgreSQL), so that two
        answers at once add to its tallies one after the other. Read afresh with its tallies
        and their teams only: an answer needs neither the partnership's charter nor its
        purpose, measures and members, which it would otherwise reload."""
        if for_update:
            check = self.session.scalars(
                select(HealthCheck)
                .where(health_checks_table.c.key == key)
                .options(*_listed())
                .with_for_update(of=health_checks_table)
                .execution_options(populate_existing=True)
            ).first()
        else:
            check = self.find(key)
        if check is None:
            raise NotFound(f"no health check {key!r}", rule="health_check.not_found")
        return check

    def without_earned(self) -> Sequence[HealthCheck]:
        """Rounds that do not yet hold the trust earned when they opened, oldest first."""
        return self.session.scalars(
            select(HealthCheck)
            .where(health_checks_table.c.earned.is_(None))
            .order_by(health_checks_table.c.opened_at)
        ).all()

    def keys_like(self, prefix: str) -> set[str]:
        return set(
            self.session.scalars(
                select(health_checks_table.c.key).where(
                    health_checks_table.c.key.startswith(prefix)
                )
            )
        )

    def every_round(self) -> Sequence[HealthCheck]:
        """Every round, by key (an export)."""
        return self.session.scalars(select(HealthCheck).order_by(health_checks_table.c.key)).all()

    def of_partnership(self, partnership: Partnership) -> Sequence[HealthCheck]:
        """Every round of a partnership, oldest first."""
        return self.session.scalars(
            select(HealthCheck)
            .where(health_checks_table.c.partnership_id == partnership.id)
            .order_by(health_checks_table.c.opened_at, health_checks_table.c.id)
        ).all()

    def latest(
        self,
        *,
        closed_by: datetime | None = None,
        team_ids: Sequence[int] | None = None,
        after: str | None = None,
        limit: int | None = None,
        partnership_ids: Collection[int] | None = None,
    ) -> Sequence[HealthCheck]:
        """The newest round of every partnership that has one, by partnership key; with
        `closed_by`, the newest of those that had closed by then; with `team_ids`, only rounds
        one of those teams is a party of; `after` (a partnership's key) and `limit` give one
        page, `partnership_ids` only those partnerships' rounds."""
        newer = aliased(health_checks_table)
        closed = newer.c.closes_at <= closed_by if closed_by is not None else true()
        newest_id = (
            select(newer.c.id)
            .where(newer.c.partnership_id == health_checks_table.c.partnership_id, closed)
            .order_by(newer.c.opened_at.desc(), newer.c.id.desc())
            .limit(1)
            .correlate(health_checks_table)
            .scalar_subquery()
        )
        partnership = partnerships_table.c
        query = (
            select(HealthCheck)
            .join_from(
                health_checks_table,
                partnerships_table,
                partnership.id == health_checks_table.c.partnership_id,
            )
            .where(health_checks_table.c.id == newest_id)
            .order_by(partnership.key)
            .limit(limit)
            .options(*_listed())
        )
        if after is not None:
            query = query.where(partnership.key > after)
        if partnership_ids is not None:
            query = query.where(health_checks_table.c.partnership_id.in_(list(partnership_ids)))
        if team_ids is not None:
            query = query.where(
                health_checks_table.c.id.in_(
                    select(health_tallies_table.c.health_check_id).where(
                        health_tallies_table.c.team_id.in_(team_ids)
                    )
                )
            )
        return self.session.scalars(query).unique().all()

    def closing_between(self, start: datetime, end: datetime) -> Sequence[HealthCheck]:
        """Rounds that close after `start` and no later than `end` (reminders of closing)."""
        return self.session.scalars(
            select(HealthCheck)
            .where(health_checks_table.c.closes_at > start, health_checks_table.c.closes_at <= end)
            .order_by(health_checks_table.c.closes_at)
        ).all()

    def open_unanswered(self, person: Person, at: datetime) -> Sequence[HealthCheck]:
        """Open rounds with a party `person` is a member of, that they have not answered."""
        team_ids = [team.id for team in person.teams() if team.id is not None]
        if not team_ids or person.id is None:
            return []
        return self.session.scalars(
            select(HealthCheck)
            .where(
                health_checks_table.c.closes_at > at,
                health_checks_table.c.id.in_(
                    select(health_tallies_table.c.health_check_id).where(
                        health_tallies_table.c.team_id.in_(team_ids)
                    )
                ),
                health_checks_table.c.id.not_in(
                    select(health_respondents_table.c.health_check_id).where(
                        health_respondents_table.c.person_id == person.id
                    )
                ),
            )
            .order_by(health_checks_table.c.closes_at, health_checks_table.c.id)
        ).all()
