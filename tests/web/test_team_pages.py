"""The team directory and a team's page, through HTTP against a live server."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, signed_in

from accord.channel.session import CSRF_COOKIE
from accord.commitments import service as commitments
from accord.config import Settings
from accord.org import service as org
from accord.org.domain import Operator
from accord.trust import service as trust
from accord.trust.words import Figure
from accord.uow import UnitOfWork
from factories import make_commitment, make_partnership, make_person, make_team
from live_server import serve

EVIL = "Data <script>alert(1)</script>"
ESCAPED = "Data &lt;script&gt;alert(1)&lt;/script&gt;"


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
    """`data` (a hostile name) delivers to `care`; `ops` works with `x` and with neither."""
    uow = UnitOfWork(sqlite_engine, clock=clock)
    make_team(uow, "unit", name="Consumer Unit", kind="business_unit")
    make_team(uow, "data", name=EVIL, kind="shared_service", mission="Data for every decision")
    make_team(uow, "care", name="Customer Care", parent="unit")
    make_team(uow, "ops", name="Operations", parent="unit")
    make_team(uow, "x", name="Xylophone")
    people = {
        "ana": make_person(uow, "ana@example.org", teams={"data": "lead"}),
        "dan": make_person(uow, "dan@example.org", teams={"data": "member"}),
        "bo": make_person(uow, "bo@example.org", teams={"care": "lead"}),
        "olga": make_person(uow, "olga@example.org", teams={"ops": "member"}),
        "xena": make_person(uow, "xena@example.org", teams={"x": "lead", "ops": "lead"}),
        "root": make_person(uow, "root@example.org", role="admin"),
    }
    for person in people.values():
        org.set_password(uow, Operator(), person.email, PASSWORD)
    make_partnership(
        uow,
        people["ana"],
        key="dc",
        parties=[("data", "Signals"), ("care", "Playbooks")],
        affirmed_by=[people["ana"], people["bo"]],
    )
    make_partnership(
        uow,
        people["xena"],
        key="ox",
        name="Ops and X",
        parties=[("ops", "Runs"), ("x", "Builds")],
        affirmed_by=[people["xena"]],
    )
    make_commitment(uow, "dc", people["bo"], "care", "data", key="open-bet", reliance="critical")
    clock.advance(days=3)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="test-secret")
    for base in serve(settings, clock):
        yield World(base, sqlite_engine, clock, settings)


def deliver(world: World, key: str) -> None:
    """Care asks data, data promises and delivers, care accepts it on time."""
    uow = world.uow()
    bo = org.get_person(uow, "bo@example.org")
    ana = org.get_person(uow, "ana@example.org")
    make_commitment(uow, "dc", bo, "care", "data", key=key, reliance="high")
    for move, who in (("promise", ana), ("report_done", ana), ("accept", bo)):
        world.clock.advance(days=2)
        version = commitments.get_commitment(uow, key).commitment.version
        args = {"value": 5} if move == "accept" else {}
        commitments.move(uow, who, key, move, version=version, **args)


def section(page: str, element_id: str, end: str = "</section>") -> str:
    """The HTML from the element with this id to the next `end`."""
    start = page.index(f'id="{element_id}"')
    return page[start : page.index(end, start)]


def row(page: str, element_id: str) -> str:
    return section(page, element_id, "</tr>")


def pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def test_the_directory_lists_teams_with_their_leads_sizes_and_partnerships(world) -> None:
    with signed_in(world.base_url, "olga@example.org") as http:
        page = http.get("/teams")

    assert page.status_code == 200
    data = row(page.text, "team-data")
    assert ESCAPED in data
    assert "Ana" in data
    assert re.search(r'class="num">2</td>\s*<td class="num">1</td>', data)
    ops = row(page.text, "team-ops")
    assert "Consumer Unit" in ops
    assert "Xena" in ops
    assert "<script>alert(1)</script>" not in page.text


def test_the_directory_filters_by_kind_and_text(world) -> None:
    with signed_in(world.base_url, "olga@example.org") as http:
        by_kind = http.get("/teams", params={"kind": "business_unit"})
        by_text = http.get("/teams", params={"q": "care"})

    assert 'id="team-unit"' in by_kind.text
    assert 'id="team-care"' not in by_kind.text
    assert 'id="team-care"' in by_text.text
    assert 'id="team-ops"' not in by_text.text
    assert "1 of 5 teams" in by_text.text


def assert_figure(shown: str, figure: Figure) -> None:
    """A figure in words: its percentage and range, or while thin only the range."""
    low, high = (pct(bound) for bound in figure.interval)
    if figure.enough_evidence:
        assert f'<span class="figure">{pct(figure.expected)}</span>' in shown
        assert f"between {low} and {high}" in shown
    else:
        assert "too little evidence to judge" in shown
        assert f"(between {low} and {high})" in shown
        assert '<span class="figure">' not in shown
    assert html.escape(figure.counts) in shown


def test_a_member_sees_the_trust_the_service_reports_rounded(world) -> None:
    deliver(world, "first")
    uow = world.uow()
    ana = org.get_person(uow, "ana@example.org")
    report = trust.trust_of(uow, world.settings, ana, "data")
    partners = trust.partners_of(uow, world.settings, ana, "data")

    with signed_in(world.base_url, "ana@example.org") as http:
        page = http.get("/teams/data").text

    for dimension in ("ability", "integrity", "value", "overall"):
        figure = report.figure(dimension)
        shown = row(page, f"trust-{dimension}")
        assert_figure(shown, figure)
        uncertainty = (
            report.trust.overall_uncertainty
            if dimension == "overall"
            else report.trust.dimension(dimension).uncertainty
        )
        assert f">{pct(uncertainty)}<" in shown
    network = section(page, "trust-network", "</p>")
    assert f"{report.network:.2f}".rstrip("0").rstrip(".") in network
    [care] = partners
    partner = row(page, "partner-care")
    assert_figure(partner, care.figure("ability"))
    assert 'href="/teams/care/trust/data"' in partner
    assert f">{pct(care.given or 0.0)}<" in partner
    assert f"{(care.gap or 0.0) * 100:+.0f} pts" in partner
    assert "Trust of this team is visible" not in page


def test_a_member_of_an_unrelated_team_sees_no_trust_of_the_team(world) -> None:
    deliver(world, "first")
    with signed_in(world.base_url, "olga@example.org") as http:
        page = http.get("/teams/data")

    assert page.status_code == 200
    assert (
        "Trust of this team is visible to its members, admins and leads of its partner teams"
        in page.text
    )
    assert 'id="trust-ability"' not in page.text
    assert 'id="history"' not in page.text
    assert 'id="partner-care"' not in page.text
    with signed_in(world.base_url, "olga@example.org") as http:
        assert http.get("/teams/data/trust-history").status_code == 403
    assert ESCAPED in page.text
    assert "<script>alert(1)</script>" not in page.text


def test_the_lead_of_a_partner_team_sees_team_trust_but_not_the_pairs_of_others(world) -> None:
    with signed_in(world.base_url, "xena@example.org") as http:
        ops = http.get("/teams/x").text
        data = http.get("/teams/data").text

    assert 'id="trust-overall"' in ops
    assert 'id="partner-ops"' in ops
    assert 'id="trust-overall"' not in data
    assert 'id="partner-care"' not in data


def test_trust_over_time_has_twelve_points_and_moves_after_an_acceptance(world) -> None:
    with signed_in(world.base_url, "ana@example.org") as http:
        page = http.get("/teams/data").text
        # the team page loads the chart after itself, from this address
        assert 'hx-get="/teams/data/trust-history" hx-trigger="load"' in page
        before = http.get("/teams/data/trust-history", headers={"HX-Request": "true"}).text
        deliver(world, "first")
        world.clock.advance(days=10)
        after = http.get("/teams/data/trust-history").text
    assert "<html" not in before  # the fragment, for htmx
    assert "<html" in after  # the page of its own, without htmx

    for page in (before, after):
        history = section(page, "history")
        assert history.count("<circle") == 24  # two lines of twelve points
        table = history.split('<table class="history">')[1]
        assert table.count("<tr>") == 13  # the header and twelve instants
        assert "<svg" in history
        assert 'role="img"' in history
        assert ESCAPED in history  # the chart's title names the team
    last = section(before, "history").split("<tr>")[-1]
    newest = section(after, "history").split("<tr>")[-1]
    assert last != newest
    uow = world.uow()
    now = trust.trust_of(uow, world.settings, org.get_person(uow, "ana@example.org"), "data")
    assert f">{pct(now.trust.overall_expected)}<" in newest


def test_a_lead_edits_the_name_and_mission(world) -> None:
    with signed_in(world.base_url, "bo@example.org") as http:
        page = http.get("/teams/care")
        form = page.text[page.text.index('id="team-edit"') :]
        assert re.match(r'[^<]*>\s*<input type="hidden" name="csrf_token" value="[^"]+"', form)
        response = http.post(
            "/teams/care",
            data={
                "name": "Care & Support",
                "mission": "Keep customers",
                "csrf_token": http.cookies[CSRF_COOKIE],
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/teams/care"
        shown = http.get("/teams/care").text

    assert "Care &amp; Support" in shown
    assert "Keep customers" in shown
    assert org.get_team(world.uow(), "care").name == "Care & Support"


def test_an_empty_name_is_refused_beside_its_field(world) -> None:
    with signed_in(world.base_url, "bo@example.org") as http:
        http.get("/teams/care")
        response = http.post(
            "/teams/care",
            data={"name": "", "mission": "x", "csrf_token": http.cookies[CSRF_COOKIE]},
            headers={"HX-Request": "true"},
        )

    assert response.status_code == 422
    assert 'id="team-name-error"' in response.text
    assert "must not be empty" in response.text
    assert org.get_team(world.uow(), "care").name == "Customer Care"


def test_only_leads_and_admins_see_or_use_the_edit_form(world) -> None:
    with signed_in(world.base_url, "dan@example.org") as http:
        page = http.get("/teams/data")
        forged = http.post(
            "/teams/data",
            data={"name": "Taken", "mission": "", "csrf_token": http.cookies[CSRF_COOKIE]},
        )
    with signed_in(world.base_url, "root@example.org") as http:
        admin_page = http.get("/teams/data")

    assert 'id="team-edit"' not in page.text
    assert forged.status_code == 403
    assert org.get_team(world.uow(), "data").name == EVIL
    assert 'id="team-edit"' in admin_page.text


def test_an_unknown_team_is_a_not_found_page(world) -> None:
    with signed_in(world.base_url, "ana@example.org") as http:
        page = http.get("/teams/nobody")

    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]


def test_team_pages_need_sign_in(world) -> None:
    response = httpx.get(world.base_url + "/teams/data", timeout=60)

    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/teams/data"


def test_the_parent_lists_its_children(world) -> None:
    with signed_in(world.base_url, "olga@example.org") as http:
        page = http.get("/teams/unit").text

    place = section(page, "place-h")
    assert "Consumer Unit" not in place
    assert 'href="/teams/care"' in place
    assert 'href="/teams/ops"' in place
