"""Simulated organizations with known latent reliabilities, as `accord/1` documents.

Every performer team has a base reliability on the logit scale, every (requester, performer)
pair a deviation from it, and every team a slow random-walk drift. A commitment is delivered
and accepted on time with probability sigmoid(base + deviation + drift at its promise time):
that probability is the oracle `truth` a forecast can be scored against.

"On time" is meant as DESIGN.md §2 scores it: delivered_at <= the due date in force at the end.
A performer that warns, gets a later date accepted and meets it is therefore a success; the
honest failures are the ones the model also scores as failures (revoked before the due date,
or warned and delivered late anyway).

Histories are simulated in full, then cut at the end of the window: any prefix of a valid
history is valid, and the cut leaves commitments requested, promised or overdue at the end.

That is the plain profile, `simulate()`, which bench/benchmark.py and the tests call. The
command line's default profile is the realistic one of bench/realistic.py
(`simulate_realistic()`): lead-time effect, release slips, drift with reorgs, heavy-tailed
volumes, day-only teams and missing ratings. Both write the oracle to OUT.truth.json.

    python bench/simulate.py --teams 2000 --commitments 500000 --seed 1 --out /tmp/sim
    python bench/simulate.py --profile plain --teams 2000 --commitments 500000 --out /tmp/plain
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from organization import DAY, HOUR, Story, organization, pick

DRIFT_STEP_DAYS = 30

RELIANCE = (("none", 0.2), ("low", 0.25), ("medium", 0.25), ("high", 0.2), ("critical", 0.1))
VERBS = (
    "Deliver", "Ship", "Provide", "Publish", "Migrate", "Review", "Integrate", "Automate",
    "Document", "Test", "Harden", "Launch",
)  # fmt: skip
OBJECTS = (
    "the monthly revenue extract", "the customer health score", "the payments API v2",
    "the onboarding checklist", "the pricing rules", "the fraud signals feed",
    "the release pipeline", "the identity service upgrade", "the data retention policy",
    "the partner dashboard", "the support macros", "the capacity forecast",
    "the search relevance fix", "the consent records", "the mobile login flow",
    "the warehouse schema change",
)  # fmt: skip
CONDITIONS = (
    "Live in production and announced to the requesting team",
    "Reviewed and signed off by both leads",
    "Available to every account, with monitoring in place",
    "Documented, with a runbook the on-call team has read",
    "Tested against last quarter's data with no open defects",
    "",
)
DECLINE_REASONS = ("No capacity this quarter", "Out of our scope", "Blocked by a dependency")
WITHDRAW_REASONS = ("No longer needed", "Priorities changed", "Solved another way")
REVOKE_REASONS = (
    "A key engineer left and we cannot make it",
    "The dependency we counted on was cancelled",
    "We under-estimated the work and must stop",
)
REJECT_REASONS = ("Does not meet the conditions", "Fails on real data", "Missing documentation")
CHANGE_NOTES = ("We need more time", "A dependency slipped", "Scope grew after review")
COUNTER_NOTES = ("We can do it, a little later", "Earliest date we can commit to")


@dataclass
class Simulation:
    """One simulated organization: the document and what the simulator knows about it.

    `truth`: commitment key -> probability it is delivered and accepted on time, as drawn
    at its promise time (at the planned promise time when it was never promised).
    `kinds`: commitment key -> the story simulated for it before the cut at the end
    (on_time, on_time_rejected_once, on_time_renegotiated, honest_revoked, honest_late,
    honest_late_twice_warned, honest_revoked_after_change, silent_late, silent_missed,
    silent_open, declined, withdrawn).
    `reliability`: team slug -> sigmoid of its base logit (no pair deviation, no drift).
    `pairs`: distinct (requester, performer) pairs with a commitment; `moves`: moves written.
    """

    document: dict[str, Any]
    truth: dict[str, float]
    kinds: dict[str, str] = field(default_factory=dict)
    reliability: dict[str, float] = field(default_factory=dict)
    pairs: int = 0
    moves: int = 0


def _partnerships(
    rng: np.random.Generator, teams: int, target_pairs: int, purposes: int
) -> list[tuple[int, list[int]]]:
    """(purpose index, party team indexes) until `target_pairs` directed pairs are covered.

    Each round shuffles every team into groups of 2-4, so all teams join about as many
    partnerships as each other.
    """
    found: list[tuple[int, list[int]]] = []
    seen: set[int] = set()
    rounds = 0
    while len(seen) < target_pairs and rounds < 50 + 20 * target_pairs // max(teams, 1):
        rounds += 1
        order = rng.permutation(teams).tolist()
        i = 0
        while teams - i >= 2:
            size = min(int(rng.integers(2, 5)), teams - i)
            if teams - i - size == 1:
                size = size + 1 if size < 4 else size - 1
            group = order[i : i + size]
            i += size
            found.append((int(rng.integers(purposes)), group))
            for r in group:
                for p in group:
                    if r != p:
                        seen.add(r * teams + p)
            if len(seen) >= target_pairs:
                break
    return found


def simulate(
    teams: int,
    commitments: int,
    seed: int = 1,
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    days: int = 730,
    *,
    pairs: int | None = None,
    pair_sd: float = 0.7,
    drift_sd: float = 0.15,
) -> Simulation:
    """Simulate `teams` teams making `commitments` commitments over `days` days from `start`.

    `pairs`: how many distinct (requester, performer) pairs the partnerships open up; by
    default 25 per team, at most half of all ordered pairs. `pair_sd`: the sd of a pair's
    deviation, `drift_sd`: the sd of a team's drift per 30 days, both on the logit scale.
    """
    if teams < 2:
        raise ValueError("a simulation needs at least two teams")
    if start.tzinfo is None:
        raise ValueError("start must carry a time zone")
    rng = np.random.default_rng(seed)
    org = organization(rng, teams, start, days)
    epoch, slugs = org.epoch, org.slugs
    target = pairs or min(25 * teams, teams * (teams - 1) // 2)
    groups = _partnerships(rng, teams, target, len(org.purpose_keys))
    partnership_docs = org.add_partnerships(rng, groups)
    triples: list[tuple[int, int, int]] = []  # (partnership, requester, performer)
    for j, (_, group) in enumerate(groups):
        triples.extend((j, r, p) for r in group for p in group if r != p)

    # latent model
    low, high = math.log(0.3 / 0.7), math.log(0.97 / 0.03)
    base = rng.uniform(low, high, teams)
    steps = days // DRIFT_STEP_DAYS + 2
    drift = np.concatenate(
        [np.zeros((teams, 1)), np.cumsum(rng.normal(0, drift_sd, (teams, steps - 1)), axis=1)],
        axis=1,
    )
    honesty = 1 / (1 + np.exp(-(0.4 * (base - base.mean()) + rng.normal(0.3, 0.8, teams))))
    pair_index: dict[int, int] = {}
    triple_pair = np.empty(len(triples), dtype=np.int64)
    for t, (_, r, p) in enumerate(triples):
        triple_pair[t] = pair_index.setdefault(r * teams + p, len(pair_index))
    deviation = rng.normal(0, pair_sd, len(pair_index))

    activity = rng.lognormal(0, 1, len(triples))
    chosen = rng.choice(len(triples), size=commitments, p=activity / activity.sum())
    t_req = rng.uniform(0, days * DAY - HOUR, commitments)
    order = np.argsort(t_req, kind="stable")
    chosen, t_req = chosen[order], t_req[order]
    lead_time = np.clip(np.exp(rng.normal(math.log(21), 0.6, commitments)), 3, 120) * DAY
    # one request in ten waits long for an answer, so some are still unanswered at the end
    response = np.where(
        rng.random(commitments) < 0.1,
        rng.uniform(0.1, 0.5, commitments) * lead_time,
        np.minimum(
            np.clip(rng.exponential(1.2 * DAY, commitments), 600, 4 * DAY), 0.25 * lead_time
        ),
    )
    u = rng.random((commitments, 14))
    noise = rng.normal(0, 0.7, commitments).tolist()
    bits = rng.integers(0, 2**31, commitments).tolist()
    reliances = pick(rng, RELIANCE, commitments)
    titles = [f"{v} {o}" for v in VERBS for o in OBJECTS]
    title_of = rng.integers(len(titles), size=commitments).tolist()
    cond_of = rng.integers(len(CONDITIONS), size=commitments).tolist()

    base_l, drift_l, honesty_l = base.tolist(), drift.tolist(), honesty.tolist()
    deviation_l = deviation.tolist()
    tri_pair_l = triple_pair.tolist()
    chosen_l, t_req_l = chosen.tolist(), t_req.tolist()
    lead_l, response_l = lead_time.tolist(), response.tolist()
    c_width = max(6, len(str(commitments)))
    partnership_keys = [d["key"] for d in partnership_docs]
    story = org.story()

    commitment_docs: list[dict[str, Any]] = []
    truth: dict[str, float] = {}
    kinds_of: dict[str, str] = {}
    used_pairs: set[int] = set()
    move_count = 0
    for i in range(commitments):
        key = f"c-{i + 1:0{c_width}d}"
        tri = chosen_l[i]
        j, r, p = triples[tri]
        used_pairs.add(tri_pair_l[tri])
        ui = u[i].tolist()
        bit = bits[i]
        history = story.begin(r, p, bit)
        add = story.add
        t0 = epoch + int(t_req_l[i]) + 60
        due = t0 + int(lead_l[i])
        story.request(t0, titles[title_of[i]], CONDITIONS[cond_of[i]], due, reliances[i])
        t = t0 + response_l[i]
        b = ui[0]
        kind = ""
        if b < 0.06:
            add("decline", 1, t, reason=DECLINE_REASONS[bit % 3])
            kind = "declined"
        elif b < 0.09:
            add("withdraw", 0, t, reason=WITHDRAW_REASONS[bit % 3])
            kind = "withdrawn"
        elif b < 0.19:
            countered = due + int((2 + 12 * ui[1]) * DAY)
            add("counter", 1, t, due=countered, note=COUNTER_NOTES[bit % 2])
            t += 0.1 * DAY + ui[2] * min(DAY, 0.3 * (countered - t))
            if ui[3] < 0.8:
                add("accept_counter", 0, t)
                due = countered
            elif ui[3] < 0.9:
                due = countered - DAY
                add("revise", 0, t, due=due, note="Meet us halfway")
                t += 0.1 * DAY + ui[2] * min(DAY, 0.3 * (due - t))
                add("promise", 1, t)
            else:
                add("withdraw", 0, t, reason=WITHDRAW_REASONS[bit % 3])
                kind = "withdrawn"
        else:
            add("promise", 1, t)
        tp = float(story.last)
        drift_at = drift_l[p][min(int((tp - epoch) // (DRIFT_STEP_DAYS * DAY)), steps - 1)]
        chance = 1 / (1 + math.exp(-(base_l[p] + deviation_l[tri_pair_l[tri]] + drift_at)))
        truth[key] = chance
        if not kind:
            kind = _perform(
                story, ui, tp, due, chance, honesty_l[p], base_l[p] + drift_at, noise[i]
            )
        kinds_of[key] = kind
        move_count += len(history)
        commitment_docs.append(org.commitment(key, partnership_keys[j], r, p, history))

    document = org.document(commitment_docs)
    reliability = {slug: 1 / (1 + math.exp(-b)) for slug, b in zip(slugs, base_l, strict=True)}
    return Simulation(document, truth, kinds_of, reliability, len(used_pairs), move_count)


def _perform(
    story: Story,
    ui: list[float],
    tp: float,
    due: int,
    chance: float,
    honesty: float,
    team_logit: float,
    noise: float,
) -> str:
    """The rest of a promised commitment's story, from its promise at `tp`; returns its kind.

    `ui` holds the commitment's uniform draws; columns 4-13 are used here, each for one choice.
    """
    add = story.add
    span = due - tp
    reliability = 1 / (1 + math.exp(-team_logit))
    lateness = HOUR - math.log(1 - ui[11]) * 6 * DAY

    def accept(at: float, late: bool) -> None:
        story.accept(at, late, reliability, noise, ui[12])

    if ui[4] < 0.03:
        add("withdraw", 0, tp + (0.2 + 0.7 * ui[8]) * span, reason=WITHDRAW_REASONS[1])
        return "withdrawn"
    if ui[5] < chance:
        pick = ui[6]
        if pick < 0.77:
            delivered = tp + (0.3 + 0.67 * ui[8]) * span
            add("report_done", 1, delivered, note="Done")
            accept(delivered, False)
            return "on_time"
        if pick < 0.85:
            first = tp + (0.3 + 0.3 * ui[8]) * span
            add("report_done", 1, first, note="First cut")
            add("reject", 0, first + 0.1 * span, reason=REJECT_REASONS[int(ui[13] * 3)])
            delivered = tp + (0.8 + 0.17 * ui[9]) * span
            add("report_done", 1, delivered, note="Fixed")
            accept(delivered, False)
            return "on_time_rejected_once"
        proposed = tp + (0.5 + 0.4 * ui[8]) * span
        new_due = due + int((3 + 18 * ui[9]) * DAY)
        add("propose_change", 1, proposed, due=new_due, note=CHANGE_NOTES[int(ui[13] * 3)])
        add("accept_change", 0, proposed + (0.05 + 0.45 * ui[10]) * (due - proposed))
        # half of them deliver on the new date itself, which still counts as on time
        delivered = new_due if ui[7] < 0.5 else due + (0.1 + 0.85 * ui[11]) * (new_due - due)
        add("report_done", 1, delivered, note="Done, on the new date")
        accept(delivered, False)
        return "on_time_renegotiated"
    if ui[6] < honesty:
        pick = ui[7]
        if pick < 0.3:
            at = tp + (0.3 + 0.65 * ui[8]) * span
            add("revoke", 1, at, reason=REVOKE_REASONS[int(ui[13] * 3)])
            return "honest_revoked"
        warned = tp + (0.3 + 0.3 * ui[8]) * span
        new_due = due + int((3 + 18 * ui[9]) * DAY)
        add("propose_change", 1, warned, due=new_due, note=CHANGE_NOTES[int(ui[13] * 3)])
        answered = warned + (0.05 + 0.35 * ui[10]) * (due - warned)
        if pick < 0.7:
            add("reject_change", 0, answered, reason="The date cannot move")
            delivered = due + lateness
            add("report_done", 1, delivered, note="Late, as announced")
            accept(delivered, True)
            return "honest_late"
        add("accept_change", 0, answered)
        # a warning counts for the due date agreed before it, so the new date needs its own
        second = answered + (0.4 + 0.5 * ui[12]) * (new_due - answered)
        if pick < 0.85:
            add("propose_change", 1, second, due=new_due + 7 * DAY, note=CHANGE_NOTES[0])
            add("reject_change", 0, second + 0.2 * (new_due - second), reason="No more slips")
            delivered = new_due + lateness
            add("report_done", 1, delivered, note="Late again, as announced")
            accept(delivered, True)
            return "honest_late_twice_warned"
        add("revoke", 1, second, reason=REVOKE_REASONS[int(ui[13] * 3)])
        return "honest_revoked_after_change"
    pick = ui[7]
    if pick < 0.55:
        delivered = due + lateness
        add("report_done", 1, delivered, note="Done")
        accept(delivered, True)
        return "silent_late"
    if pick < 0.9:
        add("mark_missed", 0, due + HOUR - math.log(1 - ui[10]) * 4 * DAY, note="Never came")
        return "silent_missed"
    return "silent_open"


def documents(sim: Simulation, batch: int) -> Iterator[dict[str, Any]]:
    """The simulation as documents of at most `batch` commitments each, in time order.

    Every document repeats the teams, people, purposes and partnerships: import is idempotent
    by keys, so each one can be imported on its own after the ones before it.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    doc = sim.document
    items = doc["commitments"]
    for first in range(0, max(len(items), 1), batch):
        yield {**doc, "commitments": items[first : first + batch]}


