"""A team joins a partnership only by invitation, and a party leaves it, through the REST API
(DESIGN §7 and §8), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from api_org import Org

from accord.org import service as org
from accord.partnerships import service as partnerships
from factories import OPERATOR, last_event_id, make_person

V1 = "/api/v1"
OPS_LEAD = "olu@example.org"


@pytest.fixture
def ops_api(api_on: Org) -> Org:
    """The API organization, with a lead of `ops` (the team outside `signals`): Olu."""
    make_person(api_on.uow(), OPS_LEAD, teams={"ops": "lead"})
    api_on.tokens["ops_lead"] = org.create_token(api_on.uow(), OPERATOR, OPS_LEAD)
    return api_on


@pytest.fixture
def client(ops_api: Org) -> Iterator[Any]:
    """Clients by role (the roles of api_org, and `ops_lead`), closed at the end."""
    made: dict[str, httpx.Client] = {}

    def of(role: str) -> httpx.Client:
        if role not in made:
            made[role] = ops_api.client(role)
        return made[role]

    yield of
    for one in made.values():
        one.close()


def charter(api: Org) -> tuple[list[tuple[str, bool]], str, int]:
    """The parties of `signals` (team, affirmed), its status and charter version."""
    view = partnerships.get_partnership(api.uow(), "signals")
    p = view.partnership
    return [(x.team.slug, p.is_affirmed(x)) for x in p.parties], p.status.value, p.charter_version


def events_of(api: Org, after: int) -> list[tuple[str, str | None, dict[str, Any]]]:
    with api.client("admin") as admin:
        items = admin.get(
            f"{V1}/events", params={"subject": "partnership:signals", "after": after}
        ).json()["items"]
    return [(e["type"], e["actor"], e["payload"]) for e in items]


def invite_ops(client: Any) -> dict[str, Any]:
    answer = client("lead").post(f"{V1}/partnerships/signals/invitations", json={"team": "ops"})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_lead_of_an_outside_team_cannot_add_its_team(ops_api: Org, client: Any) -> None:
    """The defect: any lead could add their own team to any partnership, sending it back to
    forming and letting its members file requests there. Now nothing changes."""
    before = charter(ops_api)
    mark = last_event_id(ops_api.uow())
    olu = client("ops_lead")

    added = olu.post(
        f"{V1}/partnerships/signals/parties", json={"team": "ops", "contribution": "Runbooks"}
    )
    invited = olu.post(f"{V1}/partnerships/signals/invitations", json={"team": "ops"})
    asked = client("outsider").post(
        f"{V1}/commitments",
        json={
            "partnership": "signals",
            "requester": "ops",
            "performer": "data",
            "title": "On-call dashboards",
            "due": (ops_api.clock() + timedelta(days=9)).isoformat(),
        },
    )

    assert added.status_code in (403, 404), added.text
    assert added.headers["content-type"] == "application/problem+json"
    assert (invited.status_code, invited.json()["rule"]) == (403, "permission.party_lead")
    assert (asked.status_code, asked.json()["rule"]) == (409, "commitment.not_a_party")
    assert charter(ops_api) == before == ([("data", True), ("care", True)], "active", 1)
    assert last_event_id(ops_api.uow()) == mark


def test_invited_then_accepted_the_team_joins_and_the_partnership_re_forms(
    ops_api: Org, client: Any
) -> None:
    mark = last_event_id(ops_api.uow())
    headers = {"Idempotency-Key": "invite-ops-1"}
    first = client("lead").post(
        f"{V1}/partnerships/signals/invitations", json={"team": "ops"}, headers=headers
    )
    again = client("lead").post(
        f"{V1}/partnerships/signals/invitations", json={"team": "ops"}, headers=headers
    )

    assert first.status_code == again.status_code == 201, first.text
    assert again.headers["idempotent-replayed"] == "true"
    invitation = first.json()
    assert again.json() == invitation
    assert {k: v for k, v in invitation.items() if k not in ("id", "invited_at")} == {
        "partnership": "signals",
        "team": "ops",
        "invited_by": "ana@example.org",
        "state": "pending",
        "answered_by": None,
        "answered_at": None,
    }
    assert charter(ops_api) == ([("data", True), ("care", True)], "active", 1)

    accepted = client("ops_lead").post(
        f"{V1}/invitations/{invitation['id']}/accept",
        json={"contribution": "On-call runbooks"},
        headers={"Idempotency-Key": "accept-ops-1"},
    )

    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["state"], accepted.json()["answered_by"]) == ("accepted", OPS_LEAD)
    assert charter(ops_api) == ([("data", False), ("care", False), ("ops", False)], "forming", 2)
    read = client("viewer").get(f"{V1}/partnerships/signals").json()
    assert read["parties"][2]["contribution"] == "On-call runbooks"
    assert [(t, a) for t, a, _ in events_of(ops_api, mark)] == [
        ("partnership.invited", "ana@example.org"),
        ("partnership.invitation_accepted", OPS_LEAD),
    ]
    twice = client("ops_lead").post(f"{V1}/invitations/{invitation['id']}/accept", json={})
    assert (twice.status_code, twice.json()["rule"]) == (409, "invitation.not_pending")


def test_members_of_a_new_party_file_requests_only_once_it_joined(
    ops_api: Org, client: Any
) -> None:
    request = {
        "partnership": "signals",
        "requester": "ops",
        "performer": "data",
        "title": "On-call dashboards",
        "due": (ops_api.clock() + timedelta(days=9)).isoformat(),
    }
    invitation = invite_ops(client)

    early = client("outsider").post(f"{V1}/commitments", json=request)
    client("ops_lead").post(f"{V1}/invitations/{invitation['id']}/accept", json={})
    joined = client("outsider").post(f"{V1}/commitments", json=request)

    assert (early.status_code, early.json()["rule"]) == (409, "commitment.not_a_party")
    assert joined.status_code == 201, joined.text


def test_declined_and_withdrawn_invitations_change_no_charter(ops_api: Org, client: Any) -> None:
    declined = invite_ops(client)
    answer = client("ops_lead").post(f"{V1}/invitations/{declined['id']}/decline")
    assert (answer.status_code, answer.json()["state"]) == (200, "declined")

    withdrawn = invite_ops(client)
    # A lead of a party other than the inviter may withdraw it; the invited team may not.
    refused = client("ops_lead").post(f"{V1}/invitations/{withdrawn['id']}/withdraw")
    answer = client("requester_lead").post(f"{V1}/invitations/{withdrawn['id']}/withdraw")
    late = client("ops_lead").post(f"{V1}/invitations/{withdrawn['id']}/accept", json={})

    assert (refused.status_code, refused.json()["rule"]) == (403, "permission.party_lead")
    assert (answer.status_code, answer.json()["state"]) == (200, "withdrawn")
    assert answer.json()["answered_by"] == "bo@example.org"
    assert (late.status_code, late.json()["rule"]) == (409, "invitation.not_pending")
    assert charter(ops_api) == ([("data", True), ("care", True)], "active", 1)


@pytest.mark.parametrize("role", ["member", "viewer", "admin", "requester_lead", "outsider"])
def test_only_a_lead_of_the_invited_team_answers(ops_api: Org, client: Any, role: str) -> None:
    """Admins administer; they do not act for a team they are not in (DESIGN §7)."""
    invitation = invite_ops(client)
    mark = last_event_id(ops_api.uow())

    for answer in ("accept", "decline"):
        refused = client(role).post(f"{V1}/invitations/{invitation['id']}/{answer}", json={})
        assert refused.status_code == 403, refused.text

    assert client(role).get(f"{V1}/invitations/{invitation['id']}").json()["state"] == "pending"
    assert last_event_id(ops_api.uow()) == mark


def test_inviting_a_party_or_a_team_already_invited_is_a_broken_rule(
    ops_api: Org, client: Any
) -> None:
    invite_ops(client)
    ana = client("lead")

    party = ana.post(f"{V1}/partnerships/signals/invitations", json={"team": "care"})
    twice = ana.post(f"{V1}/partnerships/signals/invitations", json={"team": "ops"})
    nobody = ana.post(f"{V1}/partnerships/signals/invitations", json={"team": "nobody"})

    assert (party.status_code, party.json()["rule"]) == (409, "partnership.party_exists")
    assert (twice.status_code, twice.json()["rule"]) == (409, "partnership.already_invited")
    assert nobody.status_code == 404


def test_invitations_are_listed_by_partnership_and_by_team(ops_api: Org, client: Any) -> None:
    first = invite_ops(client)
    client("ops_lead").post(f"{V1}/invitations/{first['id']}/decline")
    second = invite_ops(client)
    viewer = client("viewer")

    by_partnership = viewer.get(f"{V1}/partnerships/signals/invitations").json()
    to_answer = viewer.get(f"{V1}/invitations", params={"team": "ops", "state": "pending"}).json()
    page_one = viewer.get(f"{V1}/invitations", params={"limit": 1}).json()
    page_two = viewer.get(f"{V1}/invitations", params={"limit": 1, "cursor": page_one["next"]})

    assert [(i["id"], i["state"]) for i in by_partnership["items"]] == [
        (first["id"], "declined"),
        (second["id"], "pending"),
    ]
    assert by_partnership["next"] is None
    assert [i["id"] for i in to_answer["items"]] == [second["id"]]
    assert [i["id"] for i in page_one["items"]] == [first["id"]]
    assert [i["id"] for i in page_two.json()["items"]] == [second["id"]]
    assert page_two.json()["next"] is None
    assert viewer.get(f"{V1}/invitations/{second['id']}").json() == second
    assert viewer.get(f"{V1}/invitations/99999").json()["rule"] == "invitation.not_found"
    assert viewer.get(f"{V1}/invitations/0").status_code == 422
    assert viewer.get(f"{V1}/invitations", params={"team": "nobody"}).status_code == 404
    assert viewer.get(f"{V1}/invitations", params={"cursor": "bad"}).status_code == 422
    assert viewer.get(f"{V1}/partnerships/nope/invitations").status_code == 404


def join_ops(client: Any) -> None:
    invitation = invite_ops(client)
    answer = client("ops_lead").post(
        f"{V1}/invitations/{invitation['id']}/accept", json={"contribution": "On-call runbooks"}
    )
    assert answer.status_code == 200, answer.text


def test_a_party_leaves_once_its_commitments_are_settled(ops_api: Org, client: Any) -> None:
    join_ops(client)
    asked = (
        client("outsider")
        .post(
            f"{V1}/commitments",
            json={
                "partnership": "signals",
                "requester": "ops",
                "performer": "data",
                "title": "On-call dashboards",
                "due": (ops_api.clock() + timedelta(days=9)).isoformat(),
            },
        )
        .json()
    )
    olu = client("ops_lead")

    refused = olu.delete(f"{V1}/partnerships/signals/parties/ops")
    assert (refused.status_code, refused.json()["rule"]) == (409, "partnership.open_commitments")
    assert asked["key"] in refused.json()["detail"]

    withdrawn = client("outsider").post(
        f"{V1}/commitments/{asked['key']}/moves", json={"move": "withdraw", "version": 1}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    mark = last_event_id(ops_api.uow())
    left = olu.delete(f"{V1}/partnerships/signals/parties/ops")

    assert left.status_code == 200, left.text
    assert [p["team"] for p in left.json()["parties"]] == ["data", "care"]
    assert charter(ops_api) == ([("data", False), ("care", False)], "forming", 2)
    assert events_of(ops_api, mark) == [
        (
            "partnership.party_left",
            OPS_LEAD,
            {"team": "ops", "contribution": "On-call runbooks", "status": "forming"},
        )
    ]
    # History stays: the commitment and its moves.
    history = client("viewer").get(f"{V1}/commitments/{asked['key']}/history").json()
    assert [e["type"] for e in history] == ["commitment.requested", "commitment.withdrawn"]
    gone = olu.delete(f"{V1}/partnerships/signals/parties/ops")
    assert (gone.status_code, gone.json()["rule"]) == (404, "partnership.not_a_party")


def test_leaving_would_leave_one_party_and_is_refused(ops_api: Org, client: Any) -> None:
    mark = last_event_id(ops_api.uow())

    refused = client("requester_lead").delete(f"{V1}/partnerships/signals/parties/care")

    assert (refused.status_code, refused.json()["rule"]) == (409, "partnership.too_few_parties")
    assert "dissolve" in refused.json()["detail"]
    assert charter(ops_api)[0] == [("data", True), ("care", True)]
    assert last_event_id(ops_api.uow()) == mark


@pytest.mark.parametrize("role", ["outsider", "viewer", "admin", "lead", "requester_lead"])
def test_only_a_lead_of_that_party_leaves(ops_api: Org, client: Any, role: str) -> None:
    join_ops(client)
    mark = last_event_id(ops_api.uow())

    refused = client(role).delete(f"{V1}/partnerships/signals/parties/ops")

    assert refused.status_code == 403, refused.text
    assert [t for t, _ in charter(ops_api)[0]] == ["data", "care", "ops"]
    assert last_event_id(ops_api.uow()) == mark
