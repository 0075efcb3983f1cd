"""Purposes, their status and their measures through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accord.errors import Conflict, Forbidden, Invalid, NotFound, RuleBroken
from accord.purposes import service as purposes
from built_once import built_once
from factories import (
    OPERATOR,
    chain_ok,
    events_after,
    last_event_id,
    make_partnership,
    make_person,
    make_purpose,
    make_team,
)

CHURN = {"name": "Monthly churn", "unit": "%", "baseline": 4.0, "target": 2.0}


@pytest.fixture
def people(request, engine, uow):
    """A sponsor, a second member, a viewer and an admin; teams payments and platform."""
    return built_once(request, engine, lambda: build_people(uow))


def build_people(uow):
    make_team(uow, "payments")
    make_team(uow, "platform")
    make_team(uow, "marketing")
    return {
        "sponsor": make_person(uow, "ceo@example.org"),
        "member": make_person(uow, "bo@example.org", teams={"payments": "member"}),
        "payments_lead": make_person(uow, "pay-lead@example.org", teams={"payments": "lead"}),
        "platform_lead": make_person(uow, "plat-lead@example.org", teams={"platform": "lead"}),
        "outsider_lead": make_person(uow, "mkt-lead@example.org", teams={"marketing": "lead"}),
        "viewer": make_person(uow, "eve@example.org", role="viewer"),
        "admin": make_person(uow, "root@example.org", role="admin"),
    }


def test_any_member_creates_a_draft_purpose(uow, people, clock):
    mark = last_event_id(uow)

    purpose = purposes.create_purpose(
        uow,
        people["member"],
        title="Halve customer churn!",
        statement="Customers who stay",
        sponsor="ceo@example.org",
        target_date=date(2027, 6, 30),
    )

    assert purpose.key == "halve-customer-churn"
    assert purpose.status.value == "draft"
    assert purpose.sponsor.email == "ceo@example.org"
    assert purpose.created_by.email == "bo@example.org"
    [event] = events_after(uow, mark)
    assert (event.type, event.subject, event.actor, event.at) == (
        "purpose.created",
        "purpose:halve-customer-churn",
        "bo@example.org",
        clock.now,
    )
    assert event.payload == {
        "key": "halve-customer-churn",
        "title": "Halve customer churn!",
        "statement": "Customers who stay",
        "sponsor": "ceo@example.org",
        "target_date": "2027-06-30",
        "parent": None,
        "status": "draft",
    }
    assert chain_ok(uow)


def test_keys_made_from_the_same_title_do_not_collide(uow, people):
    first = purposes.create_purpose(uow, people["member"], title="Halve churn")
    second = purposes.create_purpose(uow, people["sponsor"], title="Halve churn")

    assert (first.key, second.key) == ("halve-churn", "halve-churn-2")


def test_a_given_key_that_exists_is_a_conflict(uow, people):
    purposes.create_purpose(uow, people["member"], title="Halve churn", key="churn")
    mark = last_event_id(uow)

    with pytest.raises(Conflict) as error:
        purposes.create_purpose(uow, people["member"], title="Other", key="churn")

    assert error.value.rule == "purpose.exists"
    assert purposes.get_purpose(uow, "churn").title == "Halve churn"
    assert last_event_id(uow) == mark


def test_a_viewer_may_not_create_a_purpose(uow, people):
    mark = last_event_id(uow)

    with pytest.raises(Forbidden) as error:
        purposes.create_purpose(uow, people["viewer"], title="Halve churn")

    assert error.value.rule == "permission.viewer"
    assert purposes.list_purposes(uow) == []
    assert last_event_id(uow) == mark


def test_an_unknown_sponsor_is_not_found(uow, people):
    with pytest.raises(NotFound):
        purposes.create_purpose(uow, people["member"], title="Halve churn", sponsor="x@example.org")

    assert purposes.list_purposes(uow) == []


@pytest.mark.parametrize("who", ["sponsor", "admin"])
def test_the_sponsor_or_an_admin_moves_the_status(uow, people, who):
    purposes.create_purpose(
        uow, people["member"], title="Halve churn", key="churn", sponsor="ceo@example.org"
    )
    mark = last_event_id(uow)

    for status in ("active", "achieved", "active", "abandoned", "active"):
        purposes.set_status(uow, people[who], "churn", status)

    assert purposes.get_purpose(uow, "churn").status.value == "active"
    moves = [(e.type, e.actor, e.payload) for e in events_after(uow, mark)]
    actor = people[who].email
    assert moves == [
        ("purpose.status_changed", actor, {"from": "draft", "to": "active"}),
        ("purpose.status_changed", actor, {"from": "active", "to": "achieved"}),
        ("purpose.status_changed", actor, {"from": "achieved", "to": "active"}),
        ("purpose.status_changed", actor, {"from": "active", "to": "abandoned"}),
        ("purpose.status_changed", actor, {"from": "abandoned", "to": "active"}),
    ]
    assert chain_ok(uow)


@pytest.mark.parametrize("who", ["member", "payments_lead", "viewer"])
def test_others_even_the_author_may_not_move_the_status(uow, people, who):
    purposes.create_purpose(
        uow, people["member"], title="Halve churn", key="churn", sponsor="ceo@example.org"
    )
    mark = last_event_id(uow)

    with pytest.raises(Forbidden):
        purposes.set_status(uow, people[who], "churn", "active")

    assert purposes.get_purpose(uow, "churn").status.value == "draft"
    assert last_event_id(uow) == mark


@pytest.mark.parametrize(
    ("path", "refused"),
    [((), "achieved"), (("active", "achieved"), "abandoned"), (("abandoned",), "achieved")],
)
def test_status_moves_outside_the_rules_are_refused(uow, people, path, refused):
    make_purpose(uow, people["sponsor"], key="churn", status="draft")
    for status in path:
        purposes.set_status(uow, people["sponsor"], "churn", status)
    before = purposes.get_purpose(uow, "churn").status
    mark = last_event_id(uow)

    with pytest.raises(RuleBroken) as error:
        purposes.set_status(uow, people["sponsor"], "churn", refused)

    assert error.value.rule == "purpose.status_not_allowed"
    assert purposes.get_purpose(uow, "churn").status == before
    assert last_event_id(uow) == mark


def test_an_unknown_status_is_invalid(uow, people):
    make_purpose(uow, people["sponsor"], key="churn", status="draft")

    with pytest.raises(Invalid):
        purposes.set_status(uow, people["sponsor"], "churn", "done")


def test_any_member_edits_and_a_viewer_may_not(uow, people):
    purposes.create_purpose(uow, people["member"], title="Halve churn", key="churn")
    mark = last_event_id(uow)

    purposes.update_purpose(uow, people["payments_lead"], "churn", title="Halve churn by 2027")
    with pytest.raises(Forbidden) as error:
        purposes.update_purpose(uow, people["viewer"], "churn", title="Mine now")

    assert error.value.rule == "permission.viewer"
    assert purposes.get_purpose(uow, "churn").title == "Halve churn by 2027"
    [event] = events_after(uow, mark)
    assert (event.type, event.actor, event.payload["title"]) == (
        "purpose.updated",
        "pay-lead@example.org",
        "Halve churn by 2027",
    )


def test_a_purpose_tree_refuses_a_loop(uow, people):
    make_purpose(uow, people["sponsor"], key="growth", title="Grow")
    purposes.create_purpose(
        uow, people["sponsor"], title="Halve churn", key="churn", parent="growth"
    )
    mark = last_event_id(uow)

    with pytest.raises(RuleBroken) as error:
        purposes.update_purpose(uow, people["sponsor"], "growth", parent="churn")

    assert error.value.rule == "purpose.parent_cycle"
    assert purposes.get_purpose(uow, "growth").parent is None
    assert purposes.get_purpose(uow, "churn").parent.key == "growth"
    assert last_event_id(uow) == mark


def test_measures_are_added_once_and_start_at_their_baseline(uow, people):
    make_purpose(uow, people["sponsor"], key="churn")
    mark = last_event_id(uow)

    measure = purposes.add_measure(uow, people["sponsor"], "churn", **CHURN)
    with pytest.raises(RuleBroken) as error:
        purposes.add_measure(uow, people["sponsor"], "churn", name="Monthly churn")
    with pytest.raises(Forbidden):
        purposes.add_measure(uow, people["viewer"], "churn", name="NPS")

    assert error.value.rule == "measure.exists"
    assert (measure.current, measure.progress) == (4.0, 0.0)
    [stored] = purposes.get_purpose(uow, "churn").measures
    assert (stored.name, stored.unit, stored.baseline, stored.target) == (
        "Monthly churn",
        "%",
        4.0,
        2.0,
    )
    [event] = events_after(uow, mark)
    assert event.type == "measure.added"
    assert event.payload == {
        "name": "Monthly churn",
        "unit": "%",
        "baseline": 4.0,
        "target": 2.0,
        "current": 4.0,
    }


def test_a_measure_that_is_not_a_number_is_invalid(uow, people):
    make_purpose(uow, people["sponsor"], key="churn")

    with pytest.raises(Invalid) as error:
        purposes.add_measure(uow, people["sponsor"], "churn", name="NPS", target=float("nan"))

    assert error.value.rule == "number.invalid"
    assert purposes.get_purpose(uow, "churn").measures == []


def test_measure_updates_keep_their_history(uow, people, clock):
    make_purpose(uow, people["sponsor"], key="churn", measures=[CHURN])
    mark = last_event_id(uow)
    first_at = clock.now

    purposes.update_measure(uow, people["sponsor"], "churn", "Monthly churn", value=3.5, note="Q1")
    clock.advance(days=30)
    purposes.update_measure(uow, people["sponsor"], "churn", "Monthly churn", value=3.1)

    [measure] = purposes.get_purpose(uow, "churn").measures
    assert measure.current == 3.1
    assert measure.progress == pytest.approx(0.45)
    assert [(u.value, u.at, u.note, u.by.email) for u in measure.updates] == [
        (3.5, first_at, "Q1", "ceo@example.org"),
        (3.1, clock.now, "", "ceo@example.org"),
    ]
    assert [(e.type, e.at, e.payload) for e in events_after(uow, mark)] == [
        ("measure.updated", first_at, {"name": "Monthly churn", "value": 3.5, "note": "Q1"}),
        ("measure.updated", clock.now, {"name": "Monthly churn", "value": 3.1, "note": ""}),
    ]
    assert chain_ok(uow)


def test_a_measure_update_may_not_go_back_in_time(uow, people, clock):
    make_purpose(uow, people["sponsor"], key="churn", measures=[CHURN])
    purposes.update_measure(uow, people["sponsor"], "churn", "Monthly churn", value=3.5)
    mark = last_event_id(uow)

    with pytest.raises(RuleBroken) as error:
        purposes.update_measure(
            uow,
            people["sponsor"],
            "churn",
            "Monthly churn",
            value=3.0,
            at=clock.now - timedelta(days=1),
        )

    assert error.value.rule == "measure.time_backwards"
    [measure] = purposes.get_purpose(uow, "churn").measures
    assert (measure.current, len(measure.updates)) == (3.5, 1)
    assert last_event_id(uow) == mark


def test_an_unknown_measure_is_not_found(uow, people):
    make_purpose(uow, people["sponsor"], key="churn", measures=[CHURN])

    with pytest.raises(NotFound) as error:
        purposes.update_measure(uow, people["sponsor"], "churn", "NPS", value=1.0)

    assert error.value.rule == "measure.not_found"


@pytest.mark.parametrize("who", ["sponsor", "payments_lead", "platform_lead"])
def test_the_sponsor_and_partner_leads_update_a_measure(uow, people, who):
    make_purpose(uow, people["sponsor"], key="churn", measures=[CHURN])
    make_partnership(
        uow,
        people["payments_lead"],
        purpose="churn",
        parties=[("payments", "Checkout data"), ("platform", "Pipelines")],
    )

    update = purposes.update_measure(uow, people[who], "churn", "Monthly churn", value=3.0)

    assert update.by.email == people[who].email
    [measure] = purposes.get_purpose(uow, "churn").measures
    assert measure.current == 3.0
    assert events_after(uow)[-1].actor == people[who].email


def test_an_import_replays_a_measure_update_by_nobody_known(uow, people):
    make_purpose(uow, people["sponsor"], key="churn", measures=[CHURN])

    update = purposes.update_measure(
        uow, OPERATOR, "churn", "Monthly churn", value=3.0, imported=True
    )

    assert update.by is None
    assert events_after(uow)[-1].actor == "operator:tests"


@pytest.mark.parametrize("who", ["member", "outsider_lead", "viewer", "admin"])
def test_plain_members_unrelated_leads_viewers_and_admins_may_not_update_a_measure(
    uow, people, who
):
    make_purpose(uow, people["sponsor"], key="churn", measures=[CHURN])
    make_partnership(
        uow,
        people["payments_lead"],
        purpose="churn",
        parties=[("payments", "Checkout data"), ("platform", "Pipelines")],
    )
    mark = last_event_id(uow)

    with pytest.raises(Forbidden):
        purposes.update_measure(uow, people[who], "churn", "Monthly churn", value=1.0)

    [measure] = purposes.get_purpose(uow, "churn").measures
    assert (measure.current, measure.updates) == (4.0, [])
    assert last_event_id(uow) == mark


def test_only_the_sponsor_or_an_admin_hands_a_purpose_to_another_sponsor(uow, people):
    make_purpose(uow, people["sponsor"], key="churn", status="draft")
    mark = last_event_id(uow)

    with pytest.raises(Forbidden) as refused:
        purposes.update_purpose(uow, people["member"], "churn", sponsor="bo@example.org")
    with pytest.raises(Forbidden):
        purposes.set_status(uow, people["member"], "churn", "abandoned")

    assert refused.value.rule == "permission.purpose_sponsor"
    assert purposes.get_purpose(uow, "churn").sponsor.email == "ceo@example.org"
    assert last_event_id(uow) == mark
    purposes.update_purpose(uow, people["sponsor"], "churn", sponsor="bo@example.org")
    purposes.set_status(uow, people["member"], "churn", "active")
    assert purposes.get_purpose(uow, "churn").status.value == "active"


def test_a_status_alone_changes_only_the_status(uow, people):
    make_purpose(uow, people["sponsor"], key="churn", status="draft")
    mark = last_event_id(uow)

    purposes.update_purpose(uow, people["sponsor"], "churn", status="active")

    assert [e.type for e in events_after(uow, mark)] == ["purpose.status_changed"]
    assert purposes.get_purpose(uow, "churn").status.value == "active"
