"""Health-check rounds through the services, on SQLite and PostgreSQL: who may open and answer,
what the results show, and that no answer can be read off them."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest

from accord.errors import Conflict, Forbidden, Invalid, NotFound, RuleBroken
from accord.health import service as health
from accord.health.domain import Statement
from accord.partnerships import service as partnerships
from factories import (
    OPERATOR,
    SETTINGS,
    events_after,
    last_event_id,
    make_commitment,
    make_partnership,
)
from statements import statements_during

GOOD = {"purpose": 4, "direction": 4, "ability": 5, "integrity": 4, "value": 3, "overall": 4}


def scores(**changes: int) -> dict[str, object]:
    return {**GOOD, **changes}


def open_signals(uow, world, days: int = 14, **kwargs: Any):
    return health.open_round(
        uow, SETTINGS, world["ana"], "signals", uow.now() + timedelta(days=days), **kwargs
    )


def tally_of(uow, key: str) -> dict[str, int]:
    state = health.get_round(uow, OPERATOR, key)
    return {t.team.slug: t.responses for t in state.check.tallies}


def close(clock, uow, key: str) -> None:
    clock.now = health.get_round(uow, OPERATOR, key).check.closes_at


# Opening a round.


def test_a_lead_of_a_party_opens_a_round_with_a_tally_per_party(uow, world) -> None:
    mark = last_event_id(uow)
    check = open_signals(uow, world)

    assert check.key == "signals-2026-06-01"
    assert tally_of(uow, check.key) == {"data": 0, "care": 0}
    [event] = events_after(uow, mark)
    assert (event.type, event.subject, event.actor) == (
        "health_check.opened",
        "health_check:signals-2026-06-01",
        "ana@example.org",
    )
    assert event.payload == {
        "partnership": "signals",
        "closes_at": "2026-06-15T00:00:00Z",
        "parties": ["data", "care"],
    }


@pytest.mark.parametrize(
    ("who", "rule"),
    [
        ("cy", "permission.party_lead"),
        ("fay", "permission.party_lead"),
        ("vi", "permission.viewer"),
        ("adm", "permission.party_lead"),
    ],
)
def test_only_a_lead_of_a_party_opens_a_round(uow, world, who: str, rule: str) -> None:
    mark = last_event_id(uow)
    with pytest.raises(Forbidden) as refused:
        health.open_round(uow, SETTINGS, world[who], "signals", uow.now() + timedelta(days=7))
    assert refused.value.rule == rule
    assert last_event_id(uow) == mark
    assert health.rounds_of(uow, SETTINGS, OPERATOR, "signals") == []


@pytest.mark.parametrize(
    ("days", "words"),
    [(0, "in the future"), (-1, "in the future"), (91, "at most 90 days")],
)
def test_the_closing_date_is_ahead_and_within_90_days(uow, world, days: int, words: str) -> None:
    with pytest.raises(Invalid, match=words) as refused:
        open_signals(uow, world, days=days)
    assert refused.value.rule == "health_check.closes_invalid"
    assert str(refused.value).startswith("the closing time")
    assert refused.value.field == "closes_at"
    assert health.rounds_of(uow, SETTINGS, OPERATOR, "signals") == []


def test_one_open_round_at_a_time(uow, clock, world) -> None:
    first = open_signals(uow, world)
    with pytest.raises(RuleBroken) as refused:
        health.open_round(uow, SETTINGS, world["bo"], "signals", uow.now() + timedelta(days=3))
    assert refused.value.rule == "health_check.round_open"
    close(clock, uow, first.key)
    second = open_signals(uow, world)
    assert [r.check.key for r in health.rounds_of(uow, SETTINGS, OPERATOR, "signals")] == [
        first.key,
        second.key,
    ]


def test_a_concluded_partnership_takes_no_round(uow, world) -> None:
    partnerships.set_status(uow, world["ana"], "signals", "concluded")
    with pytest.raises(RuleBroken) as refused:
        open_signals(uow, world)
    assert refused.value.rule == "health_check.partnership_closed"


def test_a_given_key_is_checked_and_unique(uow, clock, world) -> None:
    with pytest.raises(Invalid):
        open_signals(uow, world, key="Not A Slug")
    first = open_signals(uow, world, key="q2")
    close(clock, uow, first.key)
    with pytest.raises(Conflict):
        open_signals(uow, world, key="q2")


def test_an_unknown_partnership_is_not_found(uow, world) -> None:
    with pytest.raises(NotFound):
        health.open_round(uow, SETTINGS, world["ana"], "nope", uow.now() + timedelta(days=3))


# Answering.


def test_a_member_answers_once_and_only_the_party_is_recorded(uow, world) -> None:
    check = open_signals(uow, world)
    mark = last_event_id(uow)

    team = health.answer(uow, world["cy"], check.key, scores(), "Good start")

    assert team.slug == "data"
    assert tally_of(uow, check.key) == {"data": 1, "care": 0}
    [event] = events_after(uow, mark)
    assert (event.type, event.payload) == ("health_check.answered", {"team": "data"})
    with pytest.raises(RuleBroken) as again:
        health.answer(uow, world["cy"], check.key, scores(ability=1))
    assert again.value.rule == "health_check.already_answered"
    assert tally_of(uow, check.key) == {"data": 1, "care": 0}
    assert health.get_round(uow, world["cy"], check.key).answered
    assert not health.get_round(uow, world["dan"], check.key).answered


@pytest.mark.parametrize(
    ("who", "rule"),
    [
        ("fay", "health_check.not_a_member"),
        ("adm", "health_check.not_a_member"),
        ("vi", "permission.viewer"),
    ],
)
def test_only_members_of_a_party_answer(uow, world, who: str, rule: str) -> None:
    check = open_signals(uow, world)
    mark = last_event_id(uow)
    with pytest.raises(Forbidden) as refused:
        health.answer(uow, world[who], check.key, scores())
    assert refused.value.rule == rule
    assert last_event_id(uow) == mark
    assert tally_of(uow, check.key) == {"data": 0, "care": 0}


def test_a_person_in_two_parties_names_the_team(uow, world) -> None:
    check = open_signals(uow, world)
    with pytest.raises(Invalid) as refused:
        health.answer(uow, world["tom"], check.key, scores())
    assert refused.value.rule == "health_check.team_needed"
    with pytest.raises(Forbidden):
        health.answer(uow, world["cy"], check.key, scores(), team="care")
    assert health.answer(uow, world["tom"], check.key, scores(), team="care").slug == "care"
    assert tally_of(uow, check.key) == {"data": 0, "care": 1}
    with pytest.raises(RuleBroken):
        health.answer(uow, world["tom"], check.key, scores(), team="data")


@pytest.mark.parametrize(
    ("given", "rule"),
    [
        ({k: v for k, v in GOOD.items() if k != "value"}, "health_check.answer_missing"),
        (scores(ability=6), "health_check.answer_out_of_range"),
        (scores(ability=0), "health_check.answer_out_of_range"),
        (scores(ability="4"), "health_check.answer_out_of_range"),  # type: ignore[arg-type]
        ({**GOOD, "mood": 3}, "health_check.unknown_statement"),
    ],
)
def test_bad_answers_are_refused_and_count_nothing(uow, world, given, rule: str) -> None:
    check = open_signals(uow, world)
    with pytest.raises(Invalid) as refused:
        health.answer(uow, world["cy"], check.key, given)
    assert refused.value.rule == rule
    assert tally_of(uow, check.key) == {"data": 0, "care": 0}
    assert not health.get_round(uow, world["cy"], check.key).answered


def test_a_comment_longer_than_2000_characters_is_refused(uow, world) -> None:
    check = open_signals(uow, world)
    with pytest.raises(Invalid, match="2000"):
        health.answer(uow, world["cy"], check.key, scores(), "x" * 2001)
    assert tally_of(uow, check.key) == {"data": 0, "care": 0}


def test_a_closed_round_refuses_answers(uow, clock, world) -> None:
    check = open_signals(uow, world)
    close(clock, uow, check.key)
    with pytest.raises(RuleBroken) as refused:
        health.answer(uow, world["cy"], check.key, scores())
    assert refused.value.rule == "health_check.closed"


def test_my_desk_lists_the_rounds_i_may_still_answer(uow, world) -> None:
    check = open_signals(uow, world)
    assert [c.key for c in health.to_answer(uow, world["cy"])] == [check.key]
    assert [c.key for c in health.to_answer(uow, world["tom"])] == [check.key]
    assert health.to_answer(uow, world["fay"]) == []
    assert health.to_answer(uow, world["vi"]) == []
    health.answer(uow, world["cy"], check.key, scores())
    assert health.to_answer(uow, world["cy"]) == []


def test_two_answers_at_once_are_both_counted(uow, make_uow, world) -> None:
    check = open_signals(uow, world)
    barrier = threading.Barrier(2)
    outcomes: list[Any] = [None, None]

    def answer(index: int, who: str) -> None:
        barrier.wait(timeout=5)
        try:
            outcomes[index] = health.answer(make_uow(), world[who], check.key, scores())
        except Exception as error:  # the test looks at what each thread got
            outcomes[index] = error

    threads = [threading.Thread(target=answer, args=(i, w)) for i, w in enumerate(["cy", "dan"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [getattr(o, "slug", o) for o in outcomes] == ["data", "data"]
    assert tally_of(uow, check.key) == {"data": 2, "care": 0}
    results = health.round_results(uow, SETTINGS, OPERATOR, check.key)
    assert results.responses == 2


# Results and the anonymity rule.


def answer_all(uow, key: str, world, people: list[str], **changes: int) -> None:
    for name in people:
        health.answer(uow, world[name], key, scores(**changes), f"from {name}")


def test_results_show_only_after_the_close_and_for_parties_with_enough_answers(
    uow, clock, world
) -> None:
    check = open_signals(uow, world)
    health.answer(uow, world["cy"], check.key, scores(ability=5), "zebra crossing")
    health.answer(uow, world["dan"], check.key, scores(ability=3), "apples")
    health.answer(uow, world["ed"], check.key, scores(ability=4))
    answer_all(uow, check.key, world, ["dee", "eve"])

    while_open = health.round_results(uow, SETTINGS, world["cy"], check.key)
    assert not while_open.published
    assert [(p.team.slug, p.responses, p.shown) for p in while_open.parties] == [
        ("data", 3, False),
        ("care", 2, False),
    ]
    assert all(p.statements == () and p.comments == () for p in while_open.parties)
    assert while_open.combined == ()

    close(clock, uow, check.key)
    closed = health.round_results(uow, SETTINGS, world["cy"], check.key)
    data, care = closed.parties
    assert closed.published
    assert data.shown
    assert not care.shown
    assert data.mean(Statement.ABILITY) == pytest.approx(4.0)
    assert {r.statement: r.distribution for r in data.statements}[Statement.ABILITY] == (
        0,
        0,
        1,
        1,
        1,
    )
    assert data.comments == ("apples", "zebra crossing")  # by text, not in the order given
    assert care.statements == ()
    assert care.comments == ()
    # The combined results are the shown party's alone: nothing of care can be subtracted out.
    assert closed.combined == data.statements


def test_results_are_for_the_parties_and_admins(uow, world) -> None:
    check = open_signals(uow, world)
    for who in ("cy", "bo", "tom", "adm"):
        assert health.round_results(uow, SETTINGS, world[who], check.key).check.key == check.key
    for who in ("fay", "vi"):
        with pytest.raises(Forbidden) as refused:
            health.round_results(uow, SETTINGS, world[who], check.key)
        assert refused.value.rule == "health_check.not_visible"
        with pytest.raises(Forbidden):
            health.rounds_of(uow, SETTINGS, world[who], "signals")
        assert health.latest_rounds(uow, SETTINGS, world[who]) == []
    assert [r.check.key for r in health.latest_rounds(uow, SETTINGS, world["adm"])] == [check.key]


def snapshot(found) -> Any:
    """Everything a results read shows but the response counts."""
    return (
        found.published,
        [(p.team.slug, p.shown, p.statements, p.comments) for p in found.parties],
        found.combined,
        dict(found.perception),
    )


def test_no_single_answer_can_be_read_off_a_change_in_the_results(uow, clock, world) -> None:
    """Before and after one answer, every view differs only in the response counts; and the
    party that lacks answers never shows, in its own row, the combined row or any list."""
    check = open_signals(uow, world)
    answer_all(uow, check.key, world, ["cy", "dan"], ability=2)
    answer_all(uow, check.key, world, ["dee", "eve"], ability=4)
    readers = [world["ana"], world["bo"], world["adm"]]

    def views(reader) -> list[Any]:
        return [
            snapshot(health.round_results(uow, SETTINGS, reader, check.key)),
            [snapshot(r) for r in health.rounds_of(uow, SETTINGS, reader, "signals")],
            [snapshot(r) for r in health.latest_rounds(uow, SETTINGS, reader)],
        ]

    before = {r.email: views(r) for r in readers}
    health.answer(uow, world["ed"], check.key, scores(ability=5), "only ed says this")
    after = {r.email: views(r) for r in readers}
    assert before == after
    counts = health.round_results(uow, SETTINGS, world["ana"], check.key)
    assert [p.responses for p in counts.parties] == [3, 2]

    close(clock, uow, check.key)
    for reader in readers:
        for found in (
            health.round_results(uow, SETTINGS, reader, check.key),
            *health.rounds_of(uow, SETTINGS, reader, "signals"),
            *health.latest_rounds(uow, SETTINGS, reader),
        ):
            data, care = found.parties
            assert data.shown
            assert not care.shown
            assert care.statements == ()
            assert care.comments == ()
            assert found.combined == data.statements
            assert "care" not in found.perception
    # Once published, nobody can add one more answer to compare against.
    with pytest.raises(RuleBroken):
        health.answer(uow, world["fin"], check.key, scores())


def test_the_trend_lists_every_round_oldest_first(uow, clock, world) -> None:
    first = open_signals(uow, world)
    answer_all(uow, first.key, world, ["cy", "dan", "ed"], overall=2)
    close(clock, uow, first.key)
    clock.advance(days=30)
    second = open_signals(uow, world)
    answer_all(uow, second.key, world, ["cy", "dan", "ed"], overall=5)
    close(clock, uow, second.key)

    trend = health.rounds_of(uow, SETTINGS, world["cy"], "signals")
    assert [(r.check.key, r.mean(Statement.OVERALL)) for r in trend] == [
        (first.key, 2.0),
        (second.key, 5.0),
    ]
    [latest] = health.latest_rounds(uow, SETTINGS, world["cy"])
    assert latest.check.key == second.key


# The perception gap.


def test_the_perception_gap_sets_surveyed_beside_earned_trust(uow, clock, world) -> None:
    """The earned side is the record when the round opened, the one its people answered on:
    a delivery accepted while the round is open does not move it."""
    from accord.commitments import service as commitments

    make_commitment(uow, "signals", world["bo"], "care", "data", key="scores")
    check = open_signals(uow, world)
    answer_all(uow, check.key, world, ["dee", "eve", "fin"], ability=5, integrity=3, value=1)
    clock.advance(days=1)
    for who, move, args in (
        ("ana", "promise", {}),
        ("ana", "report_done", {"note": "Live"}),
        ("bo", "accept", {"value": 5}),
    ):
        commitments.move(uow, world[who], "scores", move, version=None, **args)
    close(clock, uow, check.key)

    found = health.round_results(uow, SETTINGS, world["dee"], check.key)
    rows = {p.statement: p for p in found.perception["care"]}
    assert set(rows) == {Statement.ABILITY, Statement.INTEGRITY, Statement.VALUE}
    assert rows[Statement.ABILITY].surveyed == pytest.approx(1.0)
    assert rows[Statement.INTEGRITY].surveyed == pytest.approx(0.5)
    assert rows[Statement.VALUE].surveyed == pytest.approx(0.0)
    from accord.trust import service as trust

    earned = trust.trust_of(uow, SETTINGS, OPERATOR, "data", of="care", as_of=check.opened_at)
    later = trust.trust_of(uow, SETTINGS, OPERATOR, "data", of="care", as_of=check.closes_at)
    for statement, row in rows.items():
        expected = earned.trust.dimension(statement.value).expected
        assert row.earned == pytest.approx(expected)
        assert row.gap == pytest.approx(row.surveyed - expected)
    assert later.trust.ability.expected > earned.trust.ability.expected  # the delivery counted


def test_the_earned_side_needs_every_pair_in_view(uow, clock, world) -> None:
    """In a three-party round, a member of one party sees another party's surveyed values but
    not the trust earned between that party and the third."""
    make_partnership(
        uow,
        world["ana"],
        key="trio",
        purpose="churn",
        parties=[("data", "Data"), ("care", "Care"), ("ops", "Ops")],
    )
    check = health.open_round(uow, SETTINGS, world["ana"], "trio", uow.now() + timedelta(days=7))
    answer_all(uow, check.key, world, ["dee", "eve", "fin"])
    close(clock, uow, check.key)

    by_cy = health.round_results(uow, SETTINGS, world["cy"], check.key).perception["care"]
    assert all(p.earned is None and p.gap is None for p in by_cy)
    assert all(p.surveyed is not None for p in by_cy)
    for who in ("dee", "adm"):
        seen = health.round_results(uow, SETTINGS, world[who], check.key).perception["care"]
        assert all(p.earned is not None for p in seen)


# Import of aggregates.


def test_imported_rounds_and_tallies_are_for_admins(uow, world) -> None:
    start = uow.now() - timedelta(days=60)
    with pytest.raises(Forbidden):
        health.open_round(
            uow,
            SETTINGS,
            world["ana"],
            "signals",
            start + timedelta(days=14),
            opened_at=start,
            imported=True,
        )
    check = health.open_round(
        uow,
        SETTINGS,
        OPERATOR,
        "signals",
        start + timedelta(days=14),
        opened_at=start,
        imported=True,
    )
    counts = {s.value: [0, 0, 1, 2, 0] for s in Statement}
    with pytest.raises(Forbidden):
        health.set_tallies(uow, world["ana"], check.key, {"data": (3, counts)})
    bad = {**counts, "value": [0, 0, 1, 1, 0]}
    with pytest.raises(Invalid, match="adding up"):
        health.set_tallies(uow, OPERATOR, check.key, {"data": (3, bad)})
    with pytest.raises(RuleBroken):
        health.set_tallies(uow, OPERATOR, check.key, {"ops": (3, counts)})
    mark = last_event_id(uow)
    health.set_tallies(
        uow,
        OPERATOR,
        check.key,
        {"data": (3, counts), "care": (2, None)},
        comments={"data": ["Solid"]},
    )
    [event] = events_after(uow, mark)
    assert event.payload == {"responses": {"data": 3, "care": 2}}  # never the results
    found = health.round_results(uow, SETTINGS, world["cy"], check.key)
    data, care = found.parties
    assert data.mean(Statement.ABILITY) == pytest.approx(11 / 3)
    assert data.comments == ("Solid",)
    assert (care.responses, care.shown) == (2, False)
    # An overlapping imported round is refused; a later one is not.
    with pytest.raises(RuleBroken):
        health.open_round(
            uow,
            SETTINGS,
            OPERATOR,
            "signals",
            start + timedelta(days=20),
            opened_at=start + timedelta(days=10),
            imported=True,
        )


def test_the_database_keeps_no_answer_or_comment_in_the_order_given(uow, world) -> None:
    """Read straight from the tables: counts and sorted comments per party, who answered apart,
    so no row order or id pairs an answer or a comment with the person who gave it."""
    from sqlalchemy import inspect, text

    check = open_signals(uow, world)
    for name, comment, ability in (("ed", "zebra", 1), ("cy", "apples", 5), ("dan", "mango", 3)):
        health.answer(uow, world[name], check.key, scores(ability=ability), comment)

    with uow.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        rows = connection.execute(
            text(
                "SELECT t.responses, t.counts, t.comments FROM health_tallies t "
                "JOIN teams ON teams.id = t.team_id WHERE teams.slug = 'data'"
            )
        ).one()
        respondent_columns = {
            c["name"] for c in inspect(connection).get_columns("health_respondents")
        }
    responses = rows[0]
    counts, comments = (json.loads(v) if isinstance(v, str) else v for v in rows[1:])
    assert responses == 3
    assert counts["ability"] == [1, 0, 1, 0, 1]
    assert comments == ["apples", "mango", "zebra"]
    assert respondent_columns == {"id", "health_check_id", "person_id"}
    assert not {name for name in tables if "answer" in name or "comment" in name}


# What reading costs: no query per round or partnership where one for all will do.


def queries_of(uow, read: Any) -> int:
    return len(statements_during(uow.engine, read))


def closed_rounds(uow, partnership: str, rounds: int, first_days_ago: int = 400) -> None:
    counts = {s.value: [0, 0, 1, 2, 0] for s in Statement}
    start = uow.now() - timedelta(days=first_days_ago)
    for n in range(rounds):
        opened = start + timedelta(days=30 * n)
        check = health.open_round(
            uow,
            SETTINGS,
            OPERATOR,
            partnership,
            opened + timedelta(days=14),
            opened_at=opened,
            imported=True,
        )
        health.set_tallies(uow, OPERATOR, check.key, {"data": (3, counts), "care": (3, counts)})


def test_the_trend_without_the_perception_gap_costs_the_same_for_any_number_of_rounds(
    uow, world
) -> None:
    """The partnership page shows the gap of the latest round only: its trend must not read
    earned trust for every round and partner."""
    closed_rounds(uow, "signals", 2)
    few = queries_of(
        uow, lambda: health.rounds_of(uow, SETTINGS, world["cy"], "signals", perception=False)
    )
    closed_rounds(uow, "signals", 6, first_days_ago=300)
    trend: list[Any] = []
    many = queries_of(
        uow,
        lambda: trend.extend(
            health.rounds_of(uow, SETTINGS, world["cy"], "signals", perception=False)
        ),
    )
    assert len(trend) == 8
    assert all(r.published and r.perception == {} for r in trend)
    assert many == few
    with_gap = health.rounds_of(uow, SETTINGS, world["cy"], "signals")
    assert all(set(r.perception) == {"data", "care"} for r in with_gap)


def test_the_latest_rounds_cost_the_same_for_any_number_of_partnerships(uow, world) -> None:
    ana, bo = world["ana"], world["bo"]

    def partnerships_with_a_round(names: list[str]) -> None:
        for name in names:
            make_partnership(
                uow,
                ana,
                key=name,
                purpose="churn",
                parties=[("data", "A"), ("care", "B")],
                affirmed_by=[ana, bo],
            )
            closed_rounds(uow, name, 1)

    partnerships_with_a_round(["p1", "p2"])
    few = queries_of(uow, lambda: health.latest_rounds(uow, SETTINGS, world["adm"]))
    partnerships_with_a_round([f"p{n}" for n in range(3, 12)])
    latest: list[Any] = []
    many = queries_of(uow, lambda: latest.extend(health.latest_rounds(uow, SETTINGS, world["adm"])))
    assert len(latest) == 11
    assert many == few


def test_the_latest_published_round_stands_beside_a_newer_open_one(uow, clock, world) -> None:
    first = open_signals(uow, world, days=7)
    answer_all(uow, first.key, world, ["cy", "dan", "ed"], ability=2)
    close(clock, uow, first.key)
    second = open_signals(uow, world, days=7)

    [latest] = health.latest_rounds(uow, SETTINGS, world["adm"])
    [published] = health.latest_rounds(uow, SETTINGS, world["adm"], published=True)

    assert (latest.check.key, latest.published) == (second.key, False)
    assert latest.combined == ()
    assert (published.check.key, published.published) == (first.key, True)
    assert published.mean(Statement.ABILITY) == pytest.approx(2.0)
    assert health.latest_rounds(uow, SETTINGS, world["fay"], published=True) == []
