"""A team joins a partnership only by invitation, and a party may leave it (DESIGN §7), through
the service on both databases."""

from __future__ import annotations

import pytest

from accord.commitments import service as commitments
from accord.errors import Forbidden, NotFound, RuleBroken
from accord.partnerships import service as partnerships
from built_once import built_once
from factories import (
    OPERATOR,
    events_after,
    last_event_id,
    make_commitment,
    make_partnership,
    make_person,
    make_purpose,
    make_team,
)

PARTIES = [("data", "Customer health data"), ("care", "Save playbooks")]


@pytest.fixture
def org(request, engine, uow):
    """data (ana lead, dan member) and care (bo lead) in the active partnership `signals`;
    marketing (mo lead, meg member) outside it; a viewer who leads data, an admin, a sponsor."""
    return built_once(request, engine, lambda: build_org(uow))


def build_org(uow):
    for slug in ("data", "care", "marketing", "sales"):
        make_team(uow, slug)
    people = {
        "ana": make_person(uow, "ana@example.org", teams={"data": "lead"}),
        "dan": make_person(uow, "dan@example.org", teams={"data": "member"}),
        "bo": make_person(uow, "bo@example.org", teams={"care": "lead"}),
        "mo": make_person(uow, "mo@example.org", teams={"marketing": "lead"}),
        "meg": make_person(uow, "meg@example.org", teams={"marketing": "member"}),
        "sal": make_person(uow, "sal@example.org", teams={"sales": "lead"}),
        "eve": make_person(uow, "eve@example.org", role="viewer", teams={"marketing": "lead"}),
        "root": make_person(uow, "root@example.org", role="admin"),
        "ceo": make_person(uow, "ceo@example.org"),
    }
    make_purpose(uow, people["ceo"], key="churn")
    make_partnership(
        uow,
        people["ana"],
        key="signals",
        purpose="churn",
        parties=PARTIES,
        affirmed_by=[people["ana"], people["bo"]],
    )
    return people


def parties_of(uow, key="signals"):
    return [p.team.slug for p in partnerships.get_partnership(uow, key).partnership.parties]


def status_of(uow, key="signals"):
    return partnerships.get_partnership(uow, key).partnership.status.value


def state_of(uow, invitation):
    return partnerships.get_invitation(uow, invitation.id).state.value


def test_no_team_joins_on_its_own(uow, org):
    """The old defect: a lead of an outside team added it to any partnership. Now it can only
    be invited, by a lead of a party, and nothing changes when it tries itself."""
    mark = last_event_id(uow)

    with pytest.raises(Forbidden) as refused:
        partnerships.invite(uow, org["mo"], "signals", "marketing")

    assert refused.value.rule == "permission.party_lead"
    assert not hasattr(partnerships, "add_party")
    assert parties_of(uow) == ["data", "care"]
    assert status_of(uow) == "active"
    assert partnerships.list_invitations(uow, partnership="signals") == []
    assert last_event_id(uow) == mark


def test_a_new_party_files_requests_only_once_it_has_joined(uow, org):
    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    with pytest.raises(RuleBroken) as refused:
        make_commitment(uow, "signals", org["meg"], "marketing", "data", key="early")
    assert refused.value.rule == "commitment.not_a_party"

    partnerships.accept_invitation(uow, org["mo"], invitation.id, "Win-back campaigns")
    made = make_commitment(uow, "signals", org["meg"], "marketing", "data", key="joined")

    assert made.state.value == "requested"
    assert status_of(uow) == "forming"
    assert parties_of(uow) == ["data", "care", "marketing"]
    view = partnerships.get_partnership(uow, "signals")
    newcomer = view.partnership.party(view.partnership.parties[2].team)
    assert (newcomer.contribution, view.partnership.is_affirmed(newcomer)) == (
        "Win-back campaigns",
        False,
    )


