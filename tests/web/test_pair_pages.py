"""Trust in words on the pages, through HTTP against a live server: the pair page, the
commitment page's forecast and outcome, and the partners on My desk."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, signed_in

from accord.commitments import service as commitments
from accord.config import Settings
from accord.org import service as org
from accord.org.domain import Operator
from accord.trust import pairs
from accord.trust.words import method_words
from accord.uow import UnitOfWork
from factories import data_and_care, make_commitment, make_person, make_team
from live_server import serve

EVIL = "Data <script>alert(1)</script>"
ESCAPED = "Data &lt;script&gt;alert(1)&lt;/script&gt;"
PAIR = "/teams/data/trust/care"


@dataclass(frozen=True)
class World:
    base_url: str
    engine: Engine
    clock: Any  # the tests' standing clock
    settings: Settings

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, clock=self.clock)

    def record(self) -> pairs.PairRecord:
        return pairs.pair_record(self.uow(), self.settings, Operator(), "data", "care")


@pytest.fixture
def world(sqlite_engine: Engine, clock: Any) -> Iterator[World]:
    """`data` (a hostile name) delivered to `care` once on time and once late, and holds
    care's critical open bet: two finished commitments, too little evidence to judge."""
    uow = UnitOfWork(sqlite_engine, clock=clock)
    names = {"data": EVIL, "care": "Customer Care"}
    partners = data_and_care(uow, key="dc", sponsor=None, team_names=names)
    make_team(uow, "ops", name="Operations")
    people = {
        **partners.people,
        "olga": make_person(uow, "olga@example.org", teams={"ops": "member"}),
        "root": make_person(uow, "root@example.org", role="admin"),
    }
    for person in people.values():
        org.set_password(uow, Operator(), person.email, PASSWORD)

    def move(key: str, name: str, who: str, **args: Any) -> None:
        version = commitments.get_commitment(uow, key).commitment.version
        commitments.move(uow, people[who], key, name, version=version, **args)

    make_commitment(uow, "dc", people["bo"], "care", "data", key="done", title="Weekly scores")
    move("done", "promise", "ana")
    clock.advance(days=2)
    move("done", "report_done", "ana")
    move("done", "accept", "bo", value=4)
    clock.advance(days=40)
    make_commitment(
        uow,
        "dc",
        people["bo"],
        "care",
        "data",
        key="slow",
        title="Churn model <v2>",
        due=clock.now + timedelta(days=3),
    )
    move("slow", "promise", "ana")
    clock.advance(days=6)
    move("slow", "report_done", "ana")
    move("slow", "accept", "bo", value=3)
    make_commitment(uow, "dc", people["bo"], "care", "data", key="bet", reliance="critical")
    move("bet", "promise", "ana")
    clock.advance(days=1)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="test-secret")
    for base in serve(settings, clock):
        yield World(base, sqlite_engine, clock, settings)


def section(page: str, element_id: str, end: str = "</section>") -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index(end, start)]


