"""Invitations to join a partnership, and a party leaving it: the rules, without a database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_charter import T0, active, forming, lead_of, team

from accord.errors import NotFound, RuleBroken
from accord.partnerships.domain import InvitationState, PartnershipStatus

Status = PartnershipStatus


def test_an_invited_team_is_no_party_until_it_accepts() -> None:
    partnership, teams = active()
    newcomer = team("newcomer")
    version = partnership.charter_version

    invitation = partnership.invite(newcomer, lead_of(teams[0]), T0)

    assert invitation.state == InvitationState.PENDING
    assert not partnership.has_party(newcomer)
    assert (partnership.status, partnership.charter_version) == (Status.ACTIVE, version)

    party = invitation.accept(lead_of(newcomer), "brings the fraud models", T0)

    assert partnership.parties[-1] is party
    assert party.contribution == "brings the fraud models"
    assert not partnership.is_affirmed(party)
    assert (partnership.status, partnership.charter_version) == (Status.FORMING, version + 1)
    assert invitation.state == InvitationState.ACCEPTED
    assert invitation.answered_at == T0


def test_a_party_or_a_team_already_invited_cannot_be_invited() -> None:
    partnership, teams = forming()
    newcomer = team("newcomer")
    with pytest.raises(RuleBroken) as party:
        partnership.invite(teams[0], None, T0)
    first = partnership.invite(newcomer, None, T0)
    with pytest.raises(RuleBroken) as twice:
        partnership.invite(newcomer, None, T0, pending=[first])

    assert party.value.rule == "partnership.party_exists"
    assert twice.value.rule == "partnership.already_invited"
    first.decline(lead_of(newcomer), T0)
    assert partnership.invite(newcomer, None, T0, pending=[first]).is_pending


@pytest.mark.parametrize("answer", ["accept", "decline", "withdraw"])
def test_only_a_pending_invitation_is_answered(answer: str) -> None:
    partnership, _ = forming()
    newcomer = team("newcomer")
    invitation = partnership.invite(newcomer, None, T0)
    invitation.withdraw(None, T0)
    parties = list(partnership.parties)
    later = T0 + timedelta(days=1)
    move = {
        "accept": lambda: invitation.accept(lead_of(newcomer), "late help", later),
        "decline": lambda: invitation.decline(lead_of(newcomer), later),
        "withdraw": lambda: invitation.withdraw(lead_of(newcomer), later),
    }[answer]

    with pytest.raises(RuleBroken) as refused:
        move()

    assert refused.value.rule == "invitation.not_pending"
    assert (invitation.state, invitation.answered_at) == (InvitationState.WITHDRAWN, T0)
    assert partnership.parties == parties


def test_a_closed_partnership_takes_no_invitation_and_no_new_party() -> None:
    partnership, _ = active()
    newcomer = team("newcomer")
    invitation = partnership.invite(newcomer, None, T0)
    partnership.move_to(Status.CONCLUDED)

    with pytest.raises(RuleBroken) as invite:
        partnership.invite(team("other"), None, T0)
    with pytest.raises(RuleBroken) as accept:
        invitation.accept(lead_of(newcomer), "late help", T0)

    assert invite.value.rule == accept.value.rule == "partnership.closed"
    assert invitation.is_pending
    assert not partnership.has_party(newcomer)


def test_a_party_leaves_and_the_charter_of_the_others_stands() -> None:
    partnership, teams = active("checkout flow", "payment rails", "fraud models")
    version = partnership.charter_version

    party, activated = partnership.leave(teams[2], [])

    assert (party.team, activated) == (teams[2], False)
    assert not partnership.has_party(teams[2])
    assert (partnership.status, partnership.charter_version) == (Status.ACTIVE, version)


def test_the_holdout_leaving_activates_a_forming_partnership() -> None:
    partnership, teams = forming("checkout flow", "payment rails", "fraud models")
    for t in teams[:2]:
        partnership.affirm(t, lead_of(t), T0)

    _, activated = partnership.leave(teams[2], [])

    assert activated
    assert partnership.status == Status.ACTIVE


def test_a_paused_partnership_stays_paused_when_a_party_leaves() -> None:
    partnership, teams = active("checkout flow", "payment rails", "fraud models")
    partnership.move_to(Status.PAUSED)

    assert partnership.leave(teams[0], [])[1] is False
    assert partnership.status == Status.PAUSED


def test_leaving_with_open_commitments_names_them() -> None:
    partnership, teams = active("checkout flow", "payment rails", "fraud models")
    keys = [f"c-{i}" for i in range(7)]

    with pytest.raises(RuleBroken) as refused:
        partnership.leave(teams[2], keys)

    assert refused.value.rule == "partnership.open_commitments"
    assert "7 of its commitments there are open (c-0, c-1, c-2, c-3, c-4 and 2 more)" in str(
        refused.value
    )
    assert partnership.has_party(teams[2])


def test_leaving_below_two_parties_is_refused() -> None:
    partnership, teams = active()

    with pytest.raises(RuleBroken) as refused:
        partnership.leave(teams[0], [])

    assert refused.value.rule == "partnership.too_few_parties"
    assert len(partnership.parties) == 2


def test_a_team_that_is_no_party_cannot_leave_nor_a_closed_partnership_be_left() -> None:
    partnership, teams = active("checkout flow", "payment rails", "fraud models")
    with pytest.raises(NotFound) as stranger:
        partnership.leave(team("stranger"), [])
    partnership.move_to(Status.DISSOLVED)
    with pytest.raises(RuleBroken) as closed:
        partnership.leave(teams[0], [])

    assert stranger.value.rule == "partnership.not_a_party"
    assert closed.value.rule == "partnership.closed"
    assert len(partnership.parties) == 3
