"""Charter checks, the derived label, affirmation and the partnership's status moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.errors import NotFound, RuleBroken
from accord.org.domain import MemberRole, Membership, Person, Team
from accord.partnerships.domain import (
    Check,
    Label,
    Partnership,
    PartnershipStatus,
    charter_checks,
    label,
)
from accord.purposes.domain import Purpose, PurposeStatus

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
CHECK_NAMES = [
    "shared_purpose",
    "enough_parties",
    "contributions_stated",
    "contributions_distinct",
    "all_affirmed",
]
Status = PartnershipStatus


def team(slug: str) -> Team:
    return Team(slug=slug, name=slug.title())


def lead_of(t: Team) -> Person:
    person = Person(email=f"lead@{t.slug}.example", name=f"Lead of {t.slug}")
    membership = Membership(person=person, team=t, role=MemberRole.LEAD)
    person.memberships.append(membership)
    t.memberships.append(membership)
    return person


def active_purpose(key: str = "halve-churn") -> Purpose:
    return Purpose(key=key, title=key, status=PurposeStatus.ACTIVE)


def forming(*contributions: str) -> tuple[Partnership, list[Team]]:
    """A forming partnership with one party per contribution, none affirmed."""
    contributions = contributions or ("owns the checkout flow", "runs the payment rails")
    partnership = Partnership(key="checkout", name="Checkout", purpose=active_purpose())
    teams = [team(f"team-{i}") for i in range(len(contributions))]
    for t, contribution in zip(teams, contributions, strict=True):
        partnership.add_party(t, contribution)
    return partnership, teams


def affirm_all(partnership: Partnership, at: datetime = T0) -> None:
    for party in partnership.parties:
        partnership.affirm(party.team, lead_of(party.team), at)


def active(*contributions: str) -> tuple[Partnership, list[Team]]:
    partnership, teams = forming(*contributions)
    affirm_all(partnership)
    assert partnership.status == Status.ACTIVE
    return partnership, teams


def failing(partnership: Partnership) -> list[str]:
    return [check.name for check in charter_checks(partnership) if not check.passed]


def test_a_complete_charter_passes_every_check_and_is_trust_based() -> None:
    partnership, _ = active()
    checks = charter_checks(partnership)
    assert [c.name for c in checks] == CHECK_NAMES
    assert all(c.passed for c in checks)
    assert label(checks) == Label.TRUST_BASED


@pytest.mark.parametrize("status", [PurposeStatus.DRAFT, PurposeStatus.ABANDONED])
def test_shared_purpose_fails_alone_when_purpose_is_not_live(status: PurposeStatus) -> None:
    partnership, _ = active()
    partnership.purpose.status = status
    assert failing(partnership) == ["shared_purpose"]
    check = charter_checks(partnership)[0]
    assert status.value in check.detail
    assert check.fix
    assert label(charter_checks(partnership)) == Label.TRADITIONAL


def test_shared_purpose_passes_for_an_achieved_purpose() -> None:
    partnership, _ = active()
    partnership.purpose.status = PurposeStatus.ACHIEVED
    assert failing(partnership) == []


def test_enough_parties_fails_alone_with_one_party() -> None:
    partnership, _ = forming("owns the checkout flow")
    affirm_all(partnership)
    assert partnership.status == Status.FORMING  # one party alone never makes it active
    assert failing(partnership) == ["enough_parties"]
    assert charter_checks(partnership)[1].detail == "1 distinct team(s)"
    assert label(charter_checks(partnership)) == Label.TRADITIONAL


def test_no_parties_fails_enough_parties() -> None:
    partnership = Partnership(key="empty", name="Empty", purpose=active_purpose())
    assert failing(partnership) == ["enough_parties"]


@pytest.mark.parametrize("empty", ["", "   ", "\n\t"])
def test_an_empty_contribution_fails_its_check_and_its_party_cannot_affirm(empty: str) -> None:
    partnership, teams = forming("owns the checkout flow", empty)
    partnership.affirm(teams[0], lead_of(teams[0]), T0)

    with pytest.raises(RuleBroken) as refused:
        partnership.affirm(teams[1], lead_of(teams[1]), T0)

    assert refused.value.rule == "partnership.contribution_missing"
    assert refused.value.field == "contribution"
    assert "Team-1 affirms the charter once it states what it uniquely contributes" in str(
        refused.value
    )
    assert partnership.parties[1].affirmed_by is None
    assert partnership.status == Status.FORMING
    assert failing(partnership) == ["contributions_stated", "all_affirmed"]
    assert teams[1].slug in charter_checks(partnership)[2].detail
    assert label(charter_checks(partnership)) == Label.TRADITIONAL


@pytest.mark.parametrize(
    "twin", ["Runs the payment rails", "  runs   the payment\trails ", "RUNS THE PAYMENT RAILS"]
)
def test_contributions_distinct_fails_alone_for_the_same_text(twin: str) -> None:
    partnership, teams = active("runs the payment rails", twin, "owns the checkout flow")
    assert failing(partnership) == ["contributions_distinct"]
    detail = charter_checks(partnership)[3].detail
    assert f"{teams[0].slug} and {teams[1].slug}" in detail
    assert teams[2].slug not in detail
    assert label(charter_checks(partnership)) == Label.TRADITIONAL


def test_contributions_that_differ_in_words_are_distinct() -> None:
    partnership, _ = active("runs the payment rails", "runs the payments rails")
    assert failing(partnership) == []


def test_all_affirmed_fails_alone_until_every_party_signs() -> None:
    partnership, teams = forming()
    assert failing(partnership) == ["all_affirmed"]
    assert label(charter_checks(partnership)) == Label.TRADITIONAL
    became_active = partnership.affirm(teams[0], lead_of(teams[0]), T0)
    assert became_active is False
    assert partnership.status == Status.FORMING
    assert failing(partnership) == ["all_affirmed"]
    assert charter_checks(partnership)[4].detail == f"not yet affirmed by {teams[1].slug}"


def test_last_affirmation_activates() -> None:
    partnership, teams = forming()
    partnership.affirm(teams[0], lead_of(teams[0]), T0)
    lead = lead_of(teams[1])
    assert partnership.affirm(teams[1], lead, T0 + timedelta(hours=1)) is True
    assert partnership.status == Status.ACTIVE
    party = partnership.party(teams[1])
    assert party.affirmed_by is lead
    assert party.affirmed_at == T0 + timedelta(hours=1)
    assert party.affirmed_version == partnership.charter_version


def test_affirming_again_when_active_does_not_report_activation() -> None:
    partnership, teams = active()
    assert partnership.affirm(teams[0], lead_of(teams[0]), T0) is False
    assert partnership.status == Status.ACTIVE


def test_affirming_for_a_team_that_is_not_a_party_is_refused() -> None:
    partnership, _ = forming()
    outsider = team("outsider")
    with pytest.raises(NotFound) as refused:
        partnership.affirm(outsider, lead_of(outsider), T0)
    assert refused.value.rule == "partnership.not_a_party"


def test_a_team_cannot_be_added_twice() -> None:
    partnership, teams = forming()
    with pytest.raises(RuleBroken) as refused:
        partnership.add_party(teams[0], "something else")
    assert refused.value.rule == "partnership.party_exists"
    assert len(partnership.parties) == 2


def test_adding_a_party_after_activation_reforms_and_needs_every_signature() -> None:
    partnership, teams = active()
    version = partnership.charter_version
    newcomer = team("newcomer")
    partnership.add_party(newcomer, "brings the fraud models")
    assert partnership.status == Status.FORMING
    assert partnership.charter_version == version + 1
    assert set(failing(partnership)) == {"all_affirmed"}
    assert partnership.affirm(newcomer, lead_of(newcomer), T0) is False
    assert partnership.affirm(teams[0], lead_of(teams[0]), T0) is False
    assert partnership.status == Status.FORMING
    assert partnership.affirm(teams[1], lead_of(teams[1]), T0) is True
    assert partnership.status == Status.ACTIVE
    assert failing(partnership) == []


def test_changing_the_purpose_after_activation_reforms() -> None:
    partnership, _ = active()
    other = active_purpose("grow-revenue")
    partnership.set_purpose(other)
    assert partnership.purpose is other
    assert partnership.status == Status.FORMING
    assert failing(partnership) == ["all_affirmed"]
    affirm_all(partnership)
    assert partnership.status == Status.ACTIVE


def test_setting_the_same_purpose_changes_nothing() -> None:
    partnership, _ = active()
    version = partnership.charter_version
    partnership.set_purpose(partnership.purpose)
    assert partnership.status == Status.ACTIVE
    assert partnership.charter_version == version


def test_changing_working_agreements_after_activation_reforms() -> None:
    partnership, _ = active()
    partnership.set_working_agreements(["weekly sync", "no surprises"])
    assert partnership.working_agreements == ["weekly sync", "no surprises"]
    assert partnership.status == Status.FORMING
    assert failing(partnership) == ["all_affirmed"]


def test_same_working_agreements_change_nothing() -> None:
    partnership, _ = active()
    partnership.set_working_agreements(["weekly sync"])
    affirm_all(partnership)
    version = partnership.charter_version
    partnership.set_working_agreements(["weekly sync"])
    assert partnership.status == Status.ACTIVE
    assert partnership.charter_version == version


def test_changing_a_contribution_after_activation_reforms() -> None:
    partnership, teams = active()
    partnership.set_contribution(teams[0], "owns checkout and refunds")
    assert partnership.status == Status.FORMING
    assert partnership.party(teams[0]).contribution == "owns checkout and refunds"
    assert failing(partnership) == ["all_affirmed"]


def test_a_charter_change_while_paused_reforms() -> None:
    partnership, _ = active()
    partnership.move_to(Status.PAUSED)
    partnership.set_working_agreements(["monthly review"])
    assert partnership.status == Status.FORMING


@pytest.mark.parametrize(
    ("path", "end"),
    [
        ([Status.PAUSED], Status.PAUSED),
        ([Status.PAUSED, Status.ACTIVE], Status.ACTIVE),
        ([Status.PAUSED, Status.CONCLUDED], Status.CONCLUDED),
        ([Status.PAUSED, Status.DISSOLVED], Status.DISSOLVED),
        ([Status.CONCLUDED], Status.CONCLUDED),
        ([Status.DISSOLVED], Status.DISSOLVED),
        ([Status.PAUSED, Status.ACTIVE, Status.PAUSED], Status.PAUSED),
    ],
)
def test_status_moves_from_active(path: list[PartnershipStatus], end: PartnershipStatus) -> None:
    partnership, _ = active()
    for status in path:
        partnership.move_to(status)
    assert partnership.status == end


def test_a_forming_partnership_may_be_dissolved() -> None:
    partnership, _ = forming()
    partnership.move_to(Status.DISSOLVED)
    assert partnership.status == Status.DISSOLVED
    assert not partnership.is_open


@pytest.mark.parametrize("target", [Status.ACTIVE, Status.PAUSED, Status.CONCLUDED])
def test_a_forming_partnership_cannot_be_moved_by_hand(target: PartnershipStatus) -> None:
    partnership, _ = forming()
    with pytest.raises(RuleBroken) as refused:
        partnership.move_to(target)
    assert refused.value.rule == "partnership.status_not_allowed"
    assert partnership.status == Status.FORMING


def test_activating_by_hand_hints_at_affirmation() -> None:
    partnership, _ = forming()
    with pytest.raises(RuleBroken, match="becomes active when every party has affirmed"):
        partnership.move_to(Status.ACTIVE)


def test_resuming_needs_every_party_affirmed() -> None:
    partnership, _ = active()
    partnership.status = Status.PAUSED
    partnership.charter_version += 1
    with pytest.raises(RuleBroken) as refused:
        partnership.move_to(Status.ACTIVE)
    assert refused.value.rule == "partnership.not_affirmed"
    assert partnership.status == Status.PAUSED


def test_moving_to_the_current_status_is_a_no_op() -> None:
    partnership, _ = active()
    partnership.move_to(Status.ACTIVE)
    assert partnership.status == Status.ACTIVE


@pytest.mark.parametrize("closed", [Status.CONCLUDED, Status.DISSOLVED])
def test_closed_partnerships_refuse_every_edit_and_move(closed: PartnershipStatus) -> None:
    partnership, teams = active()
    partnership.move_to(closed)
    assert not partnership.is_open
    version = partnership.charter_version
    edits = [
        lambda: partnership.add_party(team("late"), "late help"),
        lambda: partnership.set_contribution(teams[0], "something new"),
        lambda: partnership.set_purpose(active_purpose("another")),
        lambda: partnership.set_working_agreements(["new norm"]),
        lambda: partnership.affirm(teams[0], lead_of(teams[0]), T0),
        partnership.ensure_open,
    ]
    for edit in edits:
        with pytest.raises(RuleBroken) as refused:
            edit()
        assert refused.value.rule == "partnership.closed"
    for status in Status:
        if status == closed:
            continue
        with pytest.raises(RuleBroken) as refused:
            partnership.move_to(status)
        assert refused.value.rule == "partnership.status_not_allowed"
    assert partnership.status == closed
    assert partnership.charter_version == version
    assert len(partnership.parties) == 2


def test_label_is_derived_from_the_checks() -> None:
    passing = Check("a", True, "", "")
    broken = Check("b", False, "", "")
    assert label([passing, passing]) == Label.TRUST_BASED
    assert label([passing, broken]) == Label.TRADITIONAL
    assert label([]) == Label.TRUST_BASED


def test_party_lookup_and_has_party() -> None:
    partnership, teams = forming()
    assert partnership.party(teams[1]).team is teams[1]
    assert partnership.has_party(teams[0])
    assert not partnership.has_party(team("stranger"))
    with pytest.raises(NotFound):
        partnership.party(team("stranger"))
