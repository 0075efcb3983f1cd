"""Clients racing through HTTP, on SQLite and PostgreSQL: one move wins, none is lost."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx
import pytest

from accord.events import service as events
from accord.events.domain import iso
from accord.uow import UnitOfWork

THREADS = 12
# What the API answers the loser of a race on one version: the version check in the domain
# (it read the new version), the row's version guard (it read the old one), or a lock timeout.
LOST_RACE_RULES = {"commitment.version_stale", "version.stale", "database.busy"}
MOVE_STATE = {
    "report_done": "delivered",
    "revoke": "revoked",
    "propose_change": "renegotiating",
    "withdraw": "withdrawn",
}
MOVE_ARGS: dict[str, dict[str, Any]] = {
    "report_done": {"note": "Live in the CRM"},
    "revoke": {"reason": "Priorities changed"},
    "propose_change": {"due": "2026-08-01T00:00:00Z"},
    "withdraw": {"reason": "Not needed any more"},
}


def chain_ok(api: Any) -> bool:
    """Whether the event log verifies, read in one snapshot."""
    return events.verify(UnitOfWork(api.engine, api.clock, read_only=True)).ok


def all_at_once(calls: Sequence[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run each call in its own thread, all released together; their responses in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], httpx.Response]) -> None:
        try:
            barrier.wait(timeout=30)
            answers[index] = call()
        except Exception as error:  # the test reports what each thread got
            answers[index] = error

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    failed = [a for a in answers if not isinstance(a, httpx.Response)]
    assert not failed, failed
    return answers


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def ok_list(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def events_after(client: httpx.Client, after: int) -> list[dict[str, Any]]:
    """Every event appended after `after`, oldest first."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200, "after": after}
        if cursor:
            params["cursor"] = cursor
        page = ok(client.get("/api/v1/events", params=params))
        found += page["items"]
        cursor = page["next"]
        if not cursor:
            return found


def last_event_id(client: httpx.Client) -> int:
    """The id of the newest event, read through the API."""
    found = events_after(client, 0)
    return int(found[-1]["id"]) if found else 0


def request_commitment(requester: httpx.Client, title: str) -> dict[str, Any]:
    body = {
        "partnership": "signals",
        "requester": "care",
        "performer": "data",
        "title": title,
        "due": "2026-07-15T00:00:00Z",
        "reliance": "high",
    }
    return ok(requester.post("/api/v1/commitments", json=body), 201)


def move(client: httpx.Client, key: str, name: str, version: int, **args: Any) -> httpx.Response:
    return client.post(
        f"/api/v1/commitments/{key}/moves", json={"move": name, "version": version, **args}
    )


@pytest.fixture
def clients(api_on: Any) -> Any:
    """Clients by role, closed at the end of the test."""
    made: list[httpx.Client] = []

    def make(role: str) -> httpx.Client:
        client = api_on.client(role)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.mark.parametrize(
    "movers",
    [
        [("lead", "report_done"), ("member", "revoke"), ("member", "propose_change")],
        [
            ("lead", "report_done"),
            ("member", "revoke"),
            ("requester_lead", "withdraw"),
            ("requester_member", "propose_change"),
        ],
    ],
    ids=["performers", "both-sides"],
)
def test_of_many_conflicting_moves_on_one_version_exactly_one_wins(api_on, clients, movers):
    reader, performer = clients("requester_member"), clients("lead")
    plan = [movers[i % len(movers)] for i in range(THREADS)]
    racers = [(clients(role), name) for role, name in plan]
    for round_ in range(3):
        created = request_commitment(reader, f"Race {round_}")
        key = created["key"]
        promised = ok(move(performer, key, "promise", 1))
        assert (promised["state"], promised["version"]) == ("promised", 2)
        mark = last_event_id(reader)

        answers = all_at_once(
            [
                lambda c=client, n=name, k=key: move(c, k, n, 2, **MOVE_ARGS[n])
                for client, name in racers
            ]
        )

        won = [i for i, a in enumerate(answers) if a.status_code == 200]
        assert len(won) == 1, [(a.status_code, a.text) for a in answers]
        [winner] = won
        losers = [a for a in answers if a.status_code != 200]
        assert {a.status_code for a in losers} == {409}, [a.text for a in losers]
        rules = Counter(a.json()["rule"] for a in losers)
        assert set(rules) <= LOST_RACE_RULES, rules
        assert all(a.headers["content-type"] == "application/problem+json" for a in losers)
        won_move = plan[winner][1]
        answer = answers[winner].json()
        assert (answer["state"], answer["version"]) == (MOVE_STATE[won_move], 3)
        stored = ok(reader.get(f"/api/v1/commitments/{key}"))
        assert (stored["state"], stored["version"]) == (MOVE_STATE[won_move], 3)
        history = ok_list(reader.get(f"/api/v1/commitments/{key}/history"))
        assert [e["payload"]["move"] for e in history] == ["request", "promise", won_move]
        [event] = events_after(reader, mark)
        assert (event["subject"], event["payload"]["move"], event["payload"]["version"]) == (
            f"commitment:{key}",
            won_move,
            3,
        )
    assert chain_ok(api_on)


