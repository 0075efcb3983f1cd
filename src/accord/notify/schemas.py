"""The edges of notifications: what the API takes and answers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from accord.inputs import Input, Instant, refuse
from accord.notify.domain import KIND_WORDS, Channel, DeliveryState, Kind, Outlet
from accord.notify.service import MAX_IDS, DeliveryView, InboxItem, NewWebhook, WebhookView
from accord.notify.webhook import WebhookFormat

# The inbox, preferences and feed token.

NotificationId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class NotificationRead(BaseModel):
    """A notification of mine, in the words it was written in for me."""

    id: int
    kind: Kind
    title: str = Field(examples=["Your team is asked"])
    text: str = Field(examples=["Care asks Data for Churn signals, due Tue 8 Dec"])
    link: str = Field(
        description="The path of the page it is about in the web app (empty: none).",
        examples=["/commitments/c-241"],
    )
    created_at: Instant
    read: bool

    @classmethod
    def of(cls, item: InboxItem) -> NotificationRead:
        return cls(
            id=item.id,
            kind=item.kind,
            title=item.title,
            text=item.text,
            link=item.link,
            created_at=item.created_at,
            read=item.read,
        )


class MarkRead(Input):
    """Either the ids of notifications to mark read, or `all`: true."""

    ids: list[NotificationId] | None = Field(None, max_length=MAX_IDS)
    all: bool = False

    @model_validator(mode="after")
    def _one_or_the_other(self) -> MarkRead:
        if (self.ids is None) == (not self.all):
            raise refuse("read_which", "must hold either ids or all: true, not both")
        return self


class UnreadCount(BaseModel):
    unread: int = Field(description="How many of my notifications are unread now.")


def _kind(kind: Kind) -> str:
    return KIND_WORDS[kind] + "."


class NotificationPreferences(BaseModel):
    """Where I hear of each kind of notification: `inbox` (the inbox only), `email` (the
    inbox and an e-mail at once), `digest` (the inbox and the daily digest e-mail), `off`."""

    request: Channel = Field(description=_kind(Kind.REQUEST))
    answer: Channel = Field(description=_kind(Kind.ANSWER))
    delivery: Channel = Field(description=_kind(Kind.DELIVERY))
    outcome: Channel = Field(description=_kind(Kind.OUTCOME))
    due_soon: Channel = Field(description=_kind(Kind.DUE_SOON))
    overdue: Channel = Field(description=_kind(Kind.OVERDUE))
    invitation: Channel = Field(description=_kind(Kind.INVITATION))
    affirm: Channel = Field(description=_kind(Kind.AFFIRM))
    health: Channel = Field(description=_kind(Kind.HEALTH))
    reply: Channel = Field(description=_kind(Kind.REPLY))

    @classmethod
    def of(cls, channels: dict[Kind, Channel]) -> NotificationPreferences:
        return cls(**{kind.value: channel for kind, channel in channels.items()})


class NotificationPreferencesUpdate(Input):
    """Only the kinds given change."""

    request: Channel | None = None
    answer: Channel | None = None
    delivery: Channel | None = None
    outcome: Channel | None = None
    due_soon: Channel | None = None
    overdue: Channel | None = None
    invitation: Channel | None = None
    affirm: Channel | None = None
    health: Channel | None = None
    reply: Channel | None = None

    def channels(self) -> dict[str, Channel]:
        return {kind: channel for kind, channel in self.model_dump().items() if channel}


class FeedTokenCreated(BaseModel):
    """My new feed token and the addresses it opens; shown this once and never again."""

    token: str
    calendar_url: str = Field(description="My teams' open commitments as an iCalendar feed.")
    stories_feed_url: str = Field(description="The stories as an Atom feed.")


# Webhooks and deliveries.


class WebhookCreate(Input):
    url: str = Field(
        max_length=2000,
        examples=["https://hooks.example.org/accord"],
        description="Where the team's events are posted: http or https, on a host the server "
        "allows.",
    )
    format: WebhookFormat = Field(
        WebhookFormat.JSON,
        description="`slack`: a chat message (`text` and `blocks`); `json`: the event as data.",
    )


class WebhookRead(BaseModel):
    id: int
    team: str
    url: str
    format: WebhookFormat
    active: bool
    created_at: Instant
    last_status: str | None = Field(
        description="How the last delivery went, e.g. `200 at 2026-12-08T09:00:00Z`."
    )
    last_delivered_at: Instant | None

    @classmethod
    def of(cls, view: WebhookView) -> WebhookRead:
        return cls(
            id=view.id,
            team=view.team,
            url=view.url,
            format=view.format,
            active=view.active,
            created_at=view.created_at,
            last_status=view.last_status,
            last_delivered_at=view.last_delivered_at,
        )


class WebhookCreated(WebhookRead):
    """A new webhook; `secret` signs its requests, and is shown this once and never again."""

    secret: str = Field(description="`whsec_` and the base64 key of the HMAC-SHA256 signature.")

    @classmethod
    def made(cls, made: NewWebhook) -> WebhookCreated:
        return cls(**WebhookRead.of(made.webhook).model_dump(), secret=made.secret)


class DeliveryRead(BaseModel):
    id: int
    channel: Outlet
    state: DeliveryState
    key: str = Field(description="The idempotency key it is sent with (Message-ID, webhook-id).")
    to: str = Field(description="Whom or where it goes, in words.")
    title: str
    attempts: int
    next_at: Instant = Field(description="When it is tried next, while pending.")
    created_at: Instant
    sent_at: Instant | None
    last_error: str | None

    @classmethod
    def of(cls, view: DeliveryView) -> DeliveryRead:
        row = view.row
        return cls(
            id=row.id,
            channel=row.channel,
            state=row.state,
            key=row.key,
            to=view.to,
            title=view.title,
            attempts=row.attempts,
            next_at=row.next_at,
            created_at=row.created_at,
            sent_at=row.sent_at,
            last_error=row.last_error,
        )
