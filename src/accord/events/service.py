"""Use cases of the event log."""

from __future__ import annotations

from collections.abc import Sequence

from accord.events.domain import ChainReport, Event, verify_chain
from accord.uow import UnitOfWork


def verify(uow: UnitOfWork) -> ChainReport:
    """Check the whole hash chain and name the first event that breaks it.

    Give it a read-only unit of work: it then sees one snapshot even while others append.
    """
    with uow:
        head_id, head_hash = uow.events.head()
        report = verify_chain(uow.events.scan(upto=head_id), head_id=head_id, head_hash=head_hash)
        if report.ok and (extra := uow.events.count_after(head_id)):
            return ChainReport(
                report.checked,
                head_id + 1,
                f"{extra} event(s) after the last one the log's head records were added by hand",
            )
        return report


def list_events(
    uow: UnitOfWork, *, subject: str | None = None, after: int = 0, limit: int = 100
) -> Sequence[Event]:
    """Events in append order, optionally of one subject."""
    with uow:
        return uow.events.list(subject=subject, after=after, limit=limit)


def newest_events(
    uow: UnitOfWork,
    *,
    subject: str | None = None,
    type: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> Sequence[Event]:
    """Events newest first, optionally of one subject and one type, older than event `before`."""
    with uow:
        return uow.events.newest(subject=subject, type=type, before=before, limit=limit)
