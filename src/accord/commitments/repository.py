"""Queries for commitments; never commits."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, or_, select
from sqlalchemy.orm import Session, joinedload

from accord.commitments.domain import COMMITTED, Commitment, Side, State
from accord.commitments.orm import commitments_table
from accord.db import KeyCache, insert_rows, reserve_ids
from accord.errors import NotFound
from accord.org.domain import Team
from accord.partnerships.domain import Partnership
from accord.partnerships.orm import partnerships_table
from accord.partnerships.repository import charter_options
from accord.text import CONTROL

c = commitments_table.c
# Partnerships `load_partnerships` reads a statement (the keys are its parameters).
_KEYS_A_QUERY = 5_000
# The columns `insert_many` writes, in the order it gives them.
_COLUMNS = (
    "key",
    "partnership_id",
    "requester_id",
    "performer_id",
    "title",
    "conditions_of_satisfaction",
    "due",
    "reliance",
    "measure_id",
    "state",
    "version",
    "requested_at",
    "updated_at",
    "delivered_at",
    "value",
    "pending",
    "pending_by",
    "pending_proposer",
)


def _row(item: Commitment) -> tuple[Any, ...]:
    """A commitment's values in the order of `_COLUMNS`."""
    return (
        item.key,
        item.partnership.id,
        item.requester.id,
        item.performer.id,
        item.title,
        item.conditions_of_satisfaction,
        item.due,
        item.reliance,
        item.measure.id if item.measure is not None else None,
        item.state,
        item.version,
        item.requested_at,
        item.updated_at,
        item.delivered_at,
        item.value,
        item.pending,
        item.pending_by,
        item.pending_proposer,
    )


# The orders a search may take, by these columns and then id, so that every row has its place;
# a state's commitments by due date, as the index on (state, due) gives them.
SORTS: dict[str, tuple[Any, ...]] = {
    "due": (c.due,),
    "state": (c.state, c.due),
    "updated": (c.updated_at,),
    "title": (c.title,),
}


@dataclass(frozen=True)
class Selection:
    """Which commitments a search keeps; a part left None keeps them all."""

    partnership_ids: Collection[int] | None = None  # in one of these partnerships
    team: Team | None = None  # on either side, or on `side` only
    side: Side | None = None
    teams: Collection[Team] | None = None  # with any of these on either side
    states: Collection[State] | None = None
    due_from: datetime | None = None
    due_before: datetime | None = None
    overdue_at: datetime | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """The conditions. Those on a team's sides become alternatives that each repeat the
        others, so that each is answered from the index of its side (requester or performer,
        then state); one OR of the sides beside the others would be read from all of a state."""
        rest: list[ColumnElement[bool]] = []
        if self.partnership_ids is not None:
            rest.append(_within(c.partnership_id, self.partnership_ids))
        if self.states is not None:
            rest.append(_within(c.state, list(self.states)))
        if self.due_from is not None:
            rest.append(c.due >= self.due_from)
        if self.due_before is not None:
            rest.append(c.due < self.due_before)
        if self.overdue_at is not None:
            rest.extend((c.state.in_(list(COMMITTED)), c.due < self.overdue_at))
        ways: list[list[ColumnElement[bool]]] = [[]]
        if self.team is not None:
            sides = [c.requester_id == self.team.id, c.performer_id == self.team.id]
            if self.side is not None:
                sides = sides[:1] if self.side == Side.REQUESTER else sides[1:]
            ways = [[*way, side] for way in ways for side in sides]
        if self.teams is not None:
            ids = {t.id for t in self.teams if t.id is not None}
            sides = [_within(c.requester_id, ids), _within(c.performer_id, ids)]
            ways = [[*way, side] for way in ways for side in sides]
        if len(ways) == 1:
            return [*ways[0], *rest]
        return [or_(*(and_(*way, *rest) for way in ways))]


def _beyond(columns: Sequence[Any], values: Sequence[Any], descending: bool) -> ColumnElement[bool]:
    """Rows after `values` in the order of `columns` (lexicographic, as ORDER BY sorts them)."""
    ways = []
    for at, column in enumerate(columns):
        same = [columns[i] == values[i] for i in range(at)]
        ways.append(and_(*same, column < values[at] if descending else column > values[at]))
    return or_(*ways)


