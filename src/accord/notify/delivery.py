"""What the worker hands an outlet to deliver, and how an outlet says it could not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from accord.config import Settings
from accord.notify.repository import Notification, OutboxRow, Recipient, Webhook


class DeliveryFailed(Exception):
    """A try that did not deliver: `retry` when a later try may (a timeout, a server error),
    not when none will (an address refused, a recipient unknown)."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retry = retry


class NotSetUp(Exception):
    """The outlet is not set up (no SMTP server): the delivery is skipped, not failed."""


@dataclass(frozen=True)
class Delivery:
    """One outbox row with what its outlet needs to send it."""

    row: OutboxRow
    person: Recipient | None = None
    notifications: list[Notification] = field(default_factory=list)
    webhook: Webhook | None = None
    team: str | None = None  # the webhook's team, by slug

    @property
    def key(self) -> str:
        return self.row.key


Sender = Callable[[Delivery, Settings], None]
