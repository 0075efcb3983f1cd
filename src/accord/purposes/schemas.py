"""The edges of purposes: purposes, measures and their updates as JSON."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from accord.inputs import Email, Input, Instant, Key, LongText, Title
from accord.purposes.domain import Measure, Purpose, PurposeStatus


class MeasureUpdateRead(BaseModel):
    value: float
    at: Instant
    note: str
    by: str | None


class MeasureRead(BaseModel):
    name: str
    unit: str
    baseline: float | None
    target: float | None
    current: float | None
    progress: float | None = Field(description="Share of the way from baseline to target, 0-1.")
    updates: list[MeasureUpdateRead]

    @classmethod
    def of(cls, measure: Measure) -> MeasureRead:
        return cls(
            name=measure.name,
            unit=measure.unit,
            baseline=measure.baseline,
            target=measure.target,
            current=measure.current,
            progress=measure.progress,
            updates=[
                MeasureUpdateRead(
                    value=u.value, at=u.at, note=u.note, by=u.by.email if u.by else None
                )
                for u in measure.updates
            ],
        )


class PurposeRead(BaseModel):
    key: str
    title: str
    statement: str
    status: PurposeStatus
    sponsor: str | None
    target_date: date | None
    parent: str | None
    measures: list[MeasureRead]

    @classmethod
    def of(cls, purpose: Purpose) -> PurposeRead:
        return cls(
            key=purpose.key,
            title=purpose.title,
            statement=purpose.statement,
            status=purpose.status,
            sponsor=purpose.sponsor.email if purpose.sponsor else None,
            target_date=purpose.target_date,
            parent=purpose.parent.key if purpose.parent else None,
            measures=[MeasureRead.of(m) for m in purpose.measures],
        )


class PurposeCreate(Input):
    key: Key | None = Field(None, description="Made from the title when omitted.")
    title: Title
    statement: LongText = ""
    sponsor: Email | None = Field(None, description="The sponsor's e-mail.")
    target_date: date | None = None
    parent: str | None = None


class PurposeUpdate(Input):
    """Only the fields given change; `sponsor`, `target_date` or `parent` null clears them."""

    title: Title | None = None
    statement: LongText | None = None
    sponsor: Email | None = None
    target_date: date | None = None
    parent: str | None = None
    status: PurposeStatus | None = Field(None, description="The sponsor's or an admin's to set.")


class MeasureCreate(Input):
    name: Title
    unit: str = Field("", max_length=40)
    baseline: float | None = None
    target: float | None = None
    current: float | None = None


class MeasureUpdateCreate(Input):
    value: float
    note: str = Field("", max_length=2000)
