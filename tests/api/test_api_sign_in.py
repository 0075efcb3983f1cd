"""Sign-in through the API: passwords for tokens, rate limits, token lists and revocation,
the session cookie with its CSRF header, and tokens made by `accord users create --token`."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import datetime, timedelta

import httpx
import pytest
from api_org import PASSWORD, Org, signed_in_browser

from accord.org import service as org
from factories import OPERATOR, last_event_id

Roles = Callable[[str], httpx.Client]
TOKEN = re.compile(r"^acc_[A-Za-z0-9_-]{40,}$")


def sign_in(api: Org, email: str, password: str, name: str = "script") -> httpx.Response:
    return httpx.post(
        f"{api.base_url}/api/v1/auth/token",
        json={"email": email, "password": password, "name": name},
        timeout=60,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_password_gives_a_token_that_signs_requests(api: Org) -> None:
    response = sign_in(api, "ANA@example.org ", PASSWORD)
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    assert TOKEN.match(token)
    me = httpx.get(f"{api.base_url}/api/v1/me", headers=bearer(token), timeout=60)
    assert me.status_code == 200
    assert me.json()["email"] == "ana@example.org"
    assert me.json()["memberships"] == [{"team": "data", "role": "lead"}]


@pytest.mark.parametrize(
    ("email", "password"),
    [("ana@example.org", "wrong password"), ("nobody@example.org", PASSWORD), ("", "")],
)
def test_a_wrong_sign_in_is_401_and_says_no_more(api: Org, email: str, password: str) -> None:
    response = sign_in(api, email, password)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    # the same answer whether or not the account exists
    assert response.json()["detail"] == "e-mail or password is not right"


def test_guessing_a_password_is_stopped_per_account(api: Org) -> None:
    for _ in range(org.MAX_FAILURES_PER_ACCOUNT):
        assert sign_in(api, "ana@example.org", "guess").status_code == 401
    blocked = sign_in(api, "ana@example.org", PASSWORD)
    assert blocked.status_code == 429
    assert blocked.json()["rule"] == "auth.too_many_attempts"
    assert blocked.headers["retry-after"] == "1"
    # another account is not blocked by ana's failures
    org.set_password(api.uow(), OPERATOR, "bo@example.org", PASSWORD)
    assert sign_in(api, "bo@example.org", PASSWORD).status_code == 201
    api.clock.advance(seconds=1)  # type: ignore[attr-defined]
    assert sign_in(api, "ana@example.org", PASSWORD).status_code == 201


def test_each_further_guess_doubles_the_wait_but_five_guesses_lock_no_one_out(api: Org) -> None:
    """A few wrong guesses by anyone cost the person a second, not a quarter of an hour; a
    guesser who keeps on waits twice as long each time (up to the 15 minutes of the window,
    `org.account_delay`)."""
    mark = last_event_id(api.uow())
    for _ in range(org.MAX_FAILURES_PER_ACCOUNT):
        assert sign_in(api, "ana@example.org", "guess").status_code == 401
    waits = []
    for _ in range(9):
        refused = sign_in(api, "ana@example.org", "guess")
        assert refused.status_code == 429  # refused unchecked: not counted as a guess
        wait = int(refused.headers["retry-after"])
        waits.append(wait)
        api.clock.advance(seconds=wait)  # type: ignore[attr-defined]
        assert sign_in(api, "ana@example.org", "guess").status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert sign_in(api, "ana@example.org", PASSWORD).status_code == 429
    api.clock.advance(seconds=512)  # type: ignore[attr-defined]
    assert sign_in(api, "ana@example.org", PASSWORD).status_code == 201
    # the person is told once, when guessing begins to slow (the notifications pick it up)
    query = {"after": mark, "subject": "person:ana@example.org"}
    with httpx.Client(
        base_url=api.base_url, headers=bearer(api.tokens["admin"]), timeout=60
    ) as admin:
        told = admin.get("/api/v1/events", params=query)
    slowed = [e for e in told.json()["items"] if e["type"] == "person.sign_in_slowed"]
    assert [e["payload"]["failures"] for e in slowed] == [org.MAX_FAILURES_PER_ACCOUNT]


def test_guessing_many_accounts_from_one_address_is_stopped(api: Org) -> None:
    for n in range(org.MAX_FAILURES_PER_ADDRESS):
        assert sign_in(api, f"guess{n}@example.org", "guess").status_code == 401
    blocked = sign_in(api, "ana@example.org", PASSWORD)
    assert blocked.status_code == 429
    assert blocked.json()["rule"] == "auth.too_many_attempts"


def test_a_success_clears_the_accounts_failures(api: Org) -> None:
    for _ in range(org.MAX_FAILURES_PER_ACCOUNT - 1):
        sign_in(api, "ana@example.org", "guess")
    assert sign_in(api, "ana@example.org", PASSWORD).status_code == 201
    for _ in range(org.MAX_FAILURES_PER_ACCOUNT - 1):
        sign_in(api, "ana@example.org", "guess")
    assert sign_in(api, "ana@example.org", PASSWORD).status_code == 201


def test_the_web_sign_in_form_is_rate_limited_too(api: Org) -> None:
    with httpx.Client(base_url=api.base_url, timeout=60) as browser:
        page = browser.get("/sign-in")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        form = {"email": "ana@example.org", "password": "guess", "csrf_token": csrf.group(1)}
        for _ in range(org.MAX_FAILURES_PER_ACCOUNT):
            assert browser.post("/sign-in", data=form).status_code == 401
        blocked = browser.post("/sign-in", data={**form, "password": PASSWORD})
        assert blocked.status_code == 429
        assert "Too many failed sign-ins" in blocked.text
        assert "accord_session" not in blocked.cookies


def test_tokens_are_listed_without_secrets_and_revoked_by_their_owner(
    api: Org, as_role: Roles
) -> None:
    ana = as_role("lead")
    made = ana.post("/api/v1/me/tokens", json={"name": "ci"})
    assert made.status_code == 201
    secret = made.json()["token"]
    listed = ana.get("/api/v1/me/tokens").json()["items"]
    assert [t["name"] for t in listed] == ["api", "ci"]
    assert all(set(t) == {"id", "name", "created_at", "expires_at", "revoked_at"} for t in listed)
    assert secret not in ana.get("/api/v1/me/tokens").text
    ci = next(t for t in listed if t["name"] == "ci")

    # someone else cannot revoke it, nor see that it exists
    other = as_role("member").delete(f"/api/v1/me/tokens/{ci['id']}")
    assert other.status_code == 404
    assert (
        httpx.get(f"{api.base_url}/api/v1/me", headers=bearer(secret), timeout=60).status_code
        == 200
    )

    assert ana.delete(f"/api/v1/me/tokens/{ci['id']}").status_code == 204
    refused = httpx.get(f"{api.base_url}/api/v1/me", headers=bearer(secret), timeout=60)
    assert refused.status_code == 401
    assert refused.json()["rule"] == "auth.bad_token"
    listed = ana.get("/api/v1/me/tokens").json()["items"]
    [revoked] = [t for t in listed if t["id"] == ci["id"]]
    assert revoked["revoked_at"] is not None
    assert ana.get("/api/v1/me").status_code == 200  # the other token still works


def test_a_deactivated_person_token_stops_working(api: Org, as_role: Roles) -> None:
    cy = as_role("member")
    assert cy.get("/api/v1/me").status_code == 200
    answer = as_role("admin").patch("/api/v1/people/cy@example.org", json={"active": False})
    assert answer.status_code == 200
    assert answer.json()["active"] is False
    assert cy.get("/api/v1/me").status_code == 401


def test_reactivating_a_person_revives_none_of_their_tokens_or_sessions(api_on: Org) -> None:
    """Leaving ends every way in for good: the tokens are revoked (and listed so), the sessions
    ended; back again, the person signs in anew and makes new tokens."""
    with closing(signed_in_browser(api_on)) as browser, api_on.client("lead") as ana:
        assert ana.get("/api/v1/me").status_code == 200
        assert browser.get("/api/v1/me").status_code == 200
        with api_on.client("admin") as admin:
            for active in (False, True):
                changed = admin.patch("/api/v1/people/ana@example.org", json={"active": active})
                assert changed.status_code == 200
                assert changed.json()["active"] is active
        assert ana.get("/api/v1/me").status_code == 401
        assert browser.get("/api/v1/me").status_code == 401
    tokens = org.list_tokens(api_on.uow(), org.get_person(api_on.uow(), "ana@example.org"))
    assert tokens
    assert all(token.revoked_at is not None for token in tokens)
    fresh = sign_in(api_on, "ana@example.org", PASSWORD)
    assert fresh.status_code == 201
    me = httpx.get(
        f"{api_on.base_url}/api/v1/me", headers=bearer(fresh.json()["token"]), timeout=60
    )
    assert me.json()["email"] == "ana@example.org"


def test_a_token_expires_after_its_days_and_says_when(api_on: Org) -> None:
    """A token lives ACCORD_TOKEN_DAYS (90) unless asked for fewer; past that it lets no one in."""
    start = api_on.clock()
    short = sign_in_for(api_on, {"expires_in_days": 7})
    assert short.status_code == 201, short.text
    assert short.json()["expires_at"] == iso(start + timedelta(days=7))
    usual = sign_in_for(api_on, {})
    assert usual.json()["expires_at"] == iso(start + timedelta(days=90))
    too_long = sign_in_for(api_on, {"expires_in_days": 91})
    assert too_long.status_code == 422
    assert too_long.json()["rule"] == "token.lifetime"
    assert "from 1 to 90 days" in too_long.json()["detail"]

    def me(response: httpx.Response) -> int:
        token = response.json()["token"]
        return httpx.get(
            f"{api_on.base_url}/api/v1/me", headers=bearer(token), timeout=60
        ).status_code

    assert (me(short), me(usual)) == (200, 200)
    api_on.clock.now = start + timedelta(days=7)  # type: ignore[attr-defined]
    assert (me(short), me(usual)) == (401, 200)
    api_on.clock.now = start + timedelta(days=90)  # type: ignore[attr-defined]
    assert me(usual) == 401
    fresh = sign_in_for(api_on, {}).json()["token"]
    listed = httpx.get(
        f"{api_on.base_url}/api/v1/me/tokens", headers=bearer(fresh), timeout=60
    ).json()["items"]
    assert [token["expires_at"] for token in listed[-3:]] == [
        iso(start + timedelta(days=7)),
        iso(start + timedelta(days=90)),
        iso(start + timedelta(days=180)),
    ]


def sign_in_for(api: Org, extra: dict[str, object]) -> httpx.Response:
    body = {"email": "ana@example.org", "password": PASSWORD, "name": "script", **extra}
    return httpx.post(f"{api.base_url}/api/v1/auth/token", json=body, timeout=60)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("header", ["Basic YW5hOnB3", "Bearer", "Bearer:acc_abc", "token abc"])
def test_a_malformed_authorization_header_is_401(api: Org, header: str) -> None:
    response = httpx.get(f"{api.base_url}/api/v1/me", headers={"Authorization": header}, timeout=60)
    assert response.status_code == 401
    assert response.json()["rule"] == "auth.bad_header"


def test_the_session_cookie_reads_and_changes_only_with_the_csrf_header(api: Org) -> None:
    with httpx.Client(base_url=api.base_url, timeout=60) as browser:
        page = browser.get("/sign-in")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        signed_in = browser.post(
            "/sign-in",
            data={"email": "ana@example.org", "password": PASSWORD, "csrf_token": csrf.group(1)},
        )
        assert signed_in.status_code == 303
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert browser.get("/api/v1/me").json()["email"] == "ana@example.org"

        before = last_event_id(api.uow())
        change = {"mission": "Trustworthy data"}
        forged = browser.patch("/api/v1/teams/data", json=change)
        assert forged.status_code == 403
        assert forged.json()["rule"] == "auth.csrf"
        assert last_event_id(api.uow()) == before

        token = browser.cookies["accord_csrf"]
        made = browser.patch("/api/v1/teams/data", json=change, headers={"X-CSRF-Token": token})
        assert made.status_code == 200
        assert made.json()["mission"] == "Trustworthy data"


def test_a_token_from_the_command_line_signs_api_requests(api: Org) -> None:
    url = api.engine.url.render_as_string(hide_password=False)
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "accord.cli",
            "users",
            "create",
            "gil@example.org",
            "--name",
            "Gil",
            "--token",
        ],
        capture_output=True,
        text=True,
        env={"ACCORD_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    assert TOKEN.match(token)
    me = httpx.get(f"{api.base_url}/api/v1/me", headers=bearer(token), timeout=60)
    assert me.status_code == 200
    assert me.json()["email"] == "gil@example.org"


def test_simultaneous_guesses_are_counted_one_by_one(api_on: Org) -> None:
    """Twenty wrong passwords for one account at once: only the first few are checked (the
    limit), every other one is refused unchecked, on PostgreSQL as on SQLite."""
    guesses = 4 * org.MAX_FAILURES_PER_ACCOUNT
    start = threading.Barrier(guesses)

    def guess(_: int) -> int:
        start.wait()
        return sign_in(api_on, "ana@example.org", "guess").status_code

    org.set_password(api_on.uow(), OPERATOR, "ana@example.org", PASSWORD)
    with ThreadPoolExecutor(max_workers=guesses) as pool:
        answers = list(pool.map(guess, range(guesses)))
    assert sorted(set(answers)) == [401, 429]
    assert answers.count(401) == org.MAX_FAILURES_PER_ACCOUNT
    assert answers.count(429) == guesses - org.MAX_FAILURES_PER_ACCOUNT
    assert sign_in(api_on, "ana@example.org", PASSWORD).status_code == 429
