"""The demo's health-check rounds: quarterly on signed charters, and one open today."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from accord.demo.history import Generator, iso
from accord.demo.plans import DEMO_LOGIN

# Rounds draw their answers from a random source of their own, so that adding them left every
# commitment of the demo as it was (their times still come from the generator's clock).
HEALTH_EVERY_DAYS = 91
HEALTH_ROUNDS = 4
STATEMENT_NAMES = ("purpose", "direction", "ability", "integrity", "value", "overall")


def _perception(gen: Generator, team: str, partners: list[str], drift: float) -> dict[str, float]:
    """What a party feels, statement by statement, on the 1-5 scale: near its partners' real
    record (abilities), with a drift that shrinks round after round as evidence comes in."""
    profiles = gen.plan.profiles
    ability = sum(gen.reliability(team, p) for p in partners) / len(partners)
    integrity = sum(profiles[p].integrity for p in partners if p in profiles) / len(partners)
    value = sum(profiles[p].quality for p in partners if p in profiles) / len(partners)
    feel = {
        "purpose": 3.6 + ability,
        "direction": 3.2 + ability,
        "ability": 1 + 4 * ability,
        "integrity": 1 + 4 * integrity,
        "value": value,
    }
    feel = {name: level + drift for name, level in feel.items()}
    feel["overall"] = (feel["ability"] + feel["integrity"] + feel["value"]) / 3 + 0.2
    return feel


def _answers(rng: random.Random, feel: dict[str, float], people: int) -> dict[str, list[int]]:
    distribution = {name: [0] * 5 for name in STATEMENT_NAMES}
    for _ in range(people):
        for name in STATEMENT_NAMES:
            level = round(min(max(rng.gauss(feel[name], 0.7), 1), 5))
            distribution[name][level - 1] += 1
    return distribution


def health_checks(gen: Generator, seed: int) -> list[dict[str, Any]]:
    """Quarterly rounds on every partnership all of whose parties signed, and one round open on
    Churn signals that the demo account has yet to answer."""
    rng = random.Random(seed * 7919 + 1)
    rounds: list[dict[str, Any]] = []
    for plan in gen.plan.partnerships:
        if not all(party.affirmed for party in plan.parties):
            continue
        teams = [party.team for party in plan.parties]
        last_close = max(plan.requests_until_days_ago, 6)
        closes = [
            days
            for days in range(last_close, plan.formed_days_ago - 30, HEALTH_EVERY_DAYS)
            if days + 14 < plan.formed_days_ago
        ][:HEALTH_ROUNDS]
        for number, days in enumerate(reversed(closes), start=1):
            drift = 0.5 * (len(closes) - number) / max(len(closes), 1)
            parties = []
            answered: list[str] = []
            for team in teams:
                # one answer per person, under one party, however many parties they are in
                people = [
                    email
                    for email, _ in gen.members[team]
                    if email not in gen.viewers and email not in answered
                ]
                # most of a team answers; a smaller team sometimes falls short of the threshold
                count = len(people) if rng.random() < 0.8 else max(len(people) - 1, 1)
                answered += sorted(rng.sample(people, count))
                partners = [other for other in teams if other != team]
                feel = _perception(gen, team, partners, drift)
                parties.append(
                    {
                        "team": team,
                        "responses": count,
                        "distribution": _answers(rng, feel, count),
                    }
                )
            opened = gen.ago(days + 14)
            rounds.append(
                {
                    "key": f"{plan.key}-round-{number}",
                    "partnership": plan.key,
                    "opened_by": gen.leads(teams[0])[0],
                    "opened_at": iso(opened),
                    "closes_at": iso(gen.ago(days)),
                    "answered_by": sorted(answered),
                    "parties": parties,
                }
            )
    done = sum(1 for r in rounds if r["partnership"] == "churn-signals")
    rounds.append(_open_round(gen, rng, done + 1))
    return rounds


def _open_round(gen: Generator, rng: random.Random, number: int) -> dict[str, Any]:
    """Churn signals' current round: most have answered, the demo account has not."""
    teams = ("data-platform", "customer-success", "account-management")
    plan = gen.plan.partnership("churn-signals")
    waiting = {DEMO_LOGIN, "oscar.lindqvist@example.org"}
    parties, answered = [], []
    for team in teams:
        people = [
            email
            for email, _ in gen.members[team]
            if email not in gen.viewers and email not in answered and email not in waiting
        ]
        answered += people
        partners = [other for other in teams if other != team]
        feel = _perception(gen, team, partners, 0.0)
        parties.append(
            {
                "team": team,
                "responses": len(people),
                "distribution": _answers(rng, feel, len(people)),
            }
        )
    return {
        "key": f"{plan.key}-round-{number}",
        "partnership": plan.key,
        "opened_by": DEMO_LOGIN,
        "opened_at": iso(gen.ago(3)),
        "closes_at": iso(gen.midnight + timedelta(days=11, hours=17)),
        "answered_by": sorted(answered),
        "parties": parties,
    }
