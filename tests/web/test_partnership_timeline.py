"""The partnership page's timeline: charter events, health-check rounds and stories."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, signed_in

from accord.config import Settings
from accord.health import service as health
from accord.org import service as org
from accord.org.domain import Operator
from accord.stories import service as stories
from accord.uow import UnitOfWork
from factories import SETTINGS, make_partnership, make_person, make_purpose, make_team
from live_server import serve


@pytest.fixture
def base(sqlite_engine: Engine, clock: Any) -> Iterator[str]:
    """Data (Ana) and Care (Bo) affirmed `signals`; a round opened and closed, another opened;
    Bo's story on it, and a hidden one; Cy (Ops) is in none of it."""
    uow = UnitOfWork(sqlite_engine, clock)
    make_team(uow, "data", name="Data Platform")
    make_team(uow, "care", name="Customer Care")
    make_team(uow, "ops", name="Operations")
    ana = make_person(uow, "ana@example.org", name="Ana", teams={"data": "lead"})
    bo = make_person(uow, "bo@example.org", name="Bo", teams={"care": "lead"})
    make_person(uow, "cy@example.org", name="Cy", teams={"ops": "lead"})
    admin = make_person(uow, "adm@example.org", name="Adm", role="admin")
    emails = ["ana@example.org", "bo@example.org", "cy@example.org", "adm@example.org"]
    org.set_passwords(uow, Operator(), emails, PASSWORD)
    make_partnership(
        uow,
        ana,
        key="signals",
        purpose=make_purpose(uow, bo),
        parties=[("data", "Signals"), ("care", "Playbooks")],
        affirmed_by=[ana, bo],
    )
    clock.advance(days=1)
    health.open_round(uow, SETTINGS, ana, "signals", clock.now + timedelta(days=7), key="q1")
    clock.advance(days=10)
    health.open_round(uow, SETTINGS, bo, "signals", clock.now + timedelta(days=7), key="q2")
    clock.advance(hours=1)
    stories.create_story(
        uow,
        bo,
        key="saves",
        title="How saves doubled",
        body="We *asked*.",
        partnerships=["signals"],
    )
    clock.advance(hours=1)
    stories.create_story(
        uow, bo, key="lunch", title="Lunch plans", body="Off topic", partnerships=["signals"]
    )
    stories.hide_story(uow, admin, "lunch", "Not a partnership story")
    url = sqlite_engine.url.render_as_string(hide_password=False)
    yield from serve(Settings(database_url=url, secret_key="test-secret"), clock)


def timeline(html: str) -> list[str]:
    """The timeline's lines as text, newest first."""
    section = html.split('id="timeline-title"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", section, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_the_timeline_tells_the_partnership_newest_first(base):
    with signed_in(base, "ana@example.org") as http:
        page = http.get("/partnerships/signals")

    assert page.status_code == 200
    lines = timeline(page.text)
    texts = [re.sub(r"( by .*?)?( ·)? \d{4}-\d\d-\d\d \d\d:\d\d UTC$", "", line) for line in lines]
    assert texts[:4] == [
        "Story shared: How saves doubled",
        "Health-check round opened",
        "Health-check round closed",
        "Health-check round opened",
    ]
    assert "Every party affirmed: the partnership is active" in texts
    assert "Customer Care affirmed the charter" in texts  # teams by name, not key
    assert texts[-1] == "Partnership started"
    assert lines[-1].startswith("Partnership started by Ana ·")  # people by name, not e-mail
    assert 'href="/stories/saves"' in page.text
    assert 'href="/health-checks/q2"' in page.text


def test_a_hidden_story_stays_out_of_the_timeline_but_for_its_author_and_admins(base):
    for email, sees in (
        ("cy@example.org", False),
        ("ana@example.org", False),
        ("bo@example.org", True),
        ("adm@example.org", True),
    ):
        with signed_in(base, email) as http:
            lines = timeline(http.get("/partnerships/signals").text)
        assert any("Lunch plans" in line for line in lines) is sees, email
