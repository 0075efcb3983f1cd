"""Trust through its services on SQLite and PostgreSQL: the worked example, the upkeep against
a rebuild from the log, as-of replays, who may see what, forecasts and the backtest."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from accord.commitments import service as commitments
from accord.commitments.domain import State
from accord.errors import Forbidden, Invalid, NotFound, RuleBroken
from accord.trust import backtest as backtesting
from accord.trust import forecast as forecasts
from accord.trust import service as trust
from accord.trust.domain import fold, ledger
from accord.trust.model import Opinion, organization_rate
from accord.trust.orm import trust_pairs_table, trust_state_table, trust_tracks_table
from accord.trust.repository import TrustStore
from built_once import built_once
from factories import OPERATOR, SETTINGS, make_commitment, make_partners, make_person, make_team

START = datetime(2026, 6, 1, tzinfo=UTC)
EPSILON = timedelta(microseconds=1)


@pytest.fixture
def org(request, engine, uow):
    """R (requester) and P (performer) in partnership `rp`; O is a third team, X an outsider."""
    return built_once(request, engine, lambda: build_org(uow))


def build_org(uow):
    parties = {"r": ("rita", "Asks"), "p": ("paul", "Delivers"), "o": ("olga", "Advises")}
    rp = make_partners(uow, parties, key="rp")
    make_team(uow, "x")
    return {
        "r": rp["rita"],
        "p": rp["paul"],
        "o": rp["olga"],
        "o_member": make_person(uow, "omar@example.org", teams={"o": "member"}),
        "x": make_person(uow, "xena@example.org", teams={"x": "lead"}),
        "admin": make_person(uow, "root@example.org", role="admin"),
    }


def play(uow, people, key: str, moves: list[tuple[str, str, datetime, dict[str, Any]]]) -> None:
    for move, who, at, args in moves:
        commitment = commitments.get_commitment(uow, key).commitment
        commitments.move(uow, people[who], key, move, version=commitment.version, at=at, **args)


def worked_example(uow, clock, people, *, success_age_days: float = 0) -> datetime:
    """DESIGN §2: one accepted on time (value 5), one missed without notice; returns T."""
    moment = START + timedelta(days=400)
    accepted_at = moment - timedelta(days=success_age_days)
    make_commitment(
        uow, "rp", people["r"], "r", "p", key="good", due=accepted_at + timedelta(days=1)
    )
    make_commitment(uow, "rp", people["r"], "r", "p", key="bad", due=moment)
    play(
        uow,
        people,
        "good",
        [
            ("promise", "p", START + timedelta(days=1), {}),
            ("report_done", "p", accepted_at - timedelta(hours=1), {}),
            ("accept", "r", accepted_at, {"value": 5}),
        ],
    )
    play(
        uow,
        people,
        "bad",
        [
            ("promise", "p", START + timedelta(days=1), {}),
            ("mark_missed", "r", moment + EPSILON, {}),
        ],
    )
    clock.now = moment + timedelta(days=1)
    return moment + EPSILON


def test_worked_example_through_the_service(uow, clock, org) -> None:
    moment = worked_example(uow, clock, org)
    report = trust.trust_of(uow, SETTINGS, OPERATOR, "p", as_of=moment).document()
    assert report["ability"]["expected"] == pytest.approx(0.5, abs=1e-6)
    assert report["ability"]["uncertainty"] == pytest.approx(0.5, abs=1e-6)
    assert report["integrity"]["expected"] == pytest.approx(0.5, abs=1e-6)
    assert report["value"]["expected"] == pytest.approx(0.777778, abs=1e-6)
    assert report["value"]["uncertainty"] == pytest.approx(0.666667, abs=1e-6)
    overall = {key: report["overall"][key] for key in ("expected", "uncertainty")}
    assert overall == pytest.approx({"expected": 0.583333, "uncertainty": 0.55}, abs=1e-6)
    assert report["as_of"] == "2027-07-06T00:00:00.000001Z"


def test_worked_example_with_the_success_180_days_before(uow, clock, org) -> None:
    moment = worked_example(uow, clock, org, success_age_days=180)
    team = trust.trust_of(uow, SETTINGS, OPERATOR, "p", as_of=moment)
    assert team.trust.ability.r == pytest.approx(0.5, abs=1e-6)
    assert team.trust.ability.base_rate == pytest.approx(0.428571, abs=1e-6)
    assert team.trust.ability.expected == pytest.approx(0.387755, abs=1e-6)
    pair = trust.trust_of(uow, SETTINGS, OPERATOR, "p", of="r", as_of=moment)
    assert pair.trust.ability.expected == pytest.approx(0.413534, abs=1e-6)
    assert pair.trust.ability.uncertainty == pytest.approx(0.842105, abs=1e-6)
    # the good one is high reliance and done; nothing open is relied on
    assert pair.given == 0.0
    assert pair.gap == pytest.approx(-0.413534, abs=1e-6)


def stored(engine) -> dict[str, Any]:
    with engine.connect() as connection:
        state = dict(connection.execute(select(trust_state_table)).mappings().one())
        state.pop("version")
        # added and taken away as commitments fall due and settle: equal up to rounding
        for name in ("overdue_notice", "overdue_silent"):
            state[name] = pytest.approx(state[name], rel=1e-9, abs=1e-9)
        return {
            "state": state,
            "pairs": [
                dict(r)
                for r in connection.execute(
                    select(trust_pairs_table).order_by(
                        trust_pairs_table.c.requester_id, trust_pairs_table.c.performer_id
                    )
                ).mappings()
            ],
            "tracks": [
                dict(r)
                for r in connection.execute(
                    select(trust_tracks_table).order_by(trust_tracks_table.c.commitment_id)
                ).mappings()
            ],
        }


ARGS = {
    "decline": lambda rng, now: {"reason": "No capacity"},
    "revoke": lambda rng, now: {"reason": "Priorities changed"},
    "reject": lambda rng, now: {"reason": "Not what we asked"},
    "accept": lambda rng, now: {"value": rng.randint(1, 5)},
    "counter": lambda rng, now: {"due": now + timedelta(days=rng.randint(5, 40))},
    "revise": lambda rng, now: {
        "due": now + timedelta(days=rng.randint(5, 40)),
        "reliance": rng.choice(["none", "high", "critical"]),
    },
    "propose_change": lambda rng, now: {"due": now + timedelta(days=rng.randint(5, 40))},
}


def random_history(uow, clock, people, seed: int, steps: int) -> None:
    """Requests and random allowed moves between r, p and o over many months."""
    rng = random.Random(seed)
    teams = ["r", "p", "o"]
    open_keys: list[str] = []
    for step in range(steps):
        clock.advance(hours=rng.randint(1, 24 * 3))
        if not open_keys or rng.random() < 0.25:
            requester, performer = rng.sample(teams, 2)
            key = f"c{seed}-{step}"
            make_commitment(
                uow,
                "rp",
                people[requester],
                requester,
                performer,
                key=key,
                due=clock.now + timedelta(days=rng.randint(3, 30)),
                reliance=rng.choice(["none", "low", "medium", "high", "critical"]),
            )
            open_keys.append(key)
            continue
        key = rng.choice(open_keys)
        commitment = commitments.get_commitment(uow, key).commitment
        moves = []
        for who in (commitment.requester.slug, commitment.performer.slug):
            moves += [
                (m, who) for m in commitments.get_commitment(uow, key, people[who]).allowed_moves
            ]
        if not moves:
            continue
        weights = [4 if m.value in ("promise", "report_done", "accept") else 1 for m, _ in moves]
        move, who = rng.choices(moves, weights)[0]
        args = ARGS.get(move.value, lambda rng, now: {})(rng, clock.now)
        try:
            commitments.move(uow, people[who], key, move, version=commitment.version, **args)
        except RuleBroken:  # accepting a counter or change whose due date has passed
            continue
        if commitments.get_commitment(uow, key).commitment.state in (
            State.ACCEPTED,
            State.DECLINED,
            State.WITHDRAWN,
            State.REVOKED,
            State.MISSED,
        ):
            open_keys.remove(key)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_upkeep_equals_a_rebuild_from_the_log(
    engine, uow, clock, org, seed, monkeypatch
) -> None:
    random_history(uow, clock, org, seed, steps=160)
    kept = stored(engine)
    assert kept["pairs"], "the history finished no commitment"
    assert kept["tracks"], "the history left nothing open"
    # the rebuild reads the log a batch at a time (here 7 events), never all of it at once
    monkeypatch.setattr(TrustStore.commitment_events, "__kwdefaults__", {"upto": None, "batch": 7})
    monkeypatch.setattr(TrustStore.commitment_events_by_time, "__kwdefaults__", {"batch": 7})
    report = trust.rebuild(uow, SETTINGS, OPERATOR)
    assert report.commitments > 20
    with uow:
        assert report.events == uow.trust.count_commitment_events() > 7
    assert stored(engine) == kept  # bit for bit: the same fold in the same order


def test_reads_of_the_stored_sums_equal_a_replay_of_the_log(engine, uow, clock, org) -> None:
    random_history(uow, clock, org, 3, steps=160)
    later = clock.now + timedelta(days=20)  # some open commitments become overdue by then
    with uow:
        tracks = fold(uow.trust.commitment_events())
    replayed = ledger(tracks.values(), later, SETTINGS.half_life_days)
    assert any(t.overdue(later) for t in tracks.values())
    for team, of in (("p", None), ("r", None), ("p", "r"), ("o", "p"), ("r", "o")):
        fast = trust.trust_of(uow, SETTINGS, OPERATOR, team, of=of, as_of=later)
        assert isinstance(fast, trust.TrustReport)
        evidence = replayed.pair(of, team) if of else replayed.team(team)
        for name in ("ability", "integrity", "value"):
            r, s = evidence.rs(name)
            assert fast.trust.dimension(name).r == pytest.approx(r, rel=1e-9, abs=1e-12)
            assert fast.trust.dimension(name).s == pytest.approx(s, rel=1e-9, abs=1e-12)
        org_r, org_s = replayed.org.rs("ability")
        if of is None:
            assert fast.trust.ability.base_rate == pytest.approx(organization_rate(org_r, org_s))
        else:
            assert fast.given == replayed.given.get((of, team), 0.0)


def test_as_of_in_the_past_replays_what_was_known_then(uow, clock, org) -> None:
    make_commitment(uow, "rp", org["r"], "r", "p", key="one", due=START + timedelta(days=30))
    play(
        uow,
        org,
        "one",
        [
            ("promise", "p", START + timedelta(days=1), {}),
            ("report_done", "p", START + timedelta(days=10), {}),
            ("accept", "r", START + timedelta(days=11), {"value": 5}),
        ],
    )
    clock.now = START + timedelta(days=20)
    before = trust.trust_of(uow, SETTINGS, OPERATOR, "p", as_of=START + timedelta(days=10))
    after = trust.trust_of(uow, SETTINGS, OPERATOR, "p", as_of=START + timedelta(days=11))
    now = trust.trust_of(uow, SETTINGS, OPERATOR, "p")
    assert before.trust.ability.r == 0.0
    assert after.trust.ability.r == pytest.approx(1.0)
    assert now.trust.ability.r == pytest.approx(0.5 ** (9 / 180))
    assert now.as_of == clock.now


def test_overdue_counts_without_any_move_and_mark_missed_changes_nothing(uow, clock, org) -> None:
    due = START + timedelta(days=5)
    make_commitment(uow, "rp", org["r"], "r", "p", key="late", due=due)
    play(uow, org, "late", [("promise", "p", START + timedelta(days=1), {})])
    clock.now = due
    assert trust.trust_of(uow, SETTINGS, OPERATOR, "p").trust.ability.s == 0.0
    clock.now = due + timedelta(days=180)
    overdue = trust.trust_of(uow, SETTINGS, OPERATOR, "p", of="r")
    assert overdue.trust.ability.s == pytest.approx(0.5)
    assert overdue.trust.integrity.s == pytest.approx(0.5)
    play(uow, org, "late", [("mark_missed", "r", clock.now, {})])
    missed = trust.trust_of(uow, SETTINGS, OPERATOR, "p", of="r")
    assert missed.trust.ability.s == pytest.approx(overdue.trust.ability.s)
    assert missed.network == pytest.approx(overdue.network)


def test_given_gap_and_flags(uow, clock, org) -> None:
    make_commitment(uow, "rp", org["r"], "r", "p", key="bet", reliance="critical")
    report = trust.trust_of(uow, SETTINGS, OPERATOR, "p", of="r")
    assert report.given == 1.0
    assert report.flags == ["over_reliant"]
    assert report.gap == pytest.approx(1.0 - report.trust.ability.expected)
    document = report.document()
    assert set(document) >= {"given", "gap", "flags", "network"}
    play(uow, org, "bet", [("withdraw", "r", clock.now, {})])
    assert trust.trust_of(uow, SETTINGS, OPERATOR, "p", of="r").given == 0.0


def test_network_reputation_is_in_every_report(uow, clock, org) -> None:
    make_commitment(uow, "rp", org["r"], "r", "p", key="kept", due=START + timedelta(days=30))
    play(
        uow,
        org,
        "kept",
        [
            ("promise", "p", START + timedelta(days=1), {}),
            ("report_done", "p", START + timedelta(days=2), {}),
            ("accept", "r", START + timedelta(days=3), {"value": 4}),
        ],
    )
    clock.now = START + timedelta(days=4)
    values = {slug: trust.trust_of(uow, SETTINGS, OPERATOR, slug).network for slug in "rpox"}
    assert sum(values.values()) == pytest.approx(4.0)
    assert values["p"] > values["x"]


def test_a_new_team_changes_the_network_at_once(uow, clock, org) -> None:
    make_commitment(uow, "rp", org["r"], "r", "p", key="kept", due=START + timedelta(days=30))
    play(uow, org, "kept", [("promise", "p", START + timedelta(days=1), {})])
    clock.now = START + timedelta(days=2)
    before = {slug: trust.trust_of(uow, SETTINGS, OPERATOR, slug).network for slug in "rpox"}
    assert sum(before.values()) == pytest.approx(4.0)

    make_team(uow, "newcomer")  # the network read above is cached; this must not reuse it

    after = {
        slug: trust.trust_of(uow, SETTINGS, OPERATOR, slug).network
        for slug in [*"rpox", "newcomer"]
    }
    assert sum(after.values()) == pytest.approx(5.0)


def test_who_may_see_trust(uow, clock, org) -> None:
    worked_example(uow, clock, org)
    assert trust.trust_of(uow, SETTINGS, org["p"], "p").team == "p"  # its own members
    assert trust.trust_of(uow, SETTINGS, org["o"], "p").team == "p"  # a partner team's lead
    assert trust.trust_of(uow, SETTINGS, org["admin"], "p", of="r").of == "r"
    with pytest.raises(Forbidden, match="members, admins and the leads"):
        trust.trust_of(uow, SETTINGS, org["o_member"], "p")  # a partner team's member
    with pytest.raises(Forbidden):
        trust.trust_of(uow, SETTINGS, org["x"], "p")
    with pytest.raises(Forbidden, match="members of the two teams"):
        trust.trust_of(uow, SETTINGS, org["o"], "p", of="r")
    opened = SETTINGS.model_copy(update={"trust_visibility": "org"})
    assert trust.trust_of(uow, opened, org["x"], "p").team == "p"
    with pytest.raises(Forbidden):
        trust.trust_of(uow, opened, org["x"], "p", of="r")
    with pytest.raises(Invalid, match="does not rate itself"):
        trust.trust_of(uow, SETTINGS, OPERATOR, "p", of="p")
    with pytest.raises(NotFound):
        trust.trust_of(uow, SETTINGS, OPERATOR, "nobody")


def test_forecasts_of_a_commitment_and_of_a_purpose(uow, clock, org) -> None:
    worked_example(uow, clock, org)
    for key, reliance in (("a", "high"), ("b", "critical"), ("c", "low")):
        make_commitment(uow, "rp", org["r"], "r", "p", key=key, reliance=reliance)
    make_commitment(uow, "rp", org["p"], "p", "r", key="d", reliance="high")
    pair = trust.trust_of(uow, SETTINGS, OPERATOR, "p", of="r").trust.ability
    back = trust.trust_of(uow, SETTINGS, OPERATOR, "r", of="p").trust.ability
    one = forecasts.commitment_forecast(uow, SETTINGS, org["r"], "a")
    assert one.probability == pytest.approx(pair.expected)
    with pytest.raises(Forbidden):
        forecasts.commitment_forecast(uow, SETTINGS, org["x"], "a")
    with uow:
        purpose = uow.partnerships.get("rp").purpose.key
    result = forecasts.purpose_forecast(uow, SETTINGS, org["o"], purpose, seed=1)
    assert sorted(c.key for c in result.commitments) == ["a", "b", "d"]
    exact = (
        (pair.alpha / (pair.alpha + pair.beta))
        * ((pair.alpha + 1) / (pair.alpha + pair.beta + 1))
        * back.expected
    )
    assert result.outlook.probability_all == pytest.approx(exact)
    assert result.outlook.expected_count == pytest.approx(2 * pair.expected + back.expected)
    assert len(result.outlook.distribution) == 4
    hidden = forecasts.purpose_forecast(uow, SETTINGS, org["x"], purpose, seed=1)
    assert all(c.probability is None for c in hidden.commitments)
    assert hidden.outlook == result.outlook


def naive_backtest(events, settings) -> list[tuple[str, float, float, int]]:
    """The backtest by its definition, replaying the log before every promise (slow, plain)."""
    final = fold(events)
    rows = []
    finished = sorted(
        (t.promised_at, key)
        for key, t in final.items()
        if t.state in ("accepted", "revoked", "missed")
    )
    for moment, key in finished:
        known = fold(events, before=moment)
        evidence = ledger(known.values(), moment, settings.half_life_days)
        track = final[key]
        org_r, org_s = evidence.org.rs("ability")
        team_r, team_s = evidence.team(track.performer).rs("ability")
        pair_r, pair_s = evidence.pair(track.requester, track.performer).rs("ability")
        # the pair's prior: P's team rate without the pair's own commitments
        others = Opinion(team_r - pair_r, team_s - pair_s, 2, organization_rate(org_r, org_s))
        team_e = others.expected
        done = [t for t in known.values() if t.outcome() is not None]
        base = (sum(t.on_time() for t in done) + 1) / (len(done) + 2)
        rows.append((key, Opinion(pair_r, pair_s, 8, team_e).expected, base, int(track.on_time())))
    return rows


def test_backtest_follows_its_definition(uow, clock, org) -> None:
    random_history(uow, clock, org, 5, steps=200)
    with uow:
        events = list(uow.trust.commitment_events())
    fast = list(backtesting.backtest_rows(events, SETTINGS))
    slow = naive_backtest(events, SETTINGS)
    assert len(fast) > 20
    assert [r[0] for r in fast] == [r[0] for r in slow]
    for mine, plain in zip(fast, slow, strict=True):
        assert mine[1:] == pytest.approx(plain[1:], rel=1e-9)
    result = backtesting.backtest(uow, SETTINGS, org["x"])
    assert result.forecast.n == len(fast)
    assert sum(b.n for b in result.forecast.bins) == result.forecast.n
    # too little history for a model: the forecast served is the pair's ability, row for row
    assert result.model_share == 0.0
    assert result.forecast.brier == pytest.approx(result.pair_ability.brier)
    # every reader sees the backtest: of the purposes, only scores, never one purpose's months
    purpose = result.document()["purpose"]
    assert set(purpose) == {"n", "brier", "brier_base", "skill"}
    assert purpose["n"] == len(result.purpose.months) if result.purpose else purpose is None


def test_a_new_half_life_is_rebuilt_once_at_start_and_reads_never_replay(
    uow, clock, org, monkeypatch
) -> None:
    random_history(uow, clock, org, 5, steps=120)
    later = clock.now + timedelta(days=20)
    read_log = TrustStore.commitment_events
    replays: list[object] = []

    def counted(store: TrustStore, **options: Any) -> Any:
        replays.append(options)
        return read_log(store, **options)

    monkeypatch.setattr(TrustStore, "commitment_events", counted)
    for days in (30.0, 180.0):
        settings = SETTINGS.model_copy(update={"half_life_days": days})
        replays.clear()
        assert trust.ensure_built(uow, settings) is True  # the first start with the new setting
        assert trust.ensure_built(uow, settings) is False  # and the next
        assert len(replays) == 1
        with uow:
            fresh = ledger(fold(read_log(uow.trust)).values(), later, days)
        for team, of in (("p", None), ("r", None), ("p", "r"), ("o", "p")):
            report = trust.trust_of(uow, settings, OPERATOR, team, of=of, as_of=later)
            evidence = fresh.pair(of, team) if of else fresh.team(team)
            for name in ("ability", "integrity", "value"):
                r, s = evidence.rs(name)
                assert report.trust.dimension(name).r == pytest.approx(r, rel=1e-9, abs=1e-12)
                assert report.trust.dimension(name).s == pytest.approx(s, rel=1e-9, abs=1e-12)
        assert len(replays) == 1, "a read replayed the log"
    # a read with a half-life the sums were not built with reads them as built, never the log
    elsewhere = SETTINGS.model_copy(update={"half_life_days": 90.0})
    trust.trust_of(uow, elsewhere, OPERATOR, "p", as_of=later)
    assert len(replays) == 1


def test_the_app_rebuilds_sums_of_another_half_life_when_it_starts(engine, clock, org) -> None:
    from live_server import serve

    url = engine.url.render_as_string(hide_password=False)
    settings = SETTINGS.model_copy(update={"database_url": url, "half_life_days": 45.0})
    for _ in serve(settings, clock):
        with engine.connect() as connection:
            half_life = connection.execute(select(trust_state_table.c.half_life_days)).scalar()
        assert half_life == 45.0


def test_only_admins_rebuild(uow, org) -> None:
    with pytest.raises(Forbidden):
        trust.rebuild(uow, SETTINGS, org["p"])


def test_partners_of_a_team_are_the_pairs_it_may_see(uow, clock, org) -> None:
    worked_example(uow, clock, org)
    reports = trust.partners_of(uow, SETTINGS, org["r"], "r")
    assert [(report.team, report.of) for report in reports] == [("o", "r"), ("p", "r")]
    assert reports[1].trust.ability.r > 0
    assert trust.partners_of(uow, SETTINGS, org["x"], "r") == []


def test_moves_made_at_once_keep_the_sums_a_rebuild_gives(
    engine, uow, make_uow, clock, org
) -> None:
    """Writers finish commitments in parallel; the sums still equal the log's, bit for bit."""
    import threading

    keys = [f"parallel-{i}" for i in range(6)]
    for key in keys:
        make_commitment(uow, "rp", org["r"], "r", "p", key=key, due=clock.now + timedelta(days=9))
        play(uow, org, key, [("promise", "p", clock.now, {})])
    clock.advance(days=1)
    barrier = threading.Barrier(len(keys))
    failures: list[BaseException] = []

    def finish(index: int, key: str) -> None:
        try:
            barrier.wait(timeout=30)
            commitments.move(make_uow(), org["p"], key, "report_done", version=2)
            commitments.move(make_uow(), org["r"], key, "accept", version=3, value=1 + index % 5)
        except BaseException as error:  # the test reports what each thread got
            failures.append(error)

    threads = [threading.Thread(target=finish, args=(i, k)) for i, k in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    kept = stored(engine)
    assert kept["pairs"][0]["ability_r"] > 5.9
    trust.rebuild(uow, SETTINGS, OPERATOR)
    assert stored(engine) == kept


def test_overdue_kept_up_to_a_watermark_equals_a_full_count(uow, clock, org) -> None:
    random_history(uow, clock, org, 7, steps=160)
    with uow:
        state = uow.trust.state()
        assert state.overdue_through == clock.now
        assert state.overdue[0] > 0, "the history left nothing overdue"
        for days in (-60, -5, 0, 3, 45):
            moment = clock.now + timedelta(days=days)
            kept, (count, weight) = uow.trust.org_overdue(moment, state)
            full, (full_count, full_weight) = uow.trust.overdue_counted(moment)
            assert count == full_count
            assert weight == pytest.approx(full_weight, rel=1e-9)
            assert kept.as_tuple() == pytest.approx(full.as_tuple(), rel=1e-9, abs=1e-12)


def test_sums_are_rebased_before_weights_leave_the_float_range(engine, uow, clock, org) -> None:
    quick = SETTINGS.model_copy(update={"half_life_days": 0.5})
    assert trust.ensure_built(uow, quick)
    clock.now = START + timedelta(days=300)  # 2 ** (~450 days / 0.5) would overflow
    make_commitment(uow, "rp", org["r"], "r", "p", key="late", due=clock.now + timedelta(days=2))
    play(uow, org, "late", [
        ("promise", "p", clock.now, {}),
        ("report_done", "p", clock.now + timedelta(hours=1), {}),
        ("accept", "r", clock.now + timedelta(hours=2), {"value": 5}),
    ])  # fmt: skip
    with uow:
        assert uow.trust.state().reference == clock.now  # moved forward by the request
    report = trust.trust_of(uow, quick, OPERATOR, "p", as_of=clock.now + timedelta(hours=14))
    assert report.trust.ability.r == pytest.approx(0.5)  # 12 hours old, half-life 12 hours
    kept = stored(engine)
    trust.rebuild(uow, quick, OPERATOR)
    assert stored(engine)["pairs"] == kept["pairs"]


def test_the_server_refits_the_forecast_on_its_schedule(uow, make_uow, clock, org) -> None:
    """The schedule `accord serve` runs: a model appears without anyone asking for it."""
    import threading

    from accord.trust.fitting import Refitter, refit_due

    random_history(uow, clock, org, 9, steps=300)
    settings = SETTINGS.model_copy(update={"forecast_min_history": 10})
    with uow:
        assert uow.models.latest_version() is None
    assert refit_due(uow, settings)
    refitter = Refitter(make_uow, settings, first_check_seconds=0.0)
    refitter.check_seconds = 0.05
    refitter.start()
    stored = threading.Event()
    for _ in range(600):
        reader = make_uow()
        with reader:
            if reader.models.latest_version() is not None:
                stored.set()
                break
        threading.Event().wait(0.05)
    refitter.stop()
    refitter.join(timeout=30)
    assert stored.is_set()
    assert not refit_due(uow, settings)  # just fitted: the next is a day away
    clock.advance(hours=25)
    assert refit_due(uow, settings)
    assert not refit_due(uow, settings.model_copy(update={"forecast_refit_hours": 0.0}))
