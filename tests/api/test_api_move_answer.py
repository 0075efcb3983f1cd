"""A request or a move through the API answers with the commitment as made, in the change's own
transaction: the same answer a read of it gives right after, without reading it again."""

from __future__ import annotations

from api_org import Org
from trust_workers import transactions


def test_a_request_and_its_moves_answer_as_a_read_does_in_one_transaction(api: Org) -> None:
    body = {
        "partnership": "signals",
        "requester": "care",
        "performer": "data",
        "title": "Weekly churn signals",
        "due": "2026-07-01T17:30:00.250000+02:00",
        "measure": "Monthly churn",
        "reliance": "critical",
    }
    with api.client("requester_member") as dee, api.client("member") as cy:
        with transactions() as begun:
            made = dee.post("/api/v1/commitments", json=body)
        assert made.status_code == 201, made.text
        # the credentials' check and the change in one; the answer is not read again
        assert len(begun) == 1, f"a request began {len(begun)} transactions"
        key = made.json()["key"]
        assert made.headers["Location"] == f"/api/v1/commitments/{key}"
        read = dee.get(f"/api/v1/commitments/{key}")
        assert made.json() == read.json()
        assert made.headers["ETag"] == read.headers["ETag"] == '"1"'

        counter = {
            "move": "counter",
            "version": 1,
            "title": "Churn signals, fortnightly",
            "due": "2026-07-15T09:00:00-05:00",
            "note": "two weeks are what we can do",
        }
        with transactions() as begun:
            moved = cy.post(f"/api/v1/commitments/{key}/moves", json=counter)
        assert moved.status_code == 200, moved.text
        assert len(begun) == 1, f"a move began {len(begun)} transactions"
        assert moved.json() == cy.get(f"/api/v1/commitments/{key}").json()
        assert moved.json()["pending"]["due"] == "2026-07-15T14:00:00Z"
        assert moved.json()["due"] == "2026-07-01T15:30:00.250000Z"

        accepted = dee.post(
            f"/api/v1/commitments/{key}/moves",
            json={"move": "accept_counter"},
            headers={"If-Match": moved.headers["ETag"]},
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json() == dee.get(f"/api/v1/commitments/{key}").json()
        assert accepted.json()["state"] == "promised"
        assert accepted.headers["ETag"] == '"3"'
