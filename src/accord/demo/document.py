"""The demo organization as one `accord/1` document, drawn from its plan and a seed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from accord.demo.commitments import scripted_commitments, simulated_commitments
from accord.demo.history import Generator, email_of, iso
from accord.demo.plans import HISTORY_DAYS, MeasurePlan, PurposePlan, plan
from accord.demo.rounds import health_checks


def build_demo(seed: int = 7, anchor: datetime | None = None) -> dict[str, Any]:
    """A realistic organization as an `accord/1` document; the same seed and anchor give the
    same document."""
    if anchor is None:
        anchor = datetime.combine(datetime.now(UTC).date(), time(0, 0), UTC)
    if anchor.tzinfo is None:
        raise ValueError("the demo's anchor must carry a time zone")
    gen = Generator(plan=plan(), rng=random.Random(seed), anchor=anchor.astimezone(UTC))
    people = _people(gen)
    gen.ability = {
        team: min(max(profile.ability + gen.rng.uniform(-0.05, 0.05), 0.05), 0.97)
        for team, profile in gen.plan.profiles.items()
    }
    purposes = _purposes(gen)
    partnerships, opened = _partnerships(gen)
    scripted_commitments(gen)
    simulated_commitments(gen, opened)
    scripts = sorted((s for s in gen.scripts if s.history), key=lambda s: s.requested_at)
    commitments = [
        {
            "key": f"c-{index:03d}",
            "partnership": script.partnership,
            "requester": script.requester,
            "performer": script.performer,
            "history": script.history,
        }
        for index, script in enumerate(scripts, start=1)
    ]
    return {
        "format": "accord/1",
        "teams": [
            {
                "slug": team.slug,
                "name": team.name,
                "kind": team.kind,
                "parent": team.parent,
                "mission": team.mission,
            }
            for team in gen.plan.teams
        ],
        "people": people,
        "purposes": purposes,
        "partnerships": partnerships,
        "commitments": commitments,
        "health_checks": health_checks(gen, seed),
        "stories": _shared_stories(gen),
    }


def _people(gen: Generator) -> list[dict[str, Any]]:
    gen.members = {team.slug: [] for team in gen.plan.teams}
    people = []
    for person in gen.plan.people:
        email = email_of(person.name)
        if person.role == "viewer":
            gen.viewers.add(email)
        for team, team_role in person.memberships:
            gen.members[team].append((email, team_role))
        people.append(
            {
                "email": email,
                "name": person.name,
                "role": person.role,
                "memberships": [
                    {"team": team, "role": team_role} for team, team_role in person.memberships
                ],
            }
        )
    return people


def _purposes(gen: Generator) -> list[dict[str, Any]]:
    out = []
    for purpose in gen.plan.purposes:
        measures = []
        for measure in purpose.measures:
            item: dict[str, Any] = {
                "name": measure.name,
                "unit": measure.unit,
                "baseline": measure.baseline,
                "target": measure.target,
                "current": measure.current,
            }
            if purpose.status != "draft":
                item["updates"] = _measure_updates(gen, purpose, measure)
            measures.append(item)
        out.append(
            {
                "key": purpose.key,
                "title": purpose.title,
                "statement": purpose.statement,
                "status": purpose.status,
                "sponsor": email_of(purpose.sponsor),
                "target_date": (
                    gen.anchor.date() + timedelta(days=purpose.target_in_days)
                ).isoformat(),
                "parent": purpose.parent,
                "measures": measures,
            }
        )
    return out


def _measure_updates(
    gen: Generator, purpose: PurposePlan, measure: MeasurePlan
) -> list[dict[str, Any]]:
    """Quarterly readings by the sponsor, drifting from the baseline to the current value."""
    first, last = HISTORY_DAYS - 60, max(purpose.tracked_until_days_ago, 20)
    days = list(range(first, last - 1, -91))
    if days[-1] != last:
        days.append(last)
    spread = abs(measure.target - measure.baseline) * 0.04
    updates = []
    for index, days_ago in enumerate(days, start=1):
        share = index / len(days)
        value = measure.baseline + (measure.current - measure.baseline) * share
        if index < len(days):
            value += gen.rng.uniform(-spread, spread)
        else:
            value = measure.current
        updates.append(
            {
                "value": round(value, measure.decimals),
                "at": iso(gen.ago(days_ago)),
                "note": "Quarterly reading" if index < len(days) else "Latest reading",
                "by": email_of(purpose.sponsor),
            }
        )
    return updates


def _partnerships(gen: Generator) -> tuple[list[dict[str, Any]], dict[str, datetime]]:
    """The charters, and when each partnership may take its first request."""
    out, opened = [], {}
    for partnership in gen.plan.partnerships:
        parties = []
        last = gen.ago(partnership.formed_days_ago)
        for offset, plan_party in enumerate(partnership.parties):
            party: dict[str, Any] = {
                "team": plan_party.team,
                "contribution": plan_party.contribution,
            }
            if plan_party.affirmed:
                at = max(
                    gen.ago(partnership.formed_days_ago - offset), last + timedelta(minutes=30)
                )
                party["affirmed_by"] = gen.rng.choice(gen.leads(plan_party.team))
                party["affirmed_at"] = iso(at)
                last = at
            parties.append(party)
        item: dict[str, Any] = {
            "key": partnership.key,
            "name": partnership.name,
            "purpose": partnership.purpose,
            "working_agreements": list(partnership.working_agreements),
            "review_every_days": partnership.review_every_days,
            "parties": parties,
        }
        if partnership.status:
            item["status"] = partnership.status
        out.append(item)
        opened[partnership.key] = last
    return out, opened


def _shared_stories(gen: Generator) -> list[dict[str, Any]]:
    out = []
    for story in gen.plan.stories:
        at = gen.ago(story.days_ago)
        item: dict[str, Any] = {
            "key": story.key,
            "title": story.title,
            "author": email_of(story.author),
            "created_at": iso(at),
            "updated_at": iso(at),
            "body": story.body,
            "tags": list(story.tags),
            "partnerships": list(story.partnerships),
            "teams": list(story.teams),
            "purposes": list(story.purposes),
            "results": story.results,
            "metric": (
                {"name": story.metric[0], "value": story.metric[1], "unit": story.metric[2]}
                if story.metric
                else None
            ),
            "hidden": None,
            "replies": [
                {
                    "author": email_of(author),
                    # a working hour that may fall back over a weekend: never before the story
                    "at": iso(max(gen.ago(story.days_ago - after), at + timedelta(hours=2))),
                    "body": text,
                }
                for author, after, text in story.replies
            ],
        }
        out.append(item)
    return out
