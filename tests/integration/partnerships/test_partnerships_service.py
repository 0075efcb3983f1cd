"""Partnerships, their charter, affirmation and label through the service, on both databases."""

from __future__ import annotations

import pytest

from accord.errors import Forbidden, NotFound, RuleBroken
from accord.partnerships import service as partnerships
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

PARTIES = [("data-platform", "Customer health data"), ("customer-success", "Save playbooks")]


@pytest.fixture
def org(request, engine, uow):
    """Three teams with a lead and a member each, a viewer, an admin, and an active purpose."""
    return built_once(request, engine, lambda: build_org(uow))


def build_org(uow):
    for slug in ("data-platform", "customer-success", "marketing"):
        make_team(uow, slug)
    people = {
        "ana": make_person(uow, "ana@example.org", teams={"data-platform": "lead"}),
        "dan": make_person(uow, "dan@example.org", teams={"data-platform": "member"}),
        "bo": make_person(uow, "bo@example.org", teams={"customer-success": "lead"}),
        "cy": make_person(uow, "cy@example.org", teams={"customer-success": "member"}),
        "mo": make_person(uow, "mo@example.org", teams={"marketing": "lead"}),
        "eve": make_person(uow, "eve@example.org", role="viewer", teams={"data-platform": "lead"}),
        "root": make_person(uow, "root@example.org", role="admin"),
        "ceo": make_person(uow, "ceo@example.org"),
    }
    make_purpose(uow, people["ceo"], key="churn")
    return people


def checks_of(key, uow):
    view = partnerships.get_partnership(uow, key)
    return view.label.value, {c.name: c.passed for c in view.checks}


def test_a_lead_of_a_party_starts_a_forming_partnership(uow, org, clock):
    mark = last_event_id(uow)

    view = partnerships.create_partnership(
        uow,
        org["ana"],
        name="Churn signals",
        purpose="churn",
        parties=PARTIES,
        working_agreements=["Say early when a date slips"],
        review_every_days=30,
    )

    partnership = view.partnership
    assert (partnership.key, partnership.status.value, partnership.charter_version) == (
        "churn-signals",
        "forming",
        1,
    )
    assert [(p.team.slug, p.contribution, p.affirmed_by) for p in partnership.parties] == [
        ("data-platform", "Customer health data", None),
        ("customer-success", "Save playbooks", None),
    ]
    assert view.label.value == "traditional"
    assert [c.name for c in view.checks if not c.passed] == ["all_affirmed"]
    [event] = events_after(uow, mark)
    assert (event.type, event.subject, event.actor, event.at) == (
        "partnership.created",
        "partnership:churn-signals",
        "ana@example.org",
        clock.now,
    )
    assert event.payload == {
        "name": "Churn signals",
        "purpose": "churn",
        "parties": [
            {"team": "data-platform", "contribution": "Customer health data"},
            {"team": "customer-success", "contribution": "Save playbooks"},
        ],
        "working_agreements": ["Say early when a date slips"],
        "review_every_days": 30,
    }
    assert chain_ok(uow)


def test_an_admin_who_leads_a_party_may_start_one(uow, org):
    boss = make_person(uow, "boss@example.org", role="admin", teams={"customer-success": "lead"})

    view = partnerships.create_partnership(
        uow, boss, name="Churn signals", purpose="churn", parties=PARTIES
    )

    assert view.partnership.status.value == "forming"
    assert events_after(uow)[-1].actor == "boss@example.org"


@pytest.mark.parametrize(
    ("who", "rule"),
    [
        ("dan", "permission.party_lead"),
        ("mo", "permission.party_lead"),
        ("root", "permission.party_lead"),
        ("eve", "permission.viewer"),
        ("operator", "permission.person_only"),
    ],
    ids=["member-of-a-party", "lead-of-another-team", "admin", "viewer-lead", "operator"],
)
def test_only_a_lead_of_a_party_may_start_one(uow, org, who, rule):
    actor = OPERATOR if who == "operator" else org[who]
    mark = last_event_id(uow)

    with pytest.raises(Forbidden) as error:
        partnerships.create_partnership(
            uow, actor, name="Churn signals", purpose="churn", parties=PARTIES
        )

    assert error.value.rule == rule
    assert partnerships.list_partnerships(uow) == []
    assert last_event_id(uow) == mark


