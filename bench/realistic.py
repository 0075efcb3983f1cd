"""Realistic simulated organizations, as `accord/1` documents with an exact oracle.

bench/simulate.py draws every commitment alike; real commitment histories are not like that.
This generator puts in what real issue-tracker data shows (../shared/data, Jira):

- *lead time*: the time from promise to due date changes the on-time chance, non-monotonically
  at the short end (about 0.60 under a day, 0.54 at 1-7 days, 0.80 at 8-30, 0.87 at 31-90,
  0.80 beyond); lead times asked for are log-normal, from hours to months, and a few promises
  come only after the due date has passed (always late);
- *batch slips*: teams ship on release dates (each team its own cadence, 1 to 13 weeks), so a
  request due on a release is given the first release after the date asked and many
  commitments of one performer share a due date; a release slips as a whole with the team's
  slip probability, and then all its commitments ship late together, on the same later day;
- *drift*: each team's reliability follows a random walk (weekly steps) with the odd abrupt
  shift (a reorg);
- *volume*: a heavy-tailed number of commitments per performer (log-normal weights clipped at
  their 99th percentile): a few teams carry most of the volume, many only a handful;
- *pairs*: some requesters work with one performer only; every pair has its own deviation and
  every requester its own strictness;
- *day-only timestamps*: teams whose tools record dates only (moves at 00:00:00Z, due dates at
  23:59:59Z);
- *missing value ratings*: some accepts carry no `value` (`accord import` may still require
  one: set --missing-value-share 0 then);
- counters, renegotiations (propose_change / accept_change), revocations with notice (before
  the due date) and without (after it), silent misses, withdrawals, as bench/simulate.py.

The oracle (`Simulation.truth`, written to OUT.truth.json like bench/simulate.py): for every
commitment, the probability that it ends accepted with delivered_at <= the due date in force,
given the latent state at its promise time (at the planned promise time when it is never
promised) but none of the draws made after it (whether its release slips, its own outcome).
It is exact for this process, in closed form, not a Monte Carlo estimate:

    p = 0                                    promised after its due date had passed
    p = (1 - q_team) * sigmoid(x)            due on a release date (the release may slip)
    p = sigmoid(x)                           otherwise

    x = c + base[performer] + drift[performer](promise time) + pair[requester, performer]
          + strictness[requester] + lead_effect * f(lead time) + reliance_effect * g(reliance)

c is solved for so that the expected on-time share of promised commitments is `on_time`. The
story drawn after the promise never changes the outcome: a success may still be renegotiated to
a later date it then meets (on time by the date in force, as DESIGN.md §2 scores it), and
withdrawals after the promise are drawn independently of the outcome. Nothing is left open for
ever: forgotten commitments are marked missed weeks later, so only the cut at the end of the
window leaves commitments unfinished. Work lands a few days before its due date, not weeks
(a failure can only finish after it), so that cut hardly favours successes: among the
commitments finished by the end, the mean oracle p and the on-time share agree in expectation.
Release slips make outcomes correlated, so one organization's on-time share strays from that
expectation more than independent draws would (sd about 0.009 at 20,000 commitments over 200
teams, against 0.003 without slips).

    python bench/simulate.py --teams 200 --commitments 20000 --seed 1 --out /tmp/real.json
    python bench/simulate.py --profile plain --teams 200 --commitments 20000 --out /tmp/plain
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from organization import DAY, HOUR, Story, organization
from simulate import (
    CHANGE_NOTES,
    CONDITIONS,
    COUNTER_NOTES,
    DECLINE_REASONS,
    OBJECTS,
    REJECT_REASONS,
    RELIANCE,
    REVOKE_REASONS,
    VERBS,
    WITHDRAW_REASONS,
    Simulation,
)

WEEK = 7 * DAY
# f(lead time): logit offsets at lead times in days, interpolated on log(days); shaped so the
# on-time shares by lead time come out close to the Jira data's (the dip at 1-7 days included).
LEAD_KNOTS = (
    (0.08, -2.3), (0.5, -2.3), (1.0, -2.4), (2.0, -2.75), (4.0, -2.75), (7.0, -2.35),
    (12.0, -0.7), (20.0, 0.1), (35.0, 1.1), (60.0, 1.6), (90.0, 1.55), (180.0, -0.3),
    (365.0, -0.8),
)  # fmt: skip
# g(reliance): critical work gets a little more care
RELIANCE_OFFSET = (-0.15, -0.05, 0.0, 0.1, 0.2)
CADENCES = (7, 14, 14, 14, 21, 28, 28, 42, 56, 91)  # days between a team's releases
RELEASE_HOUR = 16 * HOUR
SLIP_MEAN_DAYS = 8.0  # a slipped release ships this long after its date, plus a day, on average


@dataclass(frozen=True)
class Realism:
    """How strongly each feature of real histories shows; every one has a CLI flag."""

    on_time: float = 0.75
    lead_effect: float = 1.0
    lead_median_days: float = 25.0
    lead_sigma: float = 2.0
    late_promise_share: float = 0.03
    batch_share: float = 0.7
    slip_rate: float = 0.12
    drift_sd: float = 0.15
    reorg_rate: float = 0.3
    reorg_sd: float = 0.8
    volume_sigma: float = 2.0
    performers_per_requester: float = 6.0
    single_performer_share: float = 0.3
    base_sd: float = 0.8
    pair_sd: float = 0.5
    requester_sd: float = 0.3
    reliance_effect: float = 1.0
    day_only_share: float = 0.2
    missing_value_share: float = 0.2
    counter_share: float = 0.10
    change_share: float = 0.15
    revoke_share: float = 0.3


HELP = {
    "on_time": "expected on-time share of promised commitments (sets the intercept c)",
    "lead_effect": "scale of the lead-time effect f on the logit (0: none)",
    "lead_median_days": "median lead time asked for, in days",
    "lead_sigma": "sd of log lead time (log-normal; clipped to 2 hours .. 540 days)",
    "late_promise_share": "share of requests promised only after their due date (always late)",
    "batch_share": "share of commitments due on their performer's next release date",
    "slip_rate": "mean probability that a release slips, all its commitments late (0: never)",
    "drift_sd": "sd of a team's random-walk drift per 30 days, logit scale (0: none)",
    "reorg_rate": "abrupt shifts (reorgs) per team and year (0: none)",
    "reorg_sd": "sd of a reorg's shift, logit scale",
    "volume_sigma": "sd of log performer volume weights (0: equal volumes)",
    "performers_per_requester": "mean number of performers a requester works with",
    "single_performer_share": "share of requesters with exactly one performer",
    "base_sd": "sd of the performers' base reliability, logit scale",
    "pair_sd": "sd of a pair's own deviation, logit scale (0: none)",
    "requester_sd": "sd of a requester's strictness, logit scale (0: none)",
    "reliance_effect": "scale of the small reliance effect g (0: none)",
    "day_only_share": "share of teams recording dates only (00:00:00Z, due 23:59:59Z)",
    "missing_value_share": "share of accepts without a value rating (0: every accept rates; "
    "set 0 while `accord import` still requires a value)",
    "counter_share": "share of requests answered by a counter with a later date",
    "change_share": "share of on-time commitments first moved by an accepted change",
    "revoke_share": "share of warned failures that end in a revocation",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One `--flag` per field of `Realism`, defaulting to the realistic value."""
    group = parser.add_argument_group("realistic profile")
    for item in dataclasses.fields(Realism):
        flag = "--" + item.name.replace("_", "-")
        group.add_argument(
            flag, type=float, default=item.default, help=f"{HELP[item.name]} (%(default)s)"
        )


