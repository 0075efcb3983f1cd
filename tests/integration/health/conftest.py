"""An organization with a partnership to check the health of."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from accord.uow import UnitOfWork
from built_once import built_once
from factories import Partners, data_and_care, make_person, make_team


@pytest.fixture
def world(request: pytest.FixtureRequest, engine: Engine, uow: UnitOfWork) -> Partners:
    """`data` (ana lead; cy, dan, ed members) and `care` (bo lead; dee, eve, fin members) in the
    active partnership `signals`; `ops` (fay) is in none of it; tom is in both data and care;
    vi is a viewer, adm an admin."""
    return built_once(request, engine, lambda: build_world(uow))


def build_world(uow: UnitOfWork) -> Partners:
    partners = data_and_care(uow, purpose_key="churn")
    make_team(uow, "ops")
    teams = {
        "cy": {"data": "member"},
        "dan": {"data": "member"},
        "ed": {"data": "member"},
        "dee": {"care": "member"},
        "eve": {"care": "member"},
        "fin": {"care": "member"},
        "fay": {"ops": "lead"},
        "tom": {"data": "member", "care": "member"},
    }
    for name, memberships in teams.items():
        partners.people[name] = make_person(uow, f"{name}@example.org", teams=memberships)
    partners.people["vi"] = make_person(uow, "vi@example.org", role="viewer")
    partners.people["adm"] = make_person(uow, "adm@example.org", role="admin")
    return partners
