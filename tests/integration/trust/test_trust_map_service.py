"""The trust map and a team's trust history through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord.commitments import service as commitments
from accord.errors import Forbidden, Invalid, NotFound
from accord.trust import service as trust
from accord.trust import visibility
from built_once import built_once
from factories import (
    OPERATOR,
    SETTINGS,
    make_commitment,
    make_partners,
    make_partnership,
    make_person,
    make_purpose,
    make_team,
)


@pytest.fixture
def org(request, engine, uow):
    """R and P work together in `rp`; O and X in `ox`; nobody links the two partnerships."""
    return built_once(request, engine, lambda: build_org(uow))


def build_org(uow):
    rp = make_partners(uow, {"r": ("rita", "Asks"), "p": ("paul", "Delivers")}, key="rp")
    ox = make_partners(
        uow, {"o": ("olga", "Asks"), "x": ("xena", "Delivers")}, key="ox", name="Other work"
    )
    return {
        "r": rp["rita"],
        "p": rp["paul"],
        "o": ox["olga"],
        "o_member": make_person(uow, "omar@example.org", teams={"o": "member"}),
        "x": ox["xena"],
        "admin": make_person(uow, "root@example.org", role="admin"),
    }


def deliver(uow, clock, people, key: str, reliance: str = "critical") -> None:
    """R asks P, P promises and delivers, R accepts: one success of P for R."""
    make_commitment(uow, "rp", people["r"], "r", "p", key=key, reliance=reliance)
    for move, who in (("promise", "p"), ("report_done", "p"), ("accept", "r")):
        clock.advance(days=2)
        version = commitments.get_commitment(uow, key).commitment.version
        args = {"value": 5} if move == "accept" else {}
        commitments.move(uow, people[who], key, move, version=version, **args)


def test_an_admin_sees_every_pair_with_the_numbers_of_trust_of(uow, clock, org) -> None:
    deliver(uow, clock, org, "first")
    make_commitment(uow, "rp", org["r"], "r", "p", key="open", reliance="critical")

    found = trust.trust_map(uow, SETTINGS, org["admin"])

    assert {(e.requester, e.performer) for e in found.edges} == {
        ("r", "p"),
        ("p", "r"),
        ("o", "x"),
        ("x", "o"),
    }
    edge = next(e for e in found.edges if (e.requester, e.performer) == ("r", "p"))
    pair = trust.trust_of(uow, SETTINGS, OPERATOR, "p", of="r")
    assert edge.ability == pytest.approx(pair.trust.ability.expected, abs=1e-12)
    assert edge.uncertainty == pytest.approx(pair.trust.ability.uncertainty, abs=1e-12)
    assert edge.given == pair.given == 1.0
    assert edge.gap == pytest.approx(pair.gap, abs=1e-12)
    assert edge.flags == pair.flags
    node = next(n for n in found.nodes if n.slug == "p")
    team = trust.trust_of(uow, SETTINGS, OPERATOR, "p")
    assert node.overall == pytest.approx(team.trust.overall_expected, abs=1e-12)
    assert node.uncertainty == pytest.approx(team.trust.overall_uncertainty, abs=1e-12)


def test_a_member_of_an_unrelated_team_sees_only_its_own_pairs(uow, clock, org) -> None:
    deliver(uow, clock, org, "first")

    found = trust.trust_map(uow, SETTINGS, org["o_member"])

    assert {(e.requester, e.performer) for e in found.edges} == {("o", "x"), ("x", "o")}
    overall = {n.slug: n.overall for n in found.nodes}
    assert set(overall) == {"r", "p", "o", "x"}
    assert overall["o"] is not None
    assert overall["r"] is None
    assert overall["p"] is None
    # a lead of a partner team may see its partner's team trust, but no pair it is not in
    lead_view = trust.trust_map(uow, SETTINGS, org["o"])
    assert {n.slug for n in lead_view.nodes if n.overall is not None} == {"o", "x"}


def test_the_map_document_has_the_documented_shape(uow, clock, org) -> None:
    document = trust.trust_map(uow, SETTINGS, org["r"]).document()

    assert set(document) == {"as_of", "purpose", "team", "depth", "nodes", "edges"}
    assert (document["purpose"], document["team"], document["depth"]) == (None, None, 1)
    assert set(document["nodes"][0]) == {
        "slug",
        "name",
        "kind",
        "overall",
        "uncertainty",
        "interval",
        "enough_evidence",
        "words",
    }
    assert set(document["edges"][0]) == {
        "requester",
        "performer",
        "ability",
        "uncertainty",
        "given",
        "gap",
        "flags",
        "interval",
        "enough_evidence",
        "evidence",
        "words",
        "flag_causes",
    }


def test_trust_history_has_the_points_asked_for_and_moves_with_an_acceptance(
    uow, clock, org
) -> None:
    make_commitment(uow, "rp", org["r"], "r", "p", key="warm-up", reliance="none")
    clock.advance(days=30)
    before = trust.trust_history(uow, SETTINGS, org["p"], "p", points=6)
    deliver(uow, clock, org, "first")
    clock.advance(days=30)

    after = trust.trust_history(uow, SETTINGS, org["p"], "p", points=6)

    assert len(before) == 6
    assert len(after) == 6
    assert [r.as_of for r in after] == sorted(r.as_of for r in after)
    assert after[-1].as_of == clock.now
    assert after[-1].trust.overall_expected > before[-1].trust.overall_expected
    now = trust.trust_of(uow, SETTINGS, org["p"], "p")
    assert after[-1].trust.overall_expected == pytest.approx(now.trust.overall_expected)
    # before the first success the team has the prior only
    assert after[0].trust.ability.r == 0.0
    assert after[-1].trust.ability.r > 0.0


def test_trust_history_is_for_whoever_may_see_team_trust(uow, clock, org) -> None:
    make_commitment(uow, "rp", org["r"], "r", "p", key="warm-up")
    clock.advance(days=10)
    with pytest.raises(Forbidden, match="members, admins and the leads"):
        trust.trust_history(uow, SETTINGS, org["o_member"], "p")
    with pytest.raises(Invalid):
        trust.trust_history(uow, SETTINGS, org["p"], "p", points=0)
    assert len(trust.trust_history(uow, SETTINGS, org["admin"], "p")) == 12


def test_trust_history_without_commitments_is_the_present_alone(uow, clock, org) -> None:
    history = trust.trust_history(uow, SETTINGS, org["p"], "p", points=12)

    assert [r.as_of for r in history] == [clock.now]
    assert history[0].trust.ability.r == 0.0


def test_an_open_critical_bet_on_an_unproven_partner_is_flagged(uow, clock, org) -> None:
    make_commitment(uow, "rp", org["r"], "r", "p", key="bet", reliance="critical")
    clock.advance(days=1)

    found = trust.trust_map(uow, SETTINGS, org["r"])

    edge = next(e for e in found.edges if (e.requester, e.performer) == ("r", "p"))
    assert edge.given == 1.0
    assert edge.flags == ["over_reliant"]
    assert timedelta(0) <= clock.now - found.as_of


def test_every_point_of_the_trust_history_is_the_trust_as_of_its_instant(uow, clock, org) -> None:
    make_commitment(uow, "rp", org["r"], "r", "p", key="warm-up", reliance="low")
    for key in ("first", "second", "third"):
        clock.advance(days=20)
        deliver(uow, clock, org, key)
    clock.advance(days=15)

    history = trust.trust_history(uow, SETTINGS, org["admin"], "p", points=7)

    for point in history:
        then = trust.trust_of(uow, SETTINGS, org["admin"], "p", as_of=point.as_of)
        assert point.trust.overall_expected == pytest.approx(then.trust.overall_expected)
        assert point.trust.ability.r == pytest.approx(then.trust.ability.r)
        assert point.trust.ability.s == pytest.approx(then.trust.ability.s)
        assert point.network == pytest.approx(then.network)
    assert len({round(p.trust.ability.r, 9) for p in history}) > 2


@pytest.mark.parametrize("who", ["r", "p", "o", "o_member", "x", "admin"])
def test_a_node_shows_team_trust_exactly_where_may_see_team_allows(uow, org, who) -> None:
    found = trust.trust_map(uow, SETTINGS, org[who])

    with uow:
        reader = uow.bind(org[who])
        expected = {
            team.slug: visibility.may_see_team(uow, SETTINGS, reader, team)
            for team in uow.org.teams()
        }
    assert {node.slug: node.overall is not None for node in found.nodes} == expected
    assert any(expected.values())


@pytest.fixture
def chain(request, engine, uow):
    """a and b work together for one purpose; b and c, and c and d, for another."""
    return built_once(request, engine, lambda: build_chain(uow))


def build_chain(uow):
    for slug in "abcd":
        make_team(uow, slug)
    leads = {s: make_person(uow, f"lead-{s}@example.org", teams={s: "lead"}) for s in "abcd"}
    first = make_purpose(uow, leads["a"], key="first")
    other = make_purpose(uow, leads["b"], key="other")
    for key, left, right, purpose in (
        ("ab", "a", "b", first),
        ("bc", "b", "c", other),
        ("cd", "c", "d", other),
    ):
        make_partnership(
            uow,
            leads[left],
            key=key,
            purpose=purpose,
            parties=[(left, "gives"), (right, "gives back")],
            affirmed_by=[leads[left], leads[right]],
        )
    return {"admin": make_person(uow, "root@example.org", role="admin"), **leads}


def _shape(found):
    return (
        sorted(node.slug for node in found.nodes),
        sorted((e.requester, e.performer) for e in found.edges),
    )


def test_the_map_narrows_to_one_purpose(uow, chain) -> None:
    whole = trust.trust_map(uow, SETTINGS, chain["admin"])
    assert len(whole.edges) == 6
    found = trust.trust_map(uow, SETTINGS, chain["admin"], purpose="other")
    assert found.purpose == "other"
    assert _shape(found) == (
        ["b", "c", "d"],
        [("b", "c"), ("c", "b"), ("c", "d"), ("d", "c")],
    )


@pytest.mark.parametrize(
    ("depth", "teams"), [(1, ["a", "b"]), (2, ["a", "b", "c"]), (3, ["a", "b", "c", "d"])]
)
def test_the_map_around_a_team_reaches_as_many_partnerships_out_as_asked(
    uow, chain, depth, teams
) -> None:
    found = trust.trust_map(uow, SETTINGS, chain["admin"], team="a", depth=depth)
    nodes, edges = _shape(found)
    assert nodes == teams
    # every pair inside the reach, and none outside it
    assert {t for pair in edges for t in pair} == set(teams)
    assert (found.team, found.depth) == ("a", depth)


def test_a_purpose_and_a_team_narrow_together(uow, chain) -> None:
    found = trust.trust_map(uow, SETTINGS, chain["admin"], purpose="other", team="d", depth=1)
    assert _shape(found) == (["c", "d"], [("c", "d"), ("d", "c")])


def test_a_narrowed_map_keeps_what_the_reader_may_see(uow, chain) -> None:
    """The lead of `a` may see the team trust of its partner `b`, not of `c`; narrowing the
    map to the other purpose does not lose that `b` is its partner's."""
    found = trust.trust_map(uow, SETTINGS, chain["a"], purpose="other")
    visible = {node.slug: node.overall is not None for node in found.nodes}
    assert visible == {"b": True, "c": False, "d": False}
    assert found.edges == []  # no pair of a's own team serves that purpose


def test_a_depth_out_of_range_or_an_unknown_scope_is_refused(uow, chain) -> None:
    with pytest.raises(Invalid) as refused:
        trust.trust_map(uow, SETTINGS, chain["admin"], team="a", depth=4)
    assert refused.value.field == "depth"
    with pytest.raises(NotFound):
        trust.trust_map(uow, SETTINGS, chain["admin"], purpose="no-such-purpose")
    with pytest.raises(NotFound):
        trust.trust_map(uow, SETTINGS, chain["admin"], team="no-such-team")
