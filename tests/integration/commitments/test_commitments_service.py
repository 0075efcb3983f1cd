"""The conversation for action through the commitments service, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from accord.commitments import service as commitments
from accord.errors import Conflict, Forbidden, Invalid, NotFound, RuleBroken
from accord.events.domain import iso
from accord.org import service as org_service
from accord.partnerships import service as partnerships
from built_once import built_once
from factories import (
    OPERATOR,
    chain_ok,
    events_after,
    last_event_id,
    make_commitment,
    make_partnership,
    make_person,
    make_team,
)

START = datetime(2026, 6, 1, tzinfo=UTC)
DUE = START + timedelta(days=30)
LATER = DUE + timedelta(days=14)


@pytest.fixture
def org(request, engine, uow):
    """Payments (R) asks Platform (P) in partnership `checkout`; Marketing is no party."""
    return built_once(request, engine, lambda: build_org(uow))


def build_org(uow):
    for slug in ("payments", "platform", "marketing"):
        make_team(uow, slug)
    people = {
        "r": make_person(uow, "rita@example.org", teams={"payments": "member"}),
        "r_lead": make_person(uow, "rob@example.org", teams={"payments": "lead"}),
        "p": make_person(uow, "paul@example.org", teams={"platform": "member"}),
        "p_lead": make_person(uow, "pia@example.org", teams={"platform": "lead"}),
        "both": make_person(
            uow, "bea@example.org", teams={"payments": "member", "platform": "member"}
        ),
        "outsider": make_person(uow, "olga@example.org", teams={"marketing": "lead"}),
        "viewer": make_person(uow, "vic@example.org", role="viewer", teams={"payments": "member"}),
        "admin": make_person(uow, "root@example.org", role="admin"),
    }
    make_partnership(
        uow,
        people["r_lead"],
        key="checkout",
        parties=[("payments", "Owns the checkout flow"), ("platform", "Runs the payment rails")],
        affirmed_by=[people["r_lead"], people["p_lead"]],
    )
    return people


def new(uow, org, **kw: Any):
    kw.setdefault("key", "vault")
    kw.setdefault("due", DUE)
    return make_commitment(uow, "checkout", org["r"], "payments", "platform", **kw)


def current(uow, key="vault"):
    return commitments.get_commitment(uow, key).commitment


def do(uow, actor, move: str, key="vault", **args: Any):
    """Make `move` at the current version; exactly one event of the move is appended."""
    mark = last_event_id(uow)
    version = current(uow, key).version
    commitment = commitments.move(uow, actor, key, move, version=version, **args)
    [event] = events_after(uow, mark)
    assert event.subject == f"commitment:{key}"
    assert event.actor == actor.email
    assert event.payload["move"] == move
    assert event.payload["version"] == version + 1 == commitment.version
    return commitment, event


def snapshot(uow, key="vault"):
    c = current(uow, key)
    return (c.state, c.version, c.title, c.due, c.pending, c.delivered_at, last_event_id(uow))


def test_request_promise_report_done_accept(uow, org, clock):
    mark = last_event_id(uow)

    requested = make_commitment(
        uow,
        "checkout",
        org["r"],
        "payments",
        "platform",
        title=" Card vault API ",
        due=DUE,
        reliance="critical",
        key="vault",
    )
    assert (requested.state.value, requested.version, requested.title) == (
        "requested",
        1,
        "Card vault API",
    )
    [event] = events_after(uow, mark)
    assert (event.type, event.subject, event.actor, event.at) == (
        "commitment.requested",
        "commitment:vault",
        "rita@example.org",
        clock.now,
    )
    assert event.payload == {
        "move": "request",
        "from": None,
        "to": "requested",
        "version": 1,
        "side": "R",
        "args": {
            "title": "Card vault API",
            "conditions_of_satisfaction": "In the CRM by 08:00 every day",
            "due": iso(DUE),
            "reliance": "critical",
        },
        "partnership": "checkout",
        "requester": "payments",
        "performer": "platform",
    }

    clock.advance(days=1)
    promised, event = do(uow, org["p"], "promise")
    assert (promised.state.value, event.type, event.payload["side"]) == (
        "promised",
        "commitment.promised",
        "P",
    )
    clock.advance(days=10)
    delivered, event = do(uow, org["p_lead"], "report_done", note="Live in production")
    assert (delivered.state.value, delivered.delivered_at) == ("delivered", clock.now)
    assert event.payload["args"] == {"note": "Live in production"}
    clock.advance(days=1)
    accepted, event = do(uow, org["r_lead"], "accept", value=5, note="Works")

    assert (accepted.state.value, accepted.value, accepted.version) == ("accepted", 5, 4)
    stored = current(uow)
    assert (stored.state.value, stored.value, stored.version) == ("accepted", 5, 4)
    assert [
        (e.type, e.payload["from"], e.payload["to"])
        for e in commitments.history(uow, "vault", OPERATOR)
    ] == [
        ("commitment.requested", None, "requested"),
        ("commitment.promised", "requested", "promised"),
        ("commitment.reported_done", "promised", "delivered"),
        ("commitment.accepted", "delivered", "accepted"),
    ]
    assert chain_ok(uow)


def test_a_counter_accepted_becomes_the_promise(uow, org):
    new(uow, org)

    countered, event = do(
        uow, org["p"], "counter", due=LATER, title="Card vault API v1", note="Two more weeks"
    )
    assert (countered.state.value, countered.due, countered.pending_by.value) == (
        "countered",
        DUE,
        "P",
    )
    assert event.payload["args"] == {
        "due": iso(LATER),
        "title": "Card vault API v1",
        "note": "Two more weeks",
    }
    promised, event = do(uow, org["r"], "accept_counter")

    assert (promised.state.value, promised.due, promised.title) == (
        "promised",
        LATER,
        "Card vault API v1",
    )
    assert (promised.pending, promised.pending_by) == (None, None)
    assert event.type == "commitment.counter_accepted"
    assert event.payload["terms"] == {
        "title": "Card vault API v1",
        "due": iso(LATER),
        "conditions_of_satisfaction": "In the CRM by 08:00 every day",
    }
    stored = current(uow)
    assert (stored.state.value, stored.due, stored.pending) == ("promised", LATER, None)
    assert chain_ok(uow)


def test_a_counter_revised_goes_back_to_the_performer(uow, org):
    new(uow, org, reliance="low")
    do(uow, org["p"], "counter", due=LATER)

    revised, event = do(
        uow, org["r"], "revise", conditions_of_satisfaction="Sandbox first", reliance="high"
    )

    assert (revised.state.value, revised.due, revised.reliance.value) == ("requested", DUE, "high")
    assert revised.conditions_of_satisfaction == "Sandbox first"
    assert event.type == "commitment.revised"
    promised, _ = do(uow, org["p"], "promise")
    assert (promised.state.value, promised.version) == ("promised", 4)


@pytest.mark.parametrize(("proposer", "other"), [("p", "r"), ("r", "p")])
def test_a_change_is_accepted_by_the_other_side_only(uow, org, proposer, other):
    new(uow, org)
    do(uow, org["p"], "promise")
    renegotiating, event = do(uow, org[proposer], "propose_change", due=LATER)
    assert renegotiating.state.value == "renegotiating"
    assert event.type == "commitment.change_proposed"
    before = snapshot(uow)

    for move in ("accept_change", "reject_change"):
        with pytest.raises(Forbidden) as error:
            commitments.move(uow, org[proposer], "vault", move, version=3)
        assert error.value.rule == "commitment.wrong_side"
    assert snapshot(uow) == before

    promised, event = do(uow, org[other], "accept_change")
    assert (promised.state.value, promised.due) == ("promised", LATER)
    assert event.type == "commitment.change_accepted"
    assert current(uow).due == LATER


def test_a_rejected_change_keeps_the_old_terms(uow, org):
    new(uow, org)
    do(uow, org["p"], "promise")
    do(uow, org["p"], "propose_change", due=LATER, title="Smaller vault")

    promised, event = do(uow, org["r"], "reject_change", reason="We launch on the 1st")

    assert (promised.state.value, promised.due, promised.title) == (
        "promised",
        DUE,
        "Daily churn-risk score per account",
    )
    assert (promised.pending, event.type) == (None, "commitment.change_rejected")
    stored = current(uow)
    assert (stored.due, stored.pending, stored.pending_by) == (DUE, None, None)


@pytest.mark.parametrize("renegotiate", [False, True])
def test_the_performer_revokes_with_a_reason(uow, org, renegotiate):
    new(uow, org)
    do(uow, org["p"], "promise")
    if renegotiate:
        do(uow, org["r"], "propose_change", due=LATER)
    version = current(uow).version

    with pytest.raises(Invalid) as missing:
        commitments.move(uow, org["p"], "vault", "revoke", version=version)
    with pytest.raises(Forbidden):
        commitments.move(uow, org["r"], "vault", "revoke", version=version, reason="No")
    revoked, event = do(uow, org["p"], "revoke", reason="The team was disbanded")

    assert missing.value.rule == "commitment.missing_field"
    assert (revoked.state.value, event.type) == ("revoked", "commitment.revoked")
    assert event.payload["args"] == {"reason": "The team was disbanded"}


def test_the_performer_declines_with_a_reason(uow, org):
    new(uow, org)

    declined, event = do(uow, org["p"], "decline", reason="Not our job")

    assert (declined.state.value, event.type, event.payload["to"]) == (
        "declined",
        "commitment.declined",
        "declined",
    )


@pytest.mark.parametrize(
    "path",
    [
        (),
        (("p", "counter", {"due": LATER}),),
        (("p", "promise", {}),),
        (("p", "promise", {}), ("p", "propose_change", {"due": LATER})),
    ],
    ids=["requested", "countered", "promised", "renegotiating"],
)
def test_the_requester_withdraws_from_any_open_state_before_delivery(uow, org, path):
    new(uow, org)
    for who, move, args in path:
        do(uow, org[who], move, **args)

    withdrawn, event = do(uow, org["r"], "withdraw", reason="Priorities changed")

    assert (withdrawn.state.value, event.type) == ("withdrawn", "commitment.withdrawn")
    assert current(uow).state.value == "withdrawn"


def test_a_rejected_delivery_goes_back_to_promised(uow, org, clock):
    new(uow, org)
    do(uow, org["p"], "promise")
    do(uow, org["p"], "report_done")
    first_delivery = clock.now

    rejected, event = do(uow, org["r"], "reject", reason="p99 is 200ms")
    assert (rejected.state.value, event.type) == ("promised", "commitment.rejected")
    clock.advance(days=3)
    delivered, _ = do(uow, org["p"], "report_done")

    assert delivered.delivered_at == clock.now != first_delivery


def test_mark_missed_only_after_the_due_date(uow, org, clock):
    new(uow, org)
    do(uow, org["p"], "promise")
    clock.advance(days=30)  # exactly at due: not yet after it
    before = snapshot(uow)

    with pytest.raises(RuleBroken) as error:
        commitments.move(uow, org["r"], "vault", "mark_missed", version=2)

    assert error.value.rule == "commitment.not_yet_due"
    assert snapshot(uow) == before
    assert "mark_missed" not in [
        m.value for m in commitments.get_commitment(uow, "vault", org["r"]).allowed_moves
    ]

    clock.advance(seconds=1)
    assert "mark_missed" in [
        m.value for m in commitments.get_commitment(uow, "vault", org["r"]).allowed_moves
    ]
    with pytest.raises(Forbidden):
        commitments.move(uow, org["p"], "vault", "mark_missed", version=2)
    missed, event = do(uow, org["r"], "mark_missed", note="Launch slipped")

    assert (missed.state.value, event.type, event.at) == (
        "missed",
        "commitment.marked_missed",
        clock.now,
    )
    assert chain_ok(uow)


def test_a_stale_version_is_a_conflict_and_changes_nothing(uow, org):
    new(uow, org)
    do(uow, org["p"], "counter", due=LATER)
    before = snapshot(uow)

    with pytest.raises(Conflict) as error:
        commitments.move(uow, org["r"], "vault", "accept_counter", version=1)

    assert error.value.rule == "commitment.version_stale"
    assert "version 2, not 1" in str(error.value)
    assert snapshot(uow) == before
    assert chain_ok(uow)


@pytest.mark.parametrize(
    ("who", "move", "args", "rule"),
    [
        ("r", "promise", {}, "commitment.wrong_side"),
        ("r_lead", "decline", {"reason": "no"}, "commitment.wrong_side"),
        ("p", "withdraw", {}, "commitment.wrong_side"),
        ("outsider", "promise", {}, "commitment.wrong_side"),
        ("admin", "promise", {}, "commitment.wrong_side"),
        ("viewer", "withdraw", {}, "permission.viewer"),
    ],
)
def test_the_wrong_side_is_forbidden_and_nothing_changes(uow, org, who, move, args, rule):
    new(uow, org)
    before = snapshot(uow)

    with pytest.raises(Forbidden) as error:
        commitments.move(uow, org[who], "vault", move, version=1, **args)

    assert error.value.rule == rule
    assert snapshot(uow) == before
    assert chain_ok(uow)


def test_the_operator_makes_no_moves(uow, org):
    new(uow, org)
    before = snapshot(uow)

    with pytest.raises(Forbidden) as error:
        commitments.move(uow, OPERATOR, "vault", "promise", version=1)

    assert error.value.rule == "permission.person_only"
    assert snapshot(uow) == before


def test_the_performer_cannot_accept_its_own_delivery(uow, org):
    new(uow, org)
    do(uow, org["p"], "promise")
    do(uow, org["p"], "report_done")
    before = snapshot(uow)

    with pytest.raises(Forbidden):
        commitments.move(uow, org["p_lead"], "vault", "accept", version=3, value=5)

    assert snapshot(uow) == before
    assert current(uow).value is None


def test_a_move_in_the_wrong_state_names_the_state_it_needs(uow, org):
    new(uow, org)
    do(uow, org["p"], "promise")
    before = snapshot(uow)

    with pytest.raises(RuleBroken) as error:
        commitments.move(uow, org["r"], "vault", "accept", version=2, value=5)

    assert str(error.value) == "'accept' needs state delivered, is promised"
    assert error.value.rule == "commitment.move_not_allowed"
    assert snapshot(uow) == before


@pytest.mark.parametrize(
    "path",
    [
        (("p", "decline", {"reason": "no"}),),
        (("r", "withdraw", {}),),
        (("p", "promise", {}), ("p", "revoke", {"reason": "no"})),
        (("p", "promise", {}), ("p", "report_done", {}), ("r", "accept", {"value": 3})),
    ],
    ids=["declined", "withdrawn", "revoked", "accepted"],
)
def test_final_states_take_no_more_moves(uow, org, path):
    new(uow, org)
    for who, move, args in path:
        do(uow, org[who], move, **args)
    before = snapshot(uow)
    version = before[1]

    for who, move, args in [
        ("p", "promise", {}),
        ("r", "withdraw", {}),
        ("p", "report_done", {}),
        ("r", "accept", {"value": 4}),
    ]:
        with pytest.raises(RuleBroken):
            commitments.move(uow, org[who], "vault", move, version=version, **args)

    assert snapshot(uow) == before
    assert commitments.get_commitment(uow, "vault", org["both"]).allowed_moves == []


def test_bad_arguments_are_invalid_and_change_nothing(uow, org):
    new(uow, org)
    do(uow, org["p"], "promise")
    do(uow, org["p"], "report_done")
    before = snapshot(uow)

    for args in ({"value": 6}, {"value": 0}, {}, {"value": 4, "due": LATER}):
        with pytest.raises(Invalid):
            commitments.move(uow, org["r"], "vault", "accept", version=3, **args)
    with pytest.raises(Invalid):
        commitments.move(uow, org["r"], "vault", "take_it", version=3)

    assert snapshot(uow) == before


def test_a_move_before_the_last_one_is_refused(uow, org, clock):
    new(uow, org)
    before = snapshot(uow)

    with pytest.raises(RuleBroken) as error:
        commitments.move(
            uow, org["p"], "vault", "promise", version=1, at=clock.now - timedelta(minutes=1)
        )

    assert error.value.rule == "commitment.time_backwards"
    assert snapshot(uow) == before


def test_a_team_may_not_make_a_commitment_to_itself(uow, org):
    mark = last_event_id(uow)

    with pytest.raises(RuleBroken) as error:
        make_commitment(uow, "checkout", org["r"], "payments", "payments", key="self")

    assert error.value.rule == "commitment.same_team"
    assert commitments.list_commitments(uow) == []
    assert last_event_id(uow) == mark


@pytest.mark.parametrize(
    ("requester", "performer"), [("payments", "marketing"), ("marketing", "platform")]
)
def test_a_team_that_is_no_party_is_refused(uow, org, requester, performer):
    mark = last_event_id(uow)

    with pytest.raises(RuleBroken) as error:
        make_commitment(uow, "checkout", org["outsider"], requester, performer, key="x")

    assert error.value.rule == "commitment.not_a_party"
    assert commitments.list_commitments(uow) == []
    assert last_event_id(uow) == mark


@pytest.mark.parametrize("who", ["p", "outsider", "admin"])
def test_only_a_member_of_the_requester_team_requests(uow, org, who):
    with pytest.raises(Forbidden) as error:
        make_commitment(uow, "checkout", org[who], "payments", "platform", key="x")

    assert error.value.rule == "commitment.wrong_side"
    assert commitments.list_commitments(uow) == []


def test_a_request_due_in_the_past_is_refused(uow, org, clock):
    with pytest.raises(RuleBroken) as error:
        new(uow, org, due=clock.now - timedelta(days=1))

    assert error.value.rule == "commitment.due_in_past"
    assert commitments.list_commitments(uow) == []


def test_an_existing_key_or_unknown_partnership_is_refused(uow, org):
    new(uow, org)
    mark = last_event_id(uow)

    with pytest.raises(Conflict) as exists:
        new(uow, org, title="Another")
    with pytest.raises(NotFound):
        make_commitment(uow, "nowhere", org["r"], "payments", "platform")

    assert exists.value.rule == "commitment.exists"
    assert current(uow).title == "Daily churn-risk score per account"
    assert last_event_id(uow) == mark


def test_a_paused_partnership_takes_no_new_requests(uow, org):
    partnerships.set_status(uow, org["r_lead"], "checkout", "paused")

    with pytest.raises(RuleBroken) as error:
        new(uow, org)

    assert error.value.rule == "commitment.partnership_not_open"


def test_keys_are_made_from_titles(uow, org):
    first = new(uow, org, key=None, title="Card vault API")
    second = new(uow, org, key=None, title="Card vault API")

    assert (first.key, second.key) == ("card-vault-api", "card-vault-api-2")


def test_overdue_means_committed_and_past_due(uow, org, clock):
    new(uow, org, key="promised-soon", due=START + timedelta(days=5))
    new(uow, org, key="promised-late", due=START + timedelta(days=20))
    new(uow, org, key="requested-soon", due=START + timedelta(days=5))
    new(uow, org, key="delivered-soon", due=START + timedelta(days=5))
    for key in ("promised-soon", "promised-late", "delivered-soon"):
        do(uow, org["p"], "promise", key=key)
    do(uow, org["p"], "report_done", key="delivered-soon")
    do(uow, org["r"], "propose_change", key="promised-late", due=START + timedelta(days=25))

    def overdue():
        return [c.key for c in commitments.list_commitments(uow, overdue=True)]

    assert overdue() == []
    clock.advance(days=6)
    assert overdue() == ["promised-soon"]
    assert commitments.get_commitment(uow, "promised-soon").overdue
    assert not commitments.get_commitment(uow, "requested-soon").overdue
    clock.advance(days=20)
    assert overdue() == ["promised-soon", "promised-late"]
    assert [c.key for c in commitments.list_commitments(uow, states=["requested"])] == [
        "requested-soon"
    ]
    assert [c.key for c in commitments.list_commitments(uow, team="marketing")] == []


GROUPS = ("must_answer", "owes", "partners_owe", "to_accept", "awaiting_answer")


def desk_keys(desk):
    return {name: [c.key for c in getattr(desk, name)] for name in GROUPS}


def test_the_desk_groups_work_by_who_must_act(uow, org, clock):
    new(uow, org, key="to-answer", due=START + timedelta(days=40))
    new(uow, org, key="to-accept", due=START + timedelta(days=40))
    new(uow, org, key="overdue", due=START + timedelta(days=2))
    new(uow, org, key="due-soon", due=START + timedelta(days=6))
    new(uow, org, key="later", due=START + timedelta(days=60))
    new(uow, org, key="countered", due=START + timedelta(days=40))
    new(uow, org, key="closed", due=START + timedelta(days=40))
    for key in ("to-accept", "overdue", "due-soon", "later"):
        do(uow, org["p"], "promise", key=key)
    do(uow, org["p"], "report_done", key="to-accept")
    do(uow, org["p"], "counter", key="countered", due=START + timedelta(days=50))
    do(uow, org["p"], "decline", key="closed", reason="no")
    clock.advance(days=3)

    performer = commitments.desk(uow, org["p"])
    assert desk_keys(performer) == {
        "must_answer": ["to-answer"],
        "owes": ["overdue", "due-soon", "later"],  # overdue first
        "partners_owe": [],
        "to_accept": [],
        "awaiting_answer": ["countered", "to-accept"],  # our offer and delivery, theirs to answer
    }
    assert [c.key for c in performer.overdue] == ["overdue"]
    assert [c.key for c in performer.due_soon] == ["due-soon"]
    assert desk_keys(commitments.desk(uow, org["r"])) == {
        "must_answer": ["countered"],
        "owes": [],
        "partners_owe": ["overdue", "due-soon", "to-answer", "later"],
        "to_accept": ["to-accept"],
        "awaiting_answer": [],
    }
    nothing = {name: [] for name in GROUPS}
    assert desk_keys(commitments.desk(uow, org["outsider"])) == nothing
    assert desk_keys(commitments.desk(uow, OPERATOR)) == nothing


def test_a_leads_own_promises_are_never_what_partners_owe(uow, org):
    """A lead whose team both promised and was promised: each on the side it is on; a change
    waits on the side that did not propose it."""
    new(uow, org, key="we-asked", due=DUE)
    make_commitment(
        uow, "checkout", org["p_lead"], "platform", "payments", key="they-asked", due=DUE
    )
    make_commitment(
        uow, "checkout", org["p_lead"], "platform", "payments", key="they-changed", due=DUE
    )
    do(uow, org["p"], "promise", key="we-asked")
    do(uow, org["r_lead"], "promise", key="they-asked")
    do(uow, org["r_lead"], "promise", key="they-changed")
    do(uow, org["p_lead"], "propose_change", key="they-changed", due=LATER)

    assert desk_keys(commitments.desk(uow, org["r_lead"])) == {
        "must_answer": ["they-changed"],  # Platform proposed a change of Payments' promise
        "owes": ["they-asked"],
        "partners_owe": ["we-asked"],
        "to_accept": [],
        "awaiting_answer": [],
    }
    assert desk_keys(commitments.desk(uow, org["p_lead"])) == {
        "must_answer": [],
        "owes": ["we-asked"],
        "partners_owe": ["they-asked", "they-changed"],
        "to_accept": [],
        "awaiting_answer": [],
    }


def test_ask_choices_are_the_partnerships_that_take_requests(uow, org):
    def choices(who, **kw):
        found = commitments.ask_choices(uow, org[who], **kw)
        return [
            (c.partnership.key, [t.slug for t in c.mine], [t.slug for t in c.partners])
            for c in found
        ]

    assert choices("r") == [("checkout", ["payments"], ["platform"])]
    assert choices("r", performer="platform") == [("checkout", ["payments"], ["platform"])]
    assert choices("r", performer="marketing") == []
    assert choices("both") == [("checkout", ["payments", "platform"], ["payments", "platform"])]
    assert choices("outsider") == []
    assert choices("viewer") == []  # a viewer asks nobody
    partnerships.set_status(uow, org["r_lead"], "checkout", "paused")
    assert choices("r") == []


def test_allowed_moves_depend_on_the_side(uow, org):
    new(uow, org)

    def allowed(who):
        view = commitments.get_commitment(uow, "vault", org[who])
        return sorted(m.value for m in view.allowed_moves)

    assert allowed("r") == ["withdraw"]
    assert allowed("p") == ["counter", "decline", "promise"]
    assert allowed("both") == ["counter", "decline", "promise", "withdraw"]
    assert allowed("outsider") == []
    assert commitments.get_commitment(uow, "vault").allowed_moves == []


def test_someone_who_left_the_team_may_no_longer_move(uow, org):
    new(uow, org)
    do(uow, org["p"], "counter", due=LATER)
    org_service.remove_membership(uow, OPERATOR, "payments", "rita@example.org")
    before = snapshot(uow)

    with pytest.raises(Forbidden) as error:
        commitments.move(uow, org["r"], "vault", "accept_counter", version=2)

    assert error.value.rule == "commitment.wrong_side"
    assert snapshot(uow) == before
    assert [c.key for c in commitments.desk(uow, org["r"]).must_answer] == []
