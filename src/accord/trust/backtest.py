"""The backtest of DESIGN §2 Calibration: every finished commitment forecast as of its promise."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accord.config import Settings
from accord.db import UnitOfWork
from accord.org.domain import Actor
from accord.trust.domain import FINAL, FINISHED, Track, commitment_key, fold
from accord.trust.model import (
    MAX_EXPONENT,
    Calibration,
    Opinion,
    calibration,
    days_between,
    organization_rate,
    scale_to,
    scaled_weight,
)


@dataclass
class _Sweep:
    """Evidence sums of the backtest, kept as events are applied in time order."""

    reference: datetime
    half_life: float
    org: list[float] = field(default_factory=lambda: [0.0, 0.0])
    teams: dict[str, list[float]] = field(default_factory=dict)
    pairs: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def add(self, track: Track, at: datetime, on_time: bool, sign: float = 1.0) -> None:
        weight = sign * scaled_weight(at, self.reference, self.half_life)
        index = 0 if on_time else 1
        for sums in (
            self.org,
            self.teams.setdefault(str(track.performer), [0.0, 0.0]),
            self.pairs.setdefault((str(track.requester), str(track.performer)), [0.0, 0.0]),
        ):
            sums[index] += weight


def backtest_rows(
    events: Iterable[tuple[datetime, str, dict[str, Any]]], settings: Settings
) -> Iterator[tuple[str, float, float, int]]:
    """(key, forecast, base-rate forecast, outcome) of every finished commitment, in order of
    its promise time T, the forecast made from the events before T."""
    ordered = sorted(enumerate(events), key=lambda item: (item[1][0], item[0]))
    if not ordered:
        return
    final_tracks = fold(event for _, event in ordered)
    targets = sorted(
        (track.promised_at, key)
        for key, track in final_tracks.items()
        if track.state in FINISHED and track.promised_at is not None
    )
    H = settings.half_life_days
    sweep = _Sweep(ordered[0][1][0], H)
    tracks: dict[str, Track] = {}
    overdue_heap: list[tuple[datetime, int, str]] = []
    counted: dict[str, tuple[datetime, int]] = {}  # key -> (due, stamp) counted as overdue
    stamps: dict[str, int] = {}
    finished = successes = 0
    position = 0
    wp, wt = settings.pair_prior_weight, settings.team_prior_weight

    def uncount(track: Track) -> None:
        if track.key in counted:
            due, _ = counted.pop(track.key)
            sweep.add(track, due, False, -1.0)

    def schedule(track: Track) -> None:
        stamps[track.key] = stamps.get(track.key, 0) + 1
        if track.committed:
            heapq.heappush(overdue_heap, (track.due, stamps[track.key], track.key))

    for moment, key in targets:
        while position < len(ordered) and ordered[position][1][0] < moment:
            at, subject, payload = ordered[position][1]
            position += 1
            name = commitment_key(subject)
            if name is None or "move" not in payload:
                continue
            if payload["move"] == "request":
                tracks[name] = Track.open(name, payload["requester"], payload["performer"], payload)
                schedule(tracks[name])
                continue
            track = tracks.get(name)
            if track is None:
                continue
            uncount(track)
            outcome = track.advance(at, payload)
            if outcome is not None:
                sweep.add(track, outcome.at, outcome.on_time)
                finished += 1
                successes += int(track.on_time())
            elif track.state not in FINAL:
                schedule(track)
        if days_between(sweep.reference, moment) / H > MAX_EXPONENT:
            _rebase_sweep(sweep, moment)
        while overdue_heap and overdue_heap[0][0] < moment:
            due, stamp, name = heapq.heappop(overdue_heap)
            track = tracks[name]
            if stamps.get(name) == stamp and track.committed and track.due == due:
                counted[name] = (due, stamp)
                sweep.add(track, due, False)
        track = final_tracks[key]
        factor = scale_to(moment, sweep.reference, H)
        org_r, org_s = (v * factor for v in sweep.org)
        team_r, team_s = (v * factor for v in sweep.teams.get(str(track.performer), [0.0, 0.0]))
        pair_r, pair_s = (
            v * factor
            for v in sweep.pairs.get((str(track.requester), str(track.performer)), [0.0, 0.0])
        )
        # the pair's prior is P's record without the pair's own commitments (DESIGN §2)
        others_r, others_s = max(team_r - pair_r, 0.0), max(team_s - pair_s, 0.0)
        team_e = Opinion(others_r, others_s, wt, organization_rate(org_r, org_s)).expected
        forecast = Opinion(pair_r, pair_s, wp, team_e).expected
        base = (successes + 1) / (finished + 2)
        yield key, forecast, base, int(track.on_time())


def _rebase_sweep(sweep: _Sweep, reference: datetime) -> None:
    factor = scale_to(reference, sweep.reference, sweep.half_life)
    for sums in (sweep.org, *sweep.teams.values(), *sweep.pairs.values()):
        sums[0] *= factor
        sums[1] *= factor
    sweep.reference = reference


def backtest(uow: UnitOfWork, settings: Settings, actor: Actor) -> Calibration:
    """How well the forecast predicted every finished commitment (DESIGN §2 Calibration)."""
    del actor  # an aggregate with no team in it: every reader may see it
    with uow:
        rows = list(backtest_rows(uow.trust.commitment_events(), settings))
    return calibration([r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])

