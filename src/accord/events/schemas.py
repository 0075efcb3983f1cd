"""The event log as JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from accord.events.domain import EventView
from accord.inputs import Instant


class EventRead(BaseModel):
    id: int
    at: Instant
    actor: str | None
    type: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str | None = Field(description="The hash of the event before; admins only.")
    hash: str | None = Field(
        description="SHA-256 over the event with prev_hash; admins only, who read every payload "
        "whole and can check it (a hash would give a withheld field away to a few guesses)."
    )
    withheld: list[str] = Field(
        default_factory=list,
        description="The fields left out for this reader: an accept's 'payload.args.value' and "
        "'payload.args.note' unless they are a member of the commitment's two teams or an admin; "
        "'prev_hash' and 'hash' unless they are an admin.",
    )

    @classmethod
    def of(cls, event: EventView) -> EventRead:
        return cls(
            id=event.id,
            at=event.at,
            actor=event.actor,
            type=event.type,
            subject=event.subject,
            payload=event.payload,
            prev_hash=event.prev_hash,
            hash=event.hash,
            withheld=list(event.withheld),
        )
