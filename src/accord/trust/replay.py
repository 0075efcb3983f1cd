"""The one sweep of the event log, in time order, that gives the backtest and the fit their
material: every finished commitment as known at its promise, the open ones already past due,
and each month's open commitments a purpose relies on (DESIGN §2 Forecast, Calibration).

Pure: no database and no framework; what each commitment's features mean is `features`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from accord.trust.domain import FINAL, PROMISES, commitment_key
from accord.trust.features import Inputs, Snapshot, Sweep, decided_at


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
    # promised commitments still open whose due date passed undelivered (or delivered late):
    # failures the calendar settled, to learn from (the backtest scores finished ones only)
    overdue: list[Snapshot] = field(default_factory=list)

    @property
    def learned_from(self) -> list[Snapshot]:
        """Every commitment whose outcome is settled: the finished and the overdue."""
        return [*self.snapshots, *self.overdue]


def _month_after(moment: datetime) -> datetime:
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )


HIGH = frozenset({"high", "critical"})


@contextmanager
def bulk() -> Iterator[None]:
    """Pauses the cyclic garbage collector while millions of acyclic objects (events, tracks,
    snapshots) are made: its passes over all of them would otherwise cost a third of a large
    replay. Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def replay(
    events: Iterable[tuple[datetime, str, Mapping[str, Any]]],
    half_life_days: float,
    purposes: Mapping[str, str] | None = None,
    *,
    until: datetime | None = None,
) -> Replay:
    """Every finished commitment (accepted, revoked, missed) as known at its promise time T,
    from the events before T (and its own promise), in order of T; with `purposes`
    (partnership key -> purpose key), each month's open high-reliance commitments too; and the
    open ones overdue at `until` (default: the last event's time)."""
    with bulk():
        return _replay(events, half_life_days, purposes, until)


def _replay(
    events: Iterable[tuple[datetime, str, Mapping[str, Any]]],
    half_life_days: float,
    purposes: Mapping[str, str] | None,
    until: datetime | None,
) -> Replay:
    ordered = sorted(events, key=itemgetter(0))  # stable: events of one instant in log order
    sweep = Sweep(half_life_days)
    pending: dict[str, tuple[datetime, Inputs, tuple[float, float]]] = {}
    done: list[Snapshot] = []
    checkpoints: list[Checkpoint] = []
    purpose_of: dict[str, str] = {}  # commitment key -> purpose key
    open_purpose: dict[str, str] = {}  # the same, while the commitment is open
    month = _month_after(ordered[0][0]) if ordered and purposes is not None else None
    sweep_end = ordered[-1][0] if ordered else None
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
        for at, subject, payload in ordered[position:group_end]:
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
                        known_at=decided_at(finished, at, sweep.extras[finished.key].reopened_at),
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
    overdue = _overdue(sweep, pending, until if until is not None else sweep_end)
    outcomes: dict[str, int | None] = {
        key: (int(track.on_time()) if track.outcome() is not None else None)
        for key, track in sweep.tracks.items()
        if key in purpose_of
    }
    return Replay(done, checkpoints, outcomes, overdue)


def _overdue(
    sweep: Sweep,
    pending: Mapping[str, tuple[datetime, Inputs, tuple[float, float]]],
    until: datetime | None,
) -> list[Snapshot]:
    """The promised commitments still open at `until` that can no longer be on time."""
    found = []
    for key, (promised_at, inputs, (base, running)) in pending.items():
        track = sweep.tracks[key]
        if until is None or track.state in FINAL or track.outcome() is not None:
            continue
        if track.delivered_at is not None and track.delivered_at <= track.due:
            continue  # delivered in time: the outcome waits for the requester
        settled = decided_at(track, until, sweep.extras[key].reopened_at)
        if settled >= until:
            continue  # the due date has not passed yet
        found.append(
            Snapshot(
                key=key,
                at=promised_at,
                known_at=settled,
                inputs=inputs,
                outcome=0,
                base_rate=base,
                running_rate=running,
                performer=str(track.performer),
                requester=str(track.requester),
                due_day=(promised_at + timedelta(days=inputs.lead_days)).date(),
            )
        )
    found.sort(key=lambda snapshot: (snapshot.at, snapshot.key))
    return found


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
