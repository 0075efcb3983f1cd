"""An accept's value rating and note are trust evidence (DESIGN §7): through the REST API only
the current members of the requester and performer teams and admins read them, in commitments,
their history, the event log and the export alike; everyone else sees that the accept happened.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from api_org import PEOPLE, Org

from accord.commitments import service as commitments
from accord.events.domain import GENESIS_HASH, Event, event_hash
from accord.org import service as org
from factories import OPERATOR, make_commitment, make_partnership, make_person

KEY = "scores"
NOTE = "Saved 12 accounts in the first week"
DONE_NOTE = "Live in the CRM"
EVIDENCE = ["payload.args.value", "payload.args.note"]
CHAIN = ["prev_hash", "hash"]
# Who reads, and whether the rating and the note are theirs to read.
READERS = {
    "outsider": False,  # fay, a member of ops, which has no part in the commitment
    "viewer": False,  # vi, who reads everything else
    "partner_lead": False,  # gus, a lead of ops, which partners with data elsewhere
    "former_member": False,  # hal, who left care, the requester
    "member": True,  # cy, of data, the performer
    "requester_member": True,  # dee, of care, the requester
    "admin": True,  # adm, in no team
}
EXTRA = {"partner_lead": "gus@example.org", "former_member": "hal@example.org"}


@pytest.fixture
def readers(api_on: Org) -> Iterator[dict[str, httpx.Client]]:
    """care asked data for `scores`, data delivered, and bo accepted it, rated 4 with a note."""
    ana = org.get_person(api_on.uow(), PEOPLE["lead"])
    bo = org.get_person(api_on.uow(), PEOPLE["requester_lead"])
    gus = make_person(api_on.uow(), EXTRA["partner_lead"], teams={"ops": "lead"})
    make_partnership(
        api_on.uow(),
        ana,
        key="runbooks",
        purpose="churn",
        parties=[("data", "Customer health data"), ("ops", "Runbooks")],
        affirmed_by=[ana, gus],
    )
    make_person(api_on.uow(), EXTRA["former_member"], teams={"care": "member"})
    org.remove_membership(api_on.uow(), OPERATOR, "care", EXTRA["former_member"])
    make_commitment(api_on.uow(), "signals", bo, "care", "data", key=KEY)
    commitments.move(api_on.uow(), ana, KEY, "promise", version=1)
    commitments.move(api_on.uow(), ana, KEY, "report_done", version=2, note=DONE_NOTE)
    commitments.move(api_on.uow(), bo, KEY, "accept", version=3, value=4, note=NOTE)
    for role, email in EXTRA.items():
        api_on.tokens[role] = org.create_token(api_on.uow(), OPERATOR, email)
    clients = {role: api_on.client(role) for role in READERS}
    yield clients
    for client in clients.values():
        client.close()


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def every_event(client: httpx.Client, **query: str) -> list[dict[str, Any]]:
    """The whole log (or a subject's), page after page, and the note is on none of the pages."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {**query, "limit": "200", **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/events", params=params)
        body = ok(response)
        found += body["items"]
        cursor = body["next"]
        if not cursor:
            return found


def check_accept(event: dict[str, Any], sees: bool) -> None:
    """The accept happened for everyone: its time, actor and state; its evidence for some."""
    assert (event["type"], event["actor"], event["subject"]) == (
        "commitment.accepted",
        PEOPLE["requester_lead"],
        f"commitment:{KEY}",
    )
    assert (event["payload"]["move"], event["payload"]["to"]) == ("accept", "accepted")
    if sees:
        assert event["payload"]["args"] == {"value": 4, "note": NOTE}
        assert not set(EVIDENCE) & set(event["withheld"])
    else:
        assert event["payload"]["args"] == {}
        assert event["withheld"][:2] == EVIDENCE


def test_a_commitment_shows_its_rating_only_to_the_two_teams_and_admins(
    readers: dict[str, httpx.Client],
) -> None:
    for role, sees in READERS.items():
        client = readers[role]
        one = ok(client.get(f"/api/v1/commitments/{KEY}"))
        listed = ok(client.get("/api/v1/commitments", params={"partnership": "signals"}))
        [item] = [c for c in listed["items"] if c["key"] == KEY]
        for body in (one, item):
            assert (body["state"], body["version"]) == ("accepted", 4), role
            expected = (4, []) if sees else (None, ["value"])
            assert (body["value"], body["withheld"]) == expected, role


def test_an_open_commitment_tells_withheld_apart_from_not_rated(
    api_on: Org, readers: dict[str, httpx.Client]
) -> None:
    bo = org.get_person(api_on.uow(), PEOPLE["requester_lead"])
    make_commitment(api_on.uow(), "signals", bo, "care", "data", key="open-one")
    for role, sees in READERS.items():
        body = ok(readers[role].get("/api/v1/commitments/open-one"))
        assert (body["value"], body["withheld"]) == (None, [] if sees else ["value"]), role


def test_the_history_and_the_log_show_the_accept_but_its_evidence_only_to_the_two_teams(
    readers: dict[str, httpx.Client],
) -> None:
    for role, sees in READERS.items():
        client = readers[role]
        history = client.get(f"/api/v1/commitments/{KEY}/history")
        of_subject = client.get("/api/v1/events", params={"subject": f"commitment:{KEY}"})
        whole = every_event(client)
        for response in (history, of_subject):
            assert (NOTE in response.text) == sees, role
        moves = ok(history)
        assert [e["payload"]["move"] for e in moves] == [
            "request",
            "promise",
            "report_done",
            "accept",
        ], role
        assert moves == ok(of_subject)["items"], role
        assert moves == [e for e in whole if e["subject"] == f"commitment:{KEY}"], role
        check_accept(moves[-1], sees)
        # The notes of other moves are no trust evidence: everyone reads them.
        assert moves[2]["payload"]["args"] == {"note": DONE_NOTE}, role
        assert (NOTE in str(whole)) == sees, role


def test_only_admins_get_the_hashes_and_with_them_the_chain_verifies(
    readers: dict[str, httpx.Client],
) -> None:
    """A hash commits to the whole payload: with a rating of 1 to 5 withheld, five guesses
    would find it. Admins see every payload and check every hash; others get no hashes."""
    logged = every_event(readers["admin"])
    assert [e["id"] for e in logged] == list(range(1, len(logged) + 1))
    previous = GENESIS_HASH
    for e in logged:
        assert "hash" not in e["withheld"]
        event = Event(
            id=e["id"],
            at=datetime.fromisoformat(e["at"]),
            actor=e["actor"],
            type=e["type"],
            subject=e["subject"],
            payload=e["payload"],
            prev_hash=e["prev_hash"],
        )
        assert (e["prev_hash"], event_hash(event)) == (previous, e["hash"])
        previous = e["hash"]
    for role in READERS:
        if role == "admin":
            continue
        for e in every_event(readers[role]):
            assert (e["prev_hash"], e["hash"]) == (None, None), role
            assert e["withheld"][-2:] == CHAIN, role
            if e["type"] != "commitment.accepted":
                assert e["withheld"] == CHAIN, role


def test_only_admins_export_and_the_export_keeps_the_evidence(
    readers: dict[str, httpx.Client],
) -> None:
    document = ok(readers["admin"].get("/api/v1/export"))
    [exported] = [c for c in document["commitments"] if c["key"] == KEY]
    accept = exported["history"][-1]
    assert (accept["move"], accept["value"], accept["note"]) == ("accept", 4, NOTE)
    for role in READERS:
        if role != "admin":
            assert readers[role].get("/api/v1/export").status_code == 403, role


def test_trust_still_counts_the_rating_it_withholds(readers: dict[str, httpx.Client]) -> None:
    """The rating stays evidence: the pair's value rests on it, for those who see the pair."""
    evidence = ok(
        readers["requester_member"].get("/api/v1/teams/data/trust/evidence", params={"of": "care"})
    )
    [row] = [item for item in evidence["items"] if item["key"] == KEY]
    assert row["rating"] == 4
    value = evidence["trust"]["value"]
    assert value["r"] + value["s"] > 0
    assert (
        ok(readers["admin"].get("/api/v1/teams/data/trust", params={"of": "care"}))
        == (evidence["trust"])
    )
    for role, sees in READERS.items():
        status = readers[role].get("/api/v1/teams/data/trust", params={"of": "care"}).status_code
        assert status == (200 if sees else 403), role


def test_events_of_one_page_keep_their_order_and_ids(readers: dict[str, httpx.Client]) -> None:
    """Withholding leaves every event in the log, where it was: only fields go."""
    ids = {role: [e["id"] for e in every_event(client)] for role, client in readers.items()}
    for first, second in itertools.pairwise(ids.values()):
        assert first == second
