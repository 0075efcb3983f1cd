"""The charters a lead's teams must affirm, and why again when a change cleared an affirmation,
through the service on both databases."""

from __future__ import annotations

import pytest

from accord.partnerships import service as partnerships
from built_once import built_once
from factories import make_partnership, make_person, make_purpose, make_team

PARTIES = [("data", "Customer health data"), ("care", "Save playbooks")]


@pytest.fixture
def org(request, engine, uow):
    """Data (ana lead, dan member) and Care (bo lead) in the active partnership `signals`;
    Marketing (mo lead) outside it."""
    return built_once(request, engine, lambda: build_org(uow))


def build_org(uow):
    make_team(uow, "data", name="Data Platform")
    make_team(uow, "care", name="Customer Care")
    make_team(uow, "marketing")
    people = {
        "ana": make_person(uow, "ana@example.org", teams={"data": "lead"}),
        "dan": make_person(uow, "dan@example.org", teams={"data": "member"}),
        "bo": make_person(uow, "bo@example.org", teams={"care": "lead"}),
        "mo": make_person(uow, "mo@example.org", teams={"marketing": "lead"}),
    }
    make_purpose(uow, people["ana"], key="churn")
    make_partnership(
        uow,
        people["ana"],
        key="signals",
        name="Churn signals",
        purpose="churn",
        parties=PARTIES,
        affirmed_by=[people["ana"], people["bo"]],
    )
    return people


def shown(items):
    return [
        (a.partnership.key, a.team.slug, a.affirmed_before, a.changed_at, list(a.changes))
        for a in items
    ]


def test_nothing_to_affirm_while_every_party_affirmed_the_charter(uow, org):
    assert partnerships.to_affirm(uow, org["ana"]) == []
    assert partnerships.to_affirm(uow, org["bo"]) == []


def test_an_edited_contribution_asks_every_lead_to_affirm_again_and_says_why(uow, org, clock):
    changed = clock.advance(days=2)
    partnerships.set_contribution(uow, org["ana"], "signals", "data", "Churn scores by noon")
    clock.advance(days=1)

    why = ["Data Platform's contribution was edited"]
    assert shown(partnerships.to_affirm(uow, org["bo"])) == [
        ("signals", "care", True, changed, why)
    ]
    assert shown(partnerships.to_affirm(uow, org["ana"])) == [
        ("signals", "data", True, changed, why)
    ]
    assert partnerships.to_affirm(uow, org["dan"]) == []  # only a lead affirms
    assert partnerships.to_affirm(uow, org["mo"]) == []

    partnerships.affirm(uow, org["bo"], "signals", "care")
    assert partnerships.to_affirm(uow, org["bo"]) == []
    assert [a.team.slug for a in partnerships.to_affirm(uow, org["ana"])] == ["data"]


def test_every_change_since_the_last_affirmation_is_told(uow, org, clock):
    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    joined = clock.advance(hours=1)
    partnerships.accept_invitation(uow, org["mo"], invitation.id, "Win-back campaigns")
    clock.advance(hours=1)
    partnerships.update_charter(
        uow, org["bo"], "signals", working_agreements=["Say early when a date slips", "Demo"]
    )
    partnerships.update_charter(uow, org["bo"], "signals", name="Churn signals 2")  # no new charter

    [care] = partnerships.to_affirm(uow, org["bo"])
    assert (care.changed_at, care.changes) == (
        joined,
        ("Marketing joined", "the working agreements were edited"),
    )
    [marketing] = partnerships.to_affirm(uow, org["mo"])  # it never affirmed
    assert (marketing.team.slug, marketing.affirmed_before, marketing.changes) == (
        "marketing",
        False,
        (),
    )
    assert not marketing.contribution_missing


def test_a_closed_partnership_asks_nobody_to_affirm(uow, org, clock):
    clock.advance(days=1)
    partnerships.set_contribution(uow, org["ana"], "signals", "data", "Churn scores by noon")
    partnerships.set_status(uow, org["ana"], "signals", "dissolved")

    assert partnerships.to_affirm(uow, org["bo"]) == []


def test_a_party_without_a_contribution_is_told_to_state_it(uow, org, clock):
    make_partnership(
        uow,
        org["bo"],
        key="winback",
        name="Win-back",
        purpose="churn",
        parties=[("care", "Playbooks"), ("marketing", "")],
    )

    [winback] = partnerships.to_affirm(uow, org["mo"])
    assert (winback.partnership.key, winback.contribution_missing) == ("winback", True)
