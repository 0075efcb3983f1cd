"""Purposes, their status rules and their measures."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from accord.errors import Invalid, NotFound, RuleBroken

if TYPE_CHECKING:
    from accord.org.domain import Person


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
        check_number(value, f"value of measure {self.name!r}")
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
                f"purpose {self.key!r} cannot go from {self.status.value} to {status.value}",
                rule="purpose.status_not_allowed",
            )
        self.status = status

    def set_parent(self, parent: Purpose | None) -> None:
        ancestor = parent
        while ancestor is not None:
            if ancestor is self:
                raise RuleBroken(
                    f"purpose {self.key!r} cannot be under itself", rule="purpose.parent_cycle"
                )
            ancestor = ancestor.parent
        self.parent = parent

    def measure(self, name: str) -> Measure:
        for measure in self.measures:
            if measure.name == name:
                return measure
        raise NotFound(f"purpose {self.key!r} has no measure {name!r}", rule="measure.not_found")

    def add_measure(self, measure: Measure) -> None:
        if any(m.name == measure.name for m in self.measures):
            raise RuleBroken(
                f"purpose {self.key!r} already has a measure {measure.name!r}",
                rule="measure.exists",
            )
        for what, number in (
            ("baseline", measure.baseline),
            ("target", measure.target),
            ("current", measure.current),
        ):
            if number is not None:
                check_number(number, f"{what} of measure {measure.name!r}")
        measure.position = len(self.measures)
        self.measures.append(measure)


def check_number(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise Invalid(f"{what} must be a finite number", rule="number.invalid")
    return value