def test_a_team_named_twice_or_unknown_is_refused(uow, org):
    with pytest.raises(RuleBroken) as twice:
        partnerships.create_partnership(
            uow,
            org["ana"],
            name="Twice",
            purpose="churn",
            parties=[("data-platform", "a"), ("data-platform", "b")],
        )
    with pytest.raises(NotFound):
        partnerships.create_partnership(
            uow, org["ana"], name="Ghost", purpose="churn", parties=[*PARTIES, ("ghosts", "boo")]
        )
    with pytest.raises(NotFound):
        partnerships.create_partnership(
            uow, org["ana"], name="No purpose", purpose="nothing", parties=PARTIES
        )

    assert twice.value.rule == "partnership.party_exists"
    assert partnerships.list_partnerships(uow) == []


def test_it_becomes_active_when_every_party_affirms(uow, org, clock):
    make_partnership(uow, org["ana"], key="signals", purpose="churn", parties=PARTIES)
    mark = last_event_id(uow)

    view = partnerships.affirm(uow, org["ana"], "signals", "data-platform")
    assert view.partnership.status.value == "forming"
    assert [c.name for c in view.checks if not c.passed] == ["all_affirmed"]
    clock.advance(hours=2)
    view = partnerships.affirm(uow, org["bo"], "signals", "customer-success")

    assert view.partnership.status.value == "active"
    assert view.label.value == "trust-based"
    assert all(c.passed for c in view.checks)
    party = view.partnership.parties[1]
    assert (party.affirmed_by.email, party.affirmed_at, party.affirmed_version) == (
        "bo@example.org",
        clock.now,
        1,
    )
    assert [(e.type, e.actor, e.payload) for e in events_after(uow, mark)] == [
        (
            "partnership.affirmed",
            "ana@example.org",
            {"team": "data-platform", "charter_version": 1},
        ),
        (
            "partnership.affirmed",
            "bo@example.org",
            {"team": "customer-success", "charter_version": 1},
        ),
        ("partnership.activated", "bo@example.org", {}),
    ]
    assert checks_of("signals", uow) == (
        "trust-based",
        dict.fromkeys(
            [
                "shared_purpose",
                "enough_parties",
                "contributions_stated",
                "contributions_distinct",
                "all_affirmed",
            ],
            True,
        ),
    )
    assert chain_ok(uow)


@pytest.mark.parametrize(
    ("who", "rule"),
    [
        ("bo", "permission.lead_only"),
        ("dan", "permission.lead_only"),
        ("mo", "permission.lead_only"),
        ("root", "permission.lead_only"),
        ("eve", "permission.viewer"),
        ("operator", "permission.person_only"),
    ],
    ids=["lead-of-the-other-party", "member", "outsider-lead", "admin", "viewer-lead", "operator"],
)
def test_only_a_lead_of_that_party_may_affirm_for_it(uow, org, who, rule):
    make_partnership(uow, org["ana"], key="signals", purpose="churn", parties=PARTIES)
    actor = OPERATOR if who == "operator" else org[who]
    mark = last_event_id(uow)

    with pytest.raises(Forbidden) as error:
        partnerships.affirm(uow, actor, "signals", "data-platform")

    assert error.value.rule == rule
    party = partnerships.get_partnership(uow, "signals").partnership.parties[0]
    assert party.affirmed_by is None
    assert last_event_id(uow) == mark


def test_affirming_for_a_team_that_is_not_a_party_is_refused(uow, org):
    make_partnership(uow, org["ana"], key="signals", purpose="churn", parties=PARTIES)
    mark = last_event_id(uow)

    with pytest.raises(NotFound) as error:
        partnerships.affirm(uow, org["mo"], "signals", "marketing")

    assert error.value.rule == "partnership.not_a_party"
    assert last_event_id(uow) == mark


def test_a_team_that_accepts_an_invitation_re_forms_an_active_partnership(uow, org):
    make_partnership(
        uow,
        org["ana"],
        key="signals",
        purpose="churn",
        parties=PARTIES,
        affirmed_by=[org["ana"], org["bo"]],
    )
    assert checks_of("signals", uow)[0] == "trust-based"
    mark = last_event_id(uow)

    invitation = partnerships.invite(uow, org["ana"], "signals", "marketing")
    assert partnerships.get_partnership(uow, "signals").partnership.status.value == "active"
    partnerships.accept_invitation(uow, org["mo"], invitation.id, " Win-back campaigns ")
    view = partnerships.get_partnership(uow, "signals")

    assert (view.partnership.status.value, view.partnership.charter_version) == ("forming", 2)
    assert view.label.value == "traditional"
    failing = {c.name: c.detail for c in view.checks if not c.passed}
    assert list(failing) == ["all_affirmed"]
    assert failing["all_affirmed"] == (
        "not yet affirmed by data-platform, customer-success, marketing"
    )
    invited, accepted = events_after(uow, mark)
    assert (invited.type, invited.actor, invited.payload) == (
        "partnership.invited",
        "ana@example.org",
        {"invitation": invitation.id, "team": "marketing"},
    )
    assert (accepted.type, accepted.actor, accepted.payload) == (
        "partnership.invitation_accepted",
        "mo@example.org",
        {
            "invitation": invitation.id,
            "team": "marketing",
            "contribution": "Win-back campaigns",
            "charter_version": 2,
            "status": "forming",
        },
    )

    for person, team in ((org["ana"], "data-platform"), (org["bo"], "customer-success")):
        partnerships.affirm(uow, person, "signals", team)
    assert checks_of("signals", uow)[0] == "traditional"
    view = partnerships.affirm(uow, org["mo"], "signals", "marketing")

    assert (view.partnership.status.value, view.label.value) == ("active", "trust-based")
    assert [e.type for e in events_after(uow, mark)][-2:] == [
        "partnership.affirmed",
        "partnership.activated",
    ]
    assert chain_ok(uow)


