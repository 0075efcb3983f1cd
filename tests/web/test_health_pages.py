"""Health-check pages through HTTP: open a round, answer it, read what the anonymity rule allows."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, post_form, signed_in

from accord.config import Settings
from accord.health import service as health
from accord.org import service as org
from accord.org.domain import Operator
from accord.uow import UnitOfWork
from accord.web.routes import health as health_routes
from factories import OPERATOR, SETTINGS, make_partnership, make_person, make_purpose, make_team
from live_server import serve

ANSWER = {"purpose": "4", "direction": "4", "ability": "5", "integrity": "4", "value": "3"}
ANSWER["overall"] = "4"
PEOPLE = {
    "ana": {"data": "lead"},
    "cy": {"data": "member"},
    "dan": {"data": "member"},
    "ed": {"data": "member"},
    "bo": {"care": "lead"},
    "dee": {"care": "member"},
    "fay": {"ops": "lead"},
}


class World:
    """Data (Ana lead; Cy, Dan, Ed) and Care (Bo lead; Dee) in an active partnership; Fay leads
    Ops, in no partnership; Adm is an admin."""

    def __init__(self, engine: Engine, clock: Any) -> None:
        self.engine = engine
        self.clock = clock
        uow = self.uow()
        for slug in ("data", "care", "ops"):
            make_team(uow, slug, name=f"Team {slug.title()}")
        people = {
            name: make_person(uow, f"{name}@example.org", teams=t, name=name.title())
            for name, t in PEOPLE.items()
        }
        make_person(uow, "adm@example.org", role="admin", name="Adm")
        emails = [f"{name}@example.org" for name in [*PEOPLE, "adm"]]
        org.set_passwords(uow, Operator(), emails, PASSWORD)
        purpose = make_purpose(uow, people["bo"])
        self.partnership = make_partnership(
            uow,
            people["ana"],
            key="signals",
            name="Churn signals",
            purpose=purpose,
            parties=[("data", "Signals"), ("care", "Playbooks")],
            affirmed_by=[people["ana"], people["bo"]],
        ).key

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.clock)

    def rounds(self) -> list[str]:
        return [r.check.key for r in health.rounds_of(self.uow(), Settings(), OPERATOR, "signals")]

    def responses(self, key: str) -> dict[str, int]:
        check = health.get_round(self.uow(), OPERATOR, key).check
        return {t.team.slug: t.responses for t in check.tallies}

    def open_round(self, days: int = 14) -> str:
        ana = org.get_person(self.uow(), "ana@example.org")
        closes_at = self.clock() + timedelta(days=days)
        return health.open_round(self.uow(), SETTINGS, ana, "signals", closes_at).key


@pytest.fixture
def world(sqlite_engine: Engine, clock: Any) -> World:
    return World(sqlite_engine, clock)


@pytest.fixture
def base(world: World) -> Iterator[str]:
    url = world.engine.url.render_as_string(hide_password=False)
    yield from serve(Settings(database_url=url, secret_key="test-secret"), world.clock)


def as_(base: str, name: str) -> AbstractContextManager[httpx.Client]:
    return signed_in(base, f"{name}@example.org")


def answer(client: httpx.Client, key: str, **fields: str) -> httpx.Response:
    client.get(f"/health-checks/{key}")
    return post_form(client, f"/health-checks/{key}/answers", {**ANSWER, **fields})


def section(html: str, marker: str) -> str:
    """The <section> whose opening tag holds `marker`."""
    start = html.index(marker)
    start = html.rindex("<section", 0, start)
    return html[start : html.index("</section>", start)]


# Opening a round from the partnership page.


def test_a_lead_opens_a_round_from_the_partnership_page(base: str, world: World) -> None:
    with as_(base, "ana") as ana:
        page = ana.get("/partnerships/signals")
        assert 'id="health-closes_at"' in page.text
        response = post_form(
            ana, "/partnerships/signals/health-checks", {"closes_at": "2026-06-15"}
        )
        assert response.status_code == 303
        [key] = world.rounds()
        assert response.headers["location"] == f"/health-checks/{key}"
        page = ana.get("/partnerships/signals")
        assert "A round is open until 2026-06-15 23:59 UTC" in page.text  # all that day
        assert 'id="health-closes_at"' not in page.text  # one open round at a time
    with as_(base, "cy") as cy:
        page = cy.get("/partnerships/signals")
        assert "Answer the health check" in page.text


def test_a_member_gets_no_form_to_open_a_round(base: str, world: World) -> None:
    with as_(base, "cy") as cy:
        assert 'id="health-closes_at"' not in cy.get("/partnerships/signals").text
        refused = post_form(cy, "/partnerships/signals/health-checks", {"closes_at": "2026-06-15"})
        assert refused.status_code == 403
    assert world.rounds() == []


@pytest.mark.parametrize(
    ("closes_at", "words"),
    [
        ("", "The closing time must not be empty"),
        ("2026-05-01", "in the future"),
        ("soon", "ISO 8601"),
    ],
)
def test_a_bad_closing_date_is_shown_beside_the_field(
    base: str, world: World, closes_at: str, words: str
) -> None:
    with as_(base, "ana") as ana:
        ana.get("/partnerships/signals")
        response = post_form(ana, "/partnerships/signals/health-checks", {"closes_at": closes_at})
        assert response.status_code == 422
        error = re.search(
            r'id="health-closes_at-error" class="field-error">([^<]*)<', response.text
        )
        assert error is not None
        assert words in error.group(1)
        assert "Partnership started" in response.text  # the page is whole, timeline and all
    assert world.rounds() == []


def test_forms_without_the_csrf_token_are_refused(base: str, world: World) -> None:
    key = world.open_round()
    with as_(base, "ana") as ana:
        ana.get("/partnerships/signals")
        opened = ana.post("/partnerships/signals/health-checks", data={"closes_at": "2026-07-15"})
        assert opened.status_code == 403
    with as_(base, "cy") as cy:
        answered = cy.post(f"/health-checks/{key}/answers", data=ANSWER)
        assert answered.status_code == 403
    assert world.rounds() == [key]
    assert world.responses(key) == {"data": 0, "care": 0}


# Answering.


def test_a_member_answers_through_the_form_once(base: str, world: World) -> None:
    key = world.open_round()
    with as_(base, "cy") as cy:
        page = cy.get(f"/health-checks/{key}")
        legends = re.findall(r"<legend>([^<]*)<span", page.text)
        assert [legend.strip() for legend in legends] == [
            "We pursue one common, compelling purpose with our partners.",
            "What each party provides is different, and we move in the same direction.",
            "I am confident our partners can deliver what they commit to.",
            "Our partners keep their word, or tell us early when they cannot.",
            "This partnership brings value to all parties, including us.",
            "I feel we have entered into a trust-based partnership.",
        ]
        assert 'name="team"' not in page.text  # one party: no team to choose
        response = post_form(cy, f"/health-checks/{key}/answers", {**ANSWER, "comment": "Fine"})
        assert response.status_code == 303
        after = cy.get(response.headers["location"])
        assert after.text.count("Thank you: your answer is sent.") == 1
        assert "You answered this round" not in after.text  # one confirmation, not two
        assert "<legend>" not in after.text
        again = post_form(cy, f"/health-checks/{key}/answers", ANSWER)
        assert again.status_code == 409
    assert world.responses(key) == {"data": 1, "care": 0}


def test_a_missing_statement_is_shown_beside_its_question(base: str, world: World) -> None:
    key = world.open_round()
    with as_(base, "cy") as cy:
        cy.get(f"/health-checks/{key}")
        partial = {k: v for k, v in ANSWER.items() if k != "integrity"}
        response = post_form(cy, f"/health-checks/{key}/answers", partial)
        assert response.status_code == 422
        error = re.search(
            r'id="answer-integrity-error" class="field-error">([^<]*)<', response.text
        )
        assert error is not None
        assert error.group(1) == "Integrity needs an answer from 1 to 5."
        assert 'value="5" required checked' in response.text  # what was chosen stays chosen
        wrong = post_form(cy, f"/health-checks/{key}/answers", {**ANSWER, "value": "9"})
        assert wrong.status_code == 422
        assert 'id="answer-value-error"' in wrong.text
    assert world.responses(key) == {"data": 0, "care": 0}


@pytest.mark.parametrize("given", ["\u00b2", "\u0663", "9" * 5000, "4.0", "\x00"])
def test_a_choice_that_is_not_1_to_5_is_shown_beside_its_question(
    base: str, world: World, given: str
) -> None:
    """Not only "9": a superscript two or a 5000-digit number is a digit string too, and
    must be told, beside its question, not fail the page."""
    key = world.open_round()
    with as_(base, "cy") as cy:
        response = answer(cy, key, purpose=given)
        assert response.status_code == 422
        error = re.search(r'id="answer-purpose-error" class="field-error">([^<]*)<', response.text)
        assert error is not None
        assert error.group(1).startswith("Purpose must be a whole number from 1 to 5")
    assert world.responses(key) == {"data": 0, "care": 0}


def test_a_control_character_in_the_comment_is_shown_beside_it(base: str, world: World) -> None:
    key = world.open_round()
    with as_(base, "cy") as cy:
        response = answer(cy, key, comment="Fine\x07ish")
        assert response.status_code == 422
        error = re.search(r'id="answer-comment-error"[^>]*>([^<]*)<', response.text)
        assert error is not None, response.text
        assert "control character U+0007" in error.group(1)
    assert world.responses(key) == {"data": 0, "care": 0}


def test_a_person_in_both_parties_is_told_beside_the_party_to_choose(
    base: str, world: World
) -> None:
    make_person(world.uow(), "tom@example.org", teams={"data": "member", "care": "member"})
    org.set_passwords(world.uow(), Operator(), ["tom@example.org"], PASSWORD)
    key = world.open_round()
    with as_(base, "tom") as tom:
        page = tom.get(f"/health-checks/{key}").text
        assert '<select id="answer-team" name="team"' in page
        response = answer(tom, key)
        assert response.status_code == 422
        error = re.search(r'id="answer-team-error"[^>]*>([^<]*)<', response.text)
        assert error is not None, response.text
        assert "say which one the answer is for" in error.group(1)
        assert answer(tom, key, team="care").status_code == 303
    assert world.responses(key) == {"data": 0, "care": 1}


def test_outsiders_get_no_form_and_no_results(base: str, world: World) -> None:
    key = world.open_round()
    with as_(base, "fay") as fay:
        page = fay.get(f"/health-checks/{key}")
        assert page.status_code == 200
        assert "<legend>" not in page.text
        assert "are for the members of its parties and admins" in page.text
        assert post_form(fay, f"/health-checks/{key}/answers", ANSWER).status_code == 403
        assert "Team Data" not in fay.get("/health").text
    assert world.responses(key) == {"data": 0, "care": 0}


def test_my_desk_and_the_health_page_list_rounds_to_answer(base: str, world: World) -> None:
    key = world.open_round()
    with as_(base, "cy") as cy:
        desk = cy.get("/")
        assert "Health checks to answer" in desk.text
        assert f'href="/health-checks/{key}"' in desk.text
        assert f'href="/health-checks/{key}"' in section(cy.get("/health").text, "to-answer-h")
        answer(cy, key)
        assert f'href="/health-checks/{key}"' not in cy.get("/").text
    with as_(base, "adm") as adm:
        page = adm.get("/health")
        assert "Organization-wide view" in page.text
        assert "Churn signals" in section(page.text, "latest-h")


# No page gives one answer away.


def results_views(client: httpx.Client, key: str) -> list[str]:
    """What every page shows of a round's results, response counts taken out."""
    round_page = section(client.get(f"/health-checks/{key}").text, 'aria-labelledby="results-h"')
    partnership = section(client.get("/partnerships/signals").text, 'id="health"')
    partnership = re.sub(r"\(\d+ answered so far\)", "", partnership)
    latest = section(client.get("/health").text, 'aria-labelledby="latest-h"')
    cells = re.findall(r'<td class="num">(.*?)</td>', latest)
    return [round_page, partnership, "|".join(cells[1:])]  # the first cell is the count


