"""Reading the stored sums of the pairs a batch of moves touches, on SQLite and PostgreSQL: the
sums of exactly the pairs asked for, none of the others between the same teams, however many
pairs are asked for at once (an import's batch touches most teams of the organization)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.orm import ORMExecuteState

from accord.org.orm import teams_table
from accord.trust.orm import EVIDENCE_COLUMNS, trust_pairs_table
from accord.trust.repository import CHUNK
from accord.uow import UnitOfWork
from factories import make_team

TEAMS = 30


def sums_of(requester: int, performer: int) -> list[float]:
    """Stored sums told apart by their pair."""
    return [
        requester * 1000.0 + performer + column / 100 for column in range(len(EVIDENCE_COLUMNS))
    ]


@pytest.fixture
def grid(uow: UnitOfWork) -> list[int]:
    """`TEAMS` teams, with stored sums for every ordered pair of them but the two between the
    first two teams; their ids."""
    for number in range(TEAMS):
        make_team(uow, f"t{number}")
    with uow:
        ids = sorted(uow.session.scalars(select(teams_table.c.id)).all())
        rows = [
            {
                "requester_id": r,
                "performer_id": p,
                **dict(zip(EVIDENCE_COLUMNS, sums_of(r, p), strict=True)),
            }
            for r in ids
            for p in ids
            if {r, p} != {ids[0], ids[1]}
        ]
        uow.session.execute(insert(trust_pairs_table), rows)
        uow.commit()
    return ids


class RowsRead:
    """The rows each statement of a session sent back, counted as they are read."""

    def __init__(self) -> None:
        self.counts: list[int] = []

    def __call__(self, state: ORMExecuteState) -> Any:
        frozen = state.invoke_statement().freeze()
        self.counts.append(len(frozen().all()))
        return frozen()


def read(uow: UnitOfWork, pairs: set[tuple[int, int]]) -> tuple[dict[Any, list[float]], list[int]]:
    """The stored sums of `pairs`, and the rows each statement of the read sent back."""
    counted = RowsRead()
    with uow:
        event.listen(uow.session, "do_orm_execute", counted)
        found = uow.trust._pairs(pairs)
    return found, counted.counts


def test_the_sums_of_the_pairs_asked_for_and_of_no_others(uow: UnitOfWork, grid: list[int]) -> None:
    # one pair from each requester to the next team: between these teams are 30 x 30 pairs
    asked = {(r, grid[(i + 1) % TEAMS]) for i, r in enumerate(grid)}
    missing = (grid[0], grid[1])  # no sums stored for it yet
    assert missing in asked
    found, rows = read(uow, asked)
    assert found == {pair: sums_of(*pair) for pair in asked - {missing}}
    assert sum(rows) == len(asked) - 1  # the database sent back only the rows asked for


def test_more_pairs_than_one_statement_asks_for(uow: UnitOfWork, grid: list[int]) -> None:
    stored = {(r, p) for r in grid for p in grid if {r, p} != {grid[0], grid[1]}}
    asked = set(sorted(stored)[: CHUNK + 40]) | {(grid[1], grid[0])}
    found, rows = read(uow, asked)
    assert found == {pair: sums_of(*pair) for pair in asked & stored}
    assert len(rows) == 2  # a statement a chunk
    assert sum(rows) == len(asked & stored)


def test_no_pairs_asked_reads_nothing(uow: UnitOfWork, grid: list[int]) -> None:
    assert read(uow, set()) == ({}, [])
