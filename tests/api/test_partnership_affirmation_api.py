"""Affirming through the REST API: the starter affirms for its party as it starts, a party
without a stated contribution is refused with the field it is about, and a status move keeps
its note."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from api_org import Org

V1 = "/api/v1"


def test_the_starter_affirms_as_it_starts_and_a_party_needs_its_contribution(
    api: Org, as_role: Callable[[str], httpx.Client]
) -> None:
    ana, bo = as_role("lead"), as_role("requester_lead")

    started = ana.post(
        f"{V1}/partnerships",
        json={
            "name": "Win-back",
            "purpose": "churn",
            "parties": [
                {"team": "data", "contribution": "Churn-risk scores", "affirm": True},
                {"team": "care"},
            ],
        },
    )
    assert started.status_code == 201, started.text
    body = started.json()
    assert [(p["team"], p["affirmed"]) for p in body["parties"]] == [
        ("data", True),
        ("care", False),
    ]
    assert body["parties"][0]["affirmed_by"] == "ana@example.org"

    refused = bo.post(f"{V1}/partnerships/{body['key']}/affirm", json={"team": "care"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["field"] == "contribution"
    assert refused.json()["rule"] == "partnership.contribution_missing"

    stated = bo.patch(
        f"{V1}/partnerships/{body['key']}/parties/care", json={"contribution": "Save playbooks"}
    )
    assert stated.status_code == 200, stated.text
    # a new contribution is a new charter: Data affirms it again, then Care
    assert [p["affirmed"] for p in stated.json()["parties"]] == [False, False]
    assert ana.post(f"{V1}/partnerships/{body['key']}/affirm", json={"team": "data"}).is_success
    signed = bo.post(f"{V1}/partnerships/{body['key']}/affirm", json={"team": "care"})
    assert signed.json()["status"] == "active"

    concluded = bo.patch(
        f"{V1}/partnerships/{body['key']}", json={"status": "concluded", "note": "Done"}
    )
    assert concluded.json()["status"] == "concluded"
    events = as_role("admin").get(f"{V1}/events", params={"subject": f"partnership:{body['key']}"})
    moved = [e for e in events.json()["items"] if e["type"] == "partnership.status_changed"]
    assert moved[-1]["payload"] == {"from": "active", "to": "concluded", "note": "Done"}


def test_affirming_for_a_party_one_does_not_lead_at_start_is_refused(
    api: Org, as_role: Callable[[str], httpx.Client]
) -> None:
    refused = as_role("lead").post(
        f"{V1}/partnerships",
        json={
            "name": "Win-back",
            "purpose": "churn",
            "parties": [
                {"team": "data", "contribution": "Churn-risk scores"},
                {"team": "care", "contribution": "Save playbooks", "affirm": True},
            ],
        },
    )

    assert refused.status_code == 403, refused.text
    listed = as_role("lead").get(f"{V1}/partnerships").json()["items"]
    assert [p["key"] for p in listed] == ["signals"]
