"""The organization the REST API tests run against, built through the services.

`build_org` builds a small organization through the services and gives every role of the
authorization matrix an API token:

- `data` (performer side) led by ana, with member cy; `care` (requester side) led by bo,
  with member dee; `ops` (unrelated) with member fay;
- vi is a viewer, adm an admin (in no team);
- purpose `churn` (active, sponsored by bo) with measure "Monthly churn";
- partnership `signals` (data + care, both affirmed: active).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine

from accord.config import Settings
from accord.org import service as org
from accord.uow import UnitOfWork
from factories import OPERATOR, make_partnership, make_person, make_purpose, make_team
from live_server import serve

ROLES = ("anonymous", "viewer", "outsider", "member", "lead", "admin")
# Who plays each role of the matrix; "member" and "lead" are of `data`, the performer side.
PEOPLE = {
    "viewer": "vi@example.org",
    "outsider": "fay@example.org",
    "member": "cy@example.org",
    "lead": "ana@example.org",
    "admin": "adm@example.org",
    "requester_lead": "bo@example.org",
    "requester_member": "dee@example.org",
}
PASSWORD = "correct horse battery"
ORG_TIME = datetime(2026, 6, 1, tzinfo=UTC)  # where the `clock` fixture starts


@dataclass
class Org:
    """The organization behind a running server, and a token per person."""

    base_url: str
    engine: Engine
    clock: Callable[[], datetime]
    tokens: dict[str, str] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.clock)

    def client(self, role: str) -> httpx.Client:
        """A client that signs its requests as `role` (anonymous: no credentials)."""
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {self.tokens[role]}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def renew_tokens(self) -> None:
        """New tokens for everyone, made now: for a test whose clock runs past the 90 days the
        first ones live."""
        self.tokens = {
            role: org.create_token(self.uow(), OPERATOR, email) for role, email in PEOPLE.items()
        }


def signed_in_browser(api: Org, email: str = "ana@example.org") -> httpx.Client:
    """A client signed in through the sign-in form: the session cookie and its CSRF cookie."""
    browser = httpx.Client(base_url=api.base_url, timeout=30)
    page = browser.get("/sign-in")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"email": email, "password": PASSWORD, "csrf_token": csrf.group(1)}
    assert browser.post("/sign-in", data=form).status_code == 303
    return browser


def build_org(engine: Engine, clock: Callable[[], datetime]) -> dict[str, str]:
    """The organization of this module's docstring; returns a token per role."""

    def uow() -> UnitOfWork:
        return UnitOfWork(engine, clock)

    for slug in ("data", "care", "ops"):
        make_team(uow(), slug)
    ana = make_person(uow(), "ana@example.org", teams={"data": "lead"})
    make_person(uow(), "cy@example.org", teams={"data": "member"})
    bo = make_person(uow(), "bo@example.org", teams={"care": "lead"})
    make_person(uow(), "dee@example.org", teams={"care": "member"})
    make_person(uow(), "fay@example.org", teams={"ops": "member"})
    make_person(uow(), "vi@example.org", role="viewer")
    make_person(uow(), "adm@example.org", role="admin")
    org.set_password(uow(), OPERATOR, "ana@example.org", PASSWORD)
    purpose = make_purpose(
        uow(),
        bo,
        key="churn",
        measures=[{"name": "Monthly churn", "unit": "%", "baseline": 4.0, "target": 2.0}],
    )
    make_partnership(
        uow(),
        ana,
        key="signals",
        purpose=purpose,
        parties=[("data", "Customer health data"), ("care", "Save playbooks")],
        affirmed_by=[ana, bo],
    )
    return {role: org.create_token(uow(), OPERATOR, email) for role, email in PEOPLE.items()}


def served(engine: Engine, clock: Callable[[], datetime]) -> Iterator[str]:
    url = engine.url.render_as_string(hide_password=False)
    yield from serve(Settings(database_url=url, secret_key="test-secret"), clock)
