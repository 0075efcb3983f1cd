"""Who reads an accept's value rating and note (DESIGN §7), through the commitments service,
on SQLite and PostgreSQL: the views come with the evidence already withheld."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.commitments import service as commitments
from accord.config import Settings
from accord.org import service as org_service
from accord.trust import pairs
from accord.trust.visibility import may_see_chain, may_see_evidence, may_see_team
from built_once import built_once
from factories import (
    OPERATOR,
    SETTINGS,
    chain_ok,
    make_commitment,
    make_partnership,
    make_person,
    make_team,
)

START = datetime(2026, 6, 1, tzinfo=UTC)
NOTE = "Cut our failed payments by half"
# Everyone of the `org` fixture, and whether an accept's rating and note are theirs to read.
SEES = {
    "r": True,
    "p": True,
    "both": True,
    "viewer_in_r": True,  # a viewer, yet a member of the requester team
    "admin": True,
    "outsider": False,
    "partner_lead": False,
    "viewer": False,
    "former": False,
}


@pytest.fixture
def org(request, engine, uow):
    """Payments (R) asked Platform (P), which delivered; Payments accepted, rated 5 with a note.
    Marketing partners with Platform elsewhere; Sales is no partner of anyone."""
    return built_once(request, engine, lambda: build_org(uow))


def build_org(uow):
    for slug in ("payments", "platform", "marketing", "sales"):
        make_team(uow, slug)
    people = {
        "r": make_person(uow, "rita@example.org", teams={"payments": "lead"}),
        "p": make_person(uow, "paul@example.org", teams={"platform": "lead"}),
        "both": make_person(
            uow, "bea@example.org", teams={"payments": "member", "platform": "member"}
        ),
        "viewer_in_r": make_person(
            uow, "vic@example.org", role="viewer", teams={"payments": "member"}
        ),
        "admin": make_person(uow, "root@example.org", role="admin"),
        "outsider": make_person(uow, "olga@example.org", teams={"sales": "member"}),
        "partner_lead": make_person(uow, "mo@example.org", teams={"marketing": "lead"}),
        "viewer": make_person(uow, "val@example.org", role="viewer"),
        "former": make_person(uow, "fred@example.org", teams={"payments": "member"}),
    }
    org_service.remove_membership(uow, OPERATOR, "payments", "fred@example.org")
    for key, parties, affirmed in (
        ("checkout", [("payments", "Checkout"), ("platform", "Rails")], ("r", "p")),
        ("campaigns", [("marketing", "Campaigns"), ("platform", "Rails")], ("partner_lead", "p")),
    ):
        make_partnership(
            uow,
            people[affirmed[0]],
            key=key,
            parties=parties,
            affirmed_by=[people[a] for a in affirmed],
        )
    make_commitment(
        uow,
        "checkout",
        people["r"],
        "payments",
        "platform",
        key="vault",
        due=START + timedelta(days=30),
    )
    commitments.move(uow, people["p"], "vault", "promise", version=1)
    commitments.move(uow, people["p"], "vault", "report_done", version=2)
    commitments.move(uow, people["r"], "vault", "accept", version=3, value=5, note=NOTE)
    return {name: org_service.get_person(uow, p.email) for name, p in people.items()}


def test_the_predicate_is_the_two_teams_current_members_and_admins(uow, org):
    with uow:  # teams are compared by identity: people and commitment of one session
        vault = uow.commitments.get("vault")
        teams = (vault.requester, vault.performer)
        readers = {name: uow.bind(person) for name, person in org.items()}
        for name, sees in SEES.items():
            assert may_see_evidence(readers[name], *teams) == sees, name
        assert may_see_evidence(OPERATOR, *teams)
        # Trust visibility `org` opens team trust (the ranking) to everyone, not the evidence.
        everyone = Settings(database_url="sqlite://", secret_key="x", trust_visibility="org")
        assert may_see_team(uow, everyone, readers["outsider"], vault.performer)
        assert not may_see_evidence(readers["outsider"], *teams)
        assert [n for n in SEES if may_see_chain(readers[n])] == ["admin"]
        assert may_see_chain(OPERATOR)


def test_commitment_views_withhold_the_rating(uow, org):
    for name, sees in SEES.items():
        one = commitments.get_commitment(uow, "vault", org[name])
        [listed] = commitments.browse(uow, org[name], partnership="checkout")
        for view in (one, listed):
            assert (view.value, view.withheld) == ((5, ()) if sees else (None, ("value",))), name
            assert view.commitment.state.value == "accepted"
    # Read for no one in particular, a commitment keeps its evidence to itself.
    assert commitments.get_commitment(uow, "vault").withheld == ("value",)


def test_history_and_log_withhold_the_accepts_value_and_note(uow, org):
    evidence = ("payload.args.value", "payload.args.note")
    for name, sees in SEES.items():
        reader = org[name]
        history = commitments.history(uow, "vault", reader)
        logged = commitments.event_log(uow, reader, subject="commitment:vault")
        newest = commitments.newest_event_log(uow, reader, subject="commitment:vault")
        assert history == logged == list(reversed(newest)), name
        accept = history[-1]
        assert (accept.type, accept.actor, accept.payload["to"]) == (
            "commitment.accepted",
            "rita@example.org",
            "accepted",
        ), name
        if sees:
            assert accept.payload["args"] == {"value": 5, "note": NOTE}, name
            assert not set(evidence) & set(accept.withheld), name
        else:
            assert accept.payload["args"] == {}, name
            assert accept.withheld[:2] == evidence, name
        for event in history:
            if name == "admin":
                assert (len(event.prev_hash or ""), len(event.hash or "")) == (64, 64), name
                assert event.withheld == (), name
            else:
                assert (event.prev_hash, event.hash) == (None, None), name
    whole = commitments.event_log(uow, org["outsider"], limit=1000)
    assert NOTE not in str([e.payload for e in whole])
    assert [e.id for e in whole] == [e.id for e in commitments.event_log(uow, OPERATOR, limit=1000)]


def test_withholding_changes_neither_the_log_nor_trust(uow, org):
    commitments.history(uow, "vault", org["outsider"])
    commitments.event_log(uow, org["viewer"], limit=1000)
    [accept] = [
        e for e in commitments.history(uow, "vault", OPERATOR) if e.type == "commitment.accepted"
    ]
    assert accept.payload["args"] == {"value": 5, "note": NOTE}
    assert (len(accept.prev_hash or ""), len(accept.hash or "")) == (64, 64)
    assert chain_ok(uow)
    record = pairs.pair_record(uow, SETTINGS, org["r"], "platform", "payments")
    [row] = [row for row in record.rows if row.key == "vault"]
    assert row.rating == 5
