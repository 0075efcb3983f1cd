"""An organization with a partnership to check the health of; the event log still verifies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from accord.org.domain import Person
from accord.uow import UnitOfWork
from factories import chain_ok, make_partnership, make_person, make_purpose, make_team


@dataclass
class HealthOrg:
    """`data` (ana lead; cy, dan, ed members) and `care` (bo lead; dee, eve, fin members) in the
    active partnership `signals`; `ops` (fay) is in none of it; tom is in both data and care;
    vi is a viewer, adm an admin."""

    people: dict[str, Person]

    def __getitem__(self, name: str) -> Person:
        return self.people[name]


@pytest.fixture
def world(uow: UnitOfWork) -> HealthOrg:
    for slug in ("data", "care", "ops"):
        make_team(uow, slug)
    teams = {
        "ana": {"data": "lead"},
        "cy": {"data": "member"},
        "dan": {"data": "member"},
        "ed": {"data": "member"},
        "bo": {"care": "lead"},
        "dee": {"care": "member"},
        "eve": {"care": "member"},
        "fin": {"care": "member"},
        "fay": {"ops": "lead"},
        "tom": {"data": "member", "care": "member"},
    }
    people = {name: make_person(uow, f"{name}@example.org", teams=t) for name, t in teams.items()}
    people["vi"] = make_person(uow, "vi@example.org", role="viewer")
    people["adm"] = make_person(uow, "adm@example.org", role="admin")
    purpose = make_purpose(uow, people["bo"], key="churn")
    make_partnership(
        uow,
        people["ana"],
        key="signals",
        purpose=purpose,
        parties=[("data", "Customer health data"), ("care", "Save playbooks")],
        affirmed_by=[people["ana"], people["bo"]],
    )
    return HealthOrg(people)


@pytest.fixture(autouse=True)
def _chain_still_verifies(uow: UnitOfWork) -> Iterator[None]:
    yield
    assert chain_ok(uow), "the event log no longer verifies"
