"""What a request signs in with is read afresh on every request, on SQLite and PostgreSQL: a
revoked token is refused at once, a change of membership is seen by the very next request, and
the teams the sign-in loads (without their parents) are the teams as they are."""

from __future__ import annotations

from api_org import OPERATOR, Org

from accord.org import service as org
from factories import make_team


def my_teams(api: Org, role: str) -> list[tuple[str, str]]:
    with api.client(role) as client:
        answer = client.get("/api/v1/me")
    assert answer.status_code == 200, answer.text
    return [(m["team"], m["role"]) for m in answer.json()["memberships"]]


def test_a_change_of_membership_is_seen_by_the_next_request(api_on: Org) -> None:
    add_fay = {"email": "fay@example.org", "role": "member"}
    assert my_teams(api_on, "member") == [("data", "member")]
    with api_on.client("member") as cy:
        assert cy.post("/api/v1/teams/data/members", json=add_fay).status_code == 403
        org.set_membership(api_on.uow(), OPERATOR, "data", "cy@example.org", "lead")
        org.set_membership(api_on.uow(), OPERATOR, "care", "cy@example.org", "member")
        assert my_teams(api_on, "member") == [("care", "member"), ("data", "lead")]
        allowed = cy.post("/api/v1/teams/data/members", json=add_fay)
        assert allowed.status_code == 200, allowed.text
        org.remove_membership(api_on.uow(), OPERATOR, "data", "cy@example.org")
        assert my_teams(api_on, "member") == [("care", "member")]
        refused = cy.delete("/api/v1/teams/data/members/fay@example.org")
        assert refused.status_code == 403, refused.text


def test_a_revoked_token_is_refused_by_the_next_read_and_change(api_on: Org) -> None:
    with api_on.client("lead") as ana:
        assert ana.get("/api/v1/teams/data/trust").status_code == 200
        person = org.get_person(api_on.uow(), "ana@example.org")
        for token in org.list_tokens(api_on.uow(), person):
            org.revoke_token(api_on.uow(), person, token.id or 0)
        read = ana.get("/api/v1/teams/data/trust")
        change = ana.post("/api/v1/teams/data/members", json={"email": "x"})
    assert (read.status_code, read.json()["rule"]) == (401, "auth.bad_token")
    assert (change.status_code, change.json()["rule"]) == (401, "auth.bad_token")


def test_the_teams_of_the_signed_in_person_read_with_their_parents(api_on: Org) -> None:
    make_team(api_on.uow(), "data-ingest", parent="data")
    org.set_membership(api_on.uow(), OPERATOR, "data-ingest", "cy@example.org", "member")
    with api_on.client("member") as cy:
        for slug, parent in (("data-ingest", "data"), ("data", None)):
            answer = cy.get(f"/api/v1/teams/{slug}")
            assert answer.status_code == 200, answer.text
            assert answer.json()["parent"] == parent
