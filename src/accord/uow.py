"""The unit of work: one use case, one transaction, its repositories and its events.

It sits above the contexts (it builds every repository) and below the use cases that run in it;
`accord.db` under it keeps the engine, the column types and the metadata. A commit appends its
typed events to the log, then hands them to their subscribers (`SUBSCRIBERS`, at the end).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.exc import StaleDataError

from accord.commitments.repository import CommitmentRepository
from accord.db import utcnow
from accord.errors import Conflict
from accord.events.catalog import CommitmentMoved, DomainEvent, Logged, TeamCreated
from accord.events.repository import EventStore
from accord.health.repository import HealthRepository
from accord.notify.repository import NotifyRepository
from accord.notify.rules import prepare_notices
from accord.org.repository import OrgRepository
from accord.partnerships.repository import PartnershipRepository
from accord.purposes.repository import PurposeRepository
from accord.search.repository import SearchRepository
from accord.stories.repository import StoryRepository
from accord.trust.model_store import ModelStore
from accord.trust.repository import TrustStore

if TYPE_CHECKING:
    from accord.org.domain import Actor


_UNIQUE_NAME = re.compile(r"(uq_\w+|UNIQUE constraint failed: [\w.]+)")


class HeldCommit:
    """The commit of a request's change, held open until the request's answer is written in the
    same transaction (an `Idempotency-Key`'s stored answer): both are kept, or neither.

    Inside `holding_commit()`, the first unit of work to commit writes its change and events but
    keeps its transaction open; the same unit of work, entered again, reads and writes on it
    (the answer is built from what was just changed). `settle` commits it with whatever else
    must go with it; `abandon` rolls it back. Another unit of work committing meanwhile commits
    on its own, as outside.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.unit: UnitOfWork | None = None

    def settle(self, write: Callable[[Session], None] | None = None) -> None:
        """Commit the held change together with `write`'s rows (or `write` alone when nothing is
        held); on any error nothing is committed and the error is raised."""
        unit, self.unit = self.unit, None
        if unit is None:
            if write is not None:
                with Session(self.engine) as session, session.begin():
                    write(session)
            return
        try:
            with unit._translate_errors():
                if write is not None:
                    write(unit.session)
                unit.session.commit()
        finally:
            unit._release()

    def abandon(self) -> None:
        """Roll the held change back: the request failed, so it changed nothing."""
        unit, self.unit = self.unit, None
        if unit is not None:
            unit._release()


_HELD: ContextVar[HeldCommit | None] = ContextVar("accord_held_commit", default=None)


@contextmanager
def holding_commit(engine: Engine) -> Iterator[HeldCommit]:
    """Hold the commit of the change made within (see `HeldCommit`); what is neither settled nor
    abandoned by the end is abandoned."""
    held = HeldCommit(engine)
    token = _HELD.set(held)
    try:
        yield held
    finally:
        _HELD.reset(token)
        held.abandon()


def read_engine(engine: Engine) -> Engine:
    """`engine` as a reader's unit of work uses it: one snapshot throughout (an export, an
    audit) on PostgreSQL, and on SQLite a deferred BEGIN that takes no write lock."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(accord_read_only=True, isolation_level="REPEATABLE READ")
    return engine.execution_options(accord_read_only=True)


class UnitOfWork:
    """One use case, one transaction: repositories, events and the single commit.

    Entered again while open, it becomes a savepoint: the inner use case commits into the
    outer transaction or rolls back alone (import replays many use cases in one transaction).
    """

    session: Session
    org: OrgRepository
    purposes: PurposeRepository
    partnerships: PartnershipRepository
    commitments: CommitmentRepository
    events: EventStore
    trust: TrustStore
    models: ModelStore
    health: HealthRepository
    stories: StoryRepository
    search: SearchRepository
    notify: NotifyRepository

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] = utcnow,
        *,
        read_only: bool = False,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.read_only = read_only
        self._depth = 0
        self._pending: list[DomainEvent] = []
        self._savepoints: list[tuple[SessionTransaction, int]] = []
        self._held = False  # a committed change waits in the open transaction (HeldCommit)
        # History told again (an import) notifies no one: it happened elsewhere, long ago.
        self.silent = False
        # a session opened before the use case (`carry`) that the next use case goes on in
        self._carried = False
        self._signing_in = False

    def __enter__(self) -> Self:
        if self._depth == 0 and self._held:
            # a use case after the held one: on its transaction, in a savepoint of its own
            self._savepoints.append((self.session.begin_nested(), len(self._pending)))
        elif self._depth == 0 and self._carried:
            # the session `carry` opened: the use case after the sign-in takes it over
            self._carried = self._signing_in
            self._pending = []
        elif self._depth == 0:
            self._open()
        elif not self.read_only:  # a reader writes nothing, so it needs no savepoint
            self._savepoints.append((self.session.begin_nested(), len(self._pending)))
        self._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._held:
            if self._savepoints:  # the later use case did not commit: undo it alone
                savepoint, mark = self._savepoints.pop()
                if savepoint.is_active:
                    savepoint.rollback()
                del self._pending[mark:]
            return  # the held transaction stays open until settled or abandoned
        if self._depth == 0 and self._signing_in:
            return  # the sign-in's reads: the session stays open for the use case (`carry`)
        if self._depth == 0:
            # close() rolls back what was not committed, and leaves loaded objects readable
            self.session.close()
            self._pending = []
            return
        if self.read_only:
            return
        savepoint, mark = self._savepoints.pop()
        if savepoint.is_active:
            savepoint.rollback()
            del self._pending[mark:]

    def _open(self) -> None:
        bind = read_engine(self.engine) if self.read_only else self.engine
        self.session = Session(bind=bind, expire_on_commit=False, autoflush=True)
        self.org = OrgRepository(self.session)
        self.purposes = PurposeRepository(self.session)
        self.partnerships = PartnershipRepository(self.session)
        self.commitments = CommitmentRepository(self.session)
        self.events = EventStore(self.session)
        self.trust = TrustStore(self.session)
        self.models = ModelStore(self.session)
        self.health = HealthRepository(self.session)
        self.stories = StoryRepository(self.session)
        self.search = SearchRepository(self.session)
        self.notify = NotifyRepository(self.session)
        self._pending = []

    @contextmanager
    def carry(self) -> Iterator[Self]:
        """Within, the unit of work's use cases (an API change's sign-in) read in a session
        that stays open, and the next use case to enter it afterwards goes on in that session
        and its transaction, then ends it as usual: a change signs in where it is made, one
        transaction and one person loaded. `drop_carried` ends a session no use case took."""
        if self._depth != 0 or self._held or self._carried:
            raise RuntimeError("only a unit of work not yet begun carries a session")
        self._open()
        self._carried = self._signing_in = True
        try:
            yield self
        finally:
            self._signing_in = False

    def drop_carried(self) -> None:
        """Close the session `carry` opened if no use case took it over (rolls it back)."""
        if self._carried:
            self._carried = False
            self.session.close()

    @property
    def nested(self) -> bool:
        return self._depth > 1

    @property
    def active(self) -> bool:
        """Whether a transaction of this unit of work is open (a use case runs inside another)."""
        return self._depth > 0

    def bind(self, actor: Actor) -> Actor:
        """The actor as loaded in this unit of work (a person's teams are compared by identity)."""
        from accord.org.domain import Person

        if isinstance(actor, Person):
            return self.org.person_by_id(actor.id)
        return actor

    def now(self) -> datetime:
        return self.clock()

    def record(self, event: DomainEvent) -> None:
        """Note an event; it is written in the same transaction as the change."""
        self._pending.append(event)

    def flush(self) -> None:
        with self._translate_errors():
            self.session.flush()

    def commit(self) -> None:
        """Write the change and its events; inside another unit of work, release the savepoint."""
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit a change")
        with self._translate_errors():
            if self._depth > 1:
                self.session.flush()
                self._savepoints[-1][0].commit()
                return
            self.log_pending()
            held = _HELD.get()
            if self._held:  # a later use case on the held transaction
                self._savepoints.pop()[0].commit()
            elif held is not None and held.unit is None:
                held.unit = self
                self._held = True
            else:
                self.session.commit()

    def log_pending(self) -> None:
        """Append the events noted so far to the log, then hand them to their subscribers
        (`SUBSCRIBERS`), in this transaction: a use case that reads the log or trust before the
        commit sees them.

        Appending locks the log's head until the commit, so commits that log events go one at
        a time from there: the subscribers read what they can before (`Subscribers.prepare`),
        and only what must follow the append runs after it."""
        with self._translate_errors():
            self.session.flush()
            if self._pending:
                pending, self._pending = self._pending, []
                finish = SUBSCRIBERS.prepare(self, pending)
                written = self.events.append(pending)
                finish([Logged(i, event) for i, event in zip(written, pending, strict=True)])

    def _release(self) -> None:
        """End a held transaction (what is not committed rolls back)."""
        self._held = False
        self._savepoints = []
        self._pending = []
        self.session.close()

    def rollback(self) -> None:
        if self._depth > 1 and self.read_only:
            return  # a nested reader made no savepoint and wrote nothing
        if self._depth > 1 or self._held:
            savepoint, mark = self._savepoints[-1]
            if savepoint.is_active:
                savepoint.rollback()
            del self._pending[mark:]
        else:
            self.session.rollback()
            self._pending = []

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except StaleDataError as error:
            # only commitments carry a version column: their rule says it the same way on
            # every database, whether the version check or the row guard saw the race
            raise Conflict(
                "someone else moved this commitment at the same time; reload it and try again",
                rule="commitment.version_stale",
            ) from error
        except IntegrityError as error:
            match = _UNIQUE_NAME.search(str(error.orig))
            what = match.group(1) if match else "a uniqueness rule"
            raise Conflict(f"this already exists ({what})", rule="unique") from error
        except OperationalError as error:
            if "locked" in str(error.orig) or "could not serialize" in str(error.orig):
                raise Conflict(
                    "the database was busy with a conflicting change; try again",
                    rule="database.busy",
                ) from error
            raise


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[UnitOfWork, Sequence[Logged[Any]]], None]
# The part of a handler that needs the events' ids: run once the events are in the log.
Step = Callable[[Sequence[Logged[Any]]], None]
# A handler in two parts: given the events before they are logged, it reads what it needs and
# returns what is left to do with them once logged (None: nothing).
Preparer = Callable[[UnitOfWork, Sequence[Any]], Step | None]


