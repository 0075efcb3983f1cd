"""A forecast's main reasons in words (DESIGN §2 Forecast, "Why").

The fitted model says how far each feature moved this forecast's log-odds from the average
commitment's; the largest moves, grouped by what they are about, become sentences a lead can
check against what they know ("promised 2 days ahead, short for this organization").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accord.trust.features import Inputs
from accord.trust.learner import FittedModel

# Which features speak of one thing: the reason is said once, with their summed effect.
TOPICS = {
    "pair_logit": "pair",
    "pair_evidence": "pair",
    "team_logit": "team",
    "team_evidence": "team",
    "org_logit": "org",
    "requester_logit": "requester",
    "requester_evidence": "requester",
    "lead_log": "lead",
    "lead_under_1": "lead",
    "lead_1_7": "lead",
    "lead_8_30": "lead",
    "lead_31_90": "lead",
    "past_due": "lead",
    "elapsed": "elapsed",
    "reliance": "reliance",
    "counters": "counters",
    "changes": "changes",
    "pending_change": "changes",
    "open_load": "load",
    "same_due": "batch",
    "team_recent_logit": "recent",
    "recent_misses": "recent",
    "recent_miss_batches": "recent",
    "pair_weighted": "pair",
    "team_weighted": "team",
    "reliance_none": "reliance",
    "reliance_critical": "reliance",
}
SHOWN = 3
NOTICEABLE = 0.05  # log-odds: a smaller push is not worth a sentence


@dataclass(frozen=True)
class Names:
    requester: str
    performer: str


def _count(value: float) -> int:
    return round(value)


def _days(days: float) -> str:
    if days < 1:
        hours = max(round(days * 24), 0)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    whole = round(days)
    return f"{whole} day{'s' if whole != 1 else ''}"


def _record(r: float, s: float) -> str:
    total = r + s
    if total < 0.5:
        return "no finished commitment yet"
    return f"on time in {_count(r)} of {max(_count(total), 1)}, recent ones weighing most"


def _others(inputs: Inputs, wt: float) -> float:
    """The performer's rate with its other partners (the pair's prior, DESIGN §2)."""
    r = max(inputs.team[0] - inputs.pair[0], 0.0)
    s = max(inputs.team[1] - inputs.pair[1], 0.0)
    return (r + wt * inputs.org_rate()) / (r + s + wt)


def pair_reasons(inputs: Inputs, names: Names) -> list[str]:
    """Why the pair's ability is what it is: the pair's record, or the team's it leans on."""
    r, s = inputs.pair
    if r + s >= 0.5:
        return [f"{names.performer} for {names.requester}: {_record(r, s)}"]
    tr, ts = inputs.team
    return [
        f"{names.requester} has no finished commitment with {names.performer} yet; "
        f"{names.performer} with all its partners: {_record(tr, ts)}"
    ]


def _than(level: float, other: float, what: str) -> str:
    if abs(level - other) < 0.02:
        return f"about as {what}"
    return f"better than {what}" if level > other else f"worse than {what}"


def _sentence(topic: str, inputs: Inputs, names: Names, effect: float, wt: float, wp: float) -> str:
    higher = effect > 0
    org = inputs.org_rate()
    if topic == "pair":
        pair = inputs.pair_opinion(wt, wp).expected
        others = _others(inputs, wt)
        return (
            f"{names.performer} for {names.requester}: {_record(*inputs.pair)}, "
            f"{_than(pair, others, 'with its other partners')}"
        )
    if topic == "team":
        team = inputs.team_opinion(wt).expected
        return (
            f"{names.performer} with all its partners: {_record(*inputs.team)}, "
            f"{_than(team, org, 'the organization')}"
        )
    if topic == "org":
        return f"the organization lands {org:.0%} of its commitments on time, lately"
    if topic == "requester":
        r, s = inputs.requester
        asked = (r + wt * org) / (r + s + wt)
        return (
            f"what {names.requester} asks for, from all teams: {_record(r, s)}, "
            f"{_than(asked, org, 'the organization')}"
        )
    if topic == "lead":
        if inputs.lead_days < 0:
            return "promised after its due date had passed"
        ample = "more time than most" if higher else "short for this organization"
        return f"promised {_days(inputs.lead_days)} ahead of its due date, {ample}"
    if topic == "elapsed":
        return f"{_days(max(inputs.left_days, 0.0))} left before its due date"
    if topic == "reliance":
        return "what is relied on most tends to be kept" if higher else "relied on little"
    if topic == "counters":
        times = inputs.counters
        return f"the terms were countered {times} time{'s' if times != 1 else ''} before"
    if topic == "changes":
        if inputs.pending_change:
            return "a change of its terms is waiting for an answer"
        times = inputs.changes
        return f"its terms were renegotiated {times} time{'s' if times != 1 else ''}"
    if topic == "load":
        return f"{names.performer} has {inputs.open_load} other promised commitments open"
    if topic == "batch":
        near = inputs.same_due
        return (
            f"{near} other commitment{'s' if near != 1 else ''} of {names.performer} "
            "fall due within a day of this one"
        )
    hits, misses, batches = inputs.recent
    if misses and batches < misses:
        return (
            f"{names.performer}'s last 30 days: {hits} on time, {misses} late on "
            f"{batches} due date{'s' if batches != 1 else ''}"
        )
    return f"{names.performer}'s last 30 days: {hits} on time, {misses} late"


def model_reasons(model: FittedModel, inputs: Inputs, names: Names) -> list[str]:
    """The main reasons of a fitted forecast, strongest first, each saying which way it pushes."""
    effects: dict[str, float] = {}
    for name, value in model.contributions(inputs):
        topic = TOPICS.get(name, name)
        effects[topic] = effects.get(topic, 0.0) + value
    ranked = sorted(effects.items(), key=lambda item: -abs(item[1]))
    reasons = []
    for topic, effect in ranked[:SHOWN]:
        if abs(effect) < NOTICEABLE or not math.isfinite(effect):
            continue
        way = "raises" if effect > 0 else "lowers"
        sentence = _sentence(
            topic, inputs, names, effect, model.team_prior_weight, model.pair_prior_weight
        )
        reasons.append(f"{sentence} ({way} the forecast)")
    return reasons or ["nothing sets this commitment apart from the organization's usual"]