def test_concurrent_sequences_on_separate_commitments_lose_no_update(api_on, clients):
    reader = clients("requester_member")
    mark = last_event_id(reader)
    lanes = 8
    keys: list[str | None] = [None] * lanes

    def lane(index: int) -> httpx.Response:
        # Each lane plays a whole conversation, requester and performer taking turns.
        requester = clients("requester_member" if index % 2 else "requester_lead")
        performer = clients("member" if index % 2 else "lead")
        created = request_commitment(requester, f"Lane {index}")
        key = created["key"]
        keys[index] = key
        steps = [
            (performer, "promise", {}),
            (performer, "propose_change", {"due": "2026-07-20T00:00:00Z"}),
            (requester, "accept_change", {}),
            (performer, "report_done", {"note": "Done"}),
            (requester, "accept", {"value": 1 + index % 5}),
        ]
        last = None
        for version, (client, name, args) in enumerate(steps, start=1):
            last = move(client, key, name, version, **args)
            assert last.status_code == 200, (name, last.text)
        assert last is not None
        return last

    answers = all_at_once([lambda i=i: lane(i) for i in range(lanes)])

    for index, answer in enumerate(answers):
        final = answer.json()
        assert (final["state"], final["version"], final["value"]) == ("accepted", 6, 1 + index % 5)
        assert final["due"] == "2026-07-20T00:00:00Z"
    appended = events_after(clients("admin"), mark)  # the hashes are for admins
    assert [e["id"] for e in appended] == list(range(mark + 1, mark + 1 + 6 * lanes))
    for previous, event in itertools.pairwise(appended):
        assert event["prev_hash"] == previous["hash"]
    expected = ["request", "promise", "propose_change", "accept_change", "report_done", "accept"]
    for key in keys:
        mine = [e for e in appended if e["subject"] == f"commitment:{key}"]
        assert [e["payload"]["move"] for e in mine] == expected
        assert [e["payload"]["version"] for e in mine] == list(range(1, 7))
        stored = ok(reader.get(f"/api/v1/commitments/{key}"))
        assert (stored["state"], stored["version"]) == ("accepted", 6)
    assert chain_ok(api_on)


def test_one_request_sent_at_once_with_one_idempotency_key_is_acted_on_once(api_on, clients):
    reader = clients("lead")
    mark = last_event_id(reader)
    # No key in the body: without the Idempotency-Key each copy would make a commitment of its own.
    body = {
        "partnership": "signals",
        "requester": "care",
        "performer": "data",
        "title": "Weekly churn report",
        "due": iso(api_on.clock() + timedelta(days=14)),
        "reliance": "medium",
    }
    headers = {"Idempotency-Key": "create-weekly-report"}
    senders = [clients("requester_member") for _ in range(THREADS)]

    answers = all_at_once(
        [lambda c=c: c.post("/api/v1/commitments", json=body, headers=headers) for c in senders]
    )

    # Every copy runs; the first to commit keeps its change with its answer, the others roll
    # back on the key and answer what it stored, byte for byte.
    created = [a for a in answers if a.status_code == 201]
    assert len(created) == len(answers), [a.text for a in answers]
    assert len({a.content for a in created}) == 1
    assert sum(a.headers.get("idempotent-replayed") != "true" for a in created) == 1
    appended = events_after(reader, mark)
    assert [e["type"] for e in appended] == ["commitment.requested"]
    key = created[0].json()["key"]
    listed = ok(reader.get("/api/v1/commitments", params={"partnership": "signals"}))
    assert [c["key"] for c in listed["items"] if c["title"] == body["title"]] == [key]

    again = senders[0].post("/api/v1/commitments", json=body, headers=headers)
    assert (again.status_code, again.content) == (201, created[0].content)
    assert again.headers["idempotent-replayed"] == "true"
    assert chain_ok(api_on)


def test_one_move_sent_at_once_with_one_idempotency_key_is_made_once(api_on, clients):
    reader = clients("requester_member")
    key = request_commitment(reader, "Churn features")["key"]
    ok(move(clients("lead"), key, "promise", 1))
    mark = last_event_id(reader)
    headers = {"Idempotency-Key": f"done-{key}"}
    body = {"move": "report_done", "version": 2, "note": "Shipped"}
    senders = [clients("member") for _ in range(THREADS)]

    answers = all_at_once(
        [
            lambda c=c: c.post(f"/api/v1/commitments/{key}/moves", json=body, headers=headers)
            for c in senders
        ]
    )

    made = [a for a in answers if a.status_code == 200]
    # A stale-version 409 here would mean a copy answered for itself instead of by its key.
    assert len(made) == len(answers), [a.text for a in answers]
    assert len({a.content for a in made}) == 1
    assert sum(a.headers.get("idempotent-replayed") != "true" for a in made) == 1
    assert (made[0].json()["state"], made[0].json()["version"]) == ("delivered", 3)
    [event] = events_after(reader, mark)
    assert (event["subject"], event["payload"]["move"]) == (f"commitment:{key}", "report_done")
    stored = ok(reader.get(f"/api/v1/commitments/{key}"))
    assert (stored["state"], stored["version"]) == ("delivered", 3)
    assert chain_ok(api_on)
