"""The simulated organization both generators share, and the writer of commitment histories.

bench/simulate.py (the plain profile) and bench/realistic.py draw the same scaffolding: teams,
their lead and member, purposes, partnerships from groups of teams, and the document around
the commitments. They differ in who works with whom and in how commitments are drawn. Every
function here takes the caller's random generator and draws from it in a fixed order, so a
seed gives the same organization whichever module builds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

HOUR = 3600
DAY = 86400

KINDS = (
    ("team", 0.6),
    ("delivery_group", 0.15),
    ("business_unit", 0.1),
    ("shared_service", 0.15),
)
CAPABILITIES = (
    "data and analytics", "platform engineering", "customer insight", "go-to-market",
    "security review", "operations", "design and research", "finance and pricing",
    "legal and compliance", "field support", "integration work", "quality assurance",
)  # fmt: skip
THEMES = (
    "Halve customer churn", "Launch in two new markets", "Cut time to onboard by half",
    "Zero unplanned outages", "Double self-service revenue", "One view of the customer",
    "Make every release reversible", "Close the books in three days",
)  # fmt: skip
AGREEMENTS = (
    "Say early when a date slips",
    "Review open commitments every sprint",
    "Escalate blockers within a day",
    "Share the data behind every decision",
)


class Clock:
    """Epoch seconds as ISO 8601 text in UTC; strftime once per day is what keeps it fast."""

    def __init__(self) -> None:
        self.days: dict[int, str] = {}

    def iso(self, seconds: int) -> str:
        day, rest = divmod(seconds, DAY)
        text = self.days.get(day)
        if text is None:
            text = datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%d")
            self.days[day] = text
        hours, rest = divmod(rest, HOUR)
        minutes, secs = divmod(rest, 60)
        return f"{text}T{hours:02d}:{minutes:02d}:{secs:02d}Z"


class Story:
    """Writes one commitment's history: moves in time order, dropped past the end.

    Times are epoch seconds. For a team that records dates only (`day_only`), due dates come in
    already at 23:59:59 of their day and moves are written at 00:00:00 of theirs, which keeps
    every move's order against every due date (a move after 23:59:59 falls on the next day).
    Without `rates`, accepts carry no value rating.
    """

    def __init__(self, clock: Clock, leads: list[str], members: list[str], end: int) -> None:
        self.iso = clock.iso
        self.people = (members, leads)
        self.end = end
        self.teams = (0, 0)
        self.bits = 0
        self.day_only = False
        self.rates = True
        self.last = 0
        self.step = 0
        self.history: list[dict[str, Any]] = []

    def begin(
        self, requester: int, performer: int, bits: int, day_only: bool = False, rates: bool = True
    ) -> list[dict[str, Any]]:
        self.teams = (requester, performer)
        self.bits = bits
        self.day_only = day_only
        self.rates = rates
        self.last = self.step = 0
        self.history = []
        return self.history

    def snap(self, due: float) -> int:
        """A due date as this commitment's team records it."""
        due_s = int(due)
        return due_s // DAY * DAY + DAY - 1 if self.day_only else due_s

    def add(self, move: str, side: int, at: float, **fields: Any) -> int:
        """`side` 0 is the requester, 1 the performer; either of its two people makes the move.

        Returns the time the move was made (kept after the one before, even past the end).
        """
        at_s = max(int(at), self.last + 60)
        self.last = at_s
        self.step += 1
        if at_s > self.end:
            return at_s
        by = self.people[(self.bits >> self.step) & 1][self.teams[side]]
        shown = at_s // DAY * DAY if self.day_only else at_s
        entry: dict[str, Any] = {"move": move, "by": by, "at": self.iso(shown)}
        for name, value in fields.items():
            entry[name] = self.iso(int(value)) if name == "due" else value
        self.history.append(entry)
        return at_s

    def request(self, at: float, title: str, conditions: str, due: float, reliance: str) -> int:
        """The requester's opening move."""
        return self.add(
            "request",
            0,
            at,
            title=title,
            conditions_of_satisfaction=conditions,
            due=due,
            reliance=reliance,
        )

    def accept(self, at: float, late: bool, reliability: float, noise: float, wait: float) -> None:
        """The requester accepts `at` plus half an hour and up to three days (`wait` in 0..1)."""
        if self.rates:
            value = max(1, min(5, round(1 + 4 * reliability + noise - (1 if late else 0))))
            self.add("accept", 0, at + 1800 + wait * 3 * DAY, value=value)
        else:
            self.add("accept", 0, at + 1800 + wait * 3 * DAY)


def pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...], size: int) -> list[str]:
    """`size` names drawn from a table of (name, weight)."""
    names = [name for name, _ in table]
    weights = np.array([w for _, w in table])
    return [names[i] for i in rng.choice(len(names), size=size, p=weights / weights.sum())]


