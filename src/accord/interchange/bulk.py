"""The commitments of an import, in bulk: the part of a document that grows with its history.

Each history is checked in memory by the same use cases a live move runs (`commitments.request`
and `commitments.move`, with their rules, their refusals and the adjustments a replay notes),
inside a unit of work that holds only that commitment (`OneCommitment`), on a plain twin of a
commitment that no session tracks (`plain_commitments`: the same rules). What passes is kept
for a batch: the batch's commitments are then written in one statement, and their events
appended to the log in one go, in the document's order, so that the events, their hash chain
and the trust upkeep are those the move-by-move replay writes.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast

from pydantic import ValidationError

from accord.commitments import service as commitments
from accord.commitments.domain import Commitment, Move, Replay, plain_commitments
from accord.errors import AccordError, NotFound
from accord.events.catalog import DomainEvent
from accord.interchange.indexes import DeferredIndexes
from accord.interchange.reading import (
    has_date_alone,
    read_dates,
    shape_problems,
    team_problems,
)
from accord.interchange.replay import ImportReplay
from accord.interchange.report import Adjustment, Problem, item_of
from accord.interchange.rows import history_problem, missing_terms
from accord.interchange.schemas import CommitmentDoc
from accord.interchange.sections import TABLE
from accord.org.domain import Actor, Person, Team
from accord.search.domain import Kind

if TYPE_CHECKING:
    from accord.commitments.repository import CommitmentRepository
    from accord.partnerships.domain import Partnership
    from accord.uow import UnitOfWork

# Commitments written at once: large enough that a batch's statements cost little each, small
# enough that a batch's events (about four a commitment) hold a few tens of megabytes; a batch
# of long texts is written sooner, at about BATCH_TEXT characters.
BATCH = 10_000
BATCH_TEXT = 8_000_000
COMMITMENTS = next(section for section in TABLE if section.name == "commitments")


class _Held:
    """The commitments a history's unit of work knows: the one it replays; the partnership a
    request is made in is looked up as the import's transaction holds it."""

    def __init__(self, real: CommitmentRepository) -> None:
        self.real = real  # the commitments' repository of the import's transaction
        self.commitment: Commitment | None = None

    def partnership(self, key: str) -> Partnership:
        return self.real.partnership(key)

    def add(self, commitment: Commitment) -> None:
        self.commitment = commitment

    def find(self, key: str) -> Commitment | None:
        held = self.commitment
        return held if held is not None and held.key == key else None

    def get(self, key: str) -> Commitment:
        found = self.find(key)
        if found is None:
            raise NotFound(f"no commitment {key!r}", rule="commitment.not_found")
        return found

    def keys_like(self, prefix: str) -> set[str]:
        held = self.commitment
        return {held.key} if held is not None and held.key.startswith(prefix) else set()


class _Organization:
    """The organization's repository, each team it finds kept for the whole import: a request
    looks up two, and building the query costs more than the answer."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.real = uow.org
        self.teams: dict[str, Team] = {}

    def team(self, slug: str, *, members: bool = True) -> Team:
        found = self.teams.get(slug)
        if found is None:
            found = self.teams[slug] = self.real.team(slug, members=members)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class OneCommitment:
    """The unit of work one imported history is replayed in: the organization, its
    partnerships and people as the import's transaction holds them, one commitment in memory,
    and the events of its moves noted; nothing is written, nothing commits."""

    def __init__(self, uow: UnitOfWork, org: _Organization) -> None:
        self.real = uow
        self.org = org
        self.partnerships = uow.partnerships
        self.commitments = _Held(uow.commitments)
        self.events: list[DomainEvent] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def bind(self, actor: Actor) -> Actor:
        return actor  # people are looked up in the import's transaction already

    def now(self) -> datetime:
        return self.real.now()

    def record(self, event: DomainEvent) -> None:
        self.events.append(event)

    def commit(self) -> None:
        return None


@contextmanager
def _collected_by_batch() -> Iterator[None]:
    """Python's collector of reference cycles held off while the histories are read: a batch
    makes hundreds of thousands of objects that live until it is written, nearly none in a
    cycle, and the collector would go over them again and again (a tenth of the import's time).
    What was there before (the modules, the organization) is set aside from it (`gc.freeze`);
    the import collects once every BATCH items instead, so that memory stays bounded.

    The collector is the process's: an import on another thread than the main one (a request
    of a server, beside others) leaves it as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _validated(data: Any, dated: list[Adjustment], path: str) -> CommitmentDoc:
    """The item as a `CommitmentDoc`, its instants given as a date alone read as times first
    (`read_dates`, each noted in `dated`). An instant given as a date alone never passes as it
    is (a commitment's instants are aware times, and no other field of it may be named so), so
    an item is first checked as it is, and looked over for dates alone only when it does not
    pass: most pass, and looking over every one cost as much as checking it."""
    try:
        return CommitmentDoc.model_validate(data)
    except ValidationError:
        if not has_date_alone(data):
            raise
    return CommitmentDoc.model_validate(read_dates(data, dated, path))


