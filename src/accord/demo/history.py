"""The generator's random source and clock, and the script of one commitment's history."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from accord.commitments.domain import FINAL, TRANSITIONS, Move, State, Who
from accord.demo.plans import Plan


def email_of(name: str) -> str:
    """'James O'Neill' -> 'james.oneill@example.org'."""
    return ".".join(name.lower().replace("'", "").split()) + "@example.org"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def due_day(moment: datetime) -> datetime:
    """End of business (17:00 UTC) on the working day of `moment`, or the next one."""
    day = moment.date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(17, 0), UTC)


@dataclass
class Generator:
    """The generator: its random source, its clock and what it has made so far."""

    plan: Plan
    rng: random.Random
    anchor: datetime
    members: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # team -> (email, role)
    viewers: set[str] = field(default_factory=set)
    ability: dict[str, float] = field(default_factory=dict)  # team -> its on-time rate, drawn
    scripts: list[CommitmentScript] = field(default_factory=list)

    @property
    def midnight(self) -> datetime:
        return datetime.combine(self.anchor.date(), time(0, 0), UTC)

    def work(self, moment: datetime, *, backwards: bool = False) -> datetime:
        """A working hour (08:00-16:55 UTC, Monday to Friday) on the day of `moment`."""
        day = moment.date()
        while day.weekday() >= 5:
            day += timedelta(days=-1 if backwards else 1)
        clock = time(self.rng.randint(8, 16), self.rng.randrange(0, 60, 5))
        return datetime.combine(day, clock, UTC)

    def ago(self, days: float) -> datetime:
        """A working hour on the day `days` before the anchor's day (never after the anchor)."""
        return self.work(self.midnight - timedelta(days=days), backwards=True)

    def script(self, partnership: str, requester: str, performer: str) -> CommitmentScript:
        """A new commitment between two parties, its history yet to be made."""
        sides = {"R": self.actors(requester, performer), "P": self.actors(performer, requester)}
        script = CommitmentScript(self, partnership, requester, performer, sides)
        self.scripts.append(script)
        return script

    def actors(self, team: str, other: str) -> list[str]:
        """Who may act for `team` facing `other`: its non-viewer members who are not in both."""
        others = {email for email, _ in self.members[other]}
        return [
            email
            for email, _ in self.members[team]
            if email not in self.viewers and email not in others
        ]

    def leads(self, team: str) -> list[str]:
        return [email for email, role in self.members[team] if role == "lead"]

    def reliability(self, requester: str, performer: str) -> float:
        base = self.ability[performer] + self.plan.pair_bias.get((requester, performer), 0.0)
        return min(max(base, 0.05), 0.97)


class CommitmentScript:
    """One commitment's history, built move by move by the table in §1, cut at the anchor."""

    def __init__(
        self,
        generator: Generator,
        partnership: str,
        requester: str,
        performer: str,
        sides: dict[str, list[str]],
    ) -> None:
        self.generator = generator
        self.rng = generator.rng
        self.partnership = partnership
        self.requester = requester
        self.performer = performer
        self.sides = sides
        self.main = {side: self.rng.choice(people) for side, people in sides.items()}
        self.history: list[dict[str, Any]] = []
        self.state: State | None = None
        self.due = generator.anchor
        self.last = generator.anchor
        self.pending_due: datetime | None = None
        self.pending_by = ""
        self.cut = False

    @property
    def requested_at(self) -> datetime:
        return datetime.fromisoformat(self.history[0]["at"])

    @property
    def live(self) -> bool:
        return not self.cut and self.state not in FINAL

    def after(self, low: float, high: float) -> datetime:
        """A working hour `low`-`high` days after the last move."""
        return self.generator.work(self.last + timedelta(days=self.rng.uniform(low, high)))

    def toward_due(self, share: float) -> datetime:
        """A working hour `share` of the way from the last move to the due date."""
        span = max(self.due - self.last, timedelta(hours=6))
        return self.generator.work(self.last + span * share)

    def past_due(self, low: float, high: float) -> datetime:
        return self.generator.work(self.due + timedelta(days=self.rng.uniform(low, high)))

    def step(
        self,
        move: str,
        at: datetime,
        *,
        side: str = "",
        due_in: float | None = None,
        due_shift: float | None = None,
        **fields: Any,
    ) -> bool:
        """Make a move at `at` (nudged to keep times strictly increasing); False once cut."""
        if not self.live:
            return False
        the_move = Move(move)
        transition = TRANSITIONS.get((self.state, the_move))
        if transition is None:
            raise RuntimeError(f"demo commitment: {move!r} is not possible from {self.state}")
        if transition.who == Who.R:
            side = "R"
        elif transition.who == Who.P:
            side = "P"
        elif transition.who == Who.OTHER:
            side = "R" if self.pending_by == "P" else "P"
        elif side not in ("R", "P"):
            raise RuntimeError(f"demo commitment: {move!r} needs a side")
        if self.history and at <= self.last:
            at = self.last + timedelta(minutes=self.rng.randint(5, 95))
        if the_move == Move.MARK_MISSED and at <= self.due:
            at = self.due + timedelta(hours=self.rng.randint(16, 40))
        if at > self.generator.anchor:
            self.cut = True
            return False
        due: datetime | None = None
        if due_in is not None:
            due = due_day(at + timedelta(days=due_in))
        elif due_shift is not None:
            due = due_day(self.due + timedelta(days=due_shift))
        if due is not None and due <= at + timedelta(hours=12):
            due = due_day(at + timedelta(days=3))
        entry: dict[str, Any] = {"move": move, "by": self.actor(side), "at": iso(at)}
        for name in ("title", "conditions_of_satisfaction"):
            if name in fields:
                entry[name] = fields.pop(name)
        if due is not None:
            entry["due"] = iso(due)
        entry.update(fields)
        self.history.append(entry)
        self._effect(the_move, side, due)
        self.state = transition.to
        self.last = at
        return True

    def actor(self, side: str) -> str:
        """Mostly the side's usual person, sometimes another of its members."""
        if self.rng.random() < 0.8:
            return self.main[side]
        return self.rng.choice(self.sides[side])

    def _effect(self, move: Move, side: str, due: datetime | None) -> None:
        if move in (Move.REQUEST, Move.REVISE) and due is not None:
            self.due = due
        elif move in (Move.COUNTER, Move.PROPOSE_CHANGE):
            self.pending_due, self.pending_by = due, side
        elif move in (Move.ACCEPT_COUNTER, Move.ACCEPT_CHANGE):
            if self.pending_due is not None:
                self.due = self.pending_due
            self.pending_due, self.pending_by = None, ""
        elif move == Move.REJECT_CHANGE:
            self.pending_due, self.pending_by = None, ""
