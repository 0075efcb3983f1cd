"""The edges of commitments: terms, state, moves and history as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from accord.commitments.domain import Commitment, Move, Reliance, State
from accord.commitments.service import CommitmentView
from accord.inputs import Input, Instant, Key, LongText, Moment, Title


class PendingTerms(BaseModel):
    """Terms proposed by a counter or a change, waiting for the other side's answer."""

    by: str = Field(description="The side that proposed them: R (requester) or P (performer).")
    title: str | None = None
    conditions_of_satisfaction: str | None = None
    due: Instant | None = None


class CommitmentRead(BaseModel):
    key: str
    partnership: str
    requester: str
    performer: str
    title: str
    conditions_of_satisfaction: str
    due: Instant
    reliance: Reliance
    measure: str | None
    state: State
    version: int = Field(description="Send it back with a move; a stale one is refused (409).")
    overdue: bool
    requested_at: Instant | None
    updated_at: Instant | None
    delivered_at: Instant | None
    value: int | None = Field(
        description="The requester's rating (1-5) on acceptance: trust evidence, for the members "
        "of the two teams and admins; null for anyone else, with 'value' in `withheld`."
    )
    pending: PendingTerms | None
    allowed_moves: list[Move] = Field(description="The moves the reader may make now.")
    withheld: list[str] = Field(
        default_factory=list,
        description="The fields left out for this reader: ['value'] unless they are a member "
        "of the requester or performer team, or an admin; [] tells a null value is no rating.",
    )

    @classmethod
    def of(cls, view: CommitmentView) -> CommitmentRead:
        c: Commitment = view.commitment
        pending = None
        if c.pending is not None and c.pending_by is not None:
            due = c.pending.get("due")
            pending = PendingTerms(
                by=c.pending_by.value,
                title=c.pending.get("title"),
                conditions_of_satisfaction=c.pending.get("conditions_of_satisfaction"),
                due=datetime.fromisoformat(due) if isinstance(due, str) else due,
            )
        return cls(
            key=c.key,
            partnership=c.partnership.key,
            requester=c.requester.slug,
            performer=c.performer.slug,
            title=c.title,
            conditions_of_satisfaction=c.conditions_of_satisfaction,
            due=c.due,
            reliance=c.reliance,
            measure=c.measure.name if c.measure else None,
            state=c.state,
            version=c.version,
            overdue=view.overdue,
            requested_at=c.requested_at,
            updated_at=c.updated_at,
            delivered_at=c.delivered_at,
            value=view.value,
            pending=pending,
            allowed_moves=view.allowed_moves,
            withheld=list(view.withheld),
        )


class CommitmentCreate(Input):
    """The `request` move: the requester asks the performer for something by a date."""

    key: Key | None = Field(None, description="Made from the title when omitted.")
    partnership: str
    requester: str
    performer: str
    title: Title
    due: Moment
    conditions_of_satisfaction: LongText = ""
    reliance: Reliance = Reliance.NONE
    measure: str | None = Field(None, description="A measure of the partnership's purpose.")


class MoveCreate(Input):
    """A move and what it carries: new terms (counter, revise, propose_change), a reason
    (decline, revoke, reject; optional for withdraw), a value 1-5 (accept), a note."""

    move: Move
    version: int | None = Field(
        None, description="The version the move is made against; or send If-Match instead."
    )
    title: Title | None = None
    conditions_of_satisfaction: LongText | None = None
    due: Moment | None = None
    reliance: Reliance | None = None
    value: int | None = None
    note: LongText | None = None
    reason: LongText | None = None

    def args(self) -> dict[str, Any]:
        return self.model_dump(exclude={"move", "version"}, exclude_none=True)


class CommitmentForecastRead(BaseModel):
    key: str
    requester: str
    performer: str
    reliance: Reliance
    due: Instant
    overdue: bool
    probability: float | None = Field(
        description="P(delivered and accepted by the due date); null once the commitment is "
        "final, or when the reader may not see the pair's trust."
    )