@dataclass
class _Batch:
    commitments: list[Commitment] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)
    text: int = 0  # how many characters their texts hold, about


@dataclass
class BulkCommitments:
    """The commitments section of one import, item by item as they are read (see the module).

    `replaying` is False once the rest of the document is refused for its shape: the items are
    then only read for their own shape and teams, every problem of a document being listed.
    `progress` is told of every item read. `partnership_keys`: those the document lists,
    loaded together when the first history is replayed (one statement each cost a twentieth
    of the import's time on PostgreSQL).
    """

    run: ImportReplay
    known_teams: set[str]
    dated: list[Adjustment]
    replaying: bool = True
    progress: Callable[[int], None] | None = None
    partnership_keys: Collection[str] = ()
    shape: list[Problem] = field(default_factory=list)
    unknown: list[Problem] = field(default_factory=list)
    read: int = 0
    _first: dict[str, int] = field(default_factory=dict)
    _problems: dict[int, list[Problem]] = field(default_factory=dict)
    _adjusted: list[Adjustment] = field(default_factory=list)
    _doubled: set[int] = field(default_factory=set)
    _batch: _Batch = field(default_factory=_Batch)
    _people: dict[str, Person | None] = field(default_factory=dict)
    _org: _Organization | None = None
    _indexes: DeferredIndexes | None = None

    def add_all(self, items: Iterator[tuple[int, Any]]) -> None:
        # written in bulk: no session needs to know them
        with plain_commitments(), _collected_by_batch():
            for index, data in items:
                self.add(index, data)
                if self.read % BATCH == 0:
                    gc.collect()
        self.finish()

    def add(self, index: int, data: Any) -> None:
        """One item of the section, at `commitments[index]`."""
        path = f"commitments[{index}]"
        self.read += 1
        if self.progress is not None:
            self.progress(1)
        if isinstance(data, dict):
            for side in ("requester", "performer"):
                self.unknown.extend(
                    team_problems(data.get(side), f"{path}.{side}", self.known_teams)
                )
        dated: list[Adjustment] = []
        try:
            doc = _validated(data, dated, path)
        except ValidationError as error:
            self.shape.extend(shape_problems(error, ("commitments", index)))
            return
        if self.shape or not self.replaying:
            return  # the document is refused for its shape: nothing is replayed
        first = self._first.setdefault(doc.key, index)
        if first != index:
            self._problem(
                index,
                Problem(
                    path,
                    f"{doc.key!r} appears twice in the document (first at commitments[{first}])",
                ),
            )
            self._doubled.add(first)
            return
        run = self.run
        if doc.key in run.commitment_keys():
            there = True
            before = len(run.problems)
            with run.at(path):
                given, stored = COMMITMENTS.compare(run, doc)
                there = run.existing("commitments", index, given, stored)
            self._take_problems(index, before)
            if there:
                return
        self._replay(index, path, doc, dated)

    def _replay(self, index: int, path: str, doc: CommitmentDoc, dated: list[Adjustment]) -> None:
        """The history move by move, each by the person the document names, in a unit of work
        of its own; the first problem ends it."""
        run = self.run
        first = doc.history[0]
        if first.move != Move.REQUEST:
            self._problem(
                index,
                Problem(
                    f"{path}.history[0]",
                    f"a history starts with 'request', not {first.move.value!r}",
                ),
            )
            return
        if self._org is None:
            self._org = _Organization(run.uow)
            run.uow.commitments.load_partnerships(self.partnership_keys)
        unit = OneCommitment(run.uow, self._org)
        uow = cast("UnitOfWork", unit)
        notes: list[Adjustment] = []
        for m_index, step in enumerate(doc.history):
            step_path = f"{path}.history[{m_index}]"
            person = self._person(step.by)
            wrong = history_problem(run, doc, m_index, step_path, person is not None)
            if wrong is not None:
                self._problem(index, wrong)
                return
            assert person is not None
            replay = Replay(run.actor)
            try:
                if m_index == 0:
                    missing_terms(step)
                    commitments.request(
                        uow,
                        person,
                        key=doc.key,
                        partnership=doc.partnership,
                        requester=doc.requester,
                        performer=doc.performer,
                        at=step.at,
                        title=step.title or "",
                        due=step.due or step.at,
                        conditions_of_satisfaction=step.conditions_of_satisfaction or "",
                        reliance=step.reliance,
                        measure=step.measure,
                        replay=replay,
                    )
                else:
                    commitments.move(
                        uow,
                        person,
                        doc.key,
                        step.move,
                        version=None,
                        at=step.at,
                        replay=replay,
                        **step.args(),
                    )
            except AccordError as error:
                self._problem(index, Problem(step_path, error.message))
                return
            notes.extend(Adjustment(step_path, note) for note in replay.notes)
        run.report.created["commitments"] += 1
        self._adjusted.extend(dated)
        self._adjusted.extend(notes)
        if self.refused:
            return  # the document is refused: nothing more is written
        assert unit.commitments.commitment is not None
        batch = self._batch
        batch.commitments.append(unit.commitments.commitment)
        batch.events.extend(unit.events)
        batch.text += sum(
            len(step.title or "")
            + len(step.conditions_of_satisfaction or "")
            + len(step.note or "")
            + len(step.reason or "")
            for step in doc.history
        )
        if len(batch.commitments) >= BATCH or batch.text >= BATCH_TEXT:
            self._write(full=True)

    @property
    def refused(self) -> bool:
        """Whether a problem was found already: then nothing is written."""
        return bool(self._problems or self.shape or self.unknown or self.run.problems)

    def _person(self, email: str) -> Person | None:
        people = self._people
        if email not in people:
            made = self.run.people.get(email)
            people[email] = made if made is not None else self.run.uow.org.find_person(email)
        return people[email]

    def _problem(self, index: int, problem: Problem) -> None:
        self._problems.setdefault(index, []).append(problem)

    def _take_problems(self, index: int, before: int) -> None:
        """The problems the shared steps of the replay noted for the item, kept as its own."""
        run = self.run
        for problem in run.problems[before:]:
            self._problem(index, problem)
        del run.problems[before:]

    def _write(self, *, full: bool = False) -> None:
        """The batch's commitments in one statement, then their events appended to the log
        (and handed to the trust upkeep), in the document's order. When the first batch is a
        `full` one (a large import), the tables' secondary indexes are set aside if the
        organization has no commitment yet, and made again by `finish` (`indexes`)."""
        batch, self._batch = self._batch, _Batch()
        if not batch.commitments:
            return
        uow = self.run.uow
        if self._indexes is None:
            self._indexes = DeferredIndexes(uow.session)
            if full:
                self._indexes.set_aside()
        with uow.search.indexed_after(Kind.COMMITMENT):
            uow.commitments.insert_many(batch.commitments)
        for event in batch.events:
            uow.record(event)
        uow.log_pending()

    def finish(self) -> None:
        """Write the last batch; the problems of the section go to the import's, those of an
        item given again under its key left out (the item is skipped, as its duplicates)."""
        if not self.refused:
            self._write()
        if self._indexes is not None:
            self._indexes.restore()  # also before a refusal's rollback, which would restore them
        self._batch = _Batch()
        run = self.run
        for index in sorted(self._problems):
            if index not in self._doubled:
                run.problems.extend(self._problems[index])
        skipped = {f"commitments[{index}]" for index in self._doubled}
        run.already_there -= skipped
        self.dated.extend(a for a in self._adjusted if item_of(a.path) not in skipped)
