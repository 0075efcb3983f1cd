"""Teams, people and memberships through the org service, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from accord.errors import Conflict, Forbidden, Invalid, NotFound, RuleBroken
from accord.org import service as org
from accord.org.domain import Operator
from factories import (
    OPERATOR,
    chain_ok,
    events_after,
    last_event_id,
    make_person,
    make_team,
)


def test_operator_creates_a_team_and_the_event_records_it(uow, clock):
    team = org.create_team(
        uow,
        Operator("cli"),
        slug="data-platform",
        name=" Data Platform ",
        kind="shared_service",
        mission="Trustworthy data for every decision",
    )

    assert (team.slug, team.name, team.kind.value) == (
        "data-platform",
        "Data Platform",
        "shared_service",
    )
    assert [t.slug for t in org.list_teams(uow)] == ["data-platform"]
    [event] = events_after(uow)
    assert (event.type, event.subject, event.actor, event.at) == (
        "team.created",
        "team:data-platform",
        "operator:cli",
        clock.now,
    )
    assert event.payload == {
        "slug": "data-platform",
        "name": "Data Platform",
        "kind": "shared_service",
        "mission": "Trustworthy data for every decision",
        "parent": None,
    }
    assert chain_ok(uow)


def test_admin_person_creates_people_with_normalized_email(uow):
    admin = make_person(uow, "root@example.org", role="admin")
    mark = last_event_id(uow)

    person = org.create_person(uow, admin, email="  Ana@Example.ORG ", name="Ana Lima")

    assert person.email == "ana@example.org"
    assert person.role.value == "member"
    [event] = events_after(uow, mark)
    assert (event.type, event.subject, event.actor) == (
        "person.created",
        "person:ana@example.org",
        "root@example.org",
    )
    assert event.payload == {"email": "ana@example.org", "name": "Ana Lima", "role": "member"}
    assert chain_ok(uow)


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_create_teams_and_people(uow, role):
    make_team(uow, "payments")
    someone = make_person(uow, "someone@example.org", role=role, teams={"payments": "lead"})
    mark = last_event_id(uow)

    with pytest.raises(Forbidden) as team_error:
        org.create_team(uow, someone, slug="new-team", name="New team")
    with pytest.raises(Forbidden) as person_error:
        org.create_person(uow, someone, email="new@example.org", name="New")

    assert team_error.value.rule == person_error.value.rule == "permission.admin_only"
    assert [t.slug for t in org.list_teams(uow)] == ["payments"]
    assert [p.email for p in org.list_people(uow)] == ["someone@example.org"]
    assert last_event_id(uow) == mark


def test_a_second_team_with_the_same_slug_is_a_conflict(uow):
    make_team(uow, "payments", name="Payments")
    mark = last_event_id(uow)

    with pytest.raises(Conflict) as error:
        make_team(uow, "payments", name="Other payments")

    assert error.value.rule == "team.exists"
    [team] = org.list_teams(uow)
    assert team.name == "Payments"
    assert last_event_id(uow) == mark


def test_a_second_person_with_the_same_email_in_other_case_is_a_conflict(uow):
    make_person(uow, "ana@example.org", name="Ana Lima")
    mark = last_event_id(uow)

    with pytest.raises(Conflict) as error:
        make_person(uow, "ANA@example.org", name="Another Ana")

    assert error.value.rule == "person.exists"
    [person] = org.list_people(uow)
    assert person.name == "Ana Lima"
    assert last_event_id(uow) == mark


@pytest.mark.parametrize("slug", ["Bad Slug", "-leading", "double--hyphen", "a" * 64])
def test_malformed_slugs_are_invalid(uow, slug):
    with pytest.raises(Invalid) as error:
        make_team(uow, slug)

    assert error.value.rule == "slug.invalid"
    assert last_event_id(uow) == 0


@pytest.mark.parametrize("email", ["not-an-email", "two@@example.org", "no@tld"])
def test_malformed_emails_are_invalid(uow, email):
    with pytest.raises(Invalid) as error:
        make_person(uow, email)

    assert error.value.rule == "email.invalid"
    assert last_event_id(uow) == 0


def test_unknown_kind_is_invalid_and_lists_the_kinds(uow):
    with pytest.raises(Invalid) as error:
        make_team(uow, "payments", kind="squad")

    assert "shared_service" in str(error.value)
    assert org.list_teams(uow) == []


def test_memberships_are_set_changed_and_removed_with_events(uow):
    make_team(uow, "payments")
    make_person(uow, "ana@example.org")
    mark = last_event_id(uow)

    membership = org.set_membership(uow, OPERATOR, "payments", "ana@example.org", "member")
    assert membership.role.value == "member"
    membership = org.set_membership(uow, OPERATOR, "payments", "ANA@example.org", "lead")
    assert membership.role.value == "lead"

    [person] = org.list_people(uow)
    assert [(m.team.slug, m.role.value) for m in person.memberships] == [("payments", "lead")]
    assert [t.email for t in org.get_team(uow, "payments").leads()] == ["ana@example.org"]

    org.remove_membership(uow, OPERATOR, "payments", "ana@example.org")

    [person] = org.list_people(uow)
    assert person.teams() == []
    assert not person.is_member(org.get_team(uow, "payments"))
    assert org.get_team(uow, "payments").leads() == []
    with pytest.raises(NotFound):
        org.remove_membership(uow, OPERATOR, "payments", "ana@example.org")

    org.set_membership(uow, OPERATOR, "payments", "ana@example.org", "member")

    [person] = org.list_people(uow)
    assert [t.slug for t in person.teams()] == ["payments"]
    assert [(e.type, e.subject, e.payload) for e in events_after(uow, mark)] == [
        ("membership.set", "team:payments", {"person": "ana@example.org", "role": "member"}),
        ("membership.set", "team:payments", {"person": "ana@example.org", "role": "lead"}),
        ("membership.removed", "team:payments", {"person": "ana@example.org"}),
        ("membership.set", "team:payments", {"person": "ana@example.org", "role": "member"}),
    ]
    assert chain_ok(uow)


def test_removing_someone_who_is_not_a_member_is_not_found(uow):
    make_team(uow, "payments")
    make_person(uow, "ana@example.org")
    mark = last_event_id(uow)

    with pytest.raises(NotFound) as error:
        org.remove_membership(uow, OPERATOR, "payments", "ana@example.org")

    assert error.value.rule == "membership.not_found"
    assert last_event_id(uow) == mark


def test_unknown_team_role_is_invalid(uow):
    make_team(uow, "payments")
    make_person(uow, "ana@example.org")

    with pytest.raises(Invalid):
        org.set_membership(uow, OPERATOR, "payments", "ana@example.org", "boss")

    [person] = org.list_people(uow)
    assert person.memberships == []


def test_a_lead_edits_the_name_and_mission_of_their_own_team(uow, clock):
    make_team(uow, "payments", name="Payments")
    lead = make_person(uow, "lead@example.org", teams={"payments": "lead"})
    mark = last_event_id(uow)
    clock.advance(hours=1)

    team = org.update_team(
        uow, lead, "payments", name="Checkout & Payments", mission="No failed payments"
    )

    assert (team.name, team.mission) == ("Checkout & Payments", "No failed payments")
    assert org.get_team(uow, "payments").name == "Checkout & Payments"
    [event] = events_after(uow, mark)
    assert (event.type, event.actor, event.at) == ("team.updated", "lead@example.org", clock.now)
    assert event.payload["name"] == "Checkout & Payments"
    assert chain_ok(uow)


def test_a_lead_adds_members_to_their_own_team(uow):
    make_team(uow, "payments")
    lead = make_person(uow, "lead@example.org", teams={"payments": "lead"})
    make_person(uow, "bo@example.org")

    org.set_membership(uow, lead, "payments", "bo@example.org", "member")

    assert {m.person.email for m in org.get_team(uow, "payments").memberships} == {
        "lead@example.org",
        "bo@example.org",
    }


@pytest.mark.parametrize(
    ("role", "teams"),
    [
        ("member", {"payments": "member"}),
        ("member", {"platform": "lead"}),
        ("viewer", {"payments": "lead"}),
    ],
    ids=["member-of-the-team", "lead-of-another-team", "viewer-lead"],
)
def test_members_leads_of_other_teams_and_viewers_may_not_edit_a_team(uow, role, teams):
    make_team(uow, "payments", name="Payments")
    make_team(uow, "platform")
    someone = make_person(uow, "someone@example.org", role=role, teams=teams)
    make_person(uow, "bo@example.org")
    mark = last_event_id(uow)

    with pytest.raises(Forbidden):
        org.update_team(uow, someone, "payments", name="Hijacked")
    with pytest.raises(Forbidden):
        org.set_membership(uow, someone, "payments", "bo@example.org", "lead")

    team = org.get_team(uow, "payments")
    assert team.name == "Payments"
    assert "bo@example.org" not in {m.person.email for m in team.memberships}
    assert last_event_id(uow) == mark


def test_a_lead_may_not_move_their_team_in_the_tree_or_change_its_kind(uow):
    make_team(uow, "consumer", kind="business_unit")
    make_team(uow, "payments")
    lead = make_person(uow, "lead@example.org", teams={"payments": "lead"})
    mark = last_event_id(uow)

    with pytest.raises(Forbidden) as error:
        org.update_team(uow, lead, "payments", parent="consumer")
    with pytest.raises(Forbidden):
        org.update_team(uow, lead, "payments", kind="delivery_group")

    assert error.value.rule == "permission.admin_only"
    team = org.get_team(uow, "payments")
    assert (team.parent, team.kind.value) == (None, "team")
    assert last_event_id(uow) == mark


def test_the_admin_builds_a_tree_and_a_loop_is_refused(uow):
    make_team(uow, "consumer", kind="business_unit")
    make_team(uow, "digital", kind="delivery_group", parent="consumer")
    make_team(uow, "payments", parent="digital")
    mark = last_event_id(uow)

    with pytest.raises(RuleBroken) as error:
        org.update_team(uow, OPERATOR, "consumer", parent="payments")
    with pytest.raises(RuleBroken):
        org.update_team(uow, OPERATOR, "digital", parent="digital")

    assert error.value.rule == "team.parent_cycle"
    assert org.get_team(uow, "consumer").parent is None
    assert org.get_team(uow, "digital").parent.slug == "consumer"
    assert last_event_id(uow) == mark

    org.update_team(uow, OPERATOR, "payments", parent="consumer")
    org.update_team(uow, OPERATOR, "digital", parent=None)

    assert org.get_team(uow, "payments").parent.slug == "consumer"
    assert org.get_team(uow, "digital").parent is None
    assert chain_ok(uow)


def test_an_unknown_parent_is_not_found(uow):
    with pytest.raises(NotFound) as error:
        make_team(uow, "payments", parent="nowhere")

    assert error.value.rule == "team.not_found"
    assert org.list_teams(uow) == []
    assert last_event_id(uow) == 0


def test_passwords_and_tokens_authenticate_active_people_only(uow):
    make_person(uow, "ana@example.org")
    org.set_password(uow, OPERATOR, "ana@example.org", "correct horse")
    secret = org.create_token(uow, OPERATOR, "ana@example.org", "ci")

    signed_in = org.authenticate_password(uow, "ANA@example.org", "correct horse")
    assert signed_in.email == "ana@example.org"
    assert org.authenticate_password(uow, "ana@example.org", "wrong horse") is None
    assert org.authenticate_token(uow, secret).email == "ana@example.org"
    assert org.authenticate_token(uow, secret + "x") is None

    org.update_person(uow, OPERATOR, "ana@example.org", active=False)

    assert org.authenticate_password(uow, "ana@example.org", "correct horse") is None
    assert org.authenticate_token(uow, secret) is None
    assert secret not in str([e.payload for e in events_after(uow)])
    assert chain_ok(uow)


def test_short_passwords_are_refused(uow):
    make_person(uow, "ana@example.org")

    with pytest.raises(Invalid) as error:
        org.set_password(uow, OPERATOR, "ana@example.org", "short")

    assert error.value.rule == "password.too_short"


def test_a_person_sets_their_own_password_but_not_anothers(uow):
    ana = make_person(uow, "ana@example.org")
    make_person(uow, "bo@example.org")

    org.set_password(uow, ana, "ana@example.org", "ana's own secret")
    with pytest.raises(Forbidden):
        org.set_password(uow, ana, "bo@example.org", "bo's new secret")

    assert org.authenticate_password(uow, "ana@example.org", "ana's own secret") is not None
    assert org.authenticate_password(uow, "bo@example.org", "bo's new secret") is None


@pytest.mark.parametrize("change", [{"active": False}, {"role": "member"}, {"role": "viewer"}])
def test_an_admin_cannot_lock_themself_out(uow, change):
    admin = make_person(uow, "root@example.org", role="admin")
    mark = last_event_id(uow)

    with pytest.raises(RuleBroken) as refused:
        org.update_person(uow, admin, "root@example.org", **change)

    assert refused.value.rule == "person.self_lockout"
    person = org.get_person(uow, "root@example.org")
    assert (person.active, person.role.value) == (True, "admin")
    assert last_event_id(uow) == mark
    other = make_person(uow, "second@example.org", role="admin")
    assert org.update_person(uow, other, "root@example.org", **change) is not None
