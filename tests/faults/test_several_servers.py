"""Two `accord serve` processes on one PostgreSQL database, as behind a load balancer: a move
made through one is seen at once by a trust read on the other, whether that one has read (and
cached) trust before or not.

Each process keeps caches of its own (the network reputation, the forecast model, the expensive
reads); each is keyed by versions read from the database on every request, so none can answer
from before a change another process committed.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from test_crash_and_outage import Server, live_org, url_of

__all__ = ["live_org"]  # the organization's fixture, served to this file's test

pytestmark = pytest.mark.slow

FIGURES = ("ability", "integrity", "value", "overall", "network")


# who leads each team of the organization, as the tokens name them
LEADS = {"data": "lead", "care": "requester_lead"}


def finish_one(base: str, tokens: dict[str, str], key: str, requester: str, performer: str) -> None:
    """`requester` asks `performer` for something, which promises and delivers it, and
    `requester` accepts it (each move by the team's lead)."""

    def as_(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role]}"}

    with httpx.Client(base_url=base, timeout=30) as http:
        made = http.post(
            "/api/v1/commitments",
            json={
                "key": key,
                "partnership": "signals",
                "requester": requester,
                "performer": performer,
                "title": f"Weekly export {key}",
                "due": "2030-01-01T00:00:00Z",
            },
            headers=as_(LEADS[requester]),
        )
        assert made.status_code == 201, made.text
        version = made.json()["version"]
        for role, move in (
            (LEADS[performer], {"move": "promise"}),
            (LEADS[performer], {"move": "report_done"}),
            (LEADS[requester], {"move": "accept", "value": 5}),
        ):
            moved = http.post(
                f"/api/v1/commitments/{key}/moves",
                json={**move, "version": version},
                headers=as_(role),
            )
            assert moved.status_code == 200, moved.text
            version = moved.json()["version"]


def trust(base: str, token: str, team: str) -> dict[str, Any]:
    """The figures of a team's trust: every number, by its path in the answer."""
    response = httpx.get(
        f"{base}/api/v1/teams/{team}/trust",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return {path: value for name in FIGURES for path, value in numbers(body[name], name)}


def numbers(value: Any, path: str) -> list[tuple[str, float]]:
    if isinstance(value, dict):
        return [found for key, inner in value.items() for found in numbers(inner, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for i, inner in enumerate(value) for found in numbers(inner, f"{path}.{i}")]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    return [(path, float(value))]


def same(seen: dict[str, float], expected: dict[str, float]) -> bool:
    """Equal up to the decay between two reads a moment apart."""
    return bool(seen) and seen == pytest.approx(expected, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_move_on_one_server_is_seen_by_a_trust_read_on_the_other(
    engine: Engine, live_org: dict[str, str]
) -> None:
    url = url_of(engine)
    one, other = Server(url), Server(url)
    one.start()
    try:
        other.start()
        admin = live_org["admin"]
        teams = ("data", "care")
        # before any read on the other server: its caches are cold
        finish_one(one.base, live_org, "first", requester="care", performer="data")
        for team in teams:
            assert same(trust(other.base, admin, team), trust(one.base, admin, team))
        # the other server has read and cached trust now (the network reputation among it)
        before = {team: trust(other.base, admin, team) for team in teams}
        for team in teams:
            assert same(trust(other.base, admin, team), before[team])
        # care's first delivery: its ability, and every team's network reputation, change
        finish_one(one.base, live_org, "second", requester="data", performer="care")
        after = {team: trust(other.base, admin, team) for team in teams}
        assert after["care"]["ability.r"] > before["care"]["ability.r"] + 0.5
        assert after["data"]["network"] != pytest.approx(before["data"]["network"], rel=1e-6)
        for team in teams:
            assert same(after[team], trust(one.base, admin, team))
    finally:
        one.stop()
        other.stop()