def test_a_team_declines_and_may_be_invited_again(uow, org):
    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    mark = last_event_id(uow)

    declined = partnerships.decline_invitation(uow, org["mo"], invitation.id)

    assert (declined.state.value, declined.answered_by.email) == ("declined", "mo@example.org")
    assert parties_of(uow) == ["data", "care"]
    assert status_of(uow) == "active"
    [event] = events_after(uow, mark)
    assert (event.type, event.actor, event.payload) == (
        "partnership.invitation_declined",
        "mo@example.org",
        {"invitation": invitation.id, "team": "marketing"},
    )
    with pytest.raises(RuleBroken) as late:
        partnerships.accept_invitation(uow, org["mo"], invitation.id, "Too late")
    assert late.value.rule == "invitation.not_pending"
    again = partnerships.invite(uow, org["bo"], "signals", "marketing")
    assert again.id != invitation.id
    assert state_of(uow, again) == "pending"


def test_any_lead_of_a_party_withdraws_a_pending_invitation(uow, org):
    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    with pytest.raises(Forbidden):
        partnerships.withdraw_invitation(uow, org["mo"], invitation.id)
    mark = last_event_id(uow)

    withdrawn = partnerships.withdraw_invitation(uow, org["bo"], invitation.id)

    assert (withdrawn.state.value, withdrawn.answered_by.email) == ("withdrawn", "bo@example.org")
    assert [(e.type, e.actor) for e in events_after(uow, mark)] == [
        ("partnership.invitation_withdrawn", "bo@example.org")
    ]
    with pytest.raises(RuleBroken) as refused:
        partnerships.accept_invitation(uow, org["mo"], invitation.id, "Win-back campaigns")
    assert refused.value.rule == "invitation.not_pending"
    assert parties_of(uow) == ["data", "care"]


def test_accepting_twice_and_inviting_twice_are_refused(uow, org):
    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    with pytest.raises(RuleBroken) as invited_twice:
        partnerships.invite(uow, org["bo"], "signals", "marketing")
    partnerships.accept_invitation(uow, org["mo"], invitation.id, "Win-back campaigns")
    mark = last_event_id(uow)

    with pytest.raises(RuleBroken) as accepted_twice:
        partnerships.accept_invitation(uow, org["mo"], invitation.id, "Again")
    with pytest.raises(RuleBroken) as already_a_party:
        partnerships.invite(uow, org["ana"], "signals", "marketing")

    assert invited_twice.value.rule == "partnership.already_invited"
    assert accepted_twice.value.rule == "invitation.not_pending"
    assert already_a_party.value.rule == "partnership.party_exists"
    assert parties_of(uow) == ["data", "care", "marketing"]
    assert last_event_id(uow) == mark


@pytest.mark.parametrize("who", ["dan", "eve", "root", "bo", "sal", "ana"])
def test_only_a_lead_of_the_invited_team_answers(uow, org, who):
    """A member, a viewer who leads it, an admin in no team, leads of other teams (of a party,
    of another team, the inviter) may neither accept nor decline."""
    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    mark = last_event_id(uow)

    for answer in (
        lambda: partnerships.accept_invitation(uow, org[who], invitation.id, "Campaigns"),
        lambda: partnerships.decline_invitation(uow, org[who], invitation.id),
    ):
        with pytest.raises(Forbidden):
            answer()

    assert state_of(uow, invitation) == "pending"
    assert parties_of(uow) == ["data", "care"]
    assert last_event_id(uow) == mark


@pytest.mark.parametrize("who", ["dan", "eve", "root", "mo", "sal"])
def test_only_a_lead_of_a_party_invites_and_withdraws(uow, org, who):
    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    mark = last_event_id(uow)

    with pytest.raises(Forbidden):
        partnerships.invite(uow, org[who], "signals", "sales")
    with pytest.raises(Forbidden):
        partnerships.withdraw_invitation(uow, org[who], invitation.id)

    assert state_of(uow, invitation) == "pending"
    assert len(partnerships.list_invitations(uow, partnership="signals")) == 1
    assert last_event_id(uow) == mark


def test_the_operator_acts_for_no_team(uow, org):
    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    with pytest.raises(Forbidden):
        partnerships.invite(uow, OPERATOR, "signals", "sales")
    with pytest.raises(Forbidden):
        partnerships.accept_invitation(uow, OPERATOR, invitation.id, "")
    with pytest.raises(Forbidden):
        partnerships.leave(uow, OPERATOR, "signals", "data")


