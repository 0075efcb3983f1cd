"""Import of `accord/1` documents.

Import replays the document through the same services a live user calls, in one transaction:
every problem is collected with its JSON path and, if there is any, nothing is kept. History
happened elsewhere, so the rules that only guard live moves let it pass, and the report lists
every such adjustment with its path. The commitments, which grow with the history, are read
one by one (from a file, as they come: `streaming`) and written in batches (`bulk`); the other
sections item by item. `replay_document` replays everything item by item: the reference the
bulk import is tested against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from accord.config import Settings
from accord.health import service as health
from accord.interchange.bulk import BulkCommitments
from accord.interchange.reading import known_teams, parse, read_dates, unknown_teams
from accord.interchange.replay import ImportReplay, quick_lookups
from accord.interchange.report import (
    Adjustment,
    ImportRefused,
    ImportReport,
    Problem,
    item_of,
    merged,
    path_order,
)
from accord.interchange.schemas import Document
from accord.interchange.sections import TABLE
from accord.org.domain import Actor, ensure_admin
from accord.trust import service as trust
from accord.uow import UnitOfWork


def import_document(
    uow: UnitOfWork,
    actor: Actor,
    data: Any,
    *,
    settings: Settings | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a document whole or not at all (admins only); importing it again changes nothing.

    `settings` (every one at its default if none are given) give the anonymity threshold of
    health checks (a round's answers are compared with what an export would write of them) and
    how trust is read when a round opened. `progress` is told of each commitment read.
    """
    if not isinstance(data, dict) or not isinstance(data.get("commitments"), list):
        return import_parts(uow, actor, data, iter(()), settings=settings, progress=progress)
    head = {**data, "commitments": []}
    items = enumerate(data["commitments"])
    return import_parts(uow, actor, head, items, settings=settings, progress=progress)


def import_parts(
    uow: UnitOfWork,
    actor: Actor,
    head: Any,
    commitments: Iterator[tuple[int, Any]],
    *,
    settings: Settings | None = None,
    progress: Callable[[int], None] | None = None,
    snapshots: bool = True,
) -> ImportReport:
    """Import a document given as its `head` (everything but the items of its commitments)
    and its commitments with their indexes, read as they come (a document streamed from a
    file): the head's sections go through the use cases, the commitments in bulk (see
    `bulk`). What is found and written is what `replay_document` finds and writes.

    With `snapshots` the trust snapshots are made from the whole log once the import is in,
    which takes memory in proportion to the log; without, they are left to be made at the
    next start (`trust.refresh_snapshots`), and reads of the past replay the log until then."""
    settings = settings or Settings.defaults()
    outermost = not uow.active
    with uow, _silenced(uow), quick_lookups(uow):
        actor = uow.bind(actor)
        ensure_admin(actor, "import")
        dated: list[Adjustment] = []
        stored = {team.slug for team in uow.org.teams()}
        unknown = unknown_teams(head, stored)
        shape: list[Problem] = []
        document: Document | None = None
        try:
            document = parse(read_dates(head, dated) if isinstance(head, dict) else head)
        except ImportRefused as refused:
            shape = refused.problems
        run = ImportReplay(uow, actor, settings)
        if document is not None:
            _replay(run, document, upto="commitments")
            uow.log_pending()  # their events come first in the log, then the commitments'
        bulk = BulkCommitments(
            run,
            known_teams(head, stored),
            dated,
            replaying=document is not None,
            progress=progress,
        )
        bulk.add_all(commitments)
        shape += bulk.shape
        unknown = [*unknown, *bulk.unknown]
        if shape or document is None:
            uow.rollback()
            raise ImportRefused(merged(shape, unknown))
        _replay(run, document, after="commitments")
        if run.problems or unknown:
            uow.rollback()
            raise ImportRefused(merged(run.problems, unknown))
        if outermost and run.report.created["health_checks"]:
            uow.log_pending()
            health.fill_earned(uow, settings)
        made = run.report.created["commitments"] > 0
        if outermost and made and not snapshots:
            uow.trust.snapshots_due()
        uow.commit()
    if outermost and made and snapshots:
        # the commitments' moves were written a batch at a time, each batch's history
        # reaching back before the last one's: the trust snapshots are made from the whole
        # log now, so that reads of the past are quick from the first one
        trust.refresh_snapshots(uow, whole=True)
    run.report.adjustments = sorted(
        [a for a in dated if item_of(a.path) not in run.already_there] + run.adjustments,
        key=lambda a: path_order(a.path),
    )
    return run.report


def replay_document(
    uow: UnitOfWork, actor: Actor, data: Any, *, settings: Settings | None = None
) -> ImportReport:
    """Import a document by replaying every item, commitments too, through the use cases one
    by one: what the bulk import (`import_document`) is measured against."""
    settings = settings or Settings.defaults()
    outermost = not uow.active
    with uow, _silenced(uow), quick_lookups(uow):
        actor = uow.bind(actor)
        ensure_admin(actor, "import")
        dated: list[Adjustment] = []
        unknown = unknown_teams(data, {team.slug for team in uow.org.teams()})
        try:
            document = parse(read_dates(data, dated) if isinstance(data, dict) else data)
        except ImportRefused as refused:
            raise ImportRefused(merged(refused.problems, unknown)) from None
        run = ImportReplay(uow, actor, settings)
        _replay(run, document)
        if run.problems or unknown:
            uow.rollback()
            raise ImportRefused(merged(run.problems, unknown))
        if outermost and run.report.created["health_checks"]:
            uow.log_pending()
            health.fill_earned(uow, settings)
        uow.commit()
    run.report.adjustments = sorted(
        [a for a in dated if item_of(a.path) not in run.already_there] + run.adjustments,
        key=lambda a: path_order(a.path),
    )
    return run.report


@contextmanager
def _silenced(uow: UnitOfWork) -> Iterator[None]:
    """History told again notifies no one: it happened elsewhere."""
    before, uow.silent = uow.silent, True
    try:
        yield
    finally:
        uow.silent = before


def _replay(
    run: ImportReplay, document: Document, *, upto: str | None = None, after: str | None = None
) -> None:
    """Each section in the order of the document, item by item: a duplicate key, an item that
    differs from the stored one of its key or lacks what it needs is a problem; an item already
    there is left as it is; the others are created. What waits for the history comes last.

    `upto` stops before that section; `after` starts after it (and ends with what waits)."""
    names = [section.name for section in TABLE]
    first = names.index(after) + 1 if after is not None else 0
    last = names.index(upto) if upto is not None else len(names)
    for section in TABLE[first:last]:
        docs = getattr(document, section.name)
        duplicates = run.unique(section.name, docs, section.key)
        for index, doc in section.order(docs):
            path = f"{section.name}[{index}]"
            if section.key(doc) in duplicates:
                continue
            there = True  # unless compared without a broken rule
            with run.at(path):
                given, stored = section.compare(run, doc)
                there = run.existing(section.name, index, given, stored)
            if there:
                continue
            missing = section.check(run, path, doc)
            if missing:
                run.problems.extend(missing)
                continue
            section.apply(run, path, doc)
            run.report.created[section.name] += 1
        if section.then is not None:
            section.then(run)
    if upto is not None:
        return
    run.parties_leaving()
    run.departures()
    run.accounts()
    run.statuses(document.partnerships)
