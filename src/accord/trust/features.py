"""What the forecast may know of a commitment at the instant asked (DESIGN §2 Forecast), and
the one sweep of the event log, in time order, that says it for every commitment at its promise.

Pure: no database and no framework. The live forecast builds the same `Inputs` from the stored
sums, so a forecast read and the backtest's forecast at the same instant agree. The features,
the sweep and the replay stay in one module for that reason: what a feature means and how the
sweep keeps it are one definition.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from accord.trust.domain import FINAL, PROMISES, RELIANCE_WEIGHT, Track, commitment_key
from accord.trust.model import MAX_EXPONENT, Opinion, days_between, organization_rate, scale_to
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
        lead = self.lead_days
        team = self.team_opinion(team_prior_weight)
        hits, misses, batches = self.recent
        recent = Opinion(hits, misses, team_prior_weight, team.expected)
        org = logit(self.org_rate())
        team_logit = logit(team.expected)
        pair_logit = logit(self.pair_opinion(team_prior_weight, pair_prior_weight).expected)
        # levels relative to the one above: the organization's own level drifts with time,
        # and a model that read it would learn the calendar instead of the commitment
        return [
            pair_logit - team_logit,
            math.log1p(sum(self.pair)),
            team_logit - org,
            math.log1p(sum(self.team)),
            org,
            logit(Opinion(*self.requester, team_prior_weight, self.org_rate()).expected) - org,
            math.log1p(sum(self.requester)),
            math.log1p(max(lead, 0.0)),
            float(0.0 <= lead < 1.0),
            float(1.0 <= lead < 8.0),
            float(8.0 <= lead < 31.0),
            float(31.0 <= lead < 91.0),
            float(lead < 0.0),
            1.0 - min(max(self.left_days / lead, 0.0), 1.0) if lead > 0 else 0.0,
            self.reliance,
            math.log1p(self.counters),
            math.log1p(self.changes),
            float(self.pending_change),
            math.log1p(self.open_load),
            math.log1p(self.same_due),
            logit(recent.expected) - team_logit,
            math.log1p(misses),
            math.log1p(batches),
            # a record says more the more it holds: the level times the evidence behind it
            (pair_logit - team_logit) * math.log1p(sum(self.pair)),
            (team_logit - org) * math.log1p(sum(self.team)),
            float(self.reliance == 0.0),
            float(self.reliance == 1.0),
        ]


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
        outcome = track.advance(at, payload)
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

    def _decayed(self, sums: list[float] | None, moment: datetime) -> tuple[float, float]:
        if sums is None or self.reference is None:
            return (0.0, 0.0)
        factor = scale_to(moment, self.reference, self.half_life_days)
        return (max(sums[0] * factor, 0.0), max(sums[1] * factor, 0.0))

    def inputs(self, track: Track, moment: datetime) -> Inputs:
        """What is known of `track` at `moment` (its own move at `moment` applied)."""
        performer, requester = str(track.performer), str(track.requester)
        promised = track.promised_at or moment
        dues = self.committed.get(performer, [])
        mine = 1 if track.key in self.committed_due else 0
        near = bisect.bisect_right(dues, track.due + BATCH_WINDOW) - bisect.bisect_left(
            dues, track.due - BATCH_WINDOW
        )
        extra = self.extras.get(track.key, _Extra())
        return Inputs(
            pair=self._decayed(self.pairs.get((requester, performer)), moment),
            team=self._decayed(self.teams.get(performer), moment),
            org=self._decayed(self.org, moment),
            requester=self._decayed(self.requesters.get(requester), moment),
            lead_days=days_between(promised, track.due),
            left_days=days_between(moment, track.due),
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


@dataclass(frozen=True)
class Checkpoint:
    """An open commitment a purpose relies on (reliance high or critical), as known at the
    start of a month: the purpose backtest's forecast material."""

    purpose: str
    month: datetime
    key: str
    requester: str
    performer: str
    inputs: Inputs


