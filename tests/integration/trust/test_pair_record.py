"""A pair's record through the service, on SQLite and PostgreSQL: the commitments behind its
trust, each with the weight it carries today, adding up to the r and s the pair's trust shows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord.commitments import service as commitments
from accord.errors import Forbidden, Invalid, NotFound
from accord.trust import pairs
from accord.trust import service as trust
from accord.trust.model import DIMENSIONS, decay_weight
from built_once import built_once
from factories import OPERATOR, SETTINGS, make_commitment, make_partners, make_person, make_team


@pytest.fixture
def org(request, engine, uow):
    """R asks P in `rp`; O is a third team of the organization, in no partnership with them."""
    return built_once(request, engine, lambda: build_org(uow))


def build_org(uow):
    rp = make_partners(uow, {"r": ("rita", "Asks"), "p": ("paul", "Delivers")}, key="rp")
    make_team(uow, "o")
    return {
        "r": rp["rita"],
        "p": rp["paul"],
        "p_member": make_person(uow, "pia@example.org", teams={"p": "member"}),
        "o": make_person(uow, "olga@example.org", teams={"o": "lead"}),
        "admin": make_person(uow, "root@example.org", role="admin"),
        "viewer": make_person(uow, "vic@example.org", role="viewer"),
    }


def move(uow, people, key: str, name: str, who: str, **args) -> None:
    version = commitments.get_commitment(uow, key).commitment.version
    commitments.move(uow, people[who], key, name, version=version, **args)


def history(uow, clock, org) -> None:
    """Every outcome of DESIGN §2's table for R and P, months apart, and a little noise."""
    due = clock.now + timedelta(days=10)
    make_commitment(uow, "rp", org["r"], "r", "p", key="on-time", due=due, reliance="low")
    move(uow, org, "on-time", "promise", "p")
    clock.advance(days=5)
    move(uow, org, "on-time", "report_done", "p")
    move(uow, org, "on-time", "accept", "r", value=4)

    clock.advance(days=90)
    make_commitment(uow, "rp", org["r"], "r", "p", key="late", due=clock.now + timedelta(days=3))
    move(uow, org, "late", "promise", "p")
    clock.advance(days=5)
    move(uow, org, "late", "report_done", "p")
    move(uow, org, "late", "accept", "r", value=2)

    clock.advance(days=60)
    make_commitment(uow, "rp", org["r"], "r", "p", key="revoked", due=clock.now + timedelta(days=9))
    move(uow, org, "revoked", "promise", "p")
    clock.advance(days=2)
    move(uow, org, "revoked", "revoke", "p", reason="The vendor went away")

    make_commitment(uow, "rp", org["r"], "r", "p", key="missed", due=clock.now + timedelta(days=4))
    move(uow, org, "missed", "promise", "p")
    make_commitment(uow, "rp", org["r"], "r", "p", key="declined")
    move(uow, org, "declined", "decline", "p", reason="Not ours to do")
    # the other direction is another pair
    make_commitment(
        uow, "rp", org["p"], "p", "r", key="other-way", due=clock.now + timedelta(days=1)
    )
    clock.advance(days=5)
    move(uow, org, "missed", "mark_missed", "r")

    make_commitment(uow, "rp", org["r"], "r", "p", key="overdue", due=clock.now + timedelta(days=1))
    move(uow, org, "overdue", "promise", "p")
    make_commitment(uow, "rp", org["r"], "r", "p", key="open", reliance="critical")
    clock.advance(days=20)


def test_each_outcome_is_a_row_newest_first_with_its_weight(uow, clock, org) -> None:
    history(uow, clock, org)

    record = pairs.pair_record(uow, SETTINGS, org["r"], "p", "r")

    assert [(row.key, row.outcome) for row in record.rows] == [
        ("overdue", "overdue"),
        ("missed", "missed"),
        ("revoked", "revoked"),
        ("late", "late"),
        ("on-time", "on_time"),
    ]
    assert [row.at for row in record.rows] == sorted((row.at for row in record.rows), reverse=True)
    for row in record.rows:
        assert row.weight == pytest.approx(decay_weight(row.age_days, 180.0))
        assert row.age_days == pytest.approx((clock.now - row.at).total_seconds() / 86_400)
    by_key = {row.key: row for row in record.rows}
    assert by_key["on-time"].evidence.rs("value") == pytest.approx(
        (0.75 * by_key["on-time"].weight, 0.25 * by_key["on-time"].weight)
    )
    assert by_key["late"].rating == 2
    assert by_key["late"].evidence.rs("ability") == (0.0, by_key["late"].weight)
    # revoked before its due date: P warned in time, so its word was kept
    assert by_key["revoked"].notice
    assert by_key["revoked"].evidence.rs("integrity") == (by_key["revoked"].weight, 0.0)
    assert by_key["revoked"].evidence.rs("value") == (0.0, 0.0)
    # missed and overdue count at their due dates
    assert by_key["missed"].at == by_key["missed"].due
    assert by_key["overdue"].at == by_key["overdue"].due
    assert [(row.key, row.reliance, row.overdue) for row in record.relied_on] == [
        ("open", "critical", False),
        ("overdue", "high", True),
    ]
    assert record.report.given == 1.0


