"""What the forecast may know of a commitment at the instant asked (DESIGN §2 Forecast): the
features, computed for many commitments at once, and the organization's state as a sweep of the
event log in time order keeps it (`replay` runs the sweep).

Pure: no database and no framework. The live forecast builds the same `Inputs` from the stored
sums, so a forecast read and the backtest's forecast at the same instant agree. The features
and the sweep stay in one module, over 400 lines, for that reason: what a feature means and how
the sweep keeps it are one definition.

Longer than most modules on purpose: each feature and the sweep that keeps its state must change
together, or the live forecast and the backtest drift apart.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from accord.trust.domain import FINAL, RELIANCE_WEIGHT, Track, commitment_key
from accord.trust.model import (
    MAX_EXPONENT,
    SECONDS_PER_DAY,
    Opinion,
    days_between,
    organization_rate,
    scale_to,
)
from accord.trust.model import scaled_weight as _scaled

# Commitments of one performer due within this much of each other fall due "together": a
# release, a quarter's end. Real slips come in such batches.
BATCH_WINDOW = timedelta(days=1)
# DESIGN §2's lead-time buckets in whole days: under 1, 1 to 7, 8 to 30, over 30
LEAD_BUCKETS = ((0.0, 1.0), (1.0, 8.0), (8.0, 31.0), (31.0, math.inf))
FEATURES = (
    "pair_logit",
    "pair_evidence",
    "team_logit",
    "team_evidence",
    "org_logit",
    "requester_logit",
    "requester_evidence",
    "lead_log",
    "lead_under_1",
    "lead_1_7",
    "lead_8_30",
    "lead_31_90",
    "past_due",
    "elapsed",
    "reliance",
    "counters",
    "changes",
    "pending_change",
    "open_load",
    "same_due",
    "team_recent_logit",
    "recent_misses",
    "recent_miss_batches",
    "pair_weighted",
    "team_weighted",
    "reliance_none",
    "reliance_critical",
    "lead_past_3",
    "lead_past_8",
    "lead_past_30",
    "lead_past_90",
    "lead_past_180",
)
RECENT = timedelta(days=30)


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1.0 - 1e-4)
    return math.log(p / (1.0 - p))


@dataclass(frozen=True)
class Inputs:
    """What is known of one open commitment at the instant asked; evidence is decayed ability
    evidence (r, s) as of that instant."""

    pair: tuple[float, float]
    team: tuple[float, float]
    org: tuple[float, float]
    requester: tuple[float, float]
    lead_days: float  # from the promise to the due date in force
    left_days: float  # from the instant asked to the due date in force
    reliance: float
    counters: int = 0
    changes: int = 0
    pending_change: bool = False
    open_load: int = 0  # the performer's other promised commitments
    same_due: int = 0  # of them, due within BATCH_WINDOW of this one
    # the performer's commitments finished in the last RECENT: on time, not, and on how many
    # distinct due dates the late ones fell (a slipped release is one event, not dozens)
    recent: tuple[int, int, int] = (0, 0, 0)

    def org_rate(self) -> float:
        return organization_rate(*self.org)

    def team_opinion(self, prior_weight: float) -> Opinion:
        return Opinion(*self.team, prior_weight, self.org_rate())

    def pair_opinion(self, team_prior_weight: float, pair_prior_weight: float) -> Opinion:
        """The pair's ability (DESIGN §2): its prior the team's rate without the pair."""
        others = Opinion(
            max(self.team[0] - self.pair[0], 0.0),
            max(self.team[1] - self.pair[1], 0.0),
            team_prior_weight,
            self.org_rate(),
        )
        return Opinion(*self.pair, pair_prior_weight, others.expected)

    def vector(self, team_prior_weight: float, pair_prior_weight: float) -> list[float]:
        """The numbers the model reads, in the order of FEATURES."""
        return [float(v) for v in feature_matrix([self], team_prior_weight, pair_prior_weight)[0]]

    def raw(self) -> tuple[float, ...]:
        """The fields as plain numbers, in the order `feature_matrix` reads them."""
        return (
            *self.pair,
            *self.team,
            *self.org,
            *self.requester,
            self.lead_days,
            self.left_days,
            self.reliance,
            self.counters,
            self.changes,
            float(self.pending_change),
            self.open_load,
            self.same_due,
            *self.recent,
        )


def _logits(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1.0 - 1e-4)
    return np.asarray(np.log(p / (1.0 - p)))


def _expected(r: np.ndarray, s: np.ndarray, weight: float, base: np.ndarray) -> np.ndarray:
    """E = (r + W·a) / (r + s + W), as `Opinion.expected`, for many at once."""
    return np.asarray((r + weight * base) / (r + s + weight))


def _raw_matrix(inputs: Sequence[Inputs]) -> np.ndarray:
    return np.array([i.raw() for i in inputs], dtype=float).reshape(len(inputs), 19)


def _pair_expected(raw: np.ndarray, wt: float, wp: float) -> tuple[np.ndarray, np.ndarray]:
    """The organization's rate and the pair's ability E (`Inputs.pair_opinion`), many at once."""
    pr, ps, tr, ts, orr, os = raw.T[:6]
    org_rate = (orr + 1.0) / (orr + os + 2.0)  # organization_rate
    # the pair's prior: the team's rate without the pair (DESIGN §2)
    others = _expected(np.maximum(tr - pr, 0.0), np.maximum(ts - ps, 0.0), wt, org_rate)
    return org_rate, _expected(pr, ps, wp, others)


def pair_abilities(
    inputs: Sequence[Inputs], team_prior_weight: float, pair_prior_weight: float
) -> np.ndarray:
    """The pair's ability E of each, as `Inputs.pair_opinion(...).expected`."""
    return _pair_expected(_raw_matrix(inputs), team_prior_weight, pair_prior_weight)[1]


