"""Affirming a charter: the starter signs as it starts, a party signs only for a stated
contribution, a change of the charter says who signs again and why, and the moves that end a
partnership keep their note; through the service, on both databases."""

from __future__ import annotations

import pytest

from accord.errors import Forbidden, RuleBroken
from accord.partnerships import service as partnerships
from accord.partnerships.domain import may_start_partnership
from built_once import built_once
from factories import (
    events_after,
    last_event_id,
    make_partnership,
    make_person,
    make_purpose,
    make_team,
)

PARTIES = [("data-platform", "Customer health data"), ("customer-success", "")]


@pytest.fixture
def org(request, engine, uow):
    """Two teams with a lead each, a member of one, and an active purpose."""
    return built_once(request, engine, lambda: build_org(uow))


def build_org(uow):
    for slug in ("data-platform", "customer-success"):
        make_team(uow, slug)
    people = {
        "ana": make_person(uow, "ana@example.org", teams={"data-platform": "lead"}),
        "bo": make_person(uow, "bo@example.org", teams={"customer-success": "lead"}),
        "cy": make_person(uow, "cy@example.org", teams={"customer-success": "member"}),
    }
    make_purpose(uow, people["ana"], key="churn")
    return people


def start(uow, who, parties=PARTIES, affirm=("data-platform",)):
    return partnerships.create_partnership(
        uow, who, name="Churn signals", purpose="churn", parties=parties, affirm=affirm
    )


def test_the_starter_affirms_its_own_party_as_it_starts(uow, org):
    mark = last_event_id(uow)

    view = start(uow, org["ana"])

    partnership = view.partnership
    data, care = partnership.parties
    assert partnership.is_affirmed(data)
    assert data.affirmed_by is not None
    assert data.affirmed_by.email == "ana@example.org"
    assert not partnership.is_affirmed(care)
    assert partnership.status.value == "forming"
    created, affirmed = events_after(uow, mark)
    assert (created.type, affirmed.type) == ("partnership.created", "partnership.affirmed")
    assert affirmed.payload == {"team": "data-platform", "charter_version": 1}


def test_starting_without_a_contribution_to_affirm_creates_nothing(uow, org):
    mark = last_event_id(uow)

    with pytest.raises(RuleBroken) as refused:
        start(uow, org["bo"], parties=list(reversed(PARTIES)), affirm=["customer-success"])

    assert (refused.value.rule, refused.value.field) == (
        "partnership.contribution_missing",
        "contribution",
    )
    assert partnerships.list_partnerships(uow) == []
    assert events_after(uow, mark) == []


def test_the_starter_affirms_only_for_a_team_it_leads(uow, org):
    parties = [("customer-success", "Save playbooks"), ("data-platform", "Health data")]

    with pytest.raises(Forbidden):
        start(uow, org["bo"], parties=parties, affirm=["data-platform"])

    assert partnerships.list_partnerships(uow) == []


def test_a_party_affirms_only_once_its_contribution_is_stated(uow, org):
    key = start(uow, org["ana"]).partnership.key

    with pytest.raises(RuleBroken) as refused:
        partnerships.affirm(uow, org["bo"], key, "customer-success")
    assert refused.value.field == "contribution"
    assert "Customer Success affirms the charter once it states" in refused.value.message
    partnerships.set_contribution(uow, org["bo"], key, "customer-success", "Save playbooks")
    partnerships.affirm(uow, org["ana"], key, "data-platform")  # the change asked again
    view = partnerships.affirm(uow, org["bo"], key, "customer-success")

    assert view.partnership.status.value == "active"
    assert view.label.value == "trust-based"


def test_a_change_of_the_charter_says_who_affirms_again_and_why(uow, org, clock):
    key = make_partnership(
        uow,
        org["ana"],
        purpose="churn",
        parties=[("data-platform", "Health data"), ("customer-success", "Save playbooks")],
        affirmed_by=[org["ana"], org["bo"]],
    ).key
    assert partnerships.parties_to_affirm(uow, key) == []
    clock.advance(days=1)

    partnerships.set_contribution(uow, org["bo"], key, "customer-success", "Save plays")

    waiting = partnerships.parties_to_affirm(uow, key)
    assert [(w.team.slug, w.affirmed_before) for w in waiting] == [
        ("data-platform", True),
        ("customer-success", True),
    ]
    assert all(w.changed_at == clock.now for w in waiting)
    assert waiting[0].changes == ("Customer Success's contribution was edited",)


def test_a_status_move_keeps_its_note_in_the_log(uow, org):
    key = make_partnership(
        uow,
        org["ana"],
        purpose="churn",
        parties=[("data-platform", "Health data"), ("customer-success", "Save playbooks")],
        affirmed_by=[org["ana"], org["bo"]],
    ).key
    mark = last_event_id(uow)

    partnerships.set_status(uow, org["bo"], key, "concluded", note="  Churn halved  ")
    logged = events_after(uow, mark)

    assert [(e.type, e.payload) for e in logged] == [
        (
            "partnership.status_changed",
            {"from": "active", "to": "concluded", "note": "Churn halved"},
        )
    ]


def test_only_a_lead_may_start_a_partnership(uow, org):
    assert may_start_partnership(org["ana"])
    assert not may_start_partnership(org["cy"])


def test_an_imported_affirmation_stands_as_it_was_made(uow, org, clock):
    """An export of an organization whose parties affirmed before this rule imports whole."""
    admin = make_person(uow, "root@example.org", role="admin")
    key = start(uow, org["ana"]).partnership.key

    view = partnerships.affirm(
        uow, admin, key, "customer-success", at=clock.now, by="bo@example.org"
    )

    assert view.partnership.status.value == "active"
    assert [c.name for c in view.checks if not c.passed] == ["contributions_stated"]
