"""What the API's hot reads cost beyond their answer: the route found among the first, the team
looked up by its own row, and still the same answers, refusals and OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import inspect

from accord.app import DOCUMENTED, MATCHED, create_app
from accord.config import Settings
from accord.errors import Forbidden, NotFound
from accord.trust import service as trust
from accord.uow import UnitOfWork
from factories import SETTINGS, make_person, make_team


def _app() -> Any:
    return create_app(Settings(database_url="sqlite://", secret_key="test", _env_prefix="NONE_"))


def test_every_api_router_is_matched_and_documented() -> None:
    assert sorted(m.__name__ for m in MATCHED) == sorted(m.__name__ for m in DOCUMENTED)


def test_no_path_of_one_router_is_matched_by_another_s_route() -> None:
    """So the order routers are tried in changes which route answers no request."""
    routes = [(m.__name__, r) for m in DOCUMENTED for r in m.router.routes]
    assert len(routes) > 50
    for module, route in routes:
        assert isinstance(route, APIRoute)
        path = re.sub(r"\{[^}]+\}", "some-key", route.path_format)
        for other_module, other in routes:
            if other_module != module and route.methods & (other.methods or set()):
                assert not other.path_regex.match(path), (route.path, other.path)


def test_a_team_s_trust_is_matched_first() -> None:
    """The team-trust read is tried before the routers of sign-in, teams, purposes,
    partnerships and commitments (about 40 routes, a tenth of its processor time)."""
    app = _app()
    included = [getattr(r, "original_router", None) for r in app.router.routes]
    api = [router for router in included if router is not None]
    assert api[0] is trust_router()
    assert included.index(trust_router()) < 4  # after /api/openapi.json, /healthz, /api/docs


def trust_router() -> Any:
    from accord.api.routes import trust as routes

    return routes.router


def test_the_openapi_document_keeps_the_documented_order() -> None:
    """The paths are listed by their routers' documented order, not the order they are matched
    in (which puts the team-trust read first)."""
    documented: list[str] = []
    for module in DOCUMENTED:
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            if route.include_in_schema and route.path not in documented:
                documented.append(route.path)
    paths = [p for p in _app().openapi()["paths"] if p.startswith("/api/v1/")]
    assert paths == documented
    assert paths.index("/api/v1/teams/{slug}/trust") > paths.index("/api/v1/commitments")


@pytest.fixture
def org(uow: UnitOfWork) -> UnitOfWork:
    make_team(uow, "platform")
    make_team(uow, "payments", parent="platform")
    make_team(uow, "cards", parent="payments")
    make_team(uow, "ledger", parent="cards")
    make_team(uow, "web")
    make_person(uow, "member@example.org", teams={"ledger": "member"})
    make_person(uow, "outsider@example.org", teams={"web": "member"})
    return uow


def test_a_bare_team_loads_neither_parents_nor_members(org: UnitOfWork) -> None:
    with org:
        team = org.org.bare_team("ledger")
        unloaded = inspect(team).unloaded
        assert {"parent", "memberships"} <= unloaded
        assert team.parent is not None
        assert team.parent.slug == "cards"
    with org:
        full = org.org.team("ledger", members=False)
        assert "parent" not in inspect(full).unloaded


def test_a_bare_team_is_the_session_s_own_and_refuses_what_is_not_a_team(org: UnitOfWork) -> None:
    with org:
        known = org.org.team("ledger")
        assert org.org.bare_team("ledger") is known
        for slug in ("nobody", "led\x00ger"):
            with pytest.raises(NotFound):
                org.org.bare_team(slug)


def test_trust_reads_still_check_who_may_see(org: UnitOfWork) -> None:
    with org:
        member = org.org.person("member@example.org")
        outsider = org.org.person("outsider@example.org")
    report = trust.trust_of(org, SETTINGS, member, "ledger")
    assert report.team == "ledger"
    with pytest.raises(Forbidden):
        trust.trust_of(org, SETTINGS, outsider, "ledger")
    with pytest.raises(Forbidden):
        trust.trust_of(org, SETTINGS, outsider, "ledger", of="platform")
    with pytest.raises(NotFound):
        trust.trust_of(org, SETTINGS, member, "nobody")
    assert trust.partners_of(org, SETTINGS, member, "ledger") == []
