"""The app factory and the first pages, through HTTP."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, sign_in

from accord.channel.session import CSRF_COOKIE, SESSION_COOKIE
from accord.commitments import service as commitments
from accord.config import Settings
from accord.org import service as org
from accord.org.domain import Operator
from accord.uow import UnitOfWork
from factories import make_partnership, make_person, make_purpose, make_team
from live_server import serve


@pytest.fixture
def organization(sqlite_engine: Engine) -> str:
    """Two teams in an active partnership; Ana of `data` has a request to answer."""
    uow = UnitOfWork(sqlite_engine)
    make_team(uow, "data", name="Data <script>alert(1)</script>")
    make_team(uow, "care", name="Customer Care")
    ana = make_person(uow, "ana@example.org", teams={"data": "lead"})
    bo = make_person(uow, "bo@example.org", teams={"care": "lead"})
    org.set_password(uow, Operator(), "ana@example.org", PASSWORD)
    purpose = make_purpose(uow, bo)
    partnership = make_partnership(
        uow,
        ana,
        purpose=purpose,
        parties=[("data", "Signals"), ("care", "Playbooks")],
        affirmed_by=[ana, bo],
    )
    commitments.request(
        uow,
        bo,
        partnership=partnership.key,
        requester="care",
        performer="data",
        title="Daily churn-risk score",
        due=uow.now() + timedelta(days=20),
        reliance="high",
    )
    return "ana@example.org"


def test_healthz_reports_the_database(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_healthz_is_unavailable_without_its_database() -> None:
    for base in serve(Settings(database_url="sqlite:////nonexistent-dir/x/accord.db")):
        response = httpx.get(base + "/healthz", timeout=60)
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_desk_needs_sign_in(client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/"


def test_sign_in_then_the_desk_shows_the_request_to_answer(
    client: httpx.Client, organization: str
) -> None:
    response = sign_in(client, organization, PASSWORD)
    assert response.status_code == 303
    page = client.get("/")
    assert page.status_code == 200
    to_answer = page.text.split('<section class="card" id="must-answer">')[1].split("</section>")[0]
    assert "Daily churn-risk score" in to_answer
    assert "trust-based" in page.text


def test_team_names_are_shown_as_text(client: httpx.Client, organization: str) -> None:
    sign_in(client, organization, PASSWORD)
    page = client.get("/")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_wrong_password_is_refused(client: httpx.Client, organization: str) -> None:
    response = sign_in(client, organization, "not the password")
    assert response.status_code == 401
    assert SESSION_COOKIE not in client.cookies
    assert "E-mail or password is not right" in response.text


def test_sign_in_without_the_csrf_token_is_refused(client: httpx.Client, organization: str) -> None:
    client.get("/sign-in")
    response = client.post("/sign-in", data={"email": organization, "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_a_forged_session_cookie_is_not_a_session(client: httpx.Client, organization: str) -> None:
    sign_in(client, organization, PASSWORD)
    good = client.cookies[SESSION_COOKIE]
    body, mac = good.rsplit(".", 1)
    client.cookies.set(SESSION_COOKIE, body + "." + ("0" * len(mac)))
    response = client.get("/")
    assert response.status_code == 303


def test_sign_out_ends_the_session(client: httpx.Client, organization: str) -> None:
    sign_in(client, organization, PASSWORD)
    token = client.cookies[CSRF_COOKIE]
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/").status_code == 303


def test_pages_carry_security_headers(client: httpx.Client) -> None:
    response = client.get("/sign-in")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_unknown_api_paths_answer_problem_json(client: httpx.Client) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_openapi_document_is_served(client: httpx.Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Accord"


def test_an_old_session_cookie_is_over_after_sign_out(
    client: httpx.Client, organization: str
) -> None:
    sign_in(client, organization, PASSWORD)
    old = client.cookies[SESSION_COOKIE]
    client.post("/sign-out", data={"csrf_token": client.cookies[CSRF_COOKIE]})

    client.cookies.set(SESSION_COOKIE, old)

    assert client.get("/").status_code == 303


def test_a_forged_sign_out_signs_nobody_out(client: httpx.Client, organization: str) -> None:
    sign_in(client, organization, PASSWORD)

    response = client.post("/sign-out", data={"csrf_token": "not-the-token"})

    assert response.status_code == 403
    assert "did not come from Accord" in response.text
    assert client.get("/").status_code == 200


def test_a_new_password_ends_open_sessions(
    client: httpx.Client, organization: str, sqlite_engine: Engine
) -> None:
    sign_in(client, organization, PASSWORD)
    assert client.get("/").status_code == 200

    org.set_password(UnitOfWork(sqlite_engine), Operator(), organization, "another password")

    assert client.get("/").status_code == 303


@pytest.mark.parametrize("cookie", ["abc.é", "é", "x" * 5000])
def test_garbage_session_cookies_are_no_session(client: httpx.Client, cookie: str) -> None:
    response = client.get("/", headers={"Cookie": f"{SESSION_COOKIE}={cookie}".encode()})
    assert response.status_code == 303


def test_a_non_ascii_csrf_token_is_refused_not_a_crash(
    client: httpx.Client, organization: str
) -> None:
    client.get("/sign-in")
    response = client.post(
        "/sign-in", data={"email": organization, "password": PASSWORD, "csrf_token": "é"}
    )
    assert response.status_code == 403


def test_cookies_are_secure_behind_an_https_address(
    sqlite_engine: Engine, organization: str
) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="s", base_url="https://accord.example.org")
    for base in serve(settings):
        with httpx.Client(base_url=base, timeout=60) as browser:
            form = browser.get("/sign-in")
            assert "Secure" in form.headers["set-cookie"]
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            signed_in = browser.post(
                "/sign-in",
                data={"email": organization, "password": PASSWORD, "csrf_token": token.group(1)},
                # the test speaks plain HTTP, so the jar keeps the Secure cookie to itself
                headers={"Cookie": f"{CSRF_COOKIE}={form.cookies[CSRF_COOKIE]}"},
            )
    assert signed_in.status_code == 303
    session = next(
        c for c in signed_in.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "Secure" in session
    assert "HttpOnly" in session