def feature_matrix(
    inputs: Sequence[Inputs], team_prior_weight: float, pair_prior_weight: float
) -> np.ndarray:
    """The numbers the model reads, one row per commitment in the order of FEATURES: the one
    definition of every feature, computed for many commitments at once."""
    raw = _raw_matrix(inputs)
    (pr, ps, tr, ts, _, _, qr, qs, lead, left, reliance, counters, changes, pending,
     load, near, hits, misses, batches) = raw.T  # fmt: skip
    wt, wp = team_prior_weight, pair_prior_weight
    org_rate, pair = _pair_expected(raw, wt, wp)
    team = _expected(tr, ts, wt, org_rate)
    recent = _expected(hits, misses, wt, team)
    org = _logits(org_rate)
    team_logit = _logits(team)
    pair_level = _logits(pair) - team_logit
    pair_evidence = np.log1p(pr + ps)
    team_level = team_logit - org
    team_evidence = np.log1p(tr + ts)
    with np.errstate(divide="ignore", invalid="ignore"):
        elapsed = np.where(lead > 0, 1.0 - np.clip(left / np.where(lead > 0, lead, 1.0), 0, 1), 0)
    log_lead = np.log(np.maximum(lead, 1.0 / 24))
    # levels relative to the one above: the organization's own level drifts with time,
    # and a model that read it would learn the calendar instead of the commitment
    columns = [
        pair_level,
        pair_evidence,
        team_level,
        team_evidence,
        org,
        _logits(_expected(qr, qs, wt, org_rate)) - org,
        np.log1p(qr + qs),
        np.log1p(np.maximum(lead, 0.0)),
        (lead >= 0.0) & (lead < 1.0),
        (lead >= 1.0) & (lead < 8.0),
        (lead >= 8.0) & (lead < 31.0),
        (lead >= 31.0) & (lead < 91.0),
        lead < 0.0,
        elapsed,
        reliance,
        np.log1p(counters),
        np.log1p(changes),
        pending,
        np.log1p(load),
        np.log1p(near),
        _logits(recent) - team_logit,
        np.log1p(misses),
        np.log1p(batches),
        # a record says more the more it holds: the level times the evidence behind it
        pair_level * pair_evidence,
        team_level * team_evidence,
        reliance == 0.0,
        reliance == 1.0,
        *(np.maximum(log_lead - math.log(knot), 0.0) for knot in (3.0, 8.0, 30.0, 90.0, 180.0)),
    ]
    return np.column_stack([np.asarray(c, dtype=float) for c in columns]).reshape(
        len(inputs), len(FEATURES)
    )


@dataclass(frozen=True)
class Snapshot:
    """One finished commitment as the backtest sees it: what was known at its promise time T,
    what happened, and the plain forecasts it is compared with."""

    key: str
    at: datetime  # T, the first promise (or accepted counter)
    known_at: datetime  # when its outcome was final: no fit before this may learn from it
    inputs: Inputs
    outcome: int  # 1: accepted, delivered by the due date in force
    base_rate: float  # (successes + 1) / (finished + 2) over the organization before T
    running_rate: float  # the same over the performer's commitments only
    performer: str
    requester: str
    due_day: date | None = None  # with the performer, its batch: a release, a quarter's end

    @property
    def batch(self) -> tuple[str, date]:
        """The commitments of one performer due on one day."""
        day = self.due_day or (self.at + timedelta(days=self.inputs.lead_days)).date()
        return self.performer, day


