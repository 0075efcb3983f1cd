"""The demo's commitments: the scripted ones from the data, then the simulated bulk."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from accord.demo.history import CommitmentScript, Generator
from accord.demo.plans import RANDOM_COMMITMENTS, PartnershipPlan, TeamProfile


def scripted_commitments(gen: Generator) -> None:
    """Commitments that must exist whatever the seed: every final state, every open state,
    every path through the table, and work on the demo account's desk."""
    catalog = gen.plan.catalog
    for item in gen.plan.scripted:
        script = gen.script(item.partnership, item.requester, item.performer)
        for move in item.moves:
            fields = {k: v for k, v in move.items() if k not in ("move", "days_ago")}
            if "catalog_item" in fields:
                title, conditions = catalog[item.performer][fields.pop("catalog_item")]
                fields = {"title": title, "conditions_of_satisfaction": conditions, **fields}
            script.step(move["move"], gen.ago(move["days_ago"]), **fields)


def simulated_commitments(gen: Generator, opened: dict[str, datetime]) -> None:
    """The bulk of the history: requests spread over each partnership's active months."""
    plans = list(gen.plan.partnerships)
    weights = [
        plan.weight * (plan.formed_days_ago - plan.requests_until_days_ago) for plan in plans
    ]
    rng = gen.rng
    for _ in range(RANDOM_COMMITMENTS):
        plan = rng.choices(plans, weights)[0]
        teams = [party.team for party in plan.parties]
        requester, performer = rng.sample(teams, 2)
        first = max((gen.midnight - opened[plan.key]).days - 4, 1)
        last = max(plan.requests_until_days_ago, 1)
        script = gen.script(plan.key, requester, performer)
        at = gen.ago(last + (first - last) * rng.random() ** 1.25)  # adoption grows
        if at <= opened[plan.key]:
            at = opened[plan.key] + timedelta(days=3)
        _simulate(gen, script, plan, at)


def _simulate(
    gen: Generator, script: CommitmentScript, plan: PartnershipPlan, at: datetime
) -> None:
    """From the request to a promise, or to its end before one."""
    rng = gen.rng
    words = gen.plan.phrases
    profile = gen.plan.profiles[script.performer]
    title, conditions = rng.choice(gen.plan.catalog[script.performer])
    reliances = words.reliance_weights
    reliance = rng.choices(list(reliances), list(reliances.values()))[0]
    request: dict[str, Any] = {
        "title": title,
        "conditions_of_satisfaction": conditions,
        "reliance": reliance,
    }
    purpose = gen.plan.purpose(plan.purpose)
    if reliance in ("medium", "high", "critical") and rng.random() < 0.5:
        request["measure"] = rng.choice(purpose.measures).name
    script.step("request", at, due_in=rng.triangular(7, 90, 28), **request)

    roll = rng.random()
    if roll < 0.05:
        script.step("decline", script.after(0.2, 4), reason=rng.choice(words.decline_reasons))
        return
    if roll < 0.07:
        script.step("withdraw", script.after(0.5, 4), reason=rng.choice(words.withdraw_reasons))
        return
    if roll < 0.24:
        terms: dict[str, Any] = {}
        kind = rng.random()
        if kind < 0.85:
            terms["due_shift"] = rng.choice((7, 10, 14, 21, 28))
        if kind > 0.7:
            terms["conditions_of_satisfaction"] = rng.choice(words.counter_terms)
        script.step("counter", script.after(0.2, 3), **terms)
        answer = rng.random()
        if answer < 0.68:
            script.step("accept_counter", script.after(0.3, 5))
        elif answer < 0.9:
            if "due_shift" in terms:
                shift, note = rng.choice((3, 5, 7)), "Meet us halfway on the date"
            else:
                shift, note = rng.choice((7, 14)), "Take more time, but we need all of it"
            script.step("revise", script.after(0.3, 5), due_shift=shift, note=note)
            if rng.random() < 0.1:
                at = script.after(0.2, 3)
                script.step("decline", at, reason=rng.choice(words.decline_reasons))
                return
            script.step("promise", script.after(0.2, 3))
        else:
            script.step("withdraw", script.after(0.2, 3), reason=rng.choice(words.withdraw_reasons))
            return
    else:
        script.step("promise", script.after(0.1, 3))
    _deliver(gen, script, profile)


def _deliver(gen: Generator, script: CommitmentScript, profile: TeamProfile) -> None:
    """From a promise to the end: changes of terms, delivery or not, review."""
    rng = gen.rng
    words = gen.plan.phrases
    ability = gen.reliability(script.requester, script.performer)
    if rng.random() < 0.08:
        change = rng.random()
        at = script.toward_due(rng.uniform(0.2, 0.5))
        if change < 0.4:
            script.step(
                "propose_change",
                at,
                side="R",
                due_shift=-rng.choice((3, 5, 7)),
                note=rng.choice(words.earlier_notes),
            )
        elif change < 0.7:
            script.step(
                "propose_change",
                at,
                side="R",
                due_shift=rng.choice((7, 14)),
                note=rng.choice(words.later_notes),
            )
        else:
            script.step(
                "propose_change",
                at,
                side="R",
                conditions_of_satisfaction=rng.choice(words.scope_changes),
            )
        if rng.random() < 0.7:
            script.step("accept_change", script.after(0.1, 2))
        else:
            script.step("reject_change", script.after(0.1, 2), reason="We cannot fit that in now")
    on_time = rng.random() < ability
    if not on_time and rng.random() < profile.integrity:
        at = script.toward_due(rng.uniform(0.5, 0.9))
        if rng.random() < 0.2:
            script.step("revoke", at, reason=rng.choice(words.notice_revoke_reasons))
            return
        script.step(
            "propose_change",
            at,
            side="P",
            due_shift=rng.choice((7, 14, 21, 28)),
            note=rng.choice(words.delay_notes),
        )
        if rng.random() < 0.78:
            script.step("accept_change", script.after(0.1, 2))
            on_time = rng.random() < min(ability + 0.3, 0.97)
        else:
            at = script.after(0.1, 2)
            script.step("reject_change", at, reason=rng.choice(words.reject_change_reasons))
    if not script.live:
        return
    if on_time:
        delivered = script.toward_due(rng.uniform(0.55, 0.98))
    else:
        fate = rng.random()
        if fate < 0.5:
            delivered = script.past_due(1, 21)
        elif fate < 0.78:
            script.step("mark_missed", script.past_due(3, 25), note=rng.choice(words.missed_notes))
            return
        elif fate < 0.9:
            at = script.past_due(1, 10)
            script.step("revoke", at, reason=rng.choice(words.late_revoke_reasons))
            return
        else:
            at = script.past_due(1, 10)
            script.step("withdraw", at, reason=rng.choice(words.withdraw_reasons))
            return
    script.step("report_done", delivered, note=rng.choice(words.done_notes))
    rejections = 0
    while rejections < 2 and rng.random() < 0.1 + (4.4 - profile.quality) * 0.08:
        script.step("reject", script.after(0.3, 4), reason=rng.choice(words.reject_reasons))
        script.step(
            "report_done", script.after(1, 7), note="Fixed: " + rng.choice(words.done_notes).lower()
        )
        rejections += 1
    mean = profile.quality - (0.0 if on_time else 0.8) - 0.3 * rejections
    value = min(max(round(rng.gauss(mean, 0.7)), 1), 5)
    script.step("accept", script.after(0.2, 4), value=value, note=words.value_notes[value])
