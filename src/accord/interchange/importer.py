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
from typing import TYPE_CHECKING, Any, cast

from accord.config import Settings
from accord.errors import NotFound
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
from accord.org.domain import Actor, Person, Team, ensure_admin
from accord.trust import service as trust
from accord.uow import UnitOfWork

if TYPE_CHECKING:
    from accord.partnerships.domain import Partnership


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
            run = _sections(run, document, stored)
            uow.log_pending()  # their events come first in the log, then the commitments'
        bulk = BulkCommitments(
            run,
            known_teams(head, stored),
            dated,
            replaying=document is not None,
            progress=progress,
            partnership_keys=[doc.key for doc in document.partnerships] if document else (),
        )
        with uow.trust.pairs_kept():  # every batch adds to most pairs' sums: written once
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


class _New:
    """The teams, people and partnerships a quick pass creates, and the keys of those it will
    create (those the document lists that are not stored): a look-up of one of those keys is
    answered without a query (a query would first write what the session holds, one statement
    per row), by what the pass made of it or by nothing yet. Other keys are looked up as
    always."""

    def __init__(self, org: Any, partnerships: Any, absent: dict[str, set[str]]) -> None:
        self.org, self.partnerships = org, partnerships
        self.absent = absent
        self.made: dict[str, dict[str, Any]] = {"teams": {}, "people": {}, "partnerships": {}}

    def find(self, kind: str, key: str, look: Callable[[], Any]) -> Any:
        made = self.made[kind].get(key)
        if made is not None:
            return made
        return None if key in self.absent[kind] else look()


class _NewOrg:
    """The organization's repository on a quick pass (see `_New`)."""

    def __init__(self, new: _New) -> None:
        self.new = new
        self.real = new.org

    def add(self, item: Team | Person | Any) -> None:
        self.real.add(item)
        if isinstance(item, Team):
            self.new.made["teams"][item.slug] = item
            self.real.session.flush()  # alone, as a purpose is (`_NewPurposes`)
        elif isinstance(item, Person):
            self.new.made["people"][item.email] = item

    def find_team(self, slug: str, *, members: bool = True) -> Team | None:
        found: Team | None = self.new.find(
            "teams", slug, lambda: self.real.find_team(slug, members=members)
        )
        return found

    def team(self, slug: str, *, members: bool = True) -> Team:
        team = self.find_team(slug, members=members)
        if team is None:
            raise NotFound(f"no team {slug!r}", rule="team.not_found")
        return team

    def bare_team(self, slug: str) -> Team:
        made: Team | None = self.new.made["teams"].get(slug)
        return made if made is not None else self.real.bare_team(slug)

    def find_person(self, email: str) -> Person | None:
        email = email.strip().lower()
        found: Person | None = self.new.find("people", email, lambda: self.real.find_person(email))
        return found

    def person(self, email: str) -> Person:
        person = self.find_person(email)
        if person is None:
            raise NotFound(f"no person {email!r}", rule="person.not_found")
        return person

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _NewPurposes:
    """The purposes' repository on a quick pass: a purpose is written as it is added, alone,
    as teams are (`_NewOrg.add`): the session, writing several rows of a table that refers to
    itself, would order them parents first, and their ids would not be those of the use cases
    one by one."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def add(self, purpose: Any) -> None:
        self.real.add(purpose)
        self.real.session.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _NewPartnerships:
    """The partnerships' repository on a quick pass (see `_New`)."""

    def __init__(self, new: _New) -> None:
        self.new = new
        self.real = new.partnerships

    def add(self, partnership: Partnership) -> None:
        self.real.add(partnership)
        self.new.made["partnerships"][partnership.key] = partnership

    def find(self, key: str) -> Partnership | None:
        found: Partnership | None = self.new.find("partnerships", key, lambda: self.real.find(key))
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _Unsaved:
    """The import's unit of work as the use cases of the sections see it on a first, quick
    pass: a use case entered inside it takes no savepoint and its commit writes nothing; the
    session writes what they made when it next queries (or at the end of the pass), many rows
    a statement rather than a flush per use case; the teams, people and partnerships the
    document creates are looked up without a query (`_New`). A use case that fails or rolls
    back marks the pass `spoiled` (nothing of it could be undone alone)."""

    def __init__(self, real: UnitOfWork, new: _New) -> None:
        self.real = real
        self.org = _NewOrg(new)
        self.partnerships = _NewPartnerships(new)
        self.purposes = _NewPurposes(real.purposes)
        self.spoiled = False

    @property
    def active(self) -> bool:
        return True

    @property
    def nested(self) -> bool:
        return True

    def __enter__(self) -> _Unsaved:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is not None:
            self.spoiled = True

    def commit(self) -> None:
        return None

    def rollback(self) -> None:
        self.spoiled = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def _absent(uow: UnitOfWork, document: Document, teams: set[str]) -> dict[str, set[str]]:
    """The keys of the teams, people and partnerships of the document that are not stored
    (`teams`: the slugs of the stored teams), read before anything is written."""
    emails = {doc.email.strip().lower() for doc in document.people}
    return {
        "teams": {doc.slug for doc in document.teams} - teams,
        "people": emails - uow.org.stored_emails(emails),
        "partnerships": {doc.key for doc in document.partnerships} - uow.partnerships.keys_like(""),
    }


def _sections(run: ImportReplay, document: Document, teams: set[str]) -> ImportReplay:
    """The sections before the commitments (teams, people, purposes, partnerships), applied
    by their use cases: first on one pass with no savepoint or flush of their own
    (`_Unsaved`), in a savepoint of the import; if that pass finds any problem or fails, it is
    undone and the sections are applied again use case by use case, each in its savepoint,
    which finds and reports every problem as it always did. Returns the replay that holds
    them. A document with no problem there (nearly every one) is applied once. `teams`: the
    slugs of the stored teams."""
    uow = run.uow
    new = _New(uow.org, uow.partnerships, _absent(uow, document, teams))
    unsaved = _Unsaved(uow, new)
    quick = ImportReplay(cast("UnitOfWork", unsaved), run.actor, run.settings)
    before = set(uow.session.identity_map.keys())
    with uow:  # a savepoint: all of the quick pass, or none of it
        try:
            _replay(quick, document, upto="commitments")
            if not quick.problems and not unsaved.spoiled:
                uow.flush()
                uow.commit()
                quick.uow = uow
                quick.people = dict(new.made["people"])
                return quick
        except Exception:  # the pass below meets it again, and reports it as it always did
            pass
    # what the quick pass loaded or made is let go of: the rollback of a savepoint can leave in
    # the session a row it inserted and then changed (a purpose whose status was set)
    session = uow.session
    for key in set(session.identity_map.keys()) - before:
        stale = session.identity_map.get(key)
        if stale is not None:
            session.expunge(stale)
    _replay(run, document, upto="commitments")
    return run


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
