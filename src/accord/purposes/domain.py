"""Purposes, their status rules and their measures."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from accord.errors import Forbidden, Invalid, NotFound, RuleBroken
from accord.org.domain import Actor, Person, Team, ensure_can_write, is_admin, may_write


class PurposeStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ACHIEVED = "achieved"
    ABANDONED = "abandoned"


STATUS_MOVES: dict[PurposeStatus, frozenset[PurposeStatus]] = {
    PurposeStatus.DRAFT: frozenset({PurposeStatus.ACTIVE, PurposeStatus.ABANDONED}),
    PurposeStatus.ACTIVE: frozenset({PurposeStatus.ACHIEVED, PurposeStatus.ABANDONED}),
    PurposeStatus.ACHIEVED: frozenset({PurposeStatus.ACTIVE}),
    PurposeStatus.ABANDONED: frozenset({PurposeStatus.ACTIVE}),
}


@dataclass(eq=False)
class MeasureUpdate:
    value: float
    at: datetime
    note: str = ""
    by: Person | None = None
    id: int | None = None


@dataclass(eq=False)
class Measure:
    """A key result: where it started, where it should go, where it is."""

    name: str
    unit: str = ""
    baseline: float | None = None
    target: float | None = None
    current: float | None = None
    updates: list[MeasureUpdate] = field(default_factory=list)
    position: int = 0
    id: int | None = None

    def record(self, value: float, at: datetime, note: str, by: Person | None) -> MeasureUpdate:
        check_number(value, f"value of measure {self.name!r}", field="value")
        if self.updates and at < self.updates[-1].at:
            raise RuleBroken(
                f"an update of measure {self.name!r} cannot come before the last one",
                rule="measure.time_backwards",
            )
        update = MeasureUpdate(value=value, at=at, note=note, by=by)
        self.updates.append(update)
        self.current = value
        return update

    @property
    def progress(self) -> float | None:
        """Share of the way from baseline to target, 0 to 1, when both are known."""
        if self.baseline is None or self.target is None or self.current is None:
            return None
        if self.target == self.baseline:
            return 1.0 if self.current == self.target else 0.0
        share = (self.current - self.baseline) / (self.target - self.baseline)
        return min(max(share, 0.0), 1.0)


@dataclass(eq=False)
class Purpose:
    """A common, compelling purpose that partners join around."""

    key: str
    title: str
    statement: str = ""
    status: PurposeStatus = PurposeStatus.DRAFT
    sponsor: Person | None = None
    created_by: Person | None = None
    target_date: date | None = None
    parent: Purpose | None = None
    measures: list[Measure] = field(default_factory=list)
    id: int | None = None

    def move_to(self, status: PurposeStatus) -> None:
        if status == self.status:
            return
        if status not in STATUS_MOVES[self.status]:
            raise RuleBroken(
                f"the purpose “{self.title}” cannot go from {self.status.value} to {status.value}",
                rule="purpose.status_not_allowed",
                field="status",
            )
        self.status = status

    def set_parent(self, parent: Purpose | None) -> None:
        ancestor = parent
        while ancestor is not None:
            if ancestor is self:
                raise RuleBroken(
                    f"the purpose “{self.title}” cannot be under itself",
                    rule="purpose.parent_cycle",
                    field="parent",
                )
            ancestor = ancestor.parent
        self.parent = parent

    def measure(self, name: str) -> Measure:
        for measure in self.measures:
            if measure.name == name:
                return measure
        raise NotFound(
            f"the purpose “{self.title}” has no measure “{name}”", rule="measure.not_found"
        )

    def add_measure(self, measure: Measure) -> None:
        if any(m.name == measure.name for m in self.measures):
            raise RuleBroken(
                f"the purpose “{self.title}” already has a measure “{measure.name}”",
                rule="measure.exists",
                field="name",
            )
        for what, number in (
            ("baseline", measure.baseline),
            ("target", measure.target),
            ("current", measure.current),
        ):
            if number is not None:
                check_number(number, f"{what} of measure {measure.name!r}", field=what)
        measure.position = len(self.measures)
        self.measures.append(measure)


def check_number(value: float, what: str, *, field: str | None = None) -> float:
    if not math.isfinite(value):
        raise Invalid(f"{what} must be a finite number", rule="number.invalid", field=field)
    return value


def may_edit_purposes(actor: Actor) -> bool:
    """Whether `actor` may shape purposes and add their measures: any member, an admin
    (DESIGN §7)."""
    return is_admin(actor) or may_write(actor)


def ensure_may_edit_purposes(actor: Actor) -> None:
    if not may_edit_purposes(actor):
        ensure_can_write(actor)  # refuses, saying why


def may_move_purpose(actor: Actor, purpose: Purpose) -> bool:
    """Whether `actor` may activate, achieve, abandon or reopen `purpose`: its sponsor, an
    admin."""
    return is_admin(actor) or (may_write(actor) and actor is purpose.sponsor)


def ensure_may_move_purpose(actor: Actor, purpose: Purpose) -> None:
    if not may_move_purpose(actor, purpose):
        ensure_can_write(actor)  # a viewer, say, is refused as such
        raise Forbidden(
            f"only the sponsor of the purpose “{purpose.title}” or an admin may change its status",
            rule="permission.purpose_sponsor",
        )


def may_update_measures(actor: Actor, purpose: Purpose, partners: Iterable[Team]) -> bool:
    """Whether `actor` may record new values of `purpose`'s measures: its sponsor, or a lead of
    one of the `partners` (the teams in a partnership on it); admins as such do not."""
    if not may_write(actor):
        return False
    return actor is purpose.sponsor or any(actor.is_lead(team) for team in partners)


def ensure_may_update_measures(actor: Actor, purpose: Purpose, partners: Iterable[Team]) -> Person:
    person = ensure_can_write(actor)
    if not may_update_measures(person, purpose, partners):
        raise Forbidden(
            f"only the sponsor of the purpose “{purpose.title}” or a lead of a partner team "
            "may update its measures",
            rule="permission.measure_update",
        )
    return person
