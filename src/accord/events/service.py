"""Use cases of the event log."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from accord.events.domain import ChainReport, Event, verify_chain
from accord.events.words import Names, Said, wanted
from accord.uow import UnitOfWork

# The kinds of keys `names_of` names.
NAMED = ("people", "teams", "commitments", "purposes", "partnerships")


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


def names_for(uow: UnitOfWork, events: Iterable[Said]) -> Names:
    """The names the sentences of `events` say: people, teams, commitments, purposes and
    partnerships as they are called now (a thing no longer there is said as its event
    recorded it)."""
    return names_of(uow, wanted(events))


def names_of(uow: UnitOfWork, keys: Mapping[str, Collection[str]]) -> Names:
    """The names of the keys in `keys` ('people', 'teams', 'commitments', 'purposes',
    'partnerships'), for a page that shows things by name where it holds their keys."""
    keys = {kind: keys.get(kind, ()) for kind in NAMED}
    with uow:
        people = {e: p.name for e in keys["people"] if (p := uow.org.find_person(e))}
        teams = {s: t.name for s in keys["teams"] if (t := uow.org.find_team(s, members=False))}
        purposes = {k: u.title for k in keys["purposes"] if (u := uow.purposes.find(k))}
        partnerships = {k: w.name for k in keys["partnerships"] if (w := uow.partnerships.find(k))}
        commitments = {c.key: c.title for c in uow.commitments.with_keys(keys["commitments"])}
    return Names(
        people=people,
        teams=teams,
        commitments=commitments,
        purposes=purposes,
        partnerships=partnerships,
    )
