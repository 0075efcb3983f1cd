"""Use cases of the event log."""

from __future__ import annotations

from collections.abc import Sequence

from accord.db import UnitOfWork
from accord.events.domain import ChainReport, Event, verify_chain


def verify(uow: UnitOfWork) -> ChainReport:
    """Check the whole hash chain and name the first event that breaks it."""
    with uow:
        head_id, head_hash = uow.events.head()
        return verify_chain(uow.events.scan(), head_id=head_id, head_hash=head_hash)


def list_events(
    uow: UnitOfWork, *, subject: str | None = None, after: int = 0, limit: int = 100
) -> Sequence[Event]:
    """Events in append order, optionally of one subject."""
    with uow:
        return uow.events.list(subject=subject, after=after, limit=limit)
