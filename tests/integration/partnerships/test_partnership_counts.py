"""How many partnerships each team and each purpose has, counted by the database."""

from __future__ import annotations

from accord.partnerships import service as partnerships
from accord.uow import UnitOfWork
from factories import make_partnership, make_person, make_purpose, make_team


def test_counts_by_team_and_by_purpose(uow: UnitOfWork) -> None:
    for slug in ("a", "b", "c", "idle"):
        make_team(uow, slug)
    lead = make_person(uow, "lead@example.org", teams={"a": "lead", "b": "lead", "c": "lead"})
    first = make_purpose(uow, lead, key="first")
    second = make_purpose(uow, lead, key="second")
    make_purpose(uow, lead, key="unserved")
    make_partnership(uow, lead, purpose=first, parties=[("a", "x"), ("b", "y")])
    make_partnership(uow, lead, purpose=first, parties=[("a", "x"), ("c", "z")])
    make_partnership(uow, lead, purpose=second, parties=[("a", "x"), ("b", "y"), ("c", "z")])

    assert partnerships.count_by_team(uow) == {"a": 3, "b": 2, "c": 2}
    assert partnerships.count_by_purpose(uow) == {"first": 2, "second": 1}
