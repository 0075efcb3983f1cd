"""Teams, people and the questions of who may act."""

from __future__ import annotations

import pytest

from accord.errors import Forbidden, Invalid, RuleBroken
from accord.org.domain import (
    GlobalRole,
    MemberRole,
    Operator,
    Person,
    Team,
    actor_name,
    check_slug,
    check_text,
    ensure_admin,
    ensure_can_write,
    ensure_lead,
    ensure_lead_or_admin,
    is_admin,
    normalize_email,
    slugify,
    unique_key,
)


def person(email: str = "ana@example.com", role: GlobalRole = GlobalRole.MEMBER) -> Person:
    return Person(email=email, name=email.split("@")[0], role=role)


def join(p: Person, team: Team, role: MemberRole = MemberRole.MEMBER) -> None:
    p.join(team, role)


@pytest.mark.parametrize("slug", ["a", "payments", "team-2", "x" * 63, "a-b-c", "9lives"])
def test_good_slugs(slug: str) -> None:
    assert check_slug(slug) == slug


@pytest.mark.parametrize(
    "slug",
    ["", "Payments", "team_2", "-lead", "trail-", "dou--ble", "x" * 64, "with space", "café"],
)
def test_bad_slugs(slug: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_slug(slug, "team slug")
    assert refused.value.rule == "slug.invalid"
    assert refused.value.message.startswith("team slug")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Halve churn!", "halve-churn"),
        ("  Payments & Risk  ", "payments-risk"),
        ("Q3 -- OKRs", "q3-okrs"),
        ("!!!", "item"),
        ("", "item"),
        ("Émile", "mile"),
    ],
)
def test_slugify(text: str, expected: str) -> None:
    assert slugify(text) == expected


def test_slugify_output_is_always_a_valid_slug() -> None:
    long = "word " * 30
    slug = slugify(long)
    assert len(slug) <= 50
    assert not slug.endswith("-")
    assert check_slug(slug) == slug
    assert slugify("***", fallback="purpose") == "purpose"


def test_unique_key() -> None:
    assert unique_key("churn", set()) == "churn"
    assert unique_key("churn", {"churn"}) == "churn-2"
    assert unique_key("churn", {"churn", "churn-2", "churn-3"}) == "churn-4"
    assert unique_key("churn", {"churn", "churn-3"}) == "churn-2"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ana@Example.COM", "ana@example.com"),
        ("  bo@x.io \n", "bo@x.io"),
        ("a.b+c@sub.example.org", "a.b+c@sub.example.org"),
    ],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "a b@example.com",
        "a@@b.com",
        "a@" + "b" * 320 + ".com",
    ],
)
def test_bad_emails(raw: str) -> None:
    with pytest.raises(Invalid) as refused:
        normalize_email(raw)
    assert refused.value.rule == "email.invalid"


def test_check_text() -> None:
    assert check_text("  Payments ", "name") == "Payments"
    assert check_text("   ", "mission", required=False) == ""
    with pytest.raises(Invalid) as empty:
        check_text(" \t", "name")
    assert empty.value.rule == "text.empty"
    with pytest.raises(Invalid) as long:
        check_text("x" * 11, "name", max_length=10)
    assert long.value.rule == "text.too_long"


def test_team_parent_tree_and_cycles() -> None:
    org, unit, team = Team("org", "Org"), Team("unit", "Unit"), Team("team", "Team")
    unit.set_parent(org)
    team.set_parent(unit)
    assert team.parent is unit
    for looping in (org, unit):
        before = looping.parent
        with pytest.raises(RuleBroken) as refused:
            looping.set_parent(team)
        assert refused.value.rule == "team.parent_cycle"
        assert looping.parent is before
    with pytest.raises(RuleBroken):
        team.set_parent(team)
    team.set_parent(None)
    assert team.parent is None
    org.set_parent(team)
    assert org.parent is team