class Subscribers:
    """Who reacts to which events, inside the transaction of the change that caused them.

    A handler subscribes by event class (a base class takes in its subclasses:
    `CommitmentMoved` is every move). Once per commit it gets all the events of the classes it
    subscribed to, in log order, as one batch: an import that replays thousands of moves in
    one transaction calls it once. Handlers run in the order they first subscribed.

    A handler subscribed with `subscribe_prepared` runs in two parts: its reads before the
    events are appended to the log (the head is not locked yet, so other commits go on), and
    its writes after, with the events' ids (`prepare`, then the step it returns).
    """

    def __init__(self) -> None:
        self._kinds: dict[Preparer, tuple[type[DomainEvent], ...]] = {}
        self._plain: dict[Handler, Preparer] = {}

    def subscribe(
        self, kind: type[E], handler: Callable[[UnitOfWork, Sequence[Logged[E]]], None]
    ) -> None:
        """`handler` runs whole once the events are logged."""
        if handler not in self._plain:

            def prepare(uow: UnitOfWork, _events: Sequence[Any]) -> Step:
                return lambda logged: handler(uow, logged)

            self._plain[handler] = prepare
        self.subscribe_prepared(kind, self._plain[handler])

    def subscribe_prepared(
        self,
        kind: type[E],
        prepare: Callable[[UnitOfWork, Sequence[E]], Callable[[Sequence[Logged[E]]], None] | None],
    ) -> None:
        """`prepare` gets the events before they are logged and returns the step that gets them
        logged (see the class)."""
        self._kinds[prepare] = (*self._kinds.get(prepare, ()), kind)

    def prepare(self, uow: UnitOfWork, pending: Sequence[DomainEvent]) -> Step:
        """Run each handler's first part on the events about to be logged; returns the rest of
        them, to run on the events as logged (the same events, in the same order)."""
        steps: list[tuple[Step, list[int]]] = []
        for prepare, kinds in self._kinds.items():
            mine = [i for i, event in enumerate(pending) if isinstance(event, kinds)]
            if mine:
                step = prepare(uow, [pending[i] for i in mine])
                if step is not None:
                    steps.append((step, mine))

        def finish(logged: Sequence[Logged[Any]]) -> None:
            for step, mine in steps:
                step([logged[i] for i in mine])

        return finish

    def dispatch(self, uow: UnitOfWork, logged: Sequence[Logged[DomainEvent]]) -> None:
        """Both parts of every handler, on events logged already."""
        self.prepare(uow, [item.event for item in logged])(logged)


def keep_trust(uow: UnitOfWork, events: Sequence[TeamCreated | CommitmentMoved]) -> Step | None:
    """Trust upkeep: fold the commit's moves into the stored sums, and note a new team (it
    changes everyone's network reputation). What never changes (the ids of requested
    commitments and their teams) is read before the log is locked; the sums after, since every
    commit changes them."""
    known = uow.trust.look_up(events, uow.commitments.held)
    return lambda logged: uow.trust.project([item.event for item in logged], uow.now(), known)


# Who reacts to the events of every commit, one line each.
SUBSCRIBERS = Subscribers()
SUBSCRIBERS.subscribe_prepared(TeamCreated, keep_trust)
SUBSCRIBERS.subscribe_prepared(CommitmentMoved, keep_trust)
SUBSCRIBERS.subscribe_prepared(DomainEvent, prepare_notices)