def test_an_unknown_invitation_is_not_found(uow, org):
    with pytest.raises(NotFound) as missing:
        partnerships.accept_invitation(uow, org["mo"], 999, "")
    assert missing.value.rule == "invitation.not_found"


def test_the_invitations_a_lead_has_to_answer(uow, org):
    make_partnership(
        uow,
        org["bo"],
        key="care-sales",
        purpose="churn",
        parties=[("care", "Playbooks"), ("sales", "Leads")],
    )
    first = partnerships.invite(uow, org["ana"], "signals", "marketing")
    second = partnerships.invite(uow, org["bo"], "care-sales", "marketing")
    partnerships.invite(uow, org["bo"], "care-sales", "data")
    partnerships.decline_invitation(uow, org["mo"], second.id)

    assert [i.id for i in partnerships.invitations_to_answer(uow, org["mo"])] == [first.id]
    assert partnerships.invitations_to_answer(uow, org["meg"]) == []
    assert [i.team.slug for i in partnerships.invitations_to_answer(uow, org["ana"])] == ["data"]
    listed = partnerships.list_invitations(uow, team="marketing")
    assert [(i.id, i.state.value) for i in listed] == [
        (first.id, "pending"),
        (second.id, "declined"),
    ]
    assert [
        i.id for i in partnerships.list_invitations(uow, team="marketing", state="pending")
    ] == [first.id]


@pytest.mark.parametrize("closing", ["concluded", "dissolved"])
def test_closing_a_partnership_withdraws_its_pending_invitations(uow, org, closing):
    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    mark = last_event_id(uow)

    partnerships.set_status(uow, org["bo"], "signals", closing)

    assert state_of(uow, invitation) == "withdrawn"
    assert [e.type for e in events_after(uow, mark)] == [
        "partnership.status_changed",
        "partnership.invitation_withdrawn",
    ]
    with pytest.raises(RuleBroken) as refused:
        partnerships.invite(uow, org["ana"], "signals", "sales")
    assert refused.value.rule == "partnership.closed"


def three_parties(uow, org):
    """`signals` with marketing joined and every party affirmed again: active."""
    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    partnerships.accept_invitation(uow, org["mo"], invitation.id, "Win-back campaigns")
    for person, team in ((org["ana"], "data"), (org["bo"], "care"), (org["mo"], "marketing")):
        partnerships.affirm(uow, person, "signals", team)
    assert status_of(uow) == "active"


def test_a_party_leaves_and_the_others_stay_affirmed(uow, org):
    three_parties(uow, org)
    asked = make_commitment(uow, "signals", org["meg"], "marketing", "data", key="asked")
    commitments.move(uow, org["meg"], "asked", "withdraw", version=asked.version)
    version = partnerships.get_partnership(uow, "signals").partnership.charter_version
    mark = last_event_id(uow)

    view = partnerships.leave(uow, org["mo"], "signals", "marketing")

    assert [p.team.slug for p in view.partnership.parties] == ["data", "care"]
    assert (view.partnership.status.value, view.label.value) == ("active", "trust-based")
    assert view.partnership.charter_version == version
    [event] = events_after(uow, mark)
    assert (event.type, event.actor, event.payload) == (
        "partnership.party_left",
        "mo@example.org",
        {"team": "marketing", "contribution": "Win-back campaigns", "status": "active"},
    )
    # History stays: the commitment and every event of it; no new request from marketing.
    assert commitments.get_commitment(uow, "asked").commitment.state.value == "withdrawn"
    assert [e.type for e in events_after(uow) if e.subject == "commitment:asked"] == [
        "commitment.requested",
        "commitment.withdrawn",
    ]
    with pytest.raises(RuleBroken) as gone:
        make_commitment(uow, "signals", org["meg"], "marketing", "data", key="after")
    assert gone.value.rule == "commitment.not_a_party"


