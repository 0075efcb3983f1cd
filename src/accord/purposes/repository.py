"""Queries for purposes; never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import NotFound
from accord.purposes.domain import Purpose, PurposeStatus
from accord.purposes.orm import purposes_table


class PurposeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, purpose: Purpose) -> None:
        self.session.add(purpose)

    def find(self, key: str) -> Purpose | None:
        return self.session.scalars(select(Purpose).where(purposes_table.c.key == key)).first()

    def get(self, key: str, *, for_update: bool = False) -> Purpose:
        """The purpose; `for_update` locks its row until the commit (PostgreSQL)."""
        query = select(Purpose).where(purposes_table.c.key == key)
        if for_update:
            query = query.with_for_update(of=purposes_table).execution_options(
                populate_existing=True
            )
        purpose = self.session.scalars(query).first()
        if purpose is None:
            raise NotFound(f"no purpose {key!r}", rule="purpose.not_found")
        return purpose

    def list(
        self,
        *,
        status: PurposeStatus | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Purpose]:
        query = select(Purpose).order_by(purposes_table.c.key)
        if status is not None:
            query = query.where(purposes_table.c.status == status)
        if after is not None:
            query = query.where(purposes_table.c.key > after)
        return self.session.scalars(query.limit(limit)).unique().all()

    def keys_like(self, prefix: str) -> set[str]:
        rows = self.session.scalars(
            select(purposes_table.c.key).where(purposes_table.c.key.startswith(prefix))
        )
        return set(rows)
