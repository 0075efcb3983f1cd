"""Queries for health-check rounds; never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import KeyCache
from accord.errors import NotFound
from accord.health.domain import HealthCheck
from accord.health.orm import health_checks_table


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
                select(HealthCheck).where(health_checks_table.c.key == key)
            ).first(),
        )

    def get(self, key: str, *, for_update: bool = False) -> HealthCheck:
        """The round; `for_update` locks its row until the commit (PostgreSQL), so that two
        answers at once add to its tallies one after the other."""
        if for_update:
            check = self.session.scalars(
                select(HealthCheck)
                .where(health_checks_table.c.key == key)
                .with_for_update(of=health_checks_table)
                .execution_options(populate_existing=True)
            ).first()
        else:
            check = self.find(key)
        if check is None:
            raise NotFound(f"no health check {key!r}", rule="health_check.not_found")
        return check

    def keys_like(self, prefix: str) -> set[str]:
        return set(
            self.session.scalars(
                select(health_checks_table.c.key).where(
                    health_checks_table.c.key.startswith(prefix)
                )
            )
        )