def row(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</tr>", start)]


def pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def test_the_two_teams_and_admins_read_the_pair_page(world) -> None:
    for email in ("ana@example.org", "bo@example.org", "root@example.org"):
        with signed_in(world.base_url, email) as http:
            page = http.get(PAIR)
        assert page.status_code == 200, email
        assert "<h1>" + ESCAPED + " as Customer Care sees it</h1>" in page.text
        assert "<script>alert(1)</script>" not in page.text


def test_others_are_refused_the_pair_page_as_other_trust_pages(world) -> None:
    with signed_in(world.base_url, "olga@example.org") as http:
        refused = http.get(PAIR)
        history = http.get("/teams/data/trust-history")
        unknown = http.get("/teams/data/trust/nobody")
    anonymous = httpx.get(world.base_url + PAIR, timeout=60)

    assert refused.status_code == history.status_code == 403
    assert "for the members of the two teams and admins" in refused.text
    assert "Weekly scores" not in refused.text
    assert unknown.status_code == 404
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/sign-in?next={PAIR}"


def test_the_pair_page_shows_its_figures_in_words_while_thin(world) -> None:
    record = world.record()
    with signed_in(world.base_url, "bo@example.org") as http:
        page = http.get(PAIR).text

    ability = row(page, "pair-ability")
    figure = record.figure("ability")
    assert not figure.enough_evidence
    low, high = (pct(bound) for bound in figure.interval)
    assert (
        f'too little evidence to judge</span> <span class="range">(between {low} and {high})'
        in (ability)
    )
    assert '<span class="figure">' not in ability
    assert "on time in 1 of 2 commitments" in ability
    assert "kept its word in 1 of 2 commitments" in row(page, "pair-integrity")
    assert "rated 3.5 of 5 on average across 2 ratings" in row(page, "pair-value")
    assert "too little evidence to judge" in row(page, "pair-overall")
    given = section(page, "pair-given", "</dl>")
    assert "100%" in given
    flags = section(page, "pair-flags", "</dd>")
    assert "over-reliant" in flags
    assert "Relied on critically, but its record is thin (uncertainty " in flags
    relied = section(page, "relied-on")
    assert 'href="/commitments/bet"' in relied
    assert "reliance critical (100%)" in relied


def test_the_pair_page_lists_the_commitments_behind_it_with_their_weights(world) -> None:
    record = world.record()
    with signed_in(world.base_url, "ana@example.org") as http:
        page = http.get(PAIR).text

    behind = section(page, "behind")
    assert "2 commitments of " in behind
    assert behind.index('id="evidence-slow"') < behind.index('id="evidence-done"')
    assert 'id="evidence-bet"' not in behind  # open and not overdue: no evidence yet
    assert html.escape("Churn model <v2>") in behind
    slow = row(behind, "evidence-slow")
    assert "Delivered late" in slow
    assert "no warning" in slow
    assert "rated 3 of 5" in slow
    by_key = {r.key: r for r in record.rows}
    for key in ("slow", "done"):
        assert f">{by_key[key].weight:.2f}<" in row(behind, f"evidence-{key}")
    done = row(behind, "evidence-done")
    assert "Delivered on time" in done
    assert f"+{by_key['done'].weight:.2f}" in done
    total = row(behind, "evidence-total")
    sums = record.sums()
    ability = record.report.trust.ability
    assert sums.ability_r + sums.ability_s == pytest.approx(ability.r + ability.s)
    assert f">{ability.r + ability.s:.2f}<" in total
    assert f"+{ability.r:.2f}" in total
    assert f"\N{MINUS SIGN}{ability.s:.2f}" in total


def test_the_team_page_and_the_trust_map_link_each_pair_to_its_page(world) -> None:
    with signed_in(world.base_url, "bo@example.org") as http:
        team = http.get("/teams/care").text
        trust_map = http.get("/trust-map").text

    assert f'href="{PAIR}"' in row(team, "partner-data")
    assert f'href="{PAIR}"' in row(trust_map, "pair-care--data")
    assert 'href="/teams/care/trust/data"' in row(trust_map, "pair-data--care")


def test_an_open_commitment_shows_its_forecast_and_how_it_was_made(world) -> None:
    with signed_in(world.base_url, "bo@example.org") as http:
        page = http.get("/commitments/bet").text

    forecast = section(page, "forecast")
    assert re.search(r'<p class="stat">\d+%</p>', forecast)
    assert method_words("pair_ability").replace("'", "&#39;") in forecast
    assert 'id="outcome"' not in page
    pair = section(page, "pair-trust")
    assert "too little evidence to judge" in pair
    assert "On time in 1 of 2 commitments" in pair
    assert "Relied on critically, but its record is thin" in pair
    assert f'href="{PAIR}"' in pair


def test_a_finished_commitment_shows_its_outcome_instead_of_a_forecast(world) -> None:
    record = world.record()
    slow = next(r for r in record.rows if r.key == "slow")
    with signed_in(world.base_url, "ana@example.org") as http:
        late = http.get("/commitments/slow").text
        on_time = http.get("/commitments/done").text

    assert 'id="forecast"' not in late
    outcome = section(late, "outcome")
    assert '<span class="badge err">late</span>' in outcome
    assert "Delivered " in outcome
    assert "against integrity: no warning came before the due date" in outcome
    assert "its rating, 3 of 5, counts for value" in outcome
    assert f"the weight {slow.weight:.2f} today" in outcome
    assert '<span class="badge ok">on time</span>' in section(on_time, "outcome")
    assert "for ability and integrity" in section(on_time, "outcome")


def test_outsiders_see_a_finished_outcome_but_not_what_it_counts_for(world) -> None:
    with signed_in(world.base_url, "olga@example.org") as http:
        page = http.get("/commitments/slow").text

    outcome = section(page, "outcome")
    assert '<span class="badge err">late</span>' in outcome
    assert 'id="outcome-evidence"' not in outcome
    assert 'id="pair-trust"' not in page


def test_my_desk_names_the_partners_we_rely_on_in_words(world) -> None:
    with signed_in(world.base_url, "bo@example.org") as http:
        desk = http.get("/").text
    with signed_in(world.base_url, "olga@example.org") as http:
        other = http.get("/").text

    relied = section(desk, "relied-care--data", "See why")
    assert ESCAPED in relied
    assert "relied on 100%" in relied
    assert "too little evidence to judge" in relied
    assert "On time in 1 of 2 commitments" in relied
    assert "Relied on critically, but its record is thin" in relied
    assert f'href="{PAIR}"' in relied
    assert "Your teams rely on no partner now" in section(other, "relied-on")


def test_the_pair_page_pages_a_long_record(world) -> None:
    uow = world.uow()
    ana = org.get_person(uow, "ana@example.org")
    bo = org.get_person(uow, "bo@example.org")
    for i in range(55):
        key = f"more-{i}"
        make_commitment(uow, "dc", bo, "care", "data", key=key, reliance="low")
        commitments.move(uow, ana, key, "promise", version=1)
        commitments.move(uow, ana, key, "report_done", version=2)
        commitments.move(uow, bo, key, "accept", version=3, value=5)
        world.clock.advance(hours=1)
    with signed_in(world.base_url, "ana@example.org") as http:
        first = http.get(PAIR).text
        second = http.get(PAIR, params={"page": 2}).text
        beyond = http.get(PAIR, params={"page": 99})
        nonsense = http.get(PAIR, params={"page": "²"})

    assert "57 commitments of " in first
    assert first.count('id="evidence-more-') == 50
    assert "page 1 of 2" in first
    assert '<a href="?page=2" rel="next">' in first
    assert second.count('id="evidence-') == 7 + 1  # the rest, and the total
    assert 'id="evidence-done"' in second
    assert beyond.status_code == nonsense.status_code == 200
    assert "page 2 of 2" in beyond.text
    assert "page 1 of 2" in nonsense.text
    # with enough evidence, the figure comes with its range
    assert '<span class="figure">' in row(first, "pair-ability")