SHARES = (
    "late_promise_share", "batch_share", "single_performer_share", "day_only_share",
    "missing_value_share", "counter_share", "change_share", "revoke_share",
)  # fmt: skip


def check(realism: Realism) -> None:
    """Refuses settings the process cannot follow, naming the setting."""
    for item in dataclasses.fields(Realism):
        value = getattr(realism, item.name)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{item.name} must be a number >= 0, is {value}")
    for name in SHARES:
        if getattr(realism, name) > 1:
            raise ValueError(f"{name} must be a share from 0 to 1")
    if not 0 < realism.on_time < 1 or realism.slip_rate >= 1:
        raise ValueError("on_time must lie strictly between 0 and 1, slip_rate below 1")
    if realism.counter_share > 0.91 or realism.change_share > 0.92:
        raise ValueError("counter_share can be at most 0.91 and change_share at most 0.92")
    if realism.lead_median_days <= 0:
        raise ValueError("lead_median_days must be above 0")


def realism_from(args: argparse.Namespace) -> Realism:
    return Realism(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Realism)})


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-x)))


def lead_offset(lead_seconds: np.ndarray) -> np.ndarray:
    """f(lead time): the logit offset of a lead time (promise to due), in seconds."""
    days = np.maximum(lead_seconds / DAY, LEAD_KNOTS[0][0])
    xs = np.log([d for d, _ in LEAD_KNOTS])
    return np.interp(np.log(days), xs, [v for _, v in LEAD_KNOTS])


