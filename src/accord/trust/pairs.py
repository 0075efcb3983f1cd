"""One pair's record: the commitments behind its trust, with the weight each carries today.

DESIGN §2's table, row by row: every commitment of the pair that is evidence (accepted,
revoked, missed, or open and overdue) with its outcome, its evidence per dimension and its
weight 0.5 ** (age / H). The weights sum to the pair's r + s, which the same view shows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from accord.config import Settings
from accord.errors import Forbidden, Invalid
from accord.org.domain import Actor, Team
from accord.trust.domain import Track, fold
from accord.trust.model import DIMENSIONS, Evidence, days_between, decay_weight
from accord.trust.service import TrustReport, report_at
from accord.trust.views import view_at
from accord.trust.visibility import may_see_pair
from accord.trust.words import Figure, describe, overall_counts
from accord.uow import UnitOfWork

OUTCOME_WORDS = {
    "on_time": "delivered on time",
    "late": "delivered late",
    "revoked": "revoked",
    "missed": "missed",
    "overdue": "open and overdue",
}


@dataclass(frozen=True)
class EvidenceRow:
    """One commitment as evidence: its outcome at its evidence time, and what it weighs now."""

    key: str
    title: str
    state: str
    outcome: str  # on_time, late, revoked, missed, overdue
    at: datetime  # the evidence time: the final move, or the due date for missed and overdue
    due: datetime
    delivered_at: datetime | None
    notice: bool  # P warned before the due date in force
    rating: int | None  # the 1-5 value of an accepted one
    age_days: float
    weight: float
    evidence: Evidence  # already weighted

    @property
    def outcome_words(self) -> str:
        return OUTCOME_WORDS[self.outcome]

    def rs(self, dimension: str) -> tuple[float, float]:
        return self.evidence.rs(dimension)


@dataclass(frozen=True)
class ReliedOn:
    """An open commitment of the pair: the reliance it gives (trust given) while open."""

    key: str
    title: str
    state: str
    due: datetime
    reliance: str
    given: float
    overdue: bool


@dataclass(frozen=True)
class PairRecord:
    """The pair's trust (P as R sees it) and the commitments behind it, newest first."""

    report: TrustReport
    half_life_days: float
    rows: list[EvidenceRow]
    relied_on: list[ReliedOn]

    @property
    def as_of(self) -> datetime:
        return self.report.as_of

    def sums(self) -> Evidence:
        """The rows' evidence added up: the pair's r and s on every dimension."""
        total = Evidence()
        for row in self.rows:
            total = total + row.evidence
        return total

    def figure(self, name: str) -> Figure:
        """A figure in words, told in the commitments behind it: 'on time in 1 of 5'."""
        if name not in DIMENSIONS:
            overall = self.report.figure(name)
            return replace(
                overall, counts=overall_counts(self.report.trust.ability, len(self.rows))
            )
        behind = [row.rs(name) for row in self.rows if any(row.rs(name))]
        positive = sum(1 for r, _ in behind if r > 0)
        return describe(name, self.report.trust.dimension(name), len(behind), positive)


def _outcome(track: Track, overdue: bool) -> str:
    if overdue:
        return "overdue"
    if track.state == "accepted":
        on_time = track.delivered_at is not None and track.delivered_at <= track.due
        return "on_time" if on_time else "late"
    return track.state


def pair_record(
    uow: UnitOfWork,
    settings: Settings,
    actor: Actor,
    performer: str,
    requester: str,
    *,
    as_of: datetime | None = None,
) -> PairRecord:
    """The trust `requester` has earned from `performer`'s commitments, and each commitment
    behind it with the weight it carries (the members of the two teams and admins)."""
    with uow:
        actor = uow.bind(actor)
        performer_team = uow.org.team(performer, members=False)
        requester_team = uow.org.team(requester, members=False)
        if performer_team is requester_team:
            raise Invalid(
                "a team does not rate itself: `of` must be another team", rule="trust.same_team"
            )
        if not may_see_pair(actor, requester_team, performer_team):
            raise Forbidden(
                f"the trust between {requester!r} and {performer!r} is for the members of the "
                "two teams and admins",
                rule="trust.not_visible",
            )
        moment = as_of or uow.now()
        view = view_at(uow, settings, moment)
        report = report_at(view, settings, performer_team, requester_team)
        rows, relied_on = _rows(uow, settings, requester_team, performer_team, moment)
        return PairRecord(report, settings.half_life_days, rows, relied_on)


def _row(track: Track, title: str, settings: Settings, moment: datetime) -> EvidenceRow | None:
    finished = track.outcome()
    outcome = finished or track.overdue(moment)
    if outcome is None:
        return None
    age = days_between(outcome.at, moment)
    weight = decay_weight(age, settings.half_life_days)
    return EvidenceRow(
        key=track.key,
        title=title,
        state=track.state,
        outcome=_outcome(track, finished is None),
        at=outcome.at,
        due=track.due,
        delivered_at=track.delivered_at,
        notice=track.notice,
        rating=track.value if track.state == "accepted" else None,
        age_days=age,
        weight=weight,
        evidence=outcome.evidence(weight),
    )


def _rows(
    uow: UnitOfWork, settings: Settings, requester: Team, performer: Team, moment: datetime
) -> tuple[list[EvidenceRow], list[ReliedOn]]:
    assert requester.id is not None
    assert performer.id is not None
    titles = uow.trust.pair_commitments(requester.id, performer.id)
    tracks = fold(uow.trust.events_of(titles, upto=moment), upto=moment)
    rows: list[EvidenceRow] = []
    relied_on: list[ReliedOn] = []
    for key, track in tracks.items():
        row = _row(track, titles.get(key, key), settings, moment)
        if track.is_open:
            relied_on.append(
                ReliedOn(
                    key,
                    titles.get(key, key),
                    track.state,
                    track.due,
                    track.reliance,
                    track.given,
                    row is not None,
                )
            )
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda row: row.key)
    rows.sort(key=lambda row: row.at, reverse=True)
    relied_on.sort(key=lambda row: (-row.given, row.due, row.key))
    return rows, relied_on


def row_position(row: EvidenceRow) -> list[str]:
    """Where a row stands in the newest-first order: [evidence time, key]."""
    from accord.events.domain import iso

    return [iso(row.at), row.key]


def rows_after(rows: list[EvidenceRow], at: str, key: str) -> list[EvidenceRow]:
    """The rows that come after the one at `row_position` [at, key], newest first."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Invalid("cursor is not one that this list gave out", rule="page.cursor_invalid")
    return [row for row in rows if row.at < moment or (row.at == moment and row.key > key)]


def row_document(row: EvidenceRow) -> dict[str, Any]:
    """A row as JSON: full floats, the evidence per dimension (value only when rated)."""
    from accord.events.domain import iso

    evidence: dict[str, dict[str, float] | None] = {}
    for name in DIMENSIONS:
        r, s = row.rs(name)
        evidence[name] = {"r": r, "s": s}
    if row.rating is None:
        evidence["value"] = None
    return {
        "key": row.key,
        "title": row.title,
        "state": row.state,
        "outcome": row.outcome,
        "at": iso(row.at),
        "due": iso(row.due),
        "delivered_at": iso(row.delivered_at) if row.delivered_at else None,
        "notice": row.notice,
        "rating": row.rating,
        "age_days": row.age_days,
        "weight": row.weight,
        **evidence,
    }
