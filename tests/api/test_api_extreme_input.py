"""Input at the edges of what a value can be: dates near the ends of the calendar or far ahead,
instants with extreme offsets, a lone surrogate in a text. Each is refused with a clear 422 that
names the field, or taken; never a 500, and nothing changes on a refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from api_org import Org

from factories import last_event_id


def request_body(api: Org, due: str, title: str = "Weekly churn report") -> dict[str, object]:
    return {
        "partnership": "signals",
        "requester": "care",
        "performer": "data",
        "title": title,
        "due": due,
        "reliance": "high",
    }


@pytest.mark.parametrize(
    "due",
    [
        "2600-01-01T00:00:00Z",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00Z",
    ],
)
def test_a_due_date_out_of_range_is_refused_by_name(api_on: Org, due: str) -> None:
    before = last_event_id(api_on.uow())
    with api_on.client("requester_lead") as bo:
        answer = bo.post("/api/v1/commitments", json=request_body(api_on, due))
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["path"].endswith("due")
    assert "from 1900 to 2199" in error["message"]
    assert last_event_id(api_on.uow()) == before


def test_a_due_date_far_but_in_range_is_taken(api_on: Org) -> None:
    """A promise due 50 or 170 years on is taken, and the trust read after it works."""
    with api_on.client("requester_lead") as bo, api_on.client("lead") as ana:
        for years in (50, 170):
            due = (api_on.clock() + timedelta(days=365 * years)).isoformat()
            made = bo.post("/api/v1/commitments", json=request_body(api_on, due))
            assert made.status_code == 201, made.text
            promised = ana.post(
                f"/api/v1/commitments/{made.json()['key']}/moves",
                json={"move": "promise", "version": made.json()["version"]},
            )
            assert promised.status_code == 200, promised.text
        assert ana.get("/api/v1/teams/data/trust").status_code == 200


def test_a_lone_surrogate_in_a_text_is_refused(api_on: Org) -> None:
    before = last_event_id(api_on.uow())
    due = (api_on.clock() + timedelta(days=30)).isoformat()
    raw = (
        '{"partnership": "signals", "requester": "care", "performer": "data", '
        f'"title": "bad \\ud800 text", "due": "{due}", "reliance": "high"}}'
    )
    with api_on.client("requester_lead") as bo:
        answer = bo.post(
            "/api/v1/commitments", content=raw, headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 422, answer.text
    assert last_event_id(api_on.uow()) == before


@pytest.mark.parametrize(
    "as_of", ["0001-01-01", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00"]
)
def test_an_as_of_at_the_ends_of_the_calendar_is_refused_by_name(api: Org, as_of: str) -> None:
    with api.client("lead") as ana:
        answer = ana.get("/api/v1/teams/data/trust", params={"as_of": as_of})
    assert answer.status_code == 422, answer.text
    assert answer.json()["rule"] == "time.out_of_range"
    assert "as_of" in answer.json()["detail"]
