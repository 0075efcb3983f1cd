"""The trust map page, its JSON and the calibration page, through HTTP against a live server."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, signed_in

from accord.commitments import service as commitments
from accord.config import Settings
from accord.org import service as org
from accord.org.domain import Operator
from accord.trust import backtest as backtesting
from accord.trust import service as trust
from accord.uow import UnitOfWork
from accord.web.routes import trust_map as trust_map_routes
from factories import data_and_care, make_commitment, make_partnership, make_person, make_team
from live_server import serve

EVIL = "Data <script>alert(1)</script>"
ESCAPED = "Data &lt;script&gt;alert(1)&lt;/script&gt;"
STATIC = Path(__file__).resolve().parents[2] / "src" / "accord" / "web" / "static"


@dataclass(frozen=True)
class World:
    base_url: str
    engine: Engine
    clock: Any  # the tests' standing clock
    settings: Settings

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, clock=self.clock)


@pytest.fixture
def world(sqlite_engine: Engine, clock: Any) -> Iterator[World]:
    """`data` (a hostile name) delivers to `care` once and holds a critical open bet; `ops`
    and `x` work together apart from them."""
    uow = UnitOfWork(sqlite_engine, clock=clock)
    names = {"data": EVIL, "care": "Customer Care"}
    partners = data_and_care(uow, key="dc", sponsor=None, team_names=names)
    make_team(uow, "ops", name="Operations")
    make_team(uow, "x", name="Xylophone")
    people = {
        **partners.people,
        "olga": make_person(uow, "olga@example.org", teams={"ops": "member"}),
        "xena": make_person(uow, "xena@example.org", teams={"x": "lead"}),
        "root": make_person(uow, "root@example.org", role="admin"),
    }
    for person in people.values():
        org.set_password(uow, Operator(), person.email, PASSWORD)
    make_partnership(
        uow,
        people["xena"],
        key="ox",
        name="Ops and X",
        parties=[("ops", "Runs"), ("x", "Builds")],
        affirmed_by=[people["xena"]],
    )
    make_commitment(uow, "dc", people["bo"], "care", "data", key="done", reliance="high")
    for move, who in (("promise", "ana"), ("report_done", "ana"), ("accept", "bo")):
        clock.advance(days=2)
        version = commitments.get_commitment(uow, "done").commitment.version
        args = {"value": 4} if move == "accept" else {}
        commitments.move(uow, people[who], "done", move, version=version, **args)
    make_commitment(uow, "dc", people["bo"], "care", "data", key="bet", reliance="critical")
    clock.advance(days=1)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="test-secret")
    for base in serve(settings, clock):
        yield World(base, sqlite_engine, clock, settings)


def row(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</tr>", start)]


def pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def test_the_json_needs_a_session_and_the_page_sends_to_sign_in(world) -> None:
    json_answer = httpx.get(world.base_url + "/trust-map.json", timeout=60)
    page = httpx.get(world.base_url + "/trust-map", timeout=60)

    assert json_answer.status_code == 401
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=/trust-map"


def test_the_json_has_the_documented_shape_and_the_services_numbers(world) -> None:
    with signed_in(world.base_url, "bo@example.org") as http:
        answer = http.get("/trust-map.json")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    document = answer.json()
    assert set(document) == {"as_of", "purpose", "team", "depth", "drawn", "nodes", "edges"}
    assert (document["purpose"], document["team"], document["drawn"]) == (None, None, True)
    nodes = {n["slug"]: n for n in document["nodes"]}
    assert set(nodes) == {"data", "care", "ops", "x"}
    assert set(nodes["data"]) == {
        "slug",
        "name",
        "kind",
        "overall",
        "uncertainty",
        "interval",
        "enough_evidence",
        "words",
    }
    edges = {(e["requester"], e["performer"]): e for e in document["edges"]}
    assert set(edges) == {("care", "data"), ("data", "care")}
    uow = world.uow()
    pair = trust.trust_of(uow, world.settings, Operator(), "data", of="care")
    edge = edges[("care", "data")]
    assert edge["ability"] == pytest.approx(pair.trust.ability.expected)
    assert edge["uncertainty"] == pytest.approx(pair.trust.ability.uncertainty)
    assert edge["given"] == pair.given == 1.0
    assert edge["gap"] == pytest.approx(pair.gap)
    assert edge["flags"] == pair.flags == ["over_reliant"]
    # added fields: the figure in words, and why the pair is flagged
    assert edge["interval"] == pytest.approx(list(pair.figure("ability").interval))
    assert edge["enough_evidence"] is False
    assert edge["evidence"] == "on time in 1 of 1 commitment"
    assert edge["words"] == pair.figure("ability").words
    assert edge["words"].startswith("too little evidence to judge (between ")
    assert edge["flag_causes"] == [cause.document() for cause in pair.flag_causes or []]
    assert [c["cause"] for c in edge["flag_causes"]] == ["little_evidence"]
    assert edge["flag_causes"][0]["words"].startswith(
        "relied on critically, but its record is thin (uncertainty "
    )


def test_a_member_of_an_unrelated_team_sees_no_pair_or_trust_it_may_not_see(world) -> None:
    with signed_in(world.base_url, "olga@example.org") as http:
        document = http.get("/trust-map.json").json()
        page = http.get("/trust-map").text

    assert {(e["requester"], e["performer"]) for e in document["edges"]} == {
        ("ops", "x"),
        ("x", "ops"),
    }
    overall = {n["slug"]: n["overall"] for n in document["nodes"]}
    assert overall["data"] is None
    assert overall["care"] is None
    assert overall["ops"] is not None
    assert 'id="pair-care--data"' not in page
    assert 'id="pair-ops--x"' in page
    assert "not yours to see" in row(page, "node-data")
    assert "No pair you may see is over-reliant." in page


def test_the_page_shows_the_services_numbers_rounded_and_lists_over_reliance(world) -> None:
    uow = world.uow()
    found = trust.trust_map(uow, world.settings, org.get_person(uow, "bo@example.org"))
    with signed_in(world.base_url, "bo@example.org") as http:
        page = http.get("/trust-map").text

    for edge in found.edges:
        shown = row(page, f"pair-{edge.requester}--{edge.performer}")
        low, high = (pct(bound) for bound in edge.interval)
        if edge.enough_evidence:
            assert f'<span class="figure">{pct(edge.ability)}</span>' in shown
        else:  # never a bare percentage on thin evidence
            assert "too little evidence to judge" in shown
            assert f"(between {low} and {high})" in shown
            assert '<span class="figure">' not in shown
        assert html.escape(edge.evidence) in shown
        assert f">{pct(edge.uncertainty)}<" in shown
        assert f">{pct(edge.given)}<" in shown
        assert f"{edge.gap * 100:+.0f} pts" in shown
        assert f'href="/teams/{edge.performer}/trust/{edge.requester}"' in shown
    flagged = row(page, "pair-care--data")
    assert "over-reliant" in flagged
    assert "Relied on critically, but its record is thin (uncertainty " in flagged
    over = page[page.index('id="over-reliant"') : page.index('id="pairs"')]
    assert "Customer Care</a> relies 100% on" in over
    assert "too little evidence to judge" in over
    assert "Relied on critically, but its record is thin" in over
    care = next(n for n in found.nodes if n.slug == "care")
    assert care.overall is not None
    assert care.interval is not None
    node = row(page, "node-care")
    if care.enough_evidence:
        assert f'<span class="figure">{pct(care.overall)}</span>' in node
    else:
        assert "too little evidence to judge" in node


def test_a_hostile_team_name_is_text_in_the_page_and_data_in_the_json(world) -> None:
    with signed_in(world.base_url, "ana@example.org") as http:
        page = http.get("/trust-map")
        document = http.get("/trust-map.json").json()

    assert "<script>alert(1)</script>" not in page.text
    assert ESCAPED in page.text
    assert EVIL in [n["name"] for n in document["nodes"]]
    # the graph gets names as data for Cytoscape to draw as text, never as markup
    script = (STATIC / "trust_map.js").read_text()
    assert "innerHTML" not in script
    assert "insertAdjacentHTML" not in script


def test_the_page_loads_the_graph_without_inline_script_or_style(world) -> None:
    with signed_in(world.base_url, "ana@example.org") as http:
        page = http.get("/trust-map").text

    assert '<script src="/static/vendor/cytoscape-3.35.0/cytoscape.min.js" defer>' in page
    assert '<script src="/static/trust_map.js" defer>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert 'style="' not in page
    assert 'class="trust-graph"' in page
    assert 'id="__________cytoscape_stylesheet"' in page


def test_the_calibration_page_explains_the_backtest(world) -> None:
    uow = world.uow()
    result = backtesting.backtest(uow, world.settings, Operator())
    with signed_in(world.base_url, "olga@example.org") as http:
        page = http.get("/trust/calibration")

    assert page.status_code == 200
    assert result.forecast.n == 1
    assert f"<strong>{result.forecast.n}</strong>" in page.text
    assert "Brier score" in page.text
    assert "Skill" in page.text
    assert page.text.count('class="bin"') == 1
    assert "<title>Forecast against observed on-time rate</title>" in page.text
    # the verdict in words, and the simpler forecasts beside it
    assert html.escape(result.verdict, quote=False) in page.text
    assert "The pair&#39;s record alone" in page.text or "The pair's record alone" in page.text
    assert "Computed now" in page.text  # no model has been fitted on this small history
    assert "too few commitments had finished before to fit a model" in page.text


def test_the_page_narrows_to_a_team_and_its_partners(world) -> None:
    with signed_in(world.base_url, "bo@example.org") as http:
        page = http.get("/trust-map", params={"team": "ops", "depth": "1"}).text
        document = http.get("/trust-map.json", params={"team": "ops", "depth": "1"}).json()

    assert 'data-src="/trust-map.json?team=ops&amp;depth=1"' in page
    assert '<option value="ops" selected>Operations</option>' in page
    assert 'id="node-ops"' in page
    assert 'id="node-x"' in page
    assert 'id="node-data"' not in page  # outside the map asked for
    assert sorted(n["slug"] for n in document["nodes"]) == ["ops", "x"]
    assert (document["team"], document["depth"]) == ("ops", 1)


def test_beyond_the_layout_budget_the_graph_gives_way_to_the_tables(world, monkeypatch) -> None:
    monkeypatch.setattr(trust_map_routes, "GRAPH_PAIRS", 1)
    monkeypatch.setattr(trust_map_routes, "TABLE_ROWS", 1)
    with signed_in(world.base_url, "root@example.org") as http:
        page = http.get("/trust-map", params={"purpose": "dc-purpose"}).text
        document = http.get("/trust-map.json", params={"purpose": "dc-purpose"}).json()

    assert 'id="trust-graph"' not in page
    assert "2 pairs are more than one graph can show legibly" in page
    assert "The first 1 of 2 pairs" in page
    assert (document["drawn"], document["nodes"], document["edges"]) == (False, [], [])


def test_a_large_organization_opens_on_the_readers_team(world, monkeypatch) -> None:
    monkeypatch.setattr(trust_map_routes, "GRAPH_TEAMS", 3)  # the world has four teams
    with signed_in(world.base_url, "xena@example.org") as http:
        lead = http.get("/trust-map").text
    with signed_in(world.base_url, "root@example.org") as http:
        admin = http.get("/trust-map").text
        unknown = http.get("/trust-map", params={"purpose": "no-such-purpose"})

    assert '<option value="x" selected>Xylophone</option>' in lead
    assert 'id="node-ops"' in lead
    assert 'id="node-data"' not in lead
    # an admin of no team is asked to choose rather than sent the whole organization
    assert "more teams than one map can show" in admin
    assert 'id="pairs"' not in admin
    assert unknown.status_code == 404