def _intercept(x: np.ndarray, keep: np.ndarray, target: float) -> float:
    """c such that mean(keep * sigmoid(x + c)) == target, by bisection."""
    if not 0 < target < keep.mean():
        raise ValueError(
            f"on_time {target} is out of reach: release slips and late promises leave at "
            f"most {keep.mean():.3f} on time with these settings"
        )
    low, high = -20.0, 20.0
    for _ in range(60):
        mid = (low + high) / 2
        if float(np.mean(keep * _sigmoid(x + mid))) < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _pairs(
    rng: np.random.Generator, teams: int, weight: np.ndarray, realism: Realism
) -> tuple[np.ndarray, np.ndarray]:
    """(requester, performer) index arrays of the distinct pairs, sorted by performer.

    A requester draws its performers in proportion to their volume weight, so the big teams
    serve many requesters; a share of the requesters has one performer only, and every team
    performs for at least one requester.
    """
    single = rng.random(teams) < realism.single_performer_share
    extra = max(
        (realism.performers_per_requester - realism.single_performer_share)
        / max(1 - realism.single_performer_share, 1e-9)
        - 2,
        0.0,
    )
    many = 2 + rng.negative_binomial(2, 2 / (2 + extra), teams) if extra > 0 else 2
    count = np.minimum(np.where(single, 1, many), teams - 1)
    requester = np.repeat(np.arange(teams), count)
    performer = rng.choice(teams, size=requester.size, p=weight / weight.sum())
    own = performer == requester
    performer[own] = (requester[own] + 1 + rng.integers(0, teams - 1, int(own.sum()))) % teams
    # every team performs for someone: a team nobody drew serves one requester of several
    idle = np.setdiff1d(np.arange(teams), performer)
    several = np.flatnonzero(~single)
    if idle.size and several.size:
        extra_req = several[rng.integers(0, several.size, idle.size)]
        own = extra_req == idle
        extra_req[own] = (idle[own] + 1) % teams
        performer = np.concatenate([performer, idle])
        requester = np.concatenate([requester, extra_req])
    codes = np.unique(performer.astype(np.int64) * teams + requester)
    return codes % teams, codes // teams