def _write(path: Path, data: Any) -> None:
    with path.open("w", encoding="utf-8") as out:
        json.dump(data, out, separators=(",", ":"))


def main(argv: list[str] | None = None) -> int:
    from realistic import add_arguments, realism_from, simulate_realistic

    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="The realistic profile is described in bench/realistic.py; its flags are "
        "ignored by the plain one.",
    )
    parser.add_argument(
        "--profile",
        choices=("realistic", "plain"),
        default="realistic",
        help="realistic: lead-time effect, release slips, drift and reorgs, heavy-tailed "
        "volumes, day-only teams, missing ratings (bench/realistic.py); plain: every "
        "commitment drawn alike, as `simulate()` (default %(default)s)",
    )
    parser.add_argument("--teams", type=int, required=True)
    parser.add_argument("--commitments", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument(
        "--start", default="2024-01-01T00:00:00Z", help="ISO 8601 instant (default %(default)s)"
    )
    parser.add_argument(
        "--out",
        required=True,
        help="the document; with --batch, OUT-001.json, OUT-002.json ... "
        "(a .json suffix is dropped first); the truth goes to OUT.truth.json",
    )
    parser.add_argument("--batch", type=int, help="at most this many commitments per document")
    add_arguments(parser)
    args = parser.parse_args(argv)

    began = time.perf_counter()
    start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
    if args.profile == "plain":
        sim = simulate(args.teams, args.commitments, args.seed, start, args.days)
    else:
        try:
            sim = simulate_realistic(
                args.teams, args.commitments, args.seed, start, args.days, realism_from(args)
            )
        except ValueError as error:
            parser.error(str(error))
    out = Path(args.out)
    stem = str(out)[: -len(".json")] if out.suffix == ".json" else str(out)
    if args.batch:
        parts = list(documents(sim, args.batch))
        width = max(3, len(str(len(parts))))
        for number, part in enumerate(parts, 1):
            _write(Path(f"{stem}-{number:0{width}d}.json"), part)
    else:
        _write(out, sim.document)
    _write(Path(f"{stem}.truth.json"), sim.truth)
    doc = sim.document
    sys.stdout.write(
        f"teams={len(doc['teams'])} people={len(doc['people'])} "
        f"partnerships={len(doc['partnerships'])} pairs={sim.pairs} "
        f"profile={args.profile} commitments={len(doc['commitments'])} moves={sim.moves} "
        f"seconds={time.perf_counter() - began:.1f}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
