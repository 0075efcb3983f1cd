"""What a notification is, the kinds a person chooses channels for, and the retry schedule.

Plain Python: the rules of who hears what live in `rules` (they read the organization through the
unit of work); this module holds the words and numbers they share with the channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a notification is about; a person chooses a channel for each kind."""

    REQUEST = "request"  # a request to your team, or a request revised
    ANSWER = "answer"  # a counter-offer or a proposed change, waiting for your answer
    DELIVERY = "delivery"  # a delivery to accept
    OUTCOME = "outcome"  # promised, accepted, rejected, revoked, declined, withdrawn…
    DUE_SOON = "due_soon"  # a promise of your team falls due soon
    OVERDUE = "overdue"  # a promise to or of your team is past due
    INVITATION = "invitation"  # your team is invited into a partnership
    AFFIRM = "affirm"  # a partnership waits for your team's affirmation
    HEALTH = "health"  # a health check opened, or closing tomorrow
    REPLY = "reply"  # a reply to your story


KIND_WORDS: dict[Kind, str] = {
    Kind.REQUEST: "A partner asks your team for something",
    Kind.ANSWER: "A counter-offer or a proposed change waits for your answer",
    Kind.DELIVERY: "A delivery waits for your acceptance",
    Kind.OUTCOME: "A partner promises, accepts, rejects, revokes, declines or withdraws",
    Kind.DUE_SOON: "Your team's promise falls due soon",
    Kind.OVERDUE: "A promise is past its due date",
    Kind.INVITATION: "Your team is invited into a partnership",
    Kind.AFFIRM: "A partnership waits for your affirmation",
    Kind.HEALTH: "A health check opens or closes tomorrow",
    Kind.REPLY: "Someone replies to your story",
}


class Channel(StrEnum):
    """Where a person hears of one kind of notification."""

    INBOX = "inbox"  # the inbox only
    EMAIL = "email"  # the inbox, and an e-mail at once
    DIGEST = "digest"  # the inbox, and the daily digest e-mail
    OFF = "off"  # nowhere


CHANNEL_WORDS: dict[Channel, str] = {
    Channel.INBOX: "Inbox only",
    Channel.EMAIL: "Inbox and e-mail",
    Channel.DIGEST: "Inbox and daily digest",
    Channel.OFF: "Off",
}

DEFAULT_CHANNEL = Channel.EMAIL


@dataclass(frozen=True)
class Notice:
    """One notification for one person: what the inbox shows and an e-mail says.

    `key` makes it once only (an event's notice per person, a reminder per due date and
    person); `link` is a path of the web app.
    """

    person_id: int
    kind: Kind
    subject: str
    title: str
    text: str
    link: str
    key: str
    event_id: int | None = None


class Outlet(StrEnum):
    """What an outbox row is delivered through."""

    EMAIL = "email"
    DIGEST = "digest"
    WEBHOOK = "webhook"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # gave up after the last try: an admin may retry it
    SKIPPED = "skipped"  # its channel is not set up (no SMTP server): nothing to send it with


def backoff(attempts: int, *, base: float, cap: float, rand: float) -> float:
    """Seconds before the next try after `attempts` failed ones: exponential from `base`, at most
    `cap`, with "equal jitter" (`rand` in [0, 1)) so that failed deliveries do not retry in step."""
    delay: float = min(cap, base * 2.0 ** max(0, attempts - 1))
    return delay / 2 + delay / 2 * rand
