"""Who may do what (DESIGN §7): each predicate the pages read answers as its `ensure_*` check
refuses, for every kind of person, and both answer as the design's table says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from accord.commitments.domain import may_request
from accord.errors import Forbidden
from accord.org.domain import (
    Actor,
    GlobalRole,
    MemberRole,
    Operator,
    Person,
    Team,
    ensure_can_write,
    ensure_lead,
    ensure_lead_or_admin,
    may_lead,
    may_lead_or_admin,
    may_write,
)
from accord.partnerships.domain import (
    Partnership,
    ensure_may_lead_partnership,
    may_lead_partnership,
)
from accord.purposes.domain import (
    Purpose,
    ensure_may_edit_purposes,
    ensure_may_move_purpose,
    ensure_may_update_measures,
    may_edit_purposes,
    may_move_purpose,
    may_update_measures,
)
from accord.stories.domain import (
    Reply,
    Story,
    ensure_may_delete_reply,
    ensure_may_edit_story,
    may_delete_reply,
    may_edit_story,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class World:
    """Payments and Care partner on a purpose that Sam sponsors; Risk is no party. Ada wrote a
    story, and a reply in its thread."""

    actors: dict[str, Actor]
    payments: Team
    purpose: Purpose
    partnership: Partnership
    story: Story
    reply: Reply


def world() -> World:
    payments, care, risk = Team("payments", "Payments"), Team("care", "Care"), Team("risk", "Risk")
    people: dict[str, Person] = {}

    def person(
        role: str,
        team: Team | None = None,
        member_role: MemberRole = MemberRole.MEMBER,
        global_role: GlobalRole = GlobalRole.MEMBER,
    ) -> Person:
        someone = Person(f"{role.replace(' ', '-')}@example.org", role, global_role)
        someone.id = len(people) + 1
        if team is not None:
            someone.join(team, member_role)
        people[role] = someone
        return someone

    person("admin", global_role=GlobalRole.ADMIN)
    person("viewer", payments, global_role=GlobalRole.VIEWER)
    person("viewer lead", payments, MemberRole.LEAD, GlobalRole.VIEWER)
    person("member", payments)
    person("lead", payments, MemberRole.LEAD)
    person("partner lead", care, MemberRole.LEAD)
    person("other lead", risk, MemberRole.LEAD)
    person("inactive lead", payments, MemberRole.LEAD).active = False
    former = person("former lead", payments, MemberRole.LEAD)
    former.leave(payments, NOW)
    sponsor = person("sponsor")
    author = person("author", payments)
    person("outsider")

    purpose = Purpose("halve-churn", "Halve churn", sponsor=sponsor)
    partnership = Partnership("calm", "Calm", purpose)
    partnership.add_party(payments, "")
    partnership.add_party(care, "")
    reply = Reply(author, "Well done", NOW, id=1)
    story = Story("how", "How", "Body", author, NOW, NOW, replies=[reply])
    actors: dict[str, Actor] = {**people, "operator": Operator()}
    return World(actors, payments, purpose, partnership, story, reply)


def _partners(w: World) -> list[Team]:
    return [party.team for party in w.partnership.parties]


Check = Callable[[World, Actor], Any]

# name: (predicate, its ensure function or None, who the predicate lets act)
RULES: dict[str, tuple[Check, Check | None, set[str]]] = {
    "write": (
        lambda w, a: may_write(a),
        lambda w, a: ensure_can_write(a),
        {
            "admin",
            "member",
            "lead",
            "partner lead",
            "other lead",
            "former lead",
            "sponsor",
            "author",
            "outsider",
        },
    ),
    "lead the team": (
        lambda w, a: may_lead(a, w.payments),
        lambda w, a: ensure_lead(a, w.payments, "lead it"),
        {"lead"},
    ),
    "edit the team": (
        lambda w, a: may_lead_or_admin(a, w.payments),
        lambda w, a: ensure_lead_or_admin(a, w.payments, "edit it"),
        {"admin", "operator", "lead"},
    ),
    "edit purposes": (
        lambda w, a: may_edit_purposes(a),
        lambda w, a: ensure_may_edit_purposes(a),
        {
            "admin",
            "operator",
            "member",
            "lead",
            "partner lead",
            "other lead",
            "former lead",
            "sponsor",
            "author",
            "outsider",
        },
    ),
    "move the purpose": (
        lambda w, a: may_move_purpose(a, w.purpose),
        lambda w, a: ensure_may_move_purpose(a, w.purpose),
        {"admin", "operator", "sponsor"},
    ),
    "update its measures": (
        lambda w, a: may_update_measures(a, w.purpose, _partners(w)),
        lambda w, a: ensure_may_update_measures(a, w.purpose, _partners(w)),
        {"lead", "partner lead", "sponsor"},
    ),
    "lead the partnership": (
        lambda w, a: may_lead_partnership(a, w.partnership),
        lambda w, a: ensure_may_lead_partnership(a, w.partnership, "edit the charter"),
        {"lead", "partner lead"},
    ),
    "request for the team": (
        lambda w, a: may_request(a, w.payments),
        None,  # the request use case refuses in its own words (commitment.wrong_side)
        {"member", "lead", "author"},
    ),
    "edit the story": (
        lambda w, a: may_edit_story(a, w.story),
        lambda w, a: ensure_may_edit_story(a, w.story, "edit it"),
        {"admin", "operator", "author"},
    ),
    "delete the reply": (
        lambda w, a: may_delete_reply(a, w.reply),
        lambda w, a: ensure_may_delete_reply(a, w.reply),
        {"admin", "operator", "author"},
    ),
}
ROLES = sorted(world().actors)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule", list(RULES))
def test_a_predicate_answers_as_its_ensure_function_refuses(rule: str, role: str) -> None:
    w = world()
    actor = w.actors[role]
    may, ensure, allowed = RULES[rule]
    answer = may(w, actor)
    assert answer is (role in allowed)
    if ensure is None:
        return
    if answer:
        ensure(w, actor)
    else:
        with pytest.raises(Forbidden):
            ensure(w, actor)


@pytest.mark.parametrize(
    ("role", "rule"),
    [
        ("viewer lead", "permission.viewer"),
        ("inactive lead", "permission.inactive"),
        ("operator", "permission.person_only"),
        ("member", "permission.lead_only"),
        ("other lead", "permission.lead_only"),
    ],
)
def test_a_refusal_says_why(role: str, rule: str) -> None:
    w = world()
    with pytest.raises(Forbidden) as refused:
        ensure_lead(w.actors[role], w.payments, "rename it")
    assert refused.value.rule == rule


def test_a_refused_measure_update_names_the_sponsor_and_the_partner_leads() -> None:
    w = world()
    with pytest.raises(Forbidden) as refused:
        ensure_may_update_measures(w.actors["other lead"], w.purpose, _partners(w))
    assert refused.value.rule == "permission.measure_update"
    assert refused.value.message == (
        "only the sponsor of the purpose “Halve churn” or a lead of a partner team may update "
        "its measures"
    )