@dataclass
class Organization:
    """Teams (by index), their people, purposes and partnerships, as `accord/1` sections.

    `leads[i]` and `members[i]` are the emails of team i's two people; `end` is the epoch
    second past which no move is written.
    """

    epoch: int
    end: int
    clock: Clock
    slugs: list[str]
    team_docs: list[dict[str, Any]]
    leads: list[str]
    members: list[str]
    people_docs: list[dict[str, Any]]
    purpose_keys: list[str]
    purpose_docs: list[dict[str, Any]]
    partnership_docs: list[dict[str, Any]] = field(default_factory=list)

    def add_partnerships(
        self, rng: np.random.Generator, groups: list[tuple[int, list[int]]]
    ) -> list[dict[str, Any]]:
        """One partnership per (purpose index, party team indexes), every party affirmed at the
        start; each draws the capabilities its parties contribute."""
        s_width = max(5, len(str(len(groups))))
        affirmed_at = self.clock.iso(self.epoch)
        for j, (purpose, group) in enumerate(groups):
            skills = rng.permutation(len(CAPABILITIES))[: len(group)].tolist()
            self.partnership_docs.append(
                {
                    "key": f"pship-{j + 1:0{s_width}d}",
                    "name": f"Partnership {j + 1:0{s_width}d}",
                    "purpose": self.purpose_keys[purpose],
                    "working_agreements": list(AGREEMENTS[: 1 + j % 3]),
                    "review_every_days": (14, 30, 60, 90)[j % 4],
                    "parties": [
                        {
                            "team": self.slugs[t],
                            "contribution": f"{self.team_docs[t]['name']}: {CAPABILITIES[s]}",
                            "affirmed_by": self.leads[t],
                            "affirmed_at": affirmed_at,
                        }
                        for t, s in zip(group, skills, strict=True)
                    ],
                }
            )
        return self.partnership_docs

    def commitment(
        self, key: str, partnership: str, requester: int, performer: int, history: list[Any]
    ) -> dict[str, Any]:
        """A commitment's document between two teams (by index)."""
        return {
            "key": key,
            "partnership": partnership,
            "requester": self.slugs[requester],
            "performer": self.slugs[performer],
            "history": history,
        }

    def story(self) -> Story:
        return Story(self.clock, self.leads, self.members, self.end)

    def document(self, commitment_docs: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "format": "accord/1",
            "teams": self.team_docs,
            "people": self.people_docs,
            "purposes": self.purpose_docs,
            "partnerships": self.partnership_docs,
            "commitments": commitment_docs,
        }


def organization(rng: np.random.Generator, teams: int, start: datetime, days: int) -> Organization:
    """`teams` teams, each with a lead and a member, and one purpose per ten teams, for a
    window of `days` days from `start`; partnerships come after, by `add_partnerships`."""
    epoch = int(start.timestamp())
    width = max(4, len(str(teams)))
    slugs = [f"team-{i + 1:0{width}d}" for i in range(teams)]
    kinds = pick(rng, KINDS, teams)
    team_docs = [
        {
            "slug": slug,
            "name": f"Sim Team {i + 1:0{width}d}",
            "kind": kind,
            "mission": f"Be the partner others count on for {CAPABILITIES[i % len(CAPABILITIES)]}",
        }
        for i, (slug, kind) in enumerate(zip(slugs, kinds, strict=True))
    ]
    leads = [f"lead-{i + 1:0{width}d}@sim.example" for i in range(teams)]
    members = [f"member-{i + 1:0{width}d}@sim.example" for i in range(teams)]
    people_docs = [
        {
            "email": email,
            "name": f"{role.title()} {i + 1:0{width}d}",
            "role": "member",
            "memberships": [{"team": slugs[i], "role": role}],
        }
        for i in range(teams)
        for email, role in ((leads[i], "lead"), (members[i], "member"))
    ]
    n_purposes = max(1, round(teams / 10))
    p_width = max(3, len(str(n_purposes)))
    purpose_keys = [f"purpose-{k + 1:0{p_width}d}" for k in range(n_purposes)]
    target_date = (start + timedelta(days=days + 180)).date().isoformat()
    purpose_docs = [
        {
            "key": key,
            "title": f"{THEMES[k % len(THEMES)]} ({key})",
            "statement": f"Why it matters: {THEMES[k % len(THEMES)].lower()} is how we win.",
            "status": "active",
            "sponsor": leads[int(rng.integers(teams))],
            "target_date": target_date,
        }
        for k, key in enumerate(purpose_keys)
    ]
    return Organization(
        epoch,
        epoch + days * DAY,
        Clock(),
        slugs,
        team_docs,
        leads,
        members,
        people_docs,
        purpose_keys,
        purpose_docs,
    )