def test_one_answer_cannot_be_inferred_from_the_pages(base: str, world: World) -> None:
    key = world.open_round()
    with ExitStack() as stack:
        clients = {
            name: stack.enter_context(as_(base, name))
            for name in ("cy", "dan", "ed", "dee", "bo", "ana", "adm")
        }
        for name in ("cy", "dan", "dee"):
            assert answer(clients[name], key, comment=f"said by {name}").status_code == 303
        readers = [clients["ana"], clients["bo"], clients["adm"]]
        before = [results_views(reader, key) for reader in readers]
        last = answer(clients["ed"], key, ability="1", comment="<b>only ed</b>")
        assert last.status_code == 303
        assert [results_views(reader, key) for reader in readers] == before

        world.clock.now = world.clock() + timedelta(days=14)
        for reader in readers:
            pages = [
                reader.get(f"/health-checks/{key}").text,
                reader.get("/partnerships/signals").text,
                reader.get("/health").text,
            ]
            for html in pages:
                assert "said by dee" not in html  # care has one answer: hidden everywhere
            round_page = pages[0]
            assert "&lt;b&gt;only ed&lt;/b&gt;" in round_page
            assert "<b>only ed</b>" not in round_page
            means = section(round_page, 'aria-labelledby="results-h"')
            assert ">hidden<" in means  # care's column
            assert "Combined" not in means  # one party shown: nothing to subtract from
            assert '<svg xmlns="http://www.w3.org/2000/svg"' in means  # the radar


