"""`UnitOfWork.carry`: reads made before a use case (an API change's sign-in) open the unit's
session, and the use case that follows goes on in that session and transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from accord.org import service as org
from accord.org.domain import TeamKind
from accord.org.orm import teams_table
from accord.uow import UnitOfWork
from factories import OPERATOR, make_team


def slugs(uow: UnitOfWork) -> set[str]:
    with uow:
        return set(uow.session.scalars(select(teams_table.c.slug)))


def test_the_use_case_after_a_carried_read_goes_on_in_its_transaction(make_uow) -> None:
    make_team(make_uow(), "first")
    unit = make_uow()
    with unit.carry():
        team = org.get_team(unit, "first")  # a use case of its own, entered and left
        session = unit.session
    assert session.in_transaction()  # left open for the use case
    org.create_team(unit, OPERATOR, slug="second", name="Second")
    assert unit.session is session
    assert not session.in_transaction()  # committed and closed as a use case ends
    assert org.get_team(unit, "first") is not team  # the next use case: a session of its own
    assert unit.session is not session
    assert slugs(make_uow()) == {"first", "second"}
    unit.drop_carried()  # nothing left to drop


def test_a_carried_session_no_use_case_took_is_rolled_back(make_uow) -> None:
    unit = make_uow()
    with unit.carry():
        with unit:
            unit.session.execute(
                insert(teams_table).values(
                    slug="ghost", name="Ghost", kind=TeamKind.TEAM, mission=""
                )
            )
    unit.drop_carried()
    assert not unit.session.in_transaction()
    assert "ghost" not in slugs(make_uow())


def test_only_a_unit_not_begun_carries(make_uow) -> None:
    unit = make_uow()
    with unit, pytest.raises(RuntimeError), unit.carry():
        pass
