"""What an API request costs the database: a read signs in and answers in one transaction, and
the credentials are still checked first, before a malformed request is refused."""

from __future__ import annotations

import pytest
from api_org import Org
from trust_workers import transactions

from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson
from accord.org import service as org


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/teams/care/trust",
        "/api/v1/partnerships/signals",
        "/api/v1/commitments?team=data",
        "/api/v1/me",
    ],
)
def test_a_read_signs_in_and_answers_in_one_transaction(api: Org, path: str) -> None:
    with api.client("lead") as ana:
        assert ana.get(path).status_code == 200  # warm: nothing below is done once per server
        with transactions() as begun:
            answer = ana.get(path)
    assert answer.status_code == 200, answer.text
    assert len(begun) == 1, f"{path} began {len(begun)} transactions"


def test_a_revoked_token_is_refused_at_once_by_a_read(api: Org) -> None:
    with api.client("lead") as ana:
        assert ana.get("/api/v1/teams/care/trust").status_code == 200
        person = org.get_person(api.uow(), "ana@example.org")
        for token in org.list_tokens(api.uow(), person):
            org.revoke_token(api.uow(), person, token.id or 0)
        refused = ana.get("/api/v1/teams/care/trust")
    assert refused.status_code == 401
    assert refused.json()["rule"] == "auth.bad_token"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/commitments?limit=many", None),
        ("POST", "/api/v1/commitments", {"title": 3}),
    ],
)
def test_bad_credentials_are_refused_before_a_malformed_request(
    api: Org, method: str, path: str, body: object
) -> None:
    with api.client("anonymous") as anonymous:
        forged = anonymous.request(
            method, path, json=body, headers={"Authorization": "Bearer not-a-token"}
        )
        nobody = anonymous.request(method, path, json=body)
    assert forged.status_code == 401, forged.text
    assert forged.json()["rule"] == "auth.bad_token"
    assert forged.headers["www-authenticate"] == 'Bearer realm="accord"'
    assert nobody.status_code == 401, nobody.text
    assert nobody.json()["rule"] == "auth.required"


def test_a_route_that_signs_in_must_be_a_plain_def() -> None:
    """Only a plain `def` is run inside `signed_in`: a coroutine taking `CurrentPerson` would be
    handed the unchecked credentials, so the router refuses it when it is declared."""
    router = make_router("test")

    async def coroutine(me: CurrentPerson) -> dict[str, str]:
        return {"name": me.name}

    with pytest.raises(TypeError, match="must be a plain def"):
        router.add_api_route("/signs-in", coroutine)