def test_membership_questions() -> None:
    payments, platform, risk = Team("payments", "P"), Team("platform", "Pl"), Team("risk", "R")
    ana = person()
    join(ana, payments, MemberRole.LEAD)
    join(ana, platform)
    assert ana.is_member(payments)
    assert ana.is_lead(payments)
    assert ana.is_member(platform)
    assert not ana.is_lead(platform)
    assert not ana.is_member(risk)
    assert not ana.is_lead(risk)
    assert ana.teams() == [payments, platform]
    assert payments.leads() == [ana]
    assert platform.leads() == []


def test_membership_is_by_identity_not_by_equal_fields() -> None:
    ana = person()
    join(ana, Team("payments", "Payments"))
    assert not ana.is_member(Team("payments", "Payments"))


def test_admin_checks() -> None:
    admin, member, viewer = (
        person("a@x.io", GlobalRole.ADMIN),
        person("m@x.io"),
        person("v@x.io", GlobalRole.VIEWER),
    )
    assert is_admin(admin)
    assert is_admin(Operator())
    assert not is_admin(member)
    assert not is_admin(viewer)
    ensure_admin(admin, "import teams")
    ensure_admin(Operator(), "import teams")
    for who in (member, viewer):
        with pytest.raises(Forbidden, match="only an admin may import teams") as refused:
            ensure_admin(who, "import teams")
        assert refused.value.rule == "permission.admin_only"


def test_ensure_can_write() -> None:
    member = person()
    assert ensure_can_write(member) is member
    assert ensure_can_write(person("a@x.io", GlobalRole.ADMIN)).is_admin
    with pytest.raises(Forbidden) as operator:
        ensure_can_write(Operator())
    assert operator.value.rule == "permission.person_only"
    with pytest.raises(Forbidden) as viewer:
        ensure_can_write(person("v@x.io", GlobalRole.VIEWER))
    assert viewer.value.rule == "permission.viewer"
    gone = person("g@x.io")
    gone.active = False
    with pytest.raises(Forbidden) as inactive:
        ensure_can_write(gone)
    assert inactive.value.rule == "permission.inactive"


def test_ensure_lead() -> None:
    payments = Team("payments", "Payments")
    lead, member, outsider = person("l@x.io"), person("m@x.io"), person("o@x.io")
    join(lead, payments, MemberRole.LEAD)
    join(member, payments)
    assert ensure_lead(lead, payments, "open a round") is lead
    for who in (member, outsider):
        with pytest.raises(Forbidden) as refused:
            ensure_lead(who, payments, "open a round")
        assert refused.value.rule == "permission.lead_only"
        assert "only a lead of Payments may open a round" in refused.value.message
    with pytest.raises(Forbidden) as operator:
        ensure_lead(Operator(), payments, "open a round")
    assert operator.value.rule == "permission.person_only"
    viewer_lead = person("vl@x.io", GlobalRole.VIEWER)
    join(viewer_lead, payments, MemberRole.LEAD)
    with pytest.raises(Forbidden) as viewer:
        ensure_lead(viewer_lead, payments, "open a round")
    assert viewer.value.rule == "permission.viewer"


def test_ensure_lead_or_admin() -> None:
    payments = Team("payments", "Payments")
    lead, member = person("l@x.io"), person("m@x.io")
    join(lead, payments, MemberRole.LEAD)
    join(member, payments)
    ensure_lead_or_admin(lead, payments, "rename the team")
    ensure_lead_or_admin(person("a@x.io", GlobalRole.ADMIN), payments, "rename the team")
    ensure_lead_or_admin(Operator(), payments, "rename the team")
    with pytest.raises(Forbidden) as refused:
        ensure_lead_or_admin(member, payments, "rename the team")
    assert refused.value.rule == "permission.lead_only"
    with pytest.raises(Forbidden) as viewer:
        ensure_lead_or_admin(person("v@x.io", GlobalRole.VIEWER), payments, "rename the team")
    assert viewer.value.rule == "permission.viewer"


def test_actor_name() -> None:
    assert actor_name(person("ana@example.com")) == "ana@example.com"
    assert actor_name(Operator()) == "operator:cli"
    assert actor_name(Operator("cron")) == "operator:cron"