def test_leaving_with_open_commitments_is_refused(uow, org):
    three_parties(uow, org)
    for key, requester, performer, person in (
        ("theirs", "marketing", "data", org["meg"]),
        ("ours", "data", "marketing", org["ana"]),
    ):
        make_commitment(uow, "signals", person, requester, performer, key=key)
    mark = last_event_id(uow)

    with pytest.raises(RuleBroken) as refused:
        partnerships.leave(uow, org["mo"], "signals", "marketing")

    assert refused.value.rule == "partnership.open_commitments"
    assert "2 of its commitments there are open (ours, theirs)" in refused.value.message
    assert parties_of(uow) == ["data", "care", "marketing"]
    assert last_event_id(uow) == mark

    for key, person in (("theirs", org["meg"]), ("ours", org["ana"])):
        commitments.move(uow, person, key, "withdraw", version=1)
    partnerships.leave(uow, org["mo"], "signals", "marketing")
    assert parties_of(uow) == ["data", "care"]


def test_leaving_below_two_parties_is_refused_and_points_to_dissolving(uow, org):
    mark = last_event_id(uow)

    with pytest.raises(RuleBroken) as refused:
        partnerships.leave(uow, org["bo"], "signals", "care")

    assert refused.value.rule == "partnership.too_few_parties"
    assert "dissolve or conclude it instead" in refused.value.message
    assert parties_of(uow) == ["data", "care"]
    assert last_event_id(uow) == mark


@pytest.mark.parametrize("who", ["dan", "eve", "root", "ana", "sal"])
def test_only_a_lead_of_that_party_leaves(uow, org, who):
    three_parties(uow, org)
    mark = last_event_id(uow)

    with pytest.raises(Forbidden):
        partnerships.leave(uow, org[who], "signals", "marketing")

    assert parties_of(uow) == ["data", "care", "marketing"]
    assert last_event_id(uow) == mark


def test_leaving_a_closed_partnership_is_refused(uow, org):
    three_parties(uow, org)
    partnerships.set_status(uow, org["ana"], "signals", "concluded")

    with pytest.raises(RuleBroken) as refused:
        partnerships.leave(uow, org["mo"], "signals", "marketing")

    assert refused.value.rule == "partnership.closed"


def test_the_last_holdout_leaving_activates_a_forming_partnership(uow, org):
    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    partnerships.accept_invitation(uow, org["mo"], invitation.id, "Win-back campaigns")
    for person, team in ((org["ana"], "data"), (org["bo"], "care")):
        partnerships.affirm(uow, person, "signals", team)
    assert status_of(uow) == "forming"
    mark = last_event_id(uow)

    view = partnerships.leave(uow, org["mo"], "signals", "marketing")

    assert view.partnership.status.value == "active"
    assert [e.type for e in events_after(uow, mark)] == [
        "partnership.party_left",
        "partnership.activated",
    ]


def test_a_team_that_left_rejoins_only_by_a_new_invitation(uow, org):
    three_parties(uow, org)
    partnerships.leave(uow, org["mo"], "signals", "marketing")

    again = partnerships.invite(uow, org["bo"], "signals", "marketing")
    partnerships.accept_invitation(uow, org["mo"], again.id, "Campaigns, again")

    assert parties_of(uow) == ["data", "care", "marketing"]
    assert status_of(uow) == "forming"


def test_an_imported_departure_before_its_commitments_last_move_is_refused(uow, org, clock):
    three_parties(uow, org)
    asked = make_commitment(uow, "signals", org["meg"], "marketing", "data", key="asked")
    commitments.move(uow, org["meg"], "asked", "withdraw", version=asked.version)
    before = clock.now
    clock.advance(hours=1)
    with pytest.raises(Forbidden):
        partnerships.leave(uow, org["ana"], "signals", "marketing", imported=True)
    commitments_at = commitments.get_commitment(uow, "asked").commitment.updated_at
    assert commitments_at == before

    with pytest.raises(RuleBroken) as refused:
        partnerships.leave(
            uow, org["root"], "signals", "marketing", at=before.replace(year=2025), imported=True
        )
    assert refused.value.rule == "partnership.left_before_commitment"
    partnerships.leave(uow, org["root"], "signals", "marketing", at=before, imported=True)
    assert parties_of(uow) == ["data", "care"]