def test_the_partnership_page_shows_the_trend_and_the_radar(base: str, world: World) -> None:
    for days_later in (0, 30):
        world.clock.now = world.clock() + timedelta(days=days_later)
        key = world.open_round(days=7)
        with as_(base, "cy") as cy, as_(base, "dan") as dan, as_(base, "ed") as ed:
            for client in (cy, dan, ed):
                assert answer(client, key).status_code == 303
        world.clock.now = world.clock() + timedelta(days=7)
    with as_(base, "dee") as dee:
        page = dee.get("/partnerships/signals").text
        health_section = section(page, 'id="health"')
        assert "Trend over rounds" in health_section
        assert health_section.count('role="img"') == 2  # the radar and the trend
        assert "<title>Health of Churn signals over rounds" in health_section
        assert '<table aria-labelledby="health-trend-h">' in health_section
        assert "Perception gap" in health_section  # the latest round's, read on its own
    with as_(base, "fay") as fay:
        page = fay.get("/partnerships/signals").text
        assert "Health results are for the members of the parties and admins." in page
        assert 'role="img"' not in section(page, 'id="health"')


def test_the_health_page_shows_the_last_closed_round_beside_a_newer_open_one(
    base: str, world: World
) -> None:
    first = world.open_round(days=7)
    for name in ("cy", "dan", "ed"):
        with as_(base, name) as member:
            answer(member, first)
    world.clock.advance(days=8)
    second = world.open_round(days=7)

    with as_(base, "adm") as adm:
        latest = section(adm.get("/health").text, "latest-h")

    assert f'href="/health-checks/{second}"' in latest  # the latest round, open
    assert f'href="/health-checks/{first}"' in latest  # the figures of the last one closed
    cells = re.findall(r'<td class="num">(.*?)</td>', latest)
    assert cells == ["3", "4", "4", "5", "4", "3", "4"]