@dataclass
class Replay:
    """The backtest's material from one sweep of the log."""

    snapshots: list[Snapshot]
    checkpoints: list[Checkpoint]
    outcomes: dict[str, int | None]  # 1/0 once finished; None: withdrawn, declined or open


def _month_after(moment: datetime) -> datetime:
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(
        month=first.month + 1
    )


HIGH = frozenset({"high", "critical"})


def replay(
    events: Iterable[tuple[datetime, str, Mapping[str, Any]]],
    half_life_days: float,
    purposes: Mapping[str, str] | None = None,
) -> Replay:
    """Every finished commitment (accepted, revoked, missed) as known at its promise time T,
    from the events before T (and its own promise), in order of T; with `purposes`
    (partnership key -> purpose key), each month's open high-reliance commitments too."""
    ordered = sorted(
        ((at, index, subject, payload) for index, (at, subject, payload) in enumerate(events)),
        key=lambda item: (item[0], item[1]),
    )
    sweep = Sweep(half_life_days)
    pending: dict[str, tuple[datetime, Inputs, tuple[float, float]]] = {}
    done: list[Snapshot] = []
    checkpoints: list[Checkpoint] = []
    purpose_of: dict[str, str] = {}  # commitment key -> purpose key
    open_purpose: dict[str, str] = {}  # the same, while the commitment is open
    month = _month_after(ordered[0][0]) if ordered and purposes is not None else None
    position = 0
    while position < len(ordered):
        moment = ordered[position][0]
        while month is not None and month <= moment:
            sweep.advance_to(month)
            checkpoints.extend(_checkpoints(sweep, open_purpose, month))
            month = _month_after(month)
        group_end = position
        while group_end < len(ordered) and ordered[group_end][0] == moment:
            group_end += 1
        sweep.advance_to(moment)
        for at, _, subject, payload in ordered[position:group_end]:
            key = commitment_key(subject)
            if purposes is not None and key is not None and payload.get("move") == "request":
                purpose = purposes.get(str(payload.get("partnership")))
                if purpose is not None:
                    purpose_of[key] = open_purpose[key] = purpose
            first_promise = (
                key is not None
                and payload.get("move") in PROMISES
                and key in sweep.tracks
                and sweep.tracks[key].promised_at is None
            )
            finished = sweep.apply(at, subject, payload)
            if key in open_purpose and sweep.tracks[key].state in FINAL:
                del open_purpose[key]
            if first_promise and key is not None:
                track = sweep.tracks[key]
                pending[key] = (at, sweep.inputs(track, at), sweep.rates(str(track.performer)))
            if finished is not None and finished.key in pending:
                promised_at, inputs, (base, running) = pending.pop(finished.key)
                done.append(
                    Snapshot(
                        key=finished.key,
                        at=promised_at,
                        known_at=at,
                        inputs=inputs,
                        outcome=int(finished.on_time()),
                        base_rate=base,
                        running_rate=running,
                        performer=str(finished.performer),
                        requester=str(finished.requester),
                        due_day=(promised_at + timedelta(days=inputs.lead_days)).date(),
                    )
                )
        position = group_end
    done.sort(key=lambda snapshot: (snapshot.at, snapshot.key))
    outcomes: dict[str, int | None] = {
        key: (int(track.on_time()) if track.outcome() is not None else None)
        for key, track in sweep.tracks.items()
        if key in purpose_of
    }
    return Replay(done, checkpoints, outcomes)


def _checkpoints(sweep: Sweep, purpose_of: Mapping[str, str], month: datetime) -> list[Checkpoint]:
    found = []
    for key, purpose in purpose_of.items():
        track = sweep.tracks.get(key)
        if track is None or not track.is_open or track.reliance not in HIGH:
            continue
        found.append(
            Checkpoint(
                purpose,
                month,
                key,
                str(track.requester),
                str(track.performer),
                sweep.inputs(track, month),
            )
        )
    return found


def snapshots(
    events: Iterable[tuple[datetime, str, Mapping[str, Any]]], half_life_days: float
) -> list[Snapshot]:
    """Every finished commitment as known at its promise time T (see `replay`)."""
    return replay(events, half_life_days).snapshots


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