@dataclass
class _Recent:
    """A performer's outcomes of the last RECENT, counted as they come and go."""

    outcomes: deque[tuple[datetime, bool, date]] = field(default_factory=deque)
    hits: int = 0
    miss_days: Counter[date] = field(default_factory=Counter)

    def add(self, at: datetime, on_time: bool, due: date) -> None:
        self.outcomes.append((at, on_time, due))
        if on_time:
            self.hits += 1
        else:
            self.miss_days[due] += 1

    def counts(self, since: datetime) -> tuple[int, int, int]:
        while self.outcomes and self.outcomes[0][0] < since:
            _, on_time, due = self.outcomes.popleft()
            if on_time:
                self.hits -= 1
            else:
                self.miss_days[due] -= 1
                if not self.miss_days[due]:
                    del self.miss_days[due]
        return self.hits, len(self.outcomes) - self.hits, len(self.miss_days)


@dataclass
class _Extra:
    counters: int = 0
    changes: int = 0
    # the last move that made its outcome an open question again: a due date agreed, a
    # delivery rejected
    reopened_at: datetime | None = None


def decided_at(track: Track, finished_at: datetime, reopened_at: datetime | None) -> datetime:
    """When the calendar settled a finished commitment's outcome: a failure not delivered by its
    due date was settled when that date passed (or, when a date was agreed or a delivery was
    rejected after it, then), however long it stayed open after; anything else when it
    finished."""
    if track.on_time() or (track.delivered_at is not None and track.delivered_at <= track.due):
        return finished_at
    passed = track.due if reopened_at is None else max(track.due, reopened_at)
    return min(finished_at, passed)


