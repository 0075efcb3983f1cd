"""Evidence from commitment histories (DESIGN §2's table), as a fold over commitment events.

A `Track` is what trust needs to know of one commitment; `advance` applies one event to it.
The same fold serves the upkeep of every move, `accord trust rebuild`, as-of replays and the
backtest, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accord.trust.model import Evidence, days_between, decay_weight, scaled_weight

TeamRef = int | str
COMMITTED = frozenset({"promised", "renegotiating"})
OPEN = frozenset({"requested", "countered", "promised", "renegotiating", "delivered"})
FINISHED = frozenset({"accepted", "revoked", "missed"})
FINAL = FINISHED | {"declined", "withdrawn"}
# Moves that agree on the due date in force; a warning counts only after the last of them.
AGREEMENTS = frozenset({"promise", "accept_counter", "accept_change"})
PROMISES = frozenset({"promise", "accept_counter"})
RELIANCE_WEIGHT = {"none": 0.0, "low": 0.25, "medium": 0.5, "high": 0.75, "critical": 1.0}
SUBJECT_PREFIX = "commitment:"
# The parts of a commitment event's payload a track (and the forecast's sweep) reads: the log
# may be read with only these (`TrustStore.commitment_moves`).
TRACK_FIELDS: tuple[tuple[str, ...], ...] = (
    ("move",),
    ("to",),
    ("side",),
    ("requester",),
    ("performer",),
    ("partnership",),
    ("args", "due"),
    ("args", "reliance"),
    ("args", "value"),
    ("terms", "due"),
)


def commitment_key(subject: str) -> str | None:
    return subject.removeprefix(SUBJECT_PREFIX) if subject.startswith(SUBJECT_PREFIX) else None


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class Outcome:
    """What one commitment says of its performer, at its evidence time."""

    at: datetime
    on_time: bool
    kept_word: bool
    value: int | None = None

    def evidence(self, weight: float) -> Evidence:
        ability = (weight, 0.0) if self.on_time else (0.0, weight)
        integrity = (weight, 0.0) if self.kept_word else (0.0, weight)
        value = (0.0, 0.0)
        if self.value is not None:
            share = (self.value - 1) / 4
            value = (weight * share, weight * (1.0 - share))
        return Evidence(*ability, *integrity, *value)


@dataclass
class Track:
    """One commitment as trust sees it, after the events applied so far."""

    key: str
    requester: TeamRef
    performer: TeamRef
    state: str
    due: datetime
    reliance: str = "none"
    notice: bool = False
    delivered_at: datetime | None = None
    promised_at: datetime | None = None
    finished_at: datetime | None = None
    value: int | None = None

    @classmethod
    def open(
        cls, key: str, requester: TeamRef, performer: TeamRef, payload: Mapping[str, Any]
    ) -> Track:
        """The track a `request` event starts."""
        args = payload.get("args", {})
        return cls(
            key=key,
            requester=requester,
            performer=performer,
            state=str(payload.get("to", "requested")),
            due=_time(args["due"]),
            reliance=str(args.get("reliance", "none")),
        )

    @property
    def committed(self) -> bool:
        return self.state in COMMITTED

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @property
    def given(self) -> float:
        """The reliance weight this commitment puts on its performer while it is open."""
        return RELIANCE_WEIGHT.get(self.reliance, 0.0) if self.is_open else 0.0

    def advance(self, at: datetime, payload: Mapping[str, Any]) -> Outcome | None:
        """Apply one move; returns the outcome when the move finishes the commitment."""
        move = payload["move"]
        args = payload.get("args", {})
        if move == "revise":
            if "due" in args:
                self.due = _time(args["due"])
            if "reliance" in args:
                self.reliance = str(args["reliance"])
        elif move in AGREEMENTS:
            terms = payload.get("terms") or {}
            if "due" in terms:
                self.due = _time(terms["due"])
            self.notice = False
            if move in PROMISES and self.promised_at is None:
                self.promised_at = at
        elif move in ("propose_change", "revoke") and payload.get("side") == "P" and at < self.due:
            self.notice = True
        if move == "report_done":
            self.delivered_at = at
        elif move == "accept":
            self.value = int(args["value"]) if args.get("value") is not None else None
        self.state = str(payload["to"])
        if self.state in FINAL:
            self.finished_at = at
        return self.outcome()

    def outcome(self) -> Outcome | None:
        """The evidence of a finished commitment (accepted, revoked, missed), else None."""
        if self.state == "accepted":
            assert self.finished_at is not None
            on_time = self.delivered_at is not None and self.delivered_at <= self.due
            return Outcome(self.finished_at, on_time, on_time or self.notice, self.value)
        if self.state == "revoked":
            assert self.finished_at is not None
            return Outcome(self.finished_at, False, self.notice)
        if self.state == "missed":
            return Outcome(self.due, False, self.notice)
        return None

    def overdue(self, moment: datetime) -> Outcome | None:
        """The evidence of an open commitment overdue at `moment` (counted at its due date)."""
        if self.committed and self.due < moment:
            return Outcome(self.due, False, self.notice)
        return None

    def on_time(self) -> bool:
        """The backtest's outcome: accepted, delivered by the due date in force."""
        outcome = self.outcome()
        return outcome is not None and self.state == "accepted" and outcome.on_time


