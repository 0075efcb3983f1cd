"""The event log as JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from accord.events.domain import Event
from accord.interchange.schemas import Instant


class EventRead(BaseModel):
    id: int
    at: Instant
    actor: str | None
    type: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, event: Event) -> EventRead:
        return cls(
            id=event.id,
            at=event.at,
            actor=event.actor,
            type=event.type,
            subject=event.subject,
            payload=event.payload,
            prev_hash=event.prev_hash,
            hash=event.hash,
        )