@dataclass
class Sweep:
    """The organization's state as the events are applied in time order: decayed ability
    sums, open work per performer, and the plain running rates."""

    half_life_days: float
    reference: datetime | None = None
    tracks: dict[str, Track] = field(default_factory=dict)
    extras: dict[str, _Extra] = field(default_factory=dict)
    org: list[float] = field(default_factory=lambda: [0.0, 0.0])
    teams: dict[str, list[float]] = field(default_factory=dict)
    pairs: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    requesters: dict[str, list[float]] = field(default_factory=dict)
    # running counts (not decayed): on time and finished, org-wide and per performer
    finished: list[int] = field(default_factory=lambda: [0, 0])
    team_finished: dict[str, list[int]] = field(default_factory=dict)
    recent: dict[str, _Recent] = field(default_factory=dict)
    # per performer, the due dates of its promised commitments, sorted; and each one's due
    committed: dict[str, list[datetime]] = field(default_factory=dict)
    committed_due: dict[str, datetime] = field(default_factory=dict)
    _heap: list[tuple[datetime, int, str]] = field(default_factory=list)
    _stamps: dict[str, int] = field(default_factory=dict)
    _counted: dict[str, datetime] = field(default_factory=dict)

    def _add(self, track: Track, at: datetime, on_time: bool, sign: float = 1.0) -> None:
        assert self.reference is not None
        weight = sign * _scaled(at, self.reference, self.half_life_days)
        index = 0 if on_time else 1
        performer, requester = str(track.performer), str(track.requester)
        for sums in (
            self.org,
            self.teams.setdefault(performer, [0.0, 0.0]),
            self.pairs.setdefault((requester, performer), [0.0, 0.0]),
            self.requesters.setdefault(requester, [0.0, 0.0]),
        ):
            sums[index] += weight

    def _schedule(self, track: Track) -> None:
        self._stamps[track.key] = self._stamps.get(track.key, 0) + 1
        if track.committed:
            heapq.heappush(self._heap, (track.due, self._stamps[track.key], track.key))

    def _set_committed(self, track: Track) -> None:
        dues = self.committed.setdefault(str(track.performer), [])
        before = self.committed_due.pop(track.key, None)
        if before is not None:
            del dues[bisect.bisect_left(dues, before)]
        if track.committed:
            bisect.insort(dues, track.due)
            self.committed_due[track.key] = track.due

    def advance_to(self, moment: datetime) -> None:
        """Count as failures the promised commitments that fell due before `moment`."""
        if self.reference is None:
            self.reference = moment
        if days_between(self.reference, moment) / self.half_life_days > MAX_EXPONENT:
            self._rebase(moment)
        while self._heap and self._heap[0][0] < moment:
            due, stamp, key = heapq.heappop(self._heap)
            track = self.tracks[key]
            if self._stamps.get(key) == stamp and track.committed and track.due == due:
                self._counted[key] = due
                self._add(track, due, False)

    def apply(self, at: datetime, subject: str, payload: Mapping[str, Any]) -> Track | None:
        """Apply one event; returns the track when the event finished its commitment."""
        if self.reference is None:
            self.reference = at
        key = commitment_key(subject)
        if key is None or "move" not in payload:
            return None
        move = payload["move"]
        if move == "request":
            opened = Track.open(key, payload["requester"], payload["performer"], payload)
            self.tracks[key] = opened
            self.extras[key] = _Extra()
            self._schedule(opened)
            return None
        found = self.tracks.get(key)
        if found is None:
            return None
        track = found
        extra = self.extras[key]
        if move == "counter":
            extra.counters += 1
        elif move == "propose_change":
            extra.changes += 1
        if key in self._counted:
            self._add(track, self._counted.pop(key), False, -1.0)
        due = track.due
        outcome = track.advance(at, payload)
        if track.due != due or move == "reject":
            extra.reopened_at = at
        self._set_committed(track)
        if outcome is not None:
            self._add(track, outcome.at, outcome.on_time)
            on_time = int(track.on_time())
            self.finished[0] += on_time
            self.finished[1] += 1
            counts = self.team_finished.setdefault(str(track.performer), [0, 0])
            counts[0] += on_time
            counts[1] += 1
            self.recent.setdefault(str(track.performer), _Recent()).add(
                at, bool(on_time), track.due.date()
            )
            return track
        if track.state not in FINAL:
            self._schedule(track)
        return None

    def inputs(self, track: Track, moment: datetime) -> Inputs:
        """What is known of `track` at `moment` (its own move at `moment` applied)."""
        performer, requester = str(track.performer), str(track.requester)
        promised = track.promised_at or moment
        dues = self.committed.get(performer, [])
        mine = 1 if track.key in self.committed_due else 0
        due = track.due
        near = bisect.bisect_right(dues, due + BATCH_WINDOW) - bisect.bisect_left(
            dues, due - BATCH_WINDOW
        )
        extra = self.extras.get(track.key) or _Extra()
        assert self.reference is not None
        factor = scale_to(moment, self.reference, self.half_life_days)

        def decayed(sums: list[float] | None) -> tuple[float, float]:
            if sums is None:
                return (0.0, 0.0)
            return (max(sums[0] * factor, 0.0), max(sums[1] * factor, 0.0))

        return Inputs(
            pair=decayed(self.pairs.get((requester, performer))),
            team=decayed(self.teams.get(performer)),
            org=decayed(self.org),
            requester=decayed(self.requesters.get(requester)),
            lead_days=(due - promised).total_seconds() / SECONDS_PER_DAY,
            left_days=(due - moment).total_seconds() / SECONDS_PER_DAY,
            reliance=RELIANCE_WEIGHT.get(track.reliance, 0.0),
            counters=extra.counters,
            changes=extra.changes,
            pending_change=track.state == "renegotiating",
            open_load=len(dues) - mine,
            same_due=near - mine,
            recent=self._recent(performer, moment),
        )

    def _recent(self, performer: str, moment: datetime) -> tuple[int, int, int]:
        recent = self.recent.get(performer)
        return (0, 0, 0) if recent is None else recent.counts(moment - RECENT)

    def rates(self, performer: str) -> tuple[float, float]:
        """The organization's and the performer's plain running rates, Laplace-smoothed."""
        team = self.team_finished.get(performer, [0, 0])
        return (
            (self.finished[0] + 1) / (self.finished[1] + 2),
            (team[0] + 1) / (team[1] + 2),
        )

    def _rebase(self, reference: datetime) -> None:
        assert self.reference is not None
        factor = scale_to(reference, self.reference, self.half_life_days)
        for sums in (
            self.org,
            *self.teams.values(),
            *self.pairs.values(),
            *self.requesters.values(),
        ):
            sums[0] *= factor
            sums[1] *= factor
        self.reference = reference


def recent_counts(outcomes: Iterable[tuple[bool, date]]) -> tuple[int, int, int]:
    """(on time, late, distinct due dates of the late ones) of (on time, due date) pairs."""
    hits = misses = 0
    days: set[date] = set()
    for on_time, due in outcomes:
        if on_time:
            hits += 1
        else:
            misses += 1
            days.add(due)
    return hits, misses, len(days)