def test_the_health_page_lists_partnerships_a_page_at_a_time(
    base: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each page lists its partnerships' latest rounds beside the results of their own last
    closed round, and links to the next page until the last."""
    uow = world.uow()
    ops = org.get_person(uow, "fay@example.org")
    make_partnership(
        uow,
        ops,
        key="tooling",
        name="Tooling",
        parties=[("ops", "Tools"), ("care", "Feedback")],
        affirmed_by=[ops, org.get_person(uow, "bo@example.org")],
    )
    signals = world.open_round(days=7)
    for name in ("cy", "dan", "ed"):
        with as_(base, name) as member:
            answer(member, signals)
    world.clock.advance(days=8)
    tooling = health.open_round(
        uow, SETTINGS, ops, "tooling", world.clock() + timedelta(days=7)
    ).key
    monkeypatch.setattr(health_routes, "ROUNDS_PAGE", 1)

    with as_(base, "adm") as adm:
        first = section(adm.get("/health").text, "latest-h")
        link = re.search(r'href="(/health\?after=[^"]+)" rel="next"', first)
        assert link is not None
        second = section(adm.get(html.unescape(link.group(1))).text, "latest-h")

    # by partnership key: `signals` first, with its closed round's figures, then `tooling`
    assert f'href="/health-checks/{signals}"' in first
    assert re.findall(r'<td class="num">(.*?)</td>', first)[0] == "3"
    assert f'href="/health-checks/{tooling}"' not in first
    assert f'href="/health-checks/{tooling}"' in second
    assert f'href="/health-checks/{signals}"' not in second
    assert 'rel="next"' not in second
    assert 'href="/health">First page</a>' in second
