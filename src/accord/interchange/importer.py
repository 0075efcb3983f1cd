"""Import of `accord/1` documents.

Import replays the document through the same services a live user calls, in one transaction:
every problem is collected with its JSON path and, if there is any, nothing is kept. History
happened elsewhere, so the rules that only guard live moves let it pass, and the report lists
every such adjustment with its path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from accord.config import Settings
from accord.health import service as health
from accord.interchange.reading import parse, read_dates, unknown_teams
from accord.interchange.replay import ImportReplay
from accord.interchange.report import (
    Adjustment,
    ImportRefused,
    ImportReport,
    item_of,
    merged,
    path_order,
)
from accord.interchange.schemas import Document
from accord.interchange.sections import TABLE
from accord.org.domain import Actor, ensure_admin
from accord.uow import UnitOfWork


def import_document(
    uow: UnitOfWork, actor: Actor, data: Any, *, settings: Settings | None = None
) -> ImportReport:
    """Import a document whole or not at all (admins only); importing it again changes nothing.

    `settings` (every one at its default if none are given) give the anonymity threshold of
    health checks (a round's answers are compared with what an export would write of them) and
    how trust is read when a round opened.
    """
    settings = settings or Settings.defaults()
    # Rounds read the trust of their opening from the log once the import's moves are in it,
    # in the import's own transaction: the rounds never stand without it. Inside another
    # transaction they wait for whoever commits it (fill_earned).
    outermost = not uow.active
    with uow, _silenced(uow):
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


def _replay(run: ImportReplay, document: Document) -> None:
    """Each section in the order of the document, item by item: a duplicate key, an item that
    differs from the stored one of its key or lacks what it needs is a problem; an item already
    there is left as it is; the others are created. What waits for the history comes last."""
    for section in TABLE:
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
    run.parties_leaving()
    run.departures()
    run.accounts()
    run.statuses(document.partnerships)