def test_a_party_lead_invites_a_team_but_a_stranger_cannot_invite_any(uow, org):
    make_team(uow, "sales")
    make_person(uow, "sal@example.org", teams={"sales": "lead"})
    make_partnership(uow, org["ana"], key="signals", purpose="churn", parties=PARTIES)
    mark = last_event_id(uow)

    with pytest.raises(Forbidden):
        partnerships.invite(uow, org["mo"], "signals", "sales")
    with pytest.raises(RuleBroken) as twice:
        partnerships.invite(uow, org["bo"], "signals", "data-platform")
    invitation = partnerships.invite(uow, org["bo"], "signals", "sales")

    assert twice.value.rule == "partnership.party_exists"
    assert invitation.state.value == "pending"
    parties = partnerships.get_partnership(uow, "signals").partnership.parties
    assert [p.team.slug for p in parties] == ["data-platform", "customer-success"]
    assert [e.type for e in events_after(uow, mark)] == ["partnership.invited"]


def test_changing_the_purpose_re_forms_it_and_a_new_name_does_not(uow, org):
    make_purpose(uow, org["ceo"], key="growth", title="Grow revenue")
    make_partnership(
        uow,
        org["ana"],
        key="signals",
        purpose="churn",
        parties=PARTIES,
        affirmed_by=[org["ana"], org["bo"]],
    )
    mark = last_event_id(uow)

    view = partnerships.update_charter(
        uow, org["bo"], "signals", name="Churn signals v2", review_every_days=14
    )
    assert (view.partnership.status.value, view.partnership.charter_version) == ("active", 1)
    view = partnerships.update_charter(uow, org["bo"], "signals", purpose="growth")

    assert (view.partnership.status.value, view.partnership.charter_version) == ("forming", 2)
    assert view.partnership.purpose.key == "growth"
    assert [c.name for c in view.checks if not c.passed] == ["all_affirmed"]
    payloads = [
        (e.type, e.payload["status"], e.payload["charter_version"]) for e in events_after(uow, mark)
    ]
    assert payloads == [
        ("partnership.charter_updated", "active", 1),
        ("partnership.charter_updated", "forming", 2),
    ]
    assert chain_ok(uow)


def test_new_working_agreements_need_new_affirmations(uow, org):
    make_partnership(
        uow,
        org["ana"],
        key="signals",
        purpose="churn",
        parties=PARTIES,
        affirmed_by=[org["ana"], org["bo"]],
    )

    view = partnerships.update_charter(
        uow, org["ana"], "signals", working_agreements=["Say early", "Demo every sprint"]
    )

    assert view.partnership.status.value == "forming"
    assert view.partnership.working_agreements == ["Say early", "Demo every sprint"]


def test_only_a_party_lead_edits_the_charter(uow, org):
    make_partnership(uow, org["ana"], key="signals", purpose="churn", parties=PARTIES)
    mark = last_event_id(uow)

    for who in ("dan", "mo", "root"):
        with pytest.raises(Forbidden):
            partnerships.update_charter(uow, org[who], "signals", name="Mine")

    assert partnerships.get_partnership(uow, "signals").partnership.name == "Churn signals"
    assert last_event_id(uow) == mark


def test_a_lead_states_only_their_own_teams_contribution(uow, org):
    make_partnership(
        uow,
        org["ana"],
        key="signals",
        purpose="churn",
        parties=PARTIES,
        affirmed_by=[org["ana"], org["bo"]],
    )
    mark = last_event_id(uow)

    with pytest.raises(Forbidden):
        partnerships.set_contribution(uow, org["ana"], "signals", "customer-success", "Nothing")
    view = partnerships.set_contribution(
        uow, org["bo"], "signals", "customer-success", "Save playbooks and renewals"
    )

    assert view.partnership.parties[1].contribution == "Save playbooks and renewals"
    assert view.partnership.status.value == "forming"
    [event] = events_after(uow, mark)
    assert event.type == "partnership.contribution_set"
    assert event.payload["charter_version"] == 2


