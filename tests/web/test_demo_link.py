"""The link `accord demo` prints opens the app signed in as the demo lead."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from accord.config import Settings
from accord.uow import UnitOfWork
from factories import make_person, make_team
from live_server import serve

TOKEN = "a-token-only-the-terminal-saw"


@pytest.fixture
def demo_url(sqlite_engine: Engine) -> Iterator[str]:
    uow = UnitOfWork(sqlite_engine)
    make_team(uow, "data", name="Data Platform")
    make_person(uow, "ana.lima@example.org", name="Ana Lima", teams={"data": "lead"})

    def as_demo(app: FastAPI) -> None:
        app.state.demo_login = ("ana.lima@example.org", TOKEN)

    url = sqlite_engine.url.render_as_string(hide_password=False)
    yield from serve(Settings(database_url=url, secret_key="s"), prepare=as_demo)


@pytest.fixture
def plain_url(sqlite_engine: Engine) -> Iterator[str]:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    yield from serve(Settings(database_url=url, secret_key="s"))


def test_the_demo_link_signs_the_lead_in_and_opens_the_desk(demo_url: str) -> None:
    with httpx.Client(base_url=demo_url, follow_redirects=True, timeout=60) as client:
        desk = client.get(f"/sign-in/demo?token={TOKEN}")

    assert desk.status_code == 200
    assert str(desk.url).endswith("/")
    assert "<h1>My desk</h1>" in desk.text
    assert "Ana Lima" in desk.text


def test_the_demo_sign_in_form_names_the_demo_account(demo_url: str) -> None:
    page = httpx.get(demo_url + "/sign-in", timeout=60)

    assert "ana.lima@example.org" in page.text
    assert "accord-demo" in page.text


@pytest.mark.parametrize("token", ["", "wrong", TOKEN + "x"])
def test_a_wrong_demo_token_signs_nobody_in(demo_url: str, token: str) -> None:
    with httpx.Client(base_url=demo_url, timeout=60) as client:
        response = client.get(f"/sign-in/demo?token={token}")
        desk = client.get("/")

    assert response.status_code == 404
    assert desk.status_code == 303


def test_outside_a_demo_there_is_no_demo_link(plain_url: str) -> None:
    with httpx.Client(base_url=plain_url, timeout=60) as client:
        response = client.get(f"/sign-in/demo?token={TOKEN}")
        form = client.get("/sign-in")

    assert response.status_code == 404
    assert "accord-demo" not in form.text
