"""The health-check domain without a database: tallies, the anonymity rule, answer checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.errors import Invalid, RuleBroken
from accord.health.domain import (
    STATEMENTS,
    HealthCheck,
    Statement,
    Tally,
    as_trust,
    check_scores,
    results,
)
from accord.org.domain import MemberRole, Person, Team
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose

OPENED = datetime(2026, 6, 1, tzinfo=UTC)
CLOSES = OPENED + timedelta(days=14)
AFTER = CLOSES + timedelta(seconds=1)
GOOD = {s.value: 4 for s in Statement}


def a_round(*slugs: str) -> tuple[HealthCheck, dict[str, Team]]:
    teams = {slug: Team(slug=slug, name=slug.title()) for slug in slugs}
    purpose = Purpose(key="p", title="P", statement="S", sponsor=Person("s@x.org", "S"))
    partnership = Partnership(key="k", name="K", purpose=purpose)
    check = HealthCheck(
        key="k-1",
        partnership=partnership,
        opened_at=OPENED,
        closes_at=CLOSES,
        tallies=[Tally(team=team) for team in teams.values()],
    )
    return check, teams


def member(email: str, *teams: Team) -> Person:
    person = Person(email, email.split("@")[0])
    for team in teams:
        person.join(team, MemberRole.MEMBER)
    return person


def answer(check: HealthCheck, person: Person, team: Team | None = None, **scores: int) -> Team:
    return check.answer(person, team, check_scores({**GOOD, **scores}), "", OPENED)


def test_the_six_statements_are_designs() -> None:
    assert [s.value for s in Statement] == [
        "purpose",
        "direction",
        "ability",
        "integrity",
        "value",
        "overall",
    ]
    assert STATEMENTS[Statement.OVERALL] == "I feel we have entered into a trust-based partnership."


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({}, "purpose needs an answer from 1 to 5"),
        ({**GOOD, "ability": None}, "ability needs an answer from 1 to 5"),
        ({**GOOD, "value": 6}, "value must be a whole number from 1 to 5, not 6"),
        ({**GOOD, "value": 2.5}, "value must be a whole number from 1 to 5, not 2.5"),
        ({**GOOD, "overall": True}, "overall must be a whole number from 1 to 5, not True"),
        ({**GOOD, "overall": "3"}, "overall must be a whole number from 1 to 5, not '3'"),
        ({**GOOD, "mood": 3}, "mood is not a statement of the health check"),
    ],
)
def test_check_scores_names_what_is_wrong(scores: dict[str, object], message: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_scores(scores)
    assert str(refused.value) == message


def test_a_tally_counts_answers_never_who() -> None:
    tally = Tally(team=Team("data", "Data"))
    for ability in (5, 3, 4):
        tally.add(check_scores({**GOOD, "ability": ability}))
    assert tally.responses == 3
    assert tally.counts["ability"] == [0, 0, 1, 1, 1]
    assert tally.mean(Statement.ABILITY) == pytest.approx(4.0)
    assert Tally(team=Team("x", "X")).mean(Statement.ABILITY) is None


def test_as_trust_maps_the_scale_onto_zero_to_one() -> None:
    assert [as_trust(x) for x in (1, 2, 3, 4, 5)] == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_results_wait_for_the_close_and_the_threshold() -> None:
    check, teams = a_round("data", "care")
    for i in range(3):
        answer(check, member(f"d{i}@x.org", teams["data"]), ability=5 - i)
    for i in range(2):
        answer(check, member(f"c{i}@x.org", teams["care"]), ability=1)

    open_now = results(check, 3, OPENED)
    assert not open_now.published
    assert [(p.responses, p.shown) for p in open_now.parties] == [(3, False), (2, False)]
    assert open_now.combined == ()

    closed = results(check, 3, AFTER)
    data, care = closed.parties
    assert (data.shown, care.shown) == (True, False)
    assert data.mean(Statement.ABILITY) == pytest.approx(4.0)
    assert care.statements == ()
    assert care.comments == ()
    assert closed.combined == data.statements
    assert closed.mean(Statement.ABILITY) == pytest.approx(4.0)
    assert results(check, 2, AFTER).mean(Statement.ABILITY) == pytest.approx(14 / 5)


def test_the_round_closes_at_its_closing_instant() -> None:
    check, _ = a_round("data", "care")
    assert check.is_open(CLOSES - timedelta(microseconds=1))
    assert not check.is_open(CLOSES)
    assert results(check, 1, CLOSES).published


def test_comments_are_sorted_and_filed_under_the_party_only() -> None:
    check, teams = a_round("data", "care")
    for i, text in enumerate(["zulu", "alpha", "mike"]):
        person = member(f"d{i}@x.org", teams["data"])
        check.answer(person, None, check_scores(GOOD), f"  {text} ", OPENED)
    assert results(check, 3, AFTER).parties[0].comments == ("alpha", "mike", "zulu")


def test_answer_refusals() -> None:
    check, teams = a_round("data", "care")
    outsider = Person("o@x.org", "O")
    with pytest.raises(RuleBroken, match="not a member"):
        answer(check, outsider)
    both = member("b@x.org", teams["data"], teams["care"])
    with pytest.raises(Invalid, match="several parties"):
        answer(check, both)
    assert answer(check, both, teams["care"]).slug == "care"
    with pytest.raises(RuleBroken, match="already answered"):
        answer(check, both, teams["data"])
    late = member("l@x.org", teams["data"])
    with pytest.raises(RuleBroken, match="closed"):
        check.answer(late, None, check_scores(GOOD), "", CLOSES)
    assert [t.responses for t in check.tallies] == [0, 1]


@given(
    shown=st.lists(st.integers(1, 5), min_size=3, max_size=8),
    hidden=st.lists(st.integers(1, 5), min_size=0, max_size=2),
    extra=st.integers(1, 5),
)
def test_one_more_answer_of_a_hidden_party_changes_nothing_but_its_count(
    shown: list[int], hidden: list[int], extra: int
) -> None:
    """Whatever the answers, a party under the threshold leaves every shown number as it was."""
    check, teams = a_round("data", "care")
    for i, value in enumerate(shown):
        answer(check, member(f"d{i}@x.org", teams["data"]), ability=value)
    for i, value in enumerate(hidden):
        answer(check, member(f"c{i}@x.org", teams["care"]), ability=value)
    before = results(check, 3, AFTER)
    if len(hidden) < 2:
        answer(check, member("new@x.org", teams["care"]), ability=extra)
        # answered in time, read after the close: the party is still under the threshold
    after = results(check, 3, AFTER)
    assert after.combined == before.combined == before.parties[0].statements
    assert not after.parties[1].shown
    assert after.parties[1].statements == ()


def test_responses_counted_without_their_answers_never_show() -> None:
    """An imported round may say how many answered without the answers; live answers added to
    it later are fewer than its responses, and would show a smaller group than it claims."""
    check, teams = a_round("data", "care")
    check.tally(teams["data"]).responses = 2  # imported: two answered, their counts withheld
    for n in range(3):
        answer(check, member(f"m{n}@x.org", teams["data"]))

    [data, _] = results(check, 3, AFTER).parties

    assert (data.responses, data.shown, data.statements) == (5, False, ())