def fold(
    events: Iterable[tuple[datetime, str, Mapping[str, Any]]],
    *,
    upto: datetime | None = None,
    before: datetime | None = None,
    into: dict[str, Track] | None = None,
) -> dict[str, Track]:
    """Every commitment's track from its events (`(at, subject, payload)` in log order), keeping
    the events with `at ≤ upto` (or `at < before`); `into` carries on from tracks folded before."""
    tracks: dict[str, Track] = {} if into is None else into
    for at, subject, payload in events:
        if (upto is not None and at > upto) or (before is not None and at >= before):
            continue
        key = commitment_key(subject)
        if key is None or "move" not in payload:
            continue
        if payload["move"] == "request":
            tracks[key] = Track.open(key, payload["requester"], payload["performer"], payload)
        elif key in tracks:
            tracks[key].advance(at, payload)
    return tracks


@dataclass
class Ledger:
    """All evidence of an organization decayed to one instant, and the trust given."""

    moment: datetime
    org: Evidence = field(default_factory=Evidence)
    pairs: dict[tuple[TeamRef, TeamRef], Evidence] = field(default_factory=dict)
    given: dict[tuple[TeamRef, TeamRef], float] = field(default_factory=dict)

    def add(self, requester: TeamRef, performer: TeamRef, evidence: Evidence) -> None:
        pair = (requester, performer)
        self.pairs[pair] = self.pairs.get(pair, Evidence()) + evidence
        self.org = self.org + evidence

    def team(self, performer: TeamRef) -> Evidence:
        total = Evidence()
        for (_, p), evidence in self.pairs.items():
            if p == performer:
                total = total + evidence
        return total

    def pair(self, requester: TeamRef, performer: TeamRef) -> Evidence:
        return self.pairs.get((requester, performer), Evidence())


def ledger(tracks: Iterable[Track], moment: datetime, half_life_days: float) -> Ledger:
    """The evidence of every track as of `moment`, each weighted by its age."""
    result = Ledger(moment)
    for track in tracks:
        outcome = track.outcome() or track.overdue(moment)
        if outcome is not None:
            weight = decay_weight(days_between(outcome.at, moment), half_life_days)
            result.add(track.requester, track.performer, outcome.evidence(weight))
        if track.given > 0:
            pair = (track.requester, track.performer)
            result.given[pair] = max(result.given.get(pair, 0.0), track.given)
    return result


@dataclass
class Accumulator:
    """Folds commitment events into tracks and evidence sums scaled to a reference time: the
    upkeep of every commit and the rebuild are this one loop."""

    reference: datetime
    half_life_days: float
    org: list[float]
    tracks: dict[str, Track]
    load_pair: Callable[[tuple[TeamRef, TeamRef]], list[float] | None] | None = None
    pairs: dict[tuple[TeamRef, TeamRef], list[float]] = field(default_factory=dict)
    stored_pairs: set[tuple[TeamRef, TeamRef]] = field(default_factory=set)
    latest: datetime | None = None

    def apply(
        self, at: datetime, key: str, payload: Mapping[str, Any], teams: Mapping[str, TeamRef]
    ) -> bool:
        """Fold one event; False when a move arrives for a commitment without a track."""
        self.latest = at if self.latest is None or at > self.latest else self.latest
        if payload["move"] == "request":
            self.tracks[key] = Track.open(
                key, teams[payload["requester"]], teams[payload["performer"]], payload
            )
            return True
        track = self.tracks.get(key)
        if track is None:
            return False
        outcome = track.advance(at, payload)
        if outcome is None:
            return True
        pair = (track.requester, track.performer)
        sums = self.pairs.get(pair)
        if sums is None:
            stored = self.load_pair(pair) if self.load_pair is not None else None
            if stored is not None:
                self.stored_pairs.add(pair)
            sums = self.pairs[pair] = stored or [0.0] * 6
        weight = scaled_weight(outcome.at, self.reference, self.half_life_days)
        for i, value in enumerate(outcome.evidence(weight).as_tuple()):
            sums[i] += value
            self.org[i] += value
        return True
