"""What the forecast may know at a promise (DESIGN §2 Forecast): the one time-ordered sweep of the
log against a plain replay of only the events before that instant, and no outcome from after it."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

import pytest

from accord.trust.domain import RELIANCE_WEIGHT, Track, fold, ledger
from accord.trust.features import (
    BATCH_WINDOW,
    FEATURES,
    RECENT,
    Inputs,
    Sweep,
    recent_counts,
)
from accord.trust.model import Evidence, days_between
from accord.trust.replay import replay, snapshots
from forecast_histories import START, Event, Log, random_log

HALF_LIFE = 180.0
FLOATS = ("pair", "team", "org", "requester", "lead_days", "left_days", "reliance")


def day(n: float) -> datetime:
    return START + timedelta(days=n)


def in_time_order(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda event: event[0])


def naive_inputs(
    events: list[Event], key: str, moment: datetime, half_life: float = HALF_LIFE
) -> Inputs:
    """Inputs of `key` promised at `moment`, by their definition: the evidence of the events
    before `moment` decayed to `moment`, the commitment itself as its promise leaves it (every
    instant in these histories is unique), the rest counted by brute force."""
    known = fold(events, before=moment)
    evidence = ledger(known.values(), moment, half_life)
    track = fold(events, upto=moment)[key]
    requester, performer = track.requester, track.performer
    asked_by_requester = Evidence()
    for (r, _), found in evidence.pairs.items():
        if r == requester:
            asked_by_requester = asked_by_requester + found
    others = [t for k, t in known.items() if k != key and t.performer == performer]
    committed = [t for t in others if t.committed]
    recent = [
        t
        for t in others
        if t.outcome() is not None
        and t.finished_at is not None
        and t.finished_at >= moment - RECENT
    ]
    late = [t for t in recent if not t.on_time()]
    moves = [
        p["move"] for at, subject, p in events if subject == f"commitment:{key}" and at <= moment
    ]
    assert track.promised_at is not None
    return Inputs(
        pair=evidence.pair(requester, performer).rs("ability"),
        team=evidence.team(performer).rs("ability"),
        org=evidence.org.rs("ability"),
        requester=asked_by_requester.rs("ability"),
        lead_days=days_between(track.promised_at, track.due),
        left_days=days_between(moment, track.due),
        reliance=RELIANCE_WEIGHT[track.reliance],
        counters=moves.count("counter"),
        changes=moves.count("propose_change"),
        pending_change=track.state == "renegotiating",
        open_load=len(committed),
        same_due=sum(1 for t in committed if abs(t.due - track.due) <= BATCH_WINDOW),
        recent=(len(recent) - len(late), len(late), len({t.due.date() for t in late})),
    )


def assert_same_inputs(mine: Inputs, plain: Inputs) -> None:
    for item in fields(Inputs):
        got, wanted = getattr(mine, item.name), getattr(plain, item.name)
        if item.name in FLOATS:
            assert got == pytest.approx(wanted, rel=1e-9, abs=1e-12), item.name
        else:
            assert got == wanted, item.name


def settled_at(
    events: list[Event], key: str, track: Track, until: datetime | None = None
) -> datetime:
    """When the calendar settled the outcome: a failure not delivered by its due date once that
    date had passed and was no longer moved, nor a delivery rejected; anything else when it
    finished."""
    finished = track.finished_at or until
    assert finished is not None
    if track.on_time() or (track.delivered_at is not None and track.delivered_at <= track.due):
        return finished
    moved, due = None, None  # the last move that set the due date in force, and that date
    tracks: dict[str, Track] = {}
    for at, subject, payload in events:
        if subject == f"commitment:{key}":
            tracks = fold([(at, subject, payload)], into=tracks)
            if tracks[key].due != due or payload["move"] == "reject":
                moved, due = at, tracks[key].due
    assert moved is not None
    return min(finished, max(track.due, moved))


def smoothed(tracks: list[Track]) -> float:
    return (sum(t.on_time() for t in tracks) + 1) / (len(tracks) + 2)


@pytest.mark.parametrize(
    ("seed", "half_life"),
    [
        (1, HALF_LIFE),
        (2, HALF_LIFE),
        (3, 0.05),  # two months are 1,200 half-lives: the sums are rebased on the way
    ],
)
def test_each_snapshot_equals_a_replay_of_the_events_before_its_promise(
    seed: int, half_life: float
) -> None:
    events = in_time_order(random_log(seed, 500).events)
    final = fold(events)
    shots = snapshots(events, half_life)
    finished = sorted(
        (t.promised_at, k) for k, t in final.items() if t.outcome() is not None and t.promised_at
    )
    assert [s.key for s in shots] == [k for _, k in finished]
    assert len(shots) > 60
    # the history exercises what is compared: evidence, load, batches, counters, recent misses
    assert any(s.inputs.open_load for s in shots)
    assert any(s.inputs.same_due for s in shots)
    assert any(s.inputs.counters for s in shots)
    assert any(s.inputs.recent[1] for s in shots)
    assert any(s.inputs.pair[1] for s in shots)
    for shot in shots:
        track = final[shot.key]
        assert shot.at == track.promised_at
        assert shot.known_at == settled_at(events, shot.key, track)
        assert shot.outcome == int(track.on_time())
        assert (shot.performer, shot.requester) == (track.performer, track.requester)
        assert_same_inputs(shot.inputs, naive_inputs(events, shot.key, shot.at, half_life))
        before = [t for t in fold(events, before=shot.at).values() if t.outcome() is not None]
        assert shot.base_rate == pytest.approx(smoothed(before))
        mine = [t for t in before if t.performer == track.performer]
        assert shot.running_rate == pytest.approx(smoothed(mine))


@pytest.mark.parametrize("seed", [4, 5])
def test_no_snapshot_reads_an_outcome_settled_after_its_promise(seed: int) -> None:
    """Rewrite the future after T0 (every open commitment ends the other way, nothing new is
    asked): what was known at any promise before T0 stays exactly the same."""
    events = in_time_order(random_log(seed, 500).events)
    cut = events[len(events) // 2][0] + timedelta(microseconds=1)
    final = fold(events)
    altered = [e for e in events if e[0] < cut]
    at = cut
    for key, track in fold(altered).items():
        if track.state not in ("promised", "renegotiating", "delivered"):
            continue
        at += timedelta(minutes=1)
        subject = f"commitment:{key}"
        if final[key].on_time():
            if track.state == "delivered":
                altered.append((at, subject, {"move": "reject", "to": "promised", "side": "R"}))
                at += timedelta(minutes=1)
            altered.append((at, subject, {"move": "revoke", "to": "revoked", "side": "P"}))
        else:
            if track.state != "delivered":
                altered.append((at, subject, {"move": "report_done", "to": "delivered"}))
            at += timedelta(minutes=1)
            accept = {"move": "accept", "to": "accepted", "side": "R", "args": {"value": 5}}
            altered.append((at, subject, accept))
    before = {s.key: s for s in snapshots(events, HALF_LIFE) if s.at < cut}
    after = {s.key: s for s in snapshots(altered, HALF_LIFE) if s.at < cut}
    assert len(before) > 30
    flipped = [k for k in before if k in after and after[k].outcome != before[k].outcome]
    assert flipped, "the rewrite changed no outcome: the test would prove nothing"
    assert set(before) <= set(after)
    for key, shot in before.items():
        assert after[key].inputs == shot.inputs
        assert (after[key].base_rate, after[key].running_rate) == (
            shot.base_rate,
            shot.running_rate,
        )


def test_the_worked_example_at_the_next_promise() -> None:
    """DESIGN §2: the on-time one accepted 180 days before T, the missed one due at T; a new
    commitment of the pair promised just after T sees pair E 0.413534 (u 0.842105) and team E
    0.387755."""
    moment = day(400)
    accepted = moment - timedelta(days=180)
    log = Log()
    log.request("good", "r", "p", day(0), accepted + timedelta(days=1))
    log.request("bad", "r", "p", day(0), moment)
    log.request("next", "r", "p", day(1), moment + timedelta(days=30))
    log.move("good", "promise", day(1)).move("bad", "promise", day(1))
    log.move("good", "report_done", accepted - timedelta(hours=1))
    log.move("good", "accept", accepted, value=5)
    after = moment + timedelta(microseconds=1)
    log.move("next", "promise", after).move("bad", "mark_missed", after + timedelta(seconds=1))
    log.move("next", "report_done", after + timedelta(days=2)).move(
        "next", "accept", after + timedelta(days=3), value=5
    )
    shots = {s.key: s for s in snapshots(log.events, HALF_LIFE)}
    inputs = shots["next"].inputs
    assert inputs.pair == pytest.approx((0.5, 1.0), abs=1e-9)
    assert inputs.pair_opinion(2, 8).expected == pytest.approx(0.413534, abs=1e-6)
    assert inputs.pair_opinion(2, 8).uncertainty == pytest.approx(0.842105, abs=1e-6)
    assert inputs.team_opinion(2).expected == pytest.approx(0.387755, abs=1e-6)
    assert inputs.org_rate() == pytest.approx(0.428571, abs=1e-6)
    assert inputs.requester == pytest.approx((0.5, 1.0), abs=1e-9)
    # both earlier ones were promised at day 1 with nothing known: the prior's 0.5 everywhere
    assert shots["good"].inputs.pair == (0.0, 0.0)
    assert shots["good"].inputs.pair_opinion(2, 8).expected == 0.5


def test_lead_time_runs_from_the_promise_to_the_due_date_agreed_then() -> None:
    log = Log()
    log.request("countered", "r", "p", day(0), day(10), reliance="critical")
    log.move("countered", "counter", day(1), due=day(20))
    log.move("countered", "accept_counter", day(2))
    log.request("revised", "o", "p", day(0), day(10), reliance="none")
    log.move("revised", "counter", day(1), due=day(12))
    log.move("revised", "revise", day(3), due=day(9), reliance="medium")
    log.move("revised", "promise", day(4))
    for key in ("countered", "revised"):
        log.move(key, "report_done", day(8)).move(key, "accept", day(8.5), value=4)
    shots = {s.key: s for s in snapshots(log.events, HALF_LIFE)}
    countered = shots["countered"]
    assert countered.at == day(2)
    assert countered.known_at == day(8.5)
    assert countered.outcome == 1
    assert countered.inputs.lead_days == pytest.approx(18.0)
    assert countered.inputs.left_days == pytest.approx(18.0)
    assert countered.inputs.reliance == 1.0
    assert (countered.inputs.counters, countered.inputs.changes) == (1, 0)
    assert countered.inputs.pending_change is False
    revised = shots["revised"]
    assert revised.at == day(4)
    assert revised.inputs.lead_days == pytest.approx(5.0)
    assert revised.inputs.reliance == 0.5
    assert revised.inputs.counters == 1
    assert revised.inputs.open_load == 1  # `countered`, promised on day 2, due day 20
    assert revised.inputs.same_due == 0
    assert revised.outcome == 1


def sweep_through(events: list[Event], moment: datetime) -> Sweep:
    sweep = Sweep(HALF_LIFE)
    for at, subject, payload in in_time_order(events):
        if at > moment:
            break
        sweep.advance_to(at)
        sweep.apply(at, subject, payload)
    sweep.advance_to(moment)
    return sweep


def test_a_change_counts_and_a_pending_one_shows_when_asked_later() -> None:
    log = Log()
    log.request("c", "r", "p", day(0), day(10)).move("c", "promise", day(1))
    log.move("c", "propose_change", day(3), due=day(15))
    pending = sweep_through(log.events, day(4))
    inputs = pending.inputs(pending.tracks["c"], day(4))
    assert (inputs.changes, inputs.pending_change) == (1, True)
    assert inputs.lead_days == pytest.approx(9.0)  # the due date in force is still day 10
    assert inputs.left_days == pytest.approx(6.0)
    log.move("c", "accept_change", day(5))
    agreed = sweep_through(log.events, day(6))
    inputs = agreed.inputs(agreed.tracks["c"], day(6))
    assert (inputs.changes, inputs.pending_change) == (1, False)
    assert inputs.lead_days == pytest.approx(14.0)  # first promise to the new due date
    assert inputs.left_days == pytest.approx(9.0)
    vector = dict(zip(FEATURES, inputs.vector(2, 8), strict=True))
    assert vector["changes"] == pytest.approx(math.log1p(1))
    assert vector["pending_change"] == 0.0
    assert vector["elapsed"] == pytest.approx(1 - 9 / 14)
    assert vector["lead_8_30"] == 1.0
    assert vector["lead_1_7"] == vector["lead_under_1"] == vector["lead_31_90"] == 0.0


def test_open_load_counts_the_performers_promised_work_and_what_falls_due_together() -> None:
    due = day(20)
    log = Log()
    log.request("a", "r", "p", day(0), due).move("a", "promise", day(0.1))
    log.request("b", "o", "p", day(0), due + timedelta(hours=12)).move("b", "promise", day(0.2))
    log.request("c", "q", "p", day(0), due + timedelta(days=3)).move("c", "promise", day(0.3))
    log.request("d", "r", "p", day(0), due - timedelta(hours=20)).move("d", "promise", day(0.4))
    log.move("d", "propose_change", day(0.5), due=due)  # renegotiating is still promised work
    log.request("asked", "r", "p", day(0), due)  # not promised: no load
    log.request("done", "r", "p", day(0), due).move("done", "promise", day(0.6))
    log.move("done", "report_done", day(0.7))  # delivered: no load
    log.request("other", "r", "o", day(0), due).move("other", "promise", day(0.8))  # not p's
    log.request("n", "r", "p", day(0), due).move("n", "promise", day(1))
    log.move("n", "report_done", day(2)).move("n", "accept", day(3), value=3)
    inputs = {s.key: s for s in snapshots(log.events, HALF_LIFE)}["n"].inputs
    assert inputs.open_load == 4  # a, b, c, d
    assert inputs.same_due == 3  # a, b, d: within a day of n's due date
    vector = dict(zip(FEATURES, inputs.vector(2, 8), strict=True))
    assert vector["open_load"] == pytest.approx(math.log1p(4))
    assert vector["same_due"] == pytest.approx(math.log1p(3))


def test_recent_counts_a_slipped_release_as_one_batch() -> None:
    """Within the 30 days before T, p finished: four late ones all due on one day (two delivered
    late, two missed), one revoked (due another day), two on time. Older ones, other teams'
    and withdrawn ones do not count."""
    moment = day(100)
    release = day(80)
    log = Log()

    def promised(key: str, due: datetime, performer: str = "p") -> None:
        log.request(key, "r", performer, day(60), due).move(key, "promise", day(61))

    for key in ("late-1", "late-2", "missed-1", "missed-2"):
        promised(key, release)
    for key in ("late-1", "late-2"):
        log.move(key, "report_done", day(82)).move(key, "accept", day(83), value=2)
    log.move("missed-1", "mark_missed", day(84)).move("missed-2", "mark_missed", day(85))
    promised("revoked", day(95))
    log.move("revoked", "revoke", day(90), reason="cannot")
    for key, due in (("kept-1", day(75)), ("kept-2", day(99))):
        promised(key, due)
        log.move(key, "report_done", due - timedelta(days=1))
        log.move(key, "accept", due - timedelta(hours=12), value=5)
    log.request("old", "r", "p", day(10), day(20)).move("old", "promise", day(11))
    log.move("old", "mark_missed", day(69))  # finished 31 days before T
    promised("elsewhere", day(70), performer="o")
    log.move("elsewhere", "mark_missed", day(90))
    log.request("gone", "r", "p", day(60), day(70)).move("gone", "withdraw", day(95))
    log.request("n", "o", "p", day(99), day(120)).move("n", "promise", moment)
    log.move("n", "report_done", day(110)).move("n", "accept", day(111), value=4)
    inputs = {s.key: s for s in snapshots(log.events, HALF_LIFE)}["n"].inputs
    assert inputs.recent == (2, 5, 2)
    vector = dict(zip(FEATURES, inputs.vector(2, 8), strict=True))
    assert vector["recent_misses"] == pytest.approx(math.log1p(5))
    assert vector["recent_miss_batches"] == pytest.approx(math.log1p(2))


def test_recent_counts_of_plain_outcomes() -> None:
    one, two = day(1).date(), day(2).date()
    assert recent_counts([]) == (0, 0, 0)
    assert recent_counts([(True, one), (False, one), (False, one), (False, two)]) == (1, 3, 2)
    assert recent_counts([(True, one), (True, two)]) == (2, 0, 0)


@pytest.mark.parametrize(
    ("lead", "bucket"),
    [
        (0.5, "lead_under_1"),
        (3.0, "lead_1_7"),
        (12.0, "lead_8_30"),
        (45.0, "lead_31_90"),
        (200.0, None),
        (-2.0, "past_due"),
    ],
)
def test_exactly_one_lead_bucket_is_on(lead: float, bucket: str | None) -> None:
    inputs = Inputs((0, 0), (0, 0), (0, 0), (0, 0), lead_days=lead, left_days=lead, reliance=0)
    vector: dict[str, Any] = dict(zip(FEATURES, inputs.vector(2, 8), strict=True))
    flags = ("lead_under_1", "lead_1_7", "lead_8_30", "lead_31_90", "past_due")
    assert [name for name in flags if vector[name]] == ([bucket] if bucket else [])
    assert vector["lead_log"] == pytest.approx(math.log1p(max(lead, 0)))
    assert all(math.isfinite(v) for v in vector.values())


@pytest.mark.parametrize("seed", [6, 7])
def test_open_promises_past_due_are_failures_to_learn_from(seed: int) -> None:
    """An open promise whose due date passed undelivered (or delivered late) can no longer be on
    time: the replay gives it as a failure, settled at its due date, apart from the finished."""
    events = in_time_order(random_log(seed, 300).events)
    cut = events[len(events) * 2 // 3][0]
    kept = [event for event in events if event[0] <= cut]
    until = cut + timedelta(days=3)
    found = replay(kept, HALF_LIFE, until=until)
    tracks = fold(kept)
    expected = {
        key
        for key, track in tracks.items()
        if track.promised_at is not None
        and track.outcome() is None
        and track.is_open
        and track.due < until
        and (track.delivered_at is None or track.delivered_at > track.due)
    }
    assert {s.key for s in found.overdue} == expected
    assert len(expected) >= 3
    assert not expected & {s.key for s in found.snapshots}
    for shot in found.overdue:
        track = tracks[shot.key]
        assert shot.outcome == 0
        assert shot.at == track.promised_at
        assert track.due <= shot.known_at < until
        assert shot.known_at == settled_at(kept, shot.key, track, until)
        assert_same_inputs(shot.inputs, naive_inputs(kept, shot.key, shot.at))
    assert found.learned_from == [*found.snapshots, *found.overdue]
    # by default, overdue as of the last event
    assert {s.key for s in replay(kept, HALF_LIFE).overdue} <= expected