def test_the_weights_add_up_to_the_r_and_s_the_pair_shows(uow, clock, org) -> None:
    history(uow, clock, org)

    record = pairs.pair_record(uow, SETTINGS, org["p_member"], "p", "r")
    shown = trust.trust_of(uow, SETTINGS, OPERATOR, "p", of="r")

    sums = record.sums()
    for name in DIMENSIONS:
        opinion = shown.trust.dimension(name)
        assert sums.rs(name) == pytest.approx((opinion.r, opinion.s), rel=1e-9, abs=1e-12)
        assert record.report.trust.dimension(name).r == pytest.approx(opinion.r, rel=1e-9)
    weights = sum(row.weight for row in record.rows)
    ability = shown.trust.ability
    assert weights == pytest.approx(ability.r + ability.s, rel=1e-9)
    rated = sum(row.weight for row in record.rows if row.rating is not None)
    assert rated == pytest.approx(shown.trust.value.r + shown.trust.value.s, rel=1e-9)


def test_as_of_a_past_instant_the_rows_and_sums_are_those_of_then(uow, clock, org) -> None:
    start = clock.now
    history(uow, clock, org)
    moment = start + timedelta(days=120)

    record = pairs.pair_record(uow, SETTINGS, org["admin"], "p", "r", as_of=moment)
    then = trust.trust_of(uow, SETTINGS, OPERATOR, "p", of="r", as_of=moment)

    assert [row.key for row in record.rows] == ["late", "on-time"]
    assert record.as_of == moment
    ability = then.trust.ability
    assert sum(row.weight for row in record.rows) == pytest.approx(ability.r + ability.s)


def test_the_figures_count_the_commitments_behind_them(uow, clock, org) -> None:
    history(uow, clock, org)

    record = pairs.pair_record(uow, SETTINGS, org["r"], "p", "r")

    ability = record.figure("ability")
    assert ability.counts.startswith("on time in 1 of 5 commitments")
    assert ability.counts.endswith(", recent ones weighing most")
    assert record.figure("value").counts.startswith("rated ")
    assert record.figure("overall").expected == record.report.trust.overall_expected


def test_a_pair_without_history_has_no_rows_and_too_little_evidence(uow, clock, org) -> None:
    record = pairs.pair_record(uow, SETTINGS, org["r"], "p", "r")

    assert record.rows == []
    assert record.relied_on == []
    assert not record.figure("ability").enough_evidence
    assert record.figure("ability").counts == "no finished commitment yet"


def test_only_the_two_teams_and_admins_see_a_pair_record(uow, clock, org) -> None:
    history(uow, clock, org)

    for who in ("r", "p", "p_member", "admin"):
        assert pairs.pair_record(uow, SETTINGS, org[who], "p", "r").rows
    for who in ("o", "viewer"):
        with pytest.raises(Forbidden):
            pairs.pair_record(uow, SETTINGS, org[who], "p", "r")
    with pytest.raises(Invalid):
        pairs.pair_record(uow, SETTINGS, org["r"], "p", "p")
    with pytest.raises(NotFound):
        pairs.pair_record(uow, SETTINGS, org["r"], "p", "nobody")


def test_rows_page_after_a_position(uow, clock, org) -> None:
    history(uow, clock, org)
    rows = pairs.pair_record(uow, SETTINGS, org["r"], "p", "r").rows

    at, key = pairs.row_position(rows[1])

    assert pairs.rows_after(rows, at, key) == rows[2:]
    with pytest.raises(Invalid):
        pairs.rows_after(rows, "yesterday", key)