def simulate_realistic(
    teams: int,
    commitments: int,
    seed: int = 1,
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    days: int = 730,
    realism: Realism | None = None,
) -> Simulation:
    """Simulate `teams` teams making `commitments` commitments over `days` days from `start`.

    Same output as bench/simulate.py's `simulate`; `kinds` also names release slips
    (release_slip_*) and promises made after the due date (late_promise_*).
    """
    if teams < 2:
        raise ValueError("a simulation needs at least two teams")
    if start.tzinfo is None:
        raise ValueError("start must carry a time zone")
    cfg = realism or Realism()
    check(cfg)
    rng = np.random.default_rng(seed)
    org = organization(rng, teams, start, days)
    epoch, slugs = org.epoch, org.slugs
    n, m = teams, commitments
    n_purposes = len(org.purpose_keys)

    # who works with whom: heavy-tailed volumes, pairs sorted by performer
    # log-normal, clipped at its 99th percentile: a few teams carry most of the volume, but
    # no single team carries half of it
    volume = np.exp(cfg.volume_sigma * np.minimum(rng.normal(0, 1, n), 2.33))
    pair_req, pair_perf = _pairs(rng, n, volume, cfg)
    n_pairs = pair_req.size
    # one partnership per requester and up to three of its performers
    by_requester = np.lexsort((pair_perf, pair_req))
    pair_ship = np.empty(n_pairs, dtype=np.int64)
    groups: list[tuple[int, list[int]]] = []
    chunks: list[list[int]] = []
    run_req = -1
    for idx in by_requester.tolist():
        r = int(pair_req[idx])
        if r != run_req or len(chunks[-1]) == 3:
            run_req = r
            chunks.append([])
        chunks[-1].append(idx)
    for chunk in chunks:
        for idx in chunk:
            pair_ship[idx] = len(groups)
        group = [int(pair_req[chunk[0]]), *(int(pair_perf[idx]) for idx in chunk)]
        groups.append((int(rng.integers(n_purposes)), group))
    partnership_docs = org.add_partnerships(rng, groups)

    # latent team, requester and pair effects
    base = rng.normal(0, cfg.base_sd, n)
    strictness = rng.normal(0, cfg.requester_sd, n)
    deviation = rng.normal(0, cfg.pair_sd, n_pairs)
    steps = days // 7 + 2
    walk = rng.normal(0, cfg.drift_sd * math.sqrt(7 / 30), (n, steps))
    walk[:, 0] = 0
    reorgs = rng.poisson(cfg.reorg_rate * days / 365, n)
    shift_team = np.repeat(np.arange(n), reorgs)
    np.add.at(
        walk,
        (shift_team, rng.integers(1, steps, shift_team.size)),
        rng.normal(0, cfg.reorg_sd, shift_team.size),
    )
    drift = np.cumsum(walk, axis=1)
    honesty = _sigmoid(0.4 * base + rng.normal(0.3, 0.8, n))
    slip_team = (
        _sigmoid(math.log(cfg.slip_rate / (1 - cfg.slip_rate)) + rng.normal(0, 0.6, n) - 0.4 * base)
        if cfg.slip_rate > 0
        else np.zeros(n)
    )
    cadence = np.array(CADENCES)[rng.integers(len(CADENCES), size=n)] * DAY
    phase = (rng.random(n) * cadence // DAY) * DAY + RELEASE_HOUR
    day_only_team = rng.random(n) < cfg.day_only_share
    share = cfg.missing_value_share
    if 0 < share < 1:
        skip_rating = rng.beta(2 * share, 2 * (1 - share), n)
    else:
        skip_rating = np.full(n, float(share))

    # commitments: performer by volume, then one of its requesters by their weight
    has_pairs = np.unique(pair_perf)
    rank = np.searchsorted(has_pairs, pair_perf)
    pick_weight = rng.lognormal(0, 1.0, n)[pair_req] * rng.lognormal(0, 0.7, n_pairs)
    running = np.concatenate([[0.0], np.cumsum(pick_weight)])
    within = running[1:] - running[np.searchsorted(rank, rank, "left")]
    cum = within / np.bincount(rank, weights=pick_weight)[rank]
    last = np.r_[rank[1:] != rank[:-1], True]
    cum[last] = 1.0
    cum += rank
    perf_rank = rng.choice(has_pairs.size, m, p=volume[has_pairs] / volume[has_pairs].sum())
    pair = np.searchsorted(cum, perf_rank + rng.random(m), side="right")
    p_of = pair_perf[pair]
    r_of = pair_req[pair]
    day_only = day_only_team[p_of]

    t_req = epoch + np.sort(rng.integers(0, days * DAY - HOUR, m))
    lead0 = np.clip(
        np.exp(rng.normal(math.log(cfg.lead_median_days * DAY), cfg.lead_sigma, m)),
        2 * HOUR,
        540 * DAY,
    ).astype(np.int64)
    late = rng.random(m) < cfg.late_promise_share
    batched = (rng.random(m) < cfg.batch_share) & ~late
    cad = cadence[p_of]
    release = np.ceil((t_req + lead0 - epoch - phase[p_of]) / cad).astype(np.int64)
    release = np.maximum(release, 0)
    late_lead = (2 * HOUR + rng.random(m) * 3 * DAY).astype(np.int64)
    due0 = np.where(
        batched,
        epoch + phase[p_of] + release * cad,
        t_req + np.where(late, late_lead, lead0),
    )
    due0 = np.where(day_only, due0 // DAY * DAY + DAY - 1, due0)
    ask = due0 - t_req
    response = np.where(
        rng.random(m) < 0.1,
        rng.uniform(0.1, 0.5, m) * ask,
        np.minimum(np.clip(rng.exponential(1.2 * DAY, m), 600, 4 * DAY), 0.25 * ask),
    ).astype(np.int64)
    response = np.where(late, ask + HOUR + rng.exponential(2 * DAY, m), response)
    t_resp = t_req + response.astype(np.int64)

    # before the promise: 0 promise, 1 decline, 2 withdraw, 3 counter then accept_counter,
    # 4 counter, revise, promise, 5 counter then withdraw
    u = rng.random((m, 16))
    c_share = cfg.counter_share
    path = np.select(
        [u[:, 0] < 0.06, u[:, 0] < 0.09, u[:, 0] < 0.09 + c_share], [1, 2, 3], default=0
    )
    path = np.where(late, 0, path)
    path = np.where((path == 3) & (u[:, 3] >= 0.8), np.where(u[:, 3] < 0.9, 4, 5), path)
    path = np.where((path == 4) & batched, 3, path)
    countered = np.where(batched, due0 + cad, due0 + ((2 + 12 * u[:, 1]) * DAY).astype(np.int64))
    countered = np.where(day_only, countered // DAY * DAY + DAY - 1, countered)
    release = np.where(batched & (path >= 3), release + 1, release)
    t_answer = t_resp + (0.1 * DAY + u[:, 2] * np.minimum(DAY, 0.3 * (countered - t_resp))).astype(
        np.int64
    )
    revised = countered - DAY
    t_promise_after_revise = t_answer + (
        0.1 * DAY + u[:, 2] * np.minimum(DAY, 0.3 * (revised - t_answer))
    ).astype(np.int64)
    tp = np.select(
        [path == 3, path == 4, path == 5], [t_answer, t_promise_after_revise, t_answer], t_resp
    )
    due_p = np.select([path == 3, path == 4, path == 5], [countered, revised, countered], due0)
    lead_p = due_p - tp

    reliance = rng.choice(len(RELIANCE), m, p=np.array([w for _, w in RELIANCE]))
    step = np.clip((tp - epoch) // WEEK, 0, steps - 1)
    x = (
        base[p_of]
        + drift[p_of, step]
        + deviation[pair]
        + strictness[r_of]
        + cfg.lead_effect * lead_offset(lead_p.astype(np.float64))
        + cfg.reliance_effect * np.array(RELIANCE_OFFSET)[reliance]
    )
    keep = np.where(late, 0.0, 1 - np.where(batched, slip_team[p_of], 0.0))
    promised = (path == 0) | (path == 3) | (path == 4)
    c = _intercept(x[promised], keep[promised], cfg.on_time)
    chance = _sigmoid(x + c)
    truth_p = keep * chance

    # the releases: each slips as a whole, by a delay common to all its commitments
    release_code = np.where(batched, p_of.astype(np.int64) * 1_000_000 + release, -1)
    codes, release_of = np.unique(release_code, return_inverse=True)
    slipped_release = rng.random(codes.size) < slip_team[codes // 1_000_000]
    slipped_release[codes < 0] = False
    delay_release = DAY + rng.exponential(SLIP_MEAN_DAYS * DAY, codes.size)
    slipped = batched & slipped_release[release_of]
    success = ~late & ~slipped & (u[:, 5] < chance)
    reliability = _sigmoid(base[p_of] + drift[p_of, step] + c)

    titles = [f"{v} {o}" for v in VERBS for o in OBJECTS]
    title_of = rng.integers(len(titles), size=m).tolist()
    cond_of = rng.integers(len(CONDITIONS), size=m).tolist()
    noise = rng.normal(0, 0.7, m).tolist()
    bits = rng.integers(0, 2**31, m).tolist()
    rates = (rng.random(m) >= skip_rating[r_of]).tolist()

    honesty_l = honesty.tolist()
    writer = org.story()
    c_width = max(6, len(str(m)))
    reliance_names = [name for name, _ in RELIANCE]
    commitment_docs: list[dict[str, Any]] = []
    truth: dict[str, float] = {}
    kinds_of: dict[str, str] = {}
    used_pairs: set[int] = set()
    move_count = 0
    columns = zip(
        p_of.tolist(), r_of.tolist(), pair.tolist(), path.tolist(), t_req.tolist(),
        t_resp.tolist(), due0.tolist(), countered.tolist(), revised.tolist(),
        t_answer.tolist(), tp.tolist(), due_p.tolist(), day_only.tolist(), late.tolist(),
        slipped.tolist(), delay_release[release_of].tolist(), success.tolist(),
        truth_p.tolist(), reliance.tolist(), reliability.tolist(), u.tolist(), strict=True,
    )  # fmt: skip
    for i, (p, r, pi, way, t0, t1, d0, dc, dr, ta, t_p, due, day, lp, slip, delay, ok, prob,
            rel, rely, ui) in enumerate(columns):  # fmt: skip
        key = f"c-{i + 1:0{c_width}d}"
        used_pairs.add(pi)
        history = writer.begin(r, p, bits[i], day, rates[i])
        add = writer.add
        writer.request(t0, titles[title_of[i]], CONDITIONS[cond_of[i]], d0, reliance_names[rel])
        bit = bits[i]
        kind = ""
        if way == 1:
            add("decline", 1, t1, reason=DECLINE_REASONS[bit % 3])
            kind = "declined"
        elif way == 2:
            add("withdraw", 0, t1, reason=WITHDRAW_REASONS[bit % 3])
            kind = "withdrawn"
        elif way >= 3:
            add("counter", 1, t1, due=dc, note=COUNTER_NOTES[bit % 2])
            if way == 3:
                add("accept_counter", 0, ta)
            elif way == 4:
                add("revise", 0, ta, due=dr, note="Meet us halfway")
                add("promise", 1, t_p)
            else:
                add("withdraw", 0, ta, reason=WITHDRAW_REASONS[bit % 3])
                kind = "withdrawn"
        else:
            add("promise", 1, t_p)
        truth[key] = prob
        if not kind:
            if lp:
                kind = _late_promise(writer, ui, t_p, due, rely, noise[i])
            elif slip:
                kind = _slipped(writer, ui, t_p, due, delay, honesty_l[p], rely, noise[i])
            else:
                kind = _perform(writer, ui, t_p, due, ok, honesty_l[p], rely, noise[i], cfg)
        kinds_of[key] = kind
        move_count += len(history)
        ship_key = partnership_docs[int(pair_ship[pi])]["key"]
        commitment_docs.append(org.commitment(key, ship_key, r, p, history))

    document = org.document(commitment_docs)
    team_reliability = {
        slug: float(v) for slug, v in zip(slugs, _sigmoid(base + c).tolist(), strict=True)
    }
    return Simulation(document, truth, kinds_of, team_reliability, len(used_pairs), move_count)


def _perform(
    w: Story,
    ui: list[float],
    tp: float,
    due: int,
    success: bool,
    honesty: float,
    reliability: float,
    noise: float,
    cfg: Realism,
) -> str:
    """A promised commitment's story from its promise at `tp` to the outcome drawn for it.

    `ui` holds the commitment's uniform draws; columns 4 and 6-15 are used here.
    """
    span = due - tp
    lateness = HOUR - math.log(1 - ui[11]) * 6 * DAY
    if ui[4] < 0.03:
        w.add("withdraw", 0, tp + (0.2 + 0.7 * ui[8]) * span, reason=WITHDRAW_REASONS[1])
        return "withdrawn"
    if success:
        pick = ui[6]
        if pick < 1 - cfg.change_share - 0.08:
            # work lands close to its due date: a few days early, seldom weeks
            slack = 600 - math.log(1 - ui[8]) * 4 * DAY
            done = w.add("report_done", 1, due - min(slack, 0.7 * span), note="Done")
            w.accept(done, False, reliability, noise, ui[12])
            return "on_time"
        if pick < 1 - cfg.change_share:
            first = w.add("report_done", 1, tp + (0.3 + 0.3 * ui[8]) * span, note="First cut")
            w.add("reject", 0, first + 0.1 * span, reason=REJECT_REASONS[int(ui[13] * 3)])
            slack = 600 - math.log(1 - ui[9]) * 2 * DAY
            done = w.add("report_done", 1, due - min(slack, 0.15 * span), note="Fixed")
            w.accept(done, False, reliability, noise, ui[12])
            return "on_time_rejected_once"
        proposed = tp + (0.5 + 0.4 * ui[8]) * span
        new_due = w.snap(due + (3 + 18 * ui[9]) * DAY)
        w.add("propose_change", 1, proposed, due=new_due, note=CHANGE_NOTES[int(ui[13] * 3)])
        agreed = w.add("accept_change", 0, proposed + (0.05 + 0.45 * ui[10]) * (due - proposed))
        # half of them deliver on the new date itself, which still counts as on time
        done_at = new_due if ui[7] < 0.5 else agreed + (0.1 + 0.8 * ui[11]) * (new_due - agreed)
        done = w.add("report_done", 1, done_at, note="Done, on the new date")
        w.accept(done, False, reliability, noise, ui[12])
        return "on_time_renegotiated"
    if ui[6] < honesty:
        pick = ui[7]
        cut = cfg.revoke_share
        if pick < cut:
            w.add(
                "revoke", 1, tp + (0.3 + 0.6 * ui[8]) * span, reason=REVOKE_REASONS[int(ui[13] * 3)]
            )
            return "honest_revoked"
        rest = (pick - cut) / max(1 - cut, 1e-9)
        warned = tp + (0.3 + 0.3 * ui[8]) * span
        new_due = w.snap(due + (3 + 18 * ui[9]) * DAY)
        w.add("propose_change", 1, warned, due=new_due, note=CHANGE_NOTES[int(ui[13] * 3)])
        answered = warned + (0.05 + 0.35 * ui[10]) * (due - warned)
        if rest < 4 / 7:
            w.add("reject_change", 0, answered, reason="The date cannot move")
            done = w.add("report_done", 1, due + lateness, note="Late, as announced")
            w.accept(done, True, reliability, noise, ui[12])
            return "honest_late"
        answered = w.add("accept_change", 0, answered)
        # a warning counts for the due date agreed before it, so the new date needs its own
        second = answered + (0.4 + 0.5 * ui[12]) * (new_due - answered)
        if rest < 5.5 / 7:
            second = w.add("propose_change", 1, second, due=new_due + 7 * DAY, note=CHANGE_NOTES[0])
            w.add("reject_change", 0, second + 0.2 * (new_due - second), reason="No more slips")
            done = w.add("report_done", 1, new_due + lateness, note="Late again, as announced")
            w.accept(done, True, reliability, noise, ui[12])
            return "honest_late_twice_warned"
        w.add("revoke", 1, second, reason=REVOKE_REASONS[int(ui[13] * 3)])
        return "honest_revoked_after_change"
    pick = ui[7]
    if pick < 0.55:
        done = w.add("report_done", 1, due + lateness, note="Done")
        w.accept(done, True, reliability, noise, ui[12])
        return "silent_late"
    if pick < 0.85:
        w.add("mark_missed", 0, due + HOUR - math.log(1 - ui[10]) * 4 * DAY, note="Never came")
        return "silent_missed"
    if pick < 0.95:
        # revoked without notice: the due date had already passed
        w.add("revoke", 1, due + lateness, reason=REVOKE_REASONS[int(ui[13] * 3)])
        return "silent_revoked"
    w.add("mark_missed", 0, due + (30 + 90 * ui[10]) * DAY, note="Found in a clean-up")
    return "silent_forgotten"


def _slipped(
    w: Story,
    ui: list[float],
    tp: float,
    due: int,
    delay: float,
    honesty: float,
    reliability: float,
    noise: float,
) -> str:
    """A commitment whose release slipped: it ships with the release, `delay` after its date."""
    span = due - tp
    shipped = due + delay + ui[11] * DAY
    if ui[4] < 0.03:
        w.add("withdraw", 0, tp + (0.2 + 0.7 * ui[8]) * span, reason=WITHDRAW_REASONS[1])
        return "withdrawn"
    if ui[6] < honesty:
        warned = due - (0.05 + 0.25 * ui[8]) * span
        if ui[7] < 0.1:
            w.add("revoke", 1, warned, reason="The release was cancelled")
            return "release_slip_revoked"
        new_due = w.snap(due + delay)
        w.add("propose_change", 1, warned, due=new_due, note="The release moves")
        w.add("reject_change", 0, warned + 0.5 * (due - warned), reason="We need the date")
        done = w.add("report_done", 1, max(shipped, due + 60), note="Shipped with the release")
        w.accept(done, True, reliability, noise, ui[12])
        return "release_slip_warned"
    done = w.add("report_done", 1, shipped, note="Shipped with the release")
    w.accept(done, True, reliability, noise, ui[12])
    return "release_slip_silent"


def _late_promise(
    w: Story, ui: list[float], tp: float, due: int, reliability: float, noise: float
) -> str:
    """A promise made after the due date had passed: delivered late, or never."""
    if ui[7] < 0.8:
        done = w.add("report_done", 1, tp + HOUR - math.log(1 - ui[11]) * 5 * DAY, note="Done")
        w.accept(done, True, reliability, noise, ui[12])
        return "late_promise_late"
    w.add("mark_missed", 0, tp + HOUR - math.log(1 - ui[10]) * 10 * DAY, note="Never came")
    return "late_promise_missed"
