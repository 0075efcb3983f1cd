"""Use cases of notifications, by part: one's own inbox, preferences and feed token; then the
teams' webhooks and the deliveries.

The inbox, the preferences and the feed token are a person's own: only they read or change
them, through their own sign-in; no one else may, admins neither. So these use cases take no
person to act on: they act on the actor.

Over 400 lines: the two parts share the checks of who may act and the views the API and the
pages both read.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from accord.config import Settings
from accord.errors import Conflict, Forbidden, Invalid, NotFound, RuleBroken, choice
from accord.events.catalog import (
    FeedTokenMade,
    FeedTokenRevoked,
    Logged,
    MailDeliveryRetried,
    NotificationsChosen,
    WebhookAdded,
    WebhookDeliveryRetried,
    WebhookRemoved,
    commitment_moved,
)
from accord.notify.domain import Channel, DeliveryState, Kind, Outlet
from accord.notify.repository import Notification, OutboxRow, Webhook
from accord.notify.rules import notify as notify_of
from accord.notify.webhook import WebhookFormat, check_url, new_secret
from accord.org.domain import (
    Actor,
    Person,
    Team,
    actor_name,
    ensure_admin,
    ensure_lead_or_admin,
)
from accord.uow import UnitOfWork

# The inbox, preferences and feed token.

INBOX_PAGE = 50
MAX_PAGE = 200
MAX_IDS = 500  # notifications marked read in one go by their ids
FEED_TOKEN_PREFIX = "feed_"


@dataclass(frozen=True)
class InboxItem:
    """A notification as its reader sees it: its words were written for them when it was made,
    and nothing else is joined to them."""

    id: int
    kind: Kind
    title: str
    text: str
    link: str  # a path of the web app; empty when the one kept is not one
    created_at: datetime
    read: bool

    @classmethod
    def of(cls, notification: Notification) -> InboxItem:
        return cls(
            id=notification.id,
            kind=notification.kind,
            title=notification.title,
            text=notification.text,
            link=_path(notification.link),
            created_at=notification.created_at,
            read=notification.read_at is not None,
        )


def _path(link: str) -> str:
    """A link kept with a notification, when it is a path of this app (never another site's)."""
    if link.startswith("/") and not link.startswith(("//", "/\\")):
        return link
    return ""


def _own(actor: Actor) -> tuple[int, str]:
    """The id and e-mail of the person whose inbox it is: the actor themselves (the operator
    has none). No more is loaded: the header reads the count on every page, with one query."""
    if not isinstance(actor, Person) or actor.id is None:
        raise Forbidden(
            "notifications are a person's own; the operator has none",
            rule="permission.person_only",
        )
    return actor.id, actor.email


def inbox(
    uow: UnitOfWork,
    actor: Actor,
    *,
    unread_only: bool = False,
    before_id: int | None = None,
    limit: int = INBOX_PAGE,
) -> list[InboxItem]:
    """My notifications, newest first: all or the unread ones; `before_id` starts a page."""
    with uow:
        person_id, _ = _own(actor)
        found = uow.notify.inbox(
            person_id,
            unread_only=unread_only,
            before_id=before_id,
            limit=max(1, min(limit, MAX_PAGE + 1)),
        )
        return [InboxItem.of(n) for n in found]


def unread_count(uow: UnitOfWork, actor: Actor) -> int:
    """How many of my notifications are unread (the header's bell): one indexed count."""
    with uow:
        person_id, _ = _own(actor)
        return uow.notify.unread_count(person_id)


def open_notification(uow: UnitOfWork, actor: Actor, notification_id: int) -> str | None:
    """Open one of my notifications: it is read now; where it leads (None when it is not mine,
    or gone: the same answer for both)."""
    with uow:
        person_id, _ = _own(actor)
        found = uow.notify.notification(notification_id)
        if found is None or found[0] != person_id:
            return None
        uow.notify.mark_read(found[0], [notification_id], uow.now())
        uow.commit()
        return _path(found[1].link) or "/inbox"


def mark_read(uow: UnitOfWork, actor: Actor, ids: Collection[int] | None = None) -> int:
    """Mark my notifications read: these (ids not mine change nothing), or all with None; how
    many are unread after."""
    if ids is not None and len(ids) > MAX_IDS:
        raise Invalid(
            f"mark at most {MAX_IDS} notifications read at once, or all of them",
            rule="notification.too_many",
            field="ids",
        )
    with uow:
        person_id, _ = _own(actor)
        uow.notify.mark_read(person_id, None if ids is None else set(ids), uow.now())
        uow.commit()
        return uow.notify.unread_count(person_id)


def preferences(uow: UnitOfWork, actor: Actor) -> dict[Kind, Channel]:
    """Where I hear of each kind of notification (the default for a kind I chose nothing for)."""
    with uow:
        person_id, _ = _own(actor)
        return uow.notify.preferences([person_id])[person_id]


def set_preferences(
    uow: UnitOfWork, actor: Actor, channels: Mapping[Kind | str, Channel | str]
) -> dict[Kind, Channel]:
    """Choose where I hear of some kinds of notification; the kinds not given stay as they
    were. Returns the channel of every kind."""
    chosen: dict[Kind, Channel] = {}
    for kind, channel in channels.items():
        if kind not in Kind._value2member_map_:
            raise Invalid(
                f"there is no kind of notification {str(kind)!r}",
                rule="notification.kind_unknown",
                field=str(kind),
            )
        if channel not in Channel._value2member_map_:
            choices = ", ".join(c.value for c in Channel)
            raise Invalid(
                f"a notification goes to one of {choices}, not {str(channel)!r}",
                rule="notification.channel_unknown",
                field=str(kind),
            )
        chosen[Kind(kind)] = Channel(channel)
    with uow:
        person_id, email = _own(actor)
        now = uow.notify.preferences([person_id])[person_id]
        changed = {kind: channel for kind, channel in chosen.items() if now[kind] != channel}
        if not changed:
            return now  # the same choices again change nothing, and log nothing
        uow.notify.set_preferences(person_id, changed)
        uow.record(
            NotificationsChosen(
                person=email,
                actor=email,
                at=uow.now(),
                channels={kind.value: channel.value for kind, channel in changed.items()},
            )
        )
        uow.commit()
        return {**now, **changed}


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_feed_token(uow: UnitOfWork, actor: Actor) -> str:
    """Make my personal feed token (calendar and stories feed), replacing the one I had: it is
    returned this once; only its hash is kept."""
    token = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        person_id, email = _own(actor)
        uow.notify.set_feed_token(person_id, feed_token_hash(token), uow.now())
        uow.record(FeedTokenMade(person=email, actor=email, at=uow.now()))
        uow.commit()
        return token


def revoke_feed_token(uow: UnitOfWork, actor: Actor) -> None:
    """Revoke my feed token: the calendar and feed addresses made with it stop working. Having
    none, nothing changes."""
    with uow:
        person_id, email = _own(actor)
        if uow.notify.has_feed_token(person_id) is None:
            return
        uow.notify.drop_feed_token(person_id)
        uow.record(FeedTokenRevoked(person=email, actor=email, at=uow.now()))
        uow.commit()


def feed_token_made(uow: UnitOfWork, actor: Actor) -> datetime | None:
    """When my feed token was made; None when I have none."""
    with uow:
        person_id, _ = _own(actor)
        return uow.notify.has_feed_token(person_id)


@dataclass(frozen=True)
class FeedAddresses:
    """What a feed token opens: my calendar, and the stories feed."""

    calendar: str
    stories: str

    @classmethod
    def of(cls, base_url: str, token: str) -> FeedAddresses:
        base = base_url.rstrip("/")
        return cls(f"{base}/calendar/{token}.ics", f"{base}/stories/feed.atom?token={token}")


def feed_reader(uow: UnitOfWork, token: str) -> Person | None:
    """The active person a feed token belongs to; None for a wrong or revoked one."""
    if not token.startswith(FEED_TOKEN_PREFIX) or len(token) > 200:
        return None
    with uow:
        person_id = uow.notify.feed_token_person(feed_token_hash(token))
        if person_id is None:
            return None
        person = uow.org.person_by_id(person_id)  # a feed token goes with its person
        return person if person.active else None


def page_of(items: Sequence[InboxItem], limit: int) -> tuple[list[InboxItem], int | None]:
    """One page of an inbox read with `limit + 1`, and the id the next page starts before."""
    shown = list(items[:limit])
    more = len(items) > limit and bool(shown)
    return shown, shown[-1].id if more else None


# Webhooks and deliveries.

MAX_WEBHOOKS = 10  # per team


@dataclass(frozen=True)
class WebhookView:
    """A team's webhook as its leads see it: never its secret, which shows once."""

    id: int
    team: str  # the team's slug
    url: str
    format: WebhookFormat
    active: bool
    created_at: datetime
    last_status: str | None
    last_delivered_at: datetime | None


@dataclass(frozen=True)
class NewWebhook:
    """A webhook just added, with its signing secret: shown this once, never again."""

    webhook: WebhookView
    secret: str


def _webhook_view(hook: Webhook, team: Team) -> WebhookView:
    return WebhookView(
        id=hook.id,
        team=team.slug,
        url=hook.url,
        format=choice(WebhookFormat, hook.format, "format"),
        active=hook.active,
        created_at=hook.created_at,
        last_status=hook.last_status,
        last_delivered_at=hook.last_delivered_at,
    )


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _webhooks_team(uow: UnitOfWork, actor: Actor, slug: str, doing: str) -> Team:
    """The team, once `actor` may manage its webhooks: one of its leads, or an admin (a team's
    integrations are administration)."""
    team = uow.org.team(slug)
    ensure_lead_or_admin(uow.bind(actor), team, doing)
    return team


def _team_webhook(uow: UnitOfWork, team: Team, webhook_id: int) -> Webhook:
    hook = uow.notify.webhook(webhook_id)
    if hook is None or hook.team_id != team.id:
        raise NotFound(f"{team.name} has no webhook {webhook_id}", rule="webhook.not_found")
    return hook


def list_webhooks(uow: UnitOfWork, actor: Actor, slug: str) -> list[WebhookView]:
    """A team's webhooks, oldest first (its leads, admins)."""
    with uow:
        team = _webhooks_team(uow, actor, slug, "see the team's webhooks")
        assert team.id is not None
        return [_webhook_view(hook, team) for hook in uow.notify.webhooks_of([team.id])]


def add_webhook(
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    slug: str,
    *,
    url: str,
    format: WebhookFormat | str = WebhookFormat.JSON,
) -> NewWebhook:
    """Add a webhook to a team (its leads, admins): its URL checked as each delivery will be,
    and a new signing secret, shown this once."""
    kind = choice(WebhookFormat, format, "format", field="format")
    url = url.strip()
    with uow:
        team = _webhooks_team(uow, actor, slug, "add a webhook")
        assert team.id is not None
        check_url(url, settings)
        if len(uow.notify.webhooks_of([team.id])) >= MAX_WEBHOOKS:
            raise RuleBroken(
                f"a team has at most {MAX_WEBHOOKS} webhooks; remove one first",
                rule="webhook.too_many",
            )
        secret = new_secret()
        by = actor.id if isinstance(actor, Person) else None
        webhook_id = uow.notify.add_webhook(team.id, url, kind.value, secret, uow.now(), by)
        hook = uow.notify.webhook(webhook_id)
        assert hook is not None
        uow.record(
            WebhookAdded(
                actor=actor_name(actor),
                at=uow.now(),
                team=team.slug,
                webhook=webhook_id,
                host=_host(url),
                format=kind.value,
            )
        )
        uow.commit()
        return NewWebhook(_webhook_view(hook, team), secret)


def remove_webhook(uow: UnitOfWork, actor: Actor, slug: str, webhook_id: int) -> None:
    """Remove a team's webhook and what it had still to deliver (its leads, admins)."""
    with uow:
        team = _webhooks_team(uow, actor, slug, "remove a webhook")
        hook = _team_webhook(uow, team, webhook_id)
        uow.notify.remove_webhook(hook.id)
        uow.record(
            WebhookRemoved(
                actor=actor_name(actor),
                at=uow.now(),
                team=team.slug,
                webhook=hook.id,
                host=_host(hook.url),
            )
        )
        uow.commit()


def ping_webhook(uow: UnitOfWork, actor: Actor, slug: str, webhook_id: int) -> str:
    """Send a team's webhook a test message, through the outbox like any other (its leads,
    admins); the key it is sent with."""
    with uow:
        team = _webhooks_team(uow, actor, slug, "test a webhook")
        hook = _team_webhook(uow, team, webhook_id)
        now = uow.now()
        key = f"hook:{hook.id}:test:{secrets.token_hex(8)}"
        body = {
            "type": "webhook.test",
            "occurred_at": now.isoformat().replace("+00:00", "Z"),
            "subject": f"team:{team.slug}",
            "title": f"A test from Accord for {team.name}",
            "text": f"This webhook receives the events of {team.name}.",
            "link": f"/teams/{team.slug}",
            "data": {},
        }
        uow.notify.enqueue(Outlet.WEBHOOK, key, now, webhook_id=hook.id, body=body)
        uow.commit()
        return key


# Deliveries: what the worker sends, and what it gave up on (admins).


@dataclass(frozen=True)
class DeliveryView:
    """One delivery as an admin sees it: where it goes and what it is about, in words."""

    row: OutboxRow
    to: str  # whom or where it goes
    title: str  # what it says

    @property
    def may_retry(self) -> bool:
        return self.row.state != DeliveryState.SENT


def _delivery_views(uow: UnitOfWork, rows: Sequence[OutboxRow]) -> list[DeliveryView]:
    titles = {
        notice.id: notice.title
        for notice in uow.notify.notifications(
            {row.notification_id for row in rows if row.notification_id is not None}
        )
    }
    views = []
    for row in rows:
        if row.channel == Outlet.WEBHOOK:
            hook = uow.notify.webhook(row.webhook_id) if row.webhook_id is not None else None
            team = uow.session.get(Team, hook.team_id) if hook is not None else None
            host = _host(hook.url) if hook is not None else None
            to = f"Webhook of {team.name if team else 'a team'} at {host or 'an unknown host'}"
        else:
            person = uow.session.get(Person, row.person_id) if row.person_id else None
            what = "digest" if row.channel == Outlet.DIGEST else "e-mail"
            to = f"{person.name if person else 'Someone'}, by {what}"
        body = row.body or {}
        title = titles.get(row.notification_id or 0) or str(body.get("title") or "")
        views.append(DeliveryView(row, to, title or "The daily digest"))
    return views


def list_deliveries(
    uow: UnitOfWork,
    actor: Actor,
    *,
    state: DeliveryState | str | None = None,
    failing: bool = False,
    before_id: int | None = None,
    limit: int = 50,
) -> list[DeliveryView]:
    """Deliveries newest first (admins): in a state, or with `failing` those failing still."""
    ensure_admin(actor, "see the deliveries")
    states = None if state is None else [choice(DeliveryState, state, "state", field="state")]
    with uow:
        rows = uow.notify.deliveries(states, failing=failing, before_id=before_id, limit=limit)
        return _delivery_views(uow, rows)


def delivery_counts(uow: UnitOfWork, actor: Actor) -> dict[DeliveryState, int]:
    """How many deliveries are in each state (admins)."""
    ensure_admin(actor, "see the deliveries")
    with uow:
        counts = uow.notify.counts()
        return {state: counts.get(state, 0) for state in DeliveryState}


def retry_delivery(uow: UnitOfWork, actor: Actor, delivery_id: int) -> DeliveryView:
    """Deliver again, from its first try, one that died, was skipped or keeps failing
    (admins)."""
    ensure_admin(actor, "retry a delivery")
    with uow:
        row = uow.notify.delivery(delivery_id)
        if row is None:
            raise NotFound(f"no delivery {delivery_id}", rule="delivery.not_found")
        if row.state == DeliveryState.SENT:
            raise Conflict("this delivery was made already; nothing to retry", rule="delivery.sent")
        uow.notify.retry(row.id, uow.now())
        _record_retry(uow, actor, row)
        retried = uow.notify.delivery(row.id)
        assert retried is not None
        uow.commit()
        return _delivery_views(uow, [retried])[0]


def _record_retry(uow: UnitOfWork, actor: Actor, row: OutboxRow) -> None:
    """Note who retried a delivery, under the team or the person it goes to."""
    hook = uow.notify.webhook(row.webhook_id) if row.webhook_id is not None else None
    team = uow.session.get(Team, hook.team_id) if hook is not None else None
    person = uow.session.get(Person, row.person_id) if row.person_id is not None else None
    if team is not None and hook is not None:
        uow.record(
            WebhookDeliveryRetried(
                actor=actor_name(actor),
                at=uow.now(),
                team=team.slug,
                delivery=row.id,
                webhook=hook.id,
            )
        )
    elif person is not None:
        uow.record(
            MailDeliveryRetried(
                actor=actor_name(actor),
                at=uow.now(),
                person=person.email,
                delivery=row.id,
                channel=row.channel.value,
            )
        )


# What an import kept silent.


def tell_recent(uow: UnitOfWork, actor: Actor, since: datetime, *, most: int = 1000) -> int:
    """Notify of the commitment moves made since `since` as if they had just been made (admins
    only): an imported organization's people then find the last days' requests, answers and
    deliveries in their inboxes, as the demo's do. How many notices were made."""
    with uow:
        ensure_admin(uow.bind(actor), "notify of what an import kept silent")
        recent = [
            e
            for e in uow.events.newest(limit=most)
            if e.at >= since and e.subject.startswith("commitment:") and "move" in e.payload
        ]
        logged = [
            Logged(
                e.id,
                commitment_moved(e.subject.split(":", 1)[1], e.actor, e.at, e.payload),
            )
            for e in sorted(recent, key=lambda e: e.id)
        ]
        before = uow.notify.notices_count()
        notify_of(uow, logged)
        made = uow.notify.notices_count() - before
        uow.commit()
        return made