def _within(column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    return column.in_(sorted(values)) if values else false()


@functools.cache
def _alone() -> tuple[Any, ...]:
    """Load a commitment with its partnership, teams and measure, but none of theirs: their
    members, parties and purposes load only when a use case asks (a list page loads 50)."""
    return tuple(
        joinedload(getattr(Commitment, name)).lazyload("*")
        for name in ("partnership", "requester", "performer", "measure")
    )


# The look-ups a request or a move makes, each built once with its key as a parameter: built
# anew for each use, a statement costs more to build and to find in the compiled cache than to
# run (a look-up by key 70 microseconds instead of 22, a commitment with its graph 270 instead
# of 150).


@functools.cache
def _id_by_key() -> Select[tuple[int]]:
    return select(c.id).where(c.key == bindparam("key"))


@functools.cache
def _by_key() -> Select[tuple[Commitment]]:
    return select(Commitment).where(c.key == bindparam("key")).options(*_alone())


@functools.cache
def _partnership_by_key() -> Select[tuple[Partnership]]:
    # all its rows: a partnership comes as one row per party, which `unique` puts together
    query = select(Partnership).where(partnerships_table.c.key == bindparam("key"))
    return query.options(*charter_options(parties_joined=True))


class CommitmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_key = KeyCache[Commitment](session)
        self._partnerships = KeyCache[Partnership](session)
        # the last batch `insert_many` gave ids, for `held` (kept after a rollback too: only the
        # trust upkeep asks, for the ids of the commitments its commit requests, which are these)
        self._numbered: dict[str, Commitment] = {}

    def partnership(self, key: str) -> Partnership:
        """The partnership a request is made in, loaded as `PartnershipRepository.get` loads it
        but in one statement rather than two (its parties joined, not selected after it); kept
        for the session, as an import asks for the same ones again and again."""
        found = self._partnerships.find(key, lambda: self._load_partnership(key))
        if found is None:
            raise NotFound(f"no partnership {key!r}", rule="partnership.not_found")
        return found

    def load_partnerships(self, keys: Collection[str]) -> None:
        """Load these partnerships as `partnership` loads each, together (a few thousand keys a
        statement), so that asking for them afterwards reads nothing: an import asks for the
        partnerships its document lists. An unknown key is left to `partnership`."""
        wanted = sorted({key for key in keys if not CONTROL.search(key)})
        for start in range(0, len(wanted), _KEYS_A_QUERY):
            keys_now = wanted[start : start + _KEYS_A_QUERY]
            query = select(Partnership).where(partnerships_table.c.key.in_(keys_now))
            joined = query.options(*charter_options(parties_joined=True))
            for found in self.session.scalars(joined).unique():
                self._partnerships.remember(found.key, found)

    def _load_partnership(self, key: str) -> Partnership | None:
        if CONTROL.search(key):  # no key holds one, and PostgreSQL refuses a NUL in a query
            return None
        found = self.session.scalars(_partnership_by_key(), {"key": key}).unique().all()
        return found[0] if found else None

    def add(self, commitment: Commitment) -> None:
        self.session.add(commitment)
        self._by_key.remember(commitment.key, commitment)

    def insert_many(self, commitments: Sequence[Commitment]) -> None:
        """New commitments in one go, as they stand (an import's batch): the rows the session
        would write for each, without its bookkeeping per object (`insert_rows`). Where the
        database gives ids ahead (`reserve_ids`), each commitment gets its own, and the batch
        is held (`held`) until the next: what follows need not read them back."""
        ids = reserve_ids(self.session, commitments_table, len(commitments))
        if ids is None:
            insert_rows(self.session, commitments_table, _COLUMNS, map(_row, commitments))
            return
        for item, new in zip(commitments, ids, strict=True):
            item.id = new
        self._numbered = {item.key: item for item in commitments}
        rows = ((item.id, *_row(item)) for item in commitments)
        insert_rows(self.session, commitments_table, ("id", *_COLUMNS), rows)

    def find(self, key: str) -> Commitment | None:
        return self._by_key.find(key, lambda: self._load(key))

    def held(self, key: str) -> Commitment | None:
        """The commitment if this unit of work holds it already (added, loaded, or in the last
        batch `insert_many` numbered), else None: never asks the database."""
        found = self._by_key.find(key, lambda: None)
        return found if found is not None else self._numbered.get(key)

    def _load(self, key: str) -> Commitment | None:
        # A plain look-up first: loading a commitment with its eager graph costs milliseconds
        # even when there is none, and an import asks about thousands of new keys.
        if self.session.scalar(_id_by_key(), {"key": key}) is None:
            return None
        return self._eager(key)

    def _eager(self, key: str) -> Commitment | None:
        return self.session.scalars(_by_key(), {"key": key}).first()

    def get(self, key: str) -> Commitment:
        """The commitment, in one query: `find` first asks whether the key exists at all, worth
        it for keys that mostly do not (an import's), not for one about to be moved."""
        commitment = self._by_key.find(key, lambda: self._eager(key))
        if commitment is None:
            raise NotFound(f"no commitment {key!r}", rule="commitment.not_found")
        return commitment

    def list(
        self,
        *,
        partnership: Partnership | None = None,
        team: Team | None = None,
        side: Side | None = None,
        states: Sequence[State] | None = None,
        overdue_at: datetime | None = None,
        due_before: datetime | None = None,
        after: tuple[datetime, int] | None = None,
        limit: int | None = None,
    ) -> Sequence[Commitment]:
        """By due date; `team` with `side` keeps one side; `after` (due, id) starts a page."""
        query = select(Commitment).order_by(c.due, c.id).options(*_alone())
        if partnership is not None:
            query = query.where(c.partnership_id == partnership.id)
        if team is not None and side == Side.REQUESTER:
            query = query.where(c.requester_id == team.id)
        elif team is not None and side == Side.PERFORMER:
            query = query.where(c.performer_id == team.id)
        elif team is not None:
            query = query.where(or_(c.requester_id == team.id, c.performer_id == team.id))
        if due_before is not None:
            query = query.where(c.due < due_before)
        if after is not None:
            due, last_id = after
            query = query.where(or_(c.due > due, and_(c.due == due, c.id > last_id)))
        if states is not None:
            query = query.where(c.state.in_(list(states)))
        if overdue_at is not None:
            query = query.where(c.state.in_(list(COMMITTED)), c.due < overdue_at)
        if limit is not None:
            query = query.limit(limit)
        return self.session.scalars(query).unique().all()

    def search(
        self,
        selection: Selection,
        *,
        sort: str = "due",
        descending: bool = False,
        after: tuple[Any, ...] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Commitment]:
        """The selected commitments in the order of `sort` (a key of SORTS), then id; a page
        starts at `offset`, or after the values of the order's columns and id of the last one
        read (`after`)."""
        columns = (*SORTS[sort], c.id)
        order = [col.desc() if descending else col for col in columns]
        # The page's ids first, from the commitments alone; the teams and the partnership of
        # those only: joined before the sort, they would be joined to every row sorted.
        page = select(c.id).where(*selection.where()).order_by(*order)
        if after is not None:
            page = page.where(_beyond(columns, after, descending))
        page = page.offset(offset or None).limit(limit)
        query = select(Commitment).where(c.id.in_(page)).order_by(*order).options(*_alone())
        return self.session.scalars(query).unique().all()

    def count(self, selection: Selection, *, up_to: int | None = None) -> int:
        """How many commitments the selection keeps; with `up_to`, at most `up_to` + 1 are
        counted, so that counting costs no more than reading so many from an index."""
        kept = select(c.id).where(*selection.where()).limit(None if up_to is None else up_to + 1)
        query = select(func.count()).select_from(kept.subquery())
        return int(self.session.scalar(query) or 0)

    def with_keys(self, keys: Collection[str]) -> Sequence[Commitment]:
        """The commitments of these keys that exist, with their teams, in one query."""
        if not keys:
            return []
        query = select(Commitment).where(c.key.in_(sorted(keys))).options(*_alone())
        return self.session.scalars(query).unique().all()

    def keys_like(self, prefix: str) -> set[str]:
        return set(self.session.scalars(select(c.key).where(c.key.startswith(prefix))))