@pytest.mark.parametrize(
    ("purpose_status", "parties", "failing"),
    [
        ("draft", PARTIES, ["shared_purpose"]),
        ("abandoned", PARTIES, ["shared_purpose"]),
        ("achieved", PARTIES, []),
        ("active", [("data-platform", "Customer health data")], ["enough_parties"]),
        (
            "active",
            [("data-platform", "Data"), ("customer-success", "  ")],
            ["contributions_stated", "all_affirmed"],  # a party without one cannot affirm
        ),
        (
            "active",
            [("data-platform", "Health  Data"), ("customer-success", "health data ")],
            ["contributions_distinct"],
        ),
    ],
    ids=[
        "draft-purpose",
        "abandoned-purpose",
        "achieved-purpose",
        "one-party",
        "no-contribution",
        "same-contribution",
    ],
)
def test_each_failing_check_makes_it_traditional(uow, org, purpose_status, parties, failing):
    make_purpose(uow, org["ceo"], key="target", status=purpose_status)
    stated = all(contribution.strip() for _, contribution in parties)
    make_partnership(
        uow,
        org["ana"],
        key="signals",
        purpose="target",
        parties=parties,
        affirmed_by=[org["ana"], org["bo"]] if stated else [org["ana"]],
    )

    label, checks = checks_of("signals", uow)

    assert [name for name, passed in checks.items() if not passed] == failing
    assert label == ("trust-based" if not failing else "traditional")


def test_the_label_follows_the_purpose_status(uow, org):
    make_partnership(
        uow,
        org["ana"],
        key="signals",
        purpose="churn",
        parties=PARTIES,
        affirmed_by=[org["ana"], org["bo"]],
    )

    purposes.set_status(uow, org["ceo"], "churn", "abandoned")

    view = partnerships.get_partnership(uow, "signals")
    assert view.label.value == "traditional"
    [check] = [c for c in view.checks if not c.passed]
    assert (check.name, check.detail) == (
        "shared_purpose",
        "the purpose “Halve customer churn” is abandoned",
    )


def test_status_moves_pause_resume_and_close_the_charter(uow, org):
    make_partnership(
        uow,
        org["ana"],
        key="signals",
        purpose="churn",
        parties=PARTIES,
        affirmed_by=[org["ana"], org["bo"]],
    )
    mark = last_event_id(uow)

    partnerships.set_status(uow, org["bo"], "signals", "paused")
    partnerships.set_status(uow, org["ana"], "signals", "active")
    partnerships.set_status(uow, org["ana"], "signals", "concluded")

    with pytest.raises(RuleBroken) as closed:
        partnerships.update_charter(uow, org["ana"], "signals", name="Reopened")
    with pytest.raises(RuleBroken):
        partnerships.set_status(uow, org["ana"], "signals", "active")
    with pytest.raises(Forbidden):
        partnerships.set_status(uow, org["mo"], "signals", "dissolved")

    assert closed.value.rule == "partnership.closed"
    assert partnerships.get_partnership(uow, "signals").partnership.status.value == "concluded"
    assert [e.payload for e in events_after(uow, mark)] == [
        {"from": "active", "to": "paused"},
        {"from": "paused", "to": "active"},
        {"from": "active", "to": "concluded"},
    ]


def test_a_forming_partnership_cannot_be_made_active_by_hand(uow, org):
    make_partnership(uow, org["ana"], key="signals", purpose="churn", parties=PARTIES)

    with pytest.raises(RuleBroken) as error:
        partnerships.set_status(uow, org["ana"], "signals", "active")

    assert "every party has affirmed" in str(error.value)
    assert partnerships.get_partnership(uow, "signals").partnership.status.value == "forming"


def test_partnerships_are_listed_by_team_and_purpose(uow, org):
    make_purpose(uow, org["ceo"], key="growth", title="Grow revenue")
    make_partnership(uow, org["ana"], key="signals", purpose="churn", parties=PARTIES)
    make_partnership(
        uow,
        org["mo"],
        key="campaigns",
        name="Campaigns",
        purpose="growth",
        parties=[("marketing", "Campaigns"), ("customer-success", "Contacts")],
    )

    def keys(**kw):
        return sorted(v.partnership.key for v in partnerships.list_partnerships(uow, **kw))

    assert keys() == ["campaigns", "signals"]
    assert keys(team="customer-success") == ["campaigns", "signals"]
    assert keys(team="marketing") == ["campaigns"]
    assert keys(purpose="churn") == ["signals"]
