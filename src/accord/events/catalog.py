"""Every kind of event Accord records, one frozen dataclass each, and the names logs hold.

Longer than most modules on purpose: it is the one place that lists every event type, so that
a reader of the log, a subscriber or a new use case finds them all together.

A type is named `context.past_tense` (`commitment.promised`); its class (`CommitmentPromised`)
knows that name, its subject and the payload the log stores. Payloads stay as earlier versions
wrote them, key for key, so that trust, the audit page and exports read old and new events
alike. Commitment events were once written under CamelCase names (`CommitmentPromised`): the
log keeps them as written, since its hash chain covers them, and `LEGACY_NAMES` says what each
is called now wherever events are read as types.

This module imports nothing of Accord: every context's domain may name its events.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """One change, as a use case records it: who (`actor`, None for nobody signed in), when
    (`at`), and the fields of its kind.

    A kind's subject is "<subject_kind>:<key>", the key being the field named after the
    subject kind (a team's slug in `team`); the payload is every other field, by its name.
    """

    type: ClassVar[str]
    subject_kind: ClassVar[str]
    actor: str | None
    at: datetime

    @property
    def subject(self) -> str:
        return f"{self.subject_kind}:{getattr(self, self.subject_kind)}"

    def payload(self) -> dict[str, Any]:
        """The payload the log stores for this event."""
        skip = ("actor", "at", self.subject_kind)
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}


E_co = TypeVar("E_co", bound=DomainEvent, covariant=True)


@dataclass(frozen=True)
class Logged(Generic[E_co]):
    """An event as appended to the log: its id there (for de-duplication downstream) and the
    event."""

    id: int
    event: E_co


def _status_change(before: str, after: str) -> dict[str, Any]:
    return {"from": before, "to": after}


# Teams, people and their memberships.


@dataclass(frozen=True, kw_only=True)
class TeamEvent(DomainEvent):
    subject_kind = "team"
    team: str  # its slug


@dataclass(frozen=True, kw_only=True)
class _TeamDescribed(TeamEvent):
    name: str
    kind: str
    mission: str
    parent: str | None

    def payload(self) -> dict[str, Any]:
        return {"slug": self.team, **super().payload()}


@dataclass(frozen=True, kw_only=True)
class TeamCreated(_TeamDescribed):
    type = "team.created"


@dataclass(frozen=True, kw_only=True)
class TeamUpdated(_TeamDescribed):
    type = "team.updated"


@dataclass(frozen=True, kw_only=True)
class MembershipSet(TeamEvent):
    type = "membership.set"
    person: str
    role: str


@dataclass(frozen=True, kw_only=True)
class MembershipRemoved(TeamEvent):
    type = "membership.removed"
    person: str


@dataclass(frozen=True, kw_only=True)
class WebhookAdded(TeamEvent):
    type = "team.webhook_added"
    webhook: int
    host: str  # the host alone: a webhook's URL may hold a token
    format: str


@dataclass(frozen=True, kw_only=True)
class WebhookRemoved(TeamEvent):
    type = "team.webhook_removed"
    webhook: int
    host: str


@dataclass(frozen=True, kw_only=True)
class WebhookDeliveryRetried(TeamEvent):
    type = "team.delivery_retried"
    delivery: int
    webhook: int


@dataclass(frozen=True, kw_only=True)
class PersonEvent(DomainEvent):
    subject_kind = "person"
    person: str  # their e-mail


@dataclass(frozen=True, kw_only=True)
class PersonCreated(PersonEvent):
    type = "person.created"
    name: str
    role: str

    def payload(self) -> dict[str, Any]:
        return {"email": self.person, **super().payload()}


@dataclass(frozen=True, kw_only=True)
class PersonUpdated(PersonEvent):
    type = "person.updated"
    name: str
    role: str
    active: bool
    tokens_revoked: list[str] | None = None  # the names of the tokens a deactivation ended
    time_zone: str | None = None  # the zone the person chose on their profile, when they did

    def payload(self) -> dict[str, Any]:
        payload = super().payload()
        if not self.tokens_revoked:
            del payload["tokens_revoked"]
        if self.time_zone is None:
            del payload["time_zone"]
        return payload


@dataclass(frozen=True, kw_only=True)
class PasswordSet(PersonEvent):
    type = "person.password_set"


@dataclass(frozen=True, kw_only=True)
class SignedOut(PersonEvent):
    type = "person.signed_out"


@dataclass(frozen=True, kw_only=True)
class SignInSlowed(PersonEvent):
    type = "person.sign_in_slowed"
    failures: int
    window_minutes: int


@dataclass(frozen=True, kw_only=True)
class TokenCreated(PersonEvent):
    type = "token.created"
    name: str
    expires_at: str


@dataclass(frozen=True, kw_only=True)
class TokenRevoked(PersonEvent):
    type = "token.revoked"
    name: str
    id: int | None


@dataclass(frozen=True, kw_only=True)
class MailDeliveryRetried(PersonEvent):
    type = "person.delivery_retried"
    delivery: int
    channel: str  # an e-mail or a digest


@dataclass(frozen=True, kw_only=True)
class NotificationsChosen(PersonEvent):
    type = "person.notifications_chosen"
    channels: dict[str, str]  # the kinds chosen, each with its channel


@dataclass(frozen=True, kw_only=True)
class FeedTokenMade(PersonEvent):
    type = "person.feed_token_made"  # one per person: it replaces the one before


@dataclass(frozen=True, kw_only=True)
class FeedTokenRevoked(PersonEvent):
    type = "person.feed_token_revoked"


# Purposes and their measures.


@dataclass(frozen=True, kw_only=True)
class PurposeEvent(DomainEvent):
    subject_kind = "purpose"
    purpose: str  # its key


@dataclass(frozen=True, kw_only=True)
class _PurposeDescribed(PurposeEvent):
    title: str
    statement: str
    sponsor: str | None
    target_date: str | None
    parent: str | None
    status: str

    def payload(self) -> dict[str, Any]:
        return {"key": self.purpose, **super().payload()}


@dataclass(frozen=True, kw_only=True)
class PurposeCreated(_PurposeDescribed):
    type = "purpose.created"


@dataclass(frozen=True, kw_only=True)
class PurposeUpdated(_PurposeDescribed):
    type = "purpose.updated"


@dataclass(frozen=True, kw_only=True)
class PurposeStatusChanged(PurposeEvent):
    type = "purpose.status_changed"
    before: str
    after: str

    def payload(self) -> dict[str, Any]:
        return _status_change(self.before, self.after)


@dataclass(frozen=True, kw_only=True)
class MeasureAdded(PurposeEvent):
    type = "measure.added"
    name: str
    unit: str
    baseline: float | None
    target: float | None
    current: float | None


@dataclass(frozen=True, kw_only=True)
class MeasureUpdated(PurposeEvent):
    type = "measure.updated"
    name: str
    value: float
    note: str


# Partnerships: their charter, parties and invitations.


@dataclass(frozen=True, kw_only=True)
class PartnershipEvent(DomainEvent):
    subject_kind = "partnership"
    partnership: str  # its key


@dataclass(frozen=True, kw_only=True)
class PartnershipCreated(PartnershipEvent):
    type = "partnership.created"
    name: str
    purpose: str
    parties: list[dict[str, Any]]  # {"team": slug, "contribution": text}
    working_agreements: list[str]
    review_every_days: int | None


@dataclass(frozen=True, kw_only=True)
class PartnerInvited(PartnershipEvent):
    type = "partnership.invited"
    invitation: int | None
    team: str


@dataclass(frozen=True, kw_only=True)
class InvitationAccepted(PartnershipEvent):
    type = "partnership.invitation_accepted"
    invitation: int | None
    team: str
    contribution: str
    charter_version: int
    status: str


@dataclass(frozen=True, kw_only=True)
class InvitationDeclined(PartnershipEvent):
    type = "partnership.invitation_declined"
    invitation: int | None
    team: str


@dataclass(frozen=True, kw_only=True)
class InvitationWithdrawn(PartnershipEvent):
    type = "partnership.invitation_withdrawn"
    invitation: int | None
    team: str
    reason: str | None = None  # why, when no person withdrew it (the partnership closed)

    def payload(self) -> dict[str, Any]:
        payload = super().payload()
        if self.reason is None:
            del payload["reason"]
        return payload


@dataclass(frozen=True, kw_only=True)
class PartyAdded(PartnershipEvent):
    """A team added straight as a party: earlier versions wrote it, logs still hold it; a team
    now joins by accepting an invitation."""

    type = "partnership.party_added"
    team: str
    contribution: str
    status: str


@dataclass(frozen=True, kw_only=True)
class PartyLeft(PartnershipEvent):
    type = "partnership.party_left"
    team: str
    contribution: str
    status: str


@dataclass(frozen=True, kw_only=True)
class PartnershipActivated(PartnershipEvent):
    type = "partnership.activated"


@dataclass(frozen=True, kw_only=True)
class CharterUpdated(PartnershipEvent):
    type = "partnership.charter_updated"
    name: str
    purpose: str
    working_agreements: list[str]
    review_every_days: int | None
    charter_version: int
    status: str


@dataclass(frozen=True, kw_only=True)
class ContributionSet(PartnershipEvent):
    type = "partnership.contribution_set"
    team: str
    contribution: str
    charter_version: int
    status: str


@dataclass(frozen=True, kw_only=True)
class CharterAffirmed(PartnershipEvent):
    type = "partnership.affirmed"
    team: str
    charter_version: int


@dataclass(frozen=True, kw_only=True)
class PartnershipStatusChanged(PartnershipEvent):
    type = "partnership.status_changed"
    before: str
    after: str
    note: str | None = None  # why, when the lead who moved it said

    def payload(self) -> dict[str, Any]:
        payload = _status_change(self.before, self.after)
        if self.note:
            payload["note"] = self.note
        return payload


# Commitments: one event per move of the conversation for action (DESIGN §1).


@dataclass(frozen=True, kw_only=True)
class CommitmentMoved(DomainEvent):
    """A move on a commitment: the state it left (`before`, None for the request) and reached
    (`after`), the version it made, the side that made it ("R" or "P"), its arguments in
    canonical form and, when it agrees on proposed terms, the terms now in force."""

    subject_kind = "commitment"
    move: ClassVar[str]
    commitment: str  # its key
    before: str | None
    after: str
    version: int
    side: str
    args: dict[str, Any]
    terms: dict[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "move": self.move,
            "from": self.before,
            "to": self.after,
            "version": self.version,
            "side": self.side,
            "args": self.args,
        }
        if self.terms is not None:
            payload["terms"] = self.terms
        return payload


@dataclass(frozen=True, kw_only=True)
class CommitmentRequested(CommitmentMoved):
    type = "commitment.requested"
    move = "request"
    partnership: str
    requester: str
    performer: str

    def payload(self) -> dict[str, Any]:
        return {
            **super().payload(),
            "partnership": self.partnership,
            "requester": self.requester,
            "performer": self.performer,
        }


@dataclass(frozen=True, kw_only=True)
class CommitmentPromised(CommitmentMoved):
    type = "commitment.promised"
    move = "promise"


@dataclass(frozen=True, kw_only=True)
class CommitmentCountered(CommitmentMoved):
    type = "commitment.countered"
    move = "counter"


@dataclass(frozen=True, kw_only=True)
class CommitmentDeclined(CommitmentMoved):
    type = "commitment.declined"
    move = "decline"


@dataclass(frozen=True, kw_only=True)
class CommitmentCounterAccepted(CommitmentMoved):
    type = "commitment.counter_accepted"
    move = "accept_counter"


@dataclass(frozen=True, kw_only=True)
class CommitmentRevised(CommitmentMoved):
    type = "commitment.revised"
    move = "revise"


@dataclass(frozen=True, kw_only=True)
class CommitmentWithdrawn(CommitmentMoved):
    type = "commitment.withdrawn"
    move = "withdraw"


@dataclass(frozen=True, kw_only=True)
class CommitmentChangeProposed(CommitmentMoved):
    type = "commitment.change_proposed"
    move = "propose_change"


@dataclass(frozen=True, kw_only=True)
class CommitmentChangeAccepted(CommitmentMoved):
    type = "commitment.change_accepted"
    move = "accept_change"


@dataclass(frozen=True, kw_only=True)
class CommitmentChangeRejected(CommitmentMoved):
    type = "commitment.change_rejected"
    move = "reject_change"


@dataclass(frozen=True, kw_only=True)
class CommitmentRevoked(CommitmentMoved):
    type = "commitment.revoked"
    move = "revoke"


@dataclass(frozen=True, kw_only=True)
class CommitmentReportedDone(CommitmentMoved):
    type = "commitment.reported_done"
    move = "report_done"


@dataclass(frozen=True, kw_only=True)
class CommitmentAccepted(CommitmentMoved):
    type = "commitment.accepted"
    move = "accept"


@dataclass(frozen=True, kw_only=True)
class CommitmentRejected(CommitmentMoved):
    type = "commitment.rejected"
    move = "reject"


@dataclass(frozen=True, kw_only=True)
class CommitmentMarkedMissed(CommitmentMoved):
    type = "commitment.marked_missed"
    move = "mark_missed"


# Health-check rounds.


@dataclass(frozen=True, kw_only=True)
class HealthCheckEvent(DomainEvent):
    subject_kind = "health_check"
    health_check: str  # its key


@dataclass(frozen=True, kw_only=True)
class HealthCheckOpened(HealthCheckEvent):
    type = "health_check.opened"
    partnership: str
    closes_at: str
    parties: list[str]


@dataclass(frozen=True, kw_only=True)
class HealthCheckImported(HealthCheckEvent):
    """A round brought in by an import; the log is read by every member, so it holds each
    party's count of responses and never a result."""

    type = "health_check.imported"
    responses: dict[str, int]


@dataclass(frozen=True, kw_only=True)
class HealthCheckAnswered(HealthCheckEvent):
    type = "health_check.answered"
    team: str


# Stories and their replies. A story's events hold its links and tags, never its words: a
# story hidden later keeps them out of the log.


@dataclass(frozen=True, kw_only=True)
class StoryEvent(DomainEvent):
    subject_kind = "story"
    story: str  # its key


@dataclass(frozen=True, kw_only=True)
class StoryPublished(StoryEvent):
    type = "story.published"
    tags: list[str]
    partnerships: list[str]
    teams: list[str]
    purposes: list[str]


@dataclass(frozen=True, kw_only=True)
class StoryUpdated(StoryEvent):
    type = "story.updated"
    changed: list[str]
    tags: list[str]
    partnerships: list[str]
    teams: list[str]
    purposes: list[str]


@dataclass(frozen=True, kw_only=True)
class StoryHidden(StoryEvent):
    type = "story.hidden"
    reason: str


@dataclass(frozen=True, kw_only=True)
class StoryShown(StoryEvent):
    type = "story.shown"


@dataclass(frozen=True, kw_only=True)
class StoryDeleted(StoryEvent):
    type = "story.deleted"


@dataclass(frozen=True, kw_only=True)
class StoryReplied(StoryEvent):
    type = "story.replied"
    reply: int | None


@dataclass(frozen=True, kw_only=True)
class ReplyDeleted(StoryEvent):
    type = "story.reply_deleted"
    reply: int


CATALOGUE: tuple[type[DomainEvent], ...] = (
    TeamCreated,
    TeamUpdated,
    MembershipSet,
    MembershipRemoved,
    WebhookAdded,
    WebhookRemoved,
    WebhookDeliveryRetried,
    PersonCreated,
    PersonUpdated,
    PasswordSet,
    SignedOut,
    SignInSlowed,
    TokenCreated,
    TokenRevoked,
    MailDeliveryRetried,
    NotificationsChosen,
    FeedTokenMade,
    FeedTokenRevoked,
    PurposeCreated,
    PurposeUpdated,
    PurposeStatusChanged,
    MeasureAdded,
    MeasureUpdated,
    PartnershipCreated,
    PartnerInvited,
    InvitationAccepted,
    InvitationDeclined,
    InvitationWithdrawn,
    PartyAdded,
    PartyLeft,
    PartnershipActivated,
    CharterUpdated,
    ContributionSet,
    CharterAffirmed,
    PartnershipStatusChanged,
    CommitmentRequested,
    CommitmentPromised,
    CommitmentCountered,
    CommitmentDeclined,
    CommitmentCounterAccepted,
    CommitmentRevised,
    CommitmentWithdrawn,
    CommitmentChangeProposed,
    CommitmentChangeAccepted,
    CommitmentChangeRejected,
    CommitmentRevoked,
    CommitmentReportedDone,
    CommitmentAccepted,
    CommitmentRejected,
    CommitmentMarkedMissed,
    HealthCheckOpened,
    HealthCheckImported,
    HealthCheckAnswered,
    StoryPublished,
    StoryUpdated,
    StoryHidden,
    StoryShown,
    StoryDeleted,
    StoryReplied,
    ReplyDeleted,
)

# Every event type by its name.
EVENT_TYPES: dict[str, type[DomainEvent]] = {kind.type: kind for kind in CATALOGUE}

# The event of each commitment move, by the move's name ("promise").
MOVES: dict[str, type[CommitmentMoved]] = {
    kind.move: kind for kind in CATALOGUE if issubclass(kind, CommitmentMoved)
}

# The names earlier versions wrote that are called otherwise now: logs keep them as written.
LEGACY_NAMES: dict[str, str] = {
    "CommitmentRequested": CommitmentRequested.type,
    "CommitmentPromised": CommitmentPromised.type,
    "CommitmentCountered": CommitmentCountered.type,
    "CommitmentDeclined": CommitmentDeclined.type,
    "CommitmentCounterAccepted": CommitmentCounterAccepted.type,
    "CommitmentRevised": CommitmentRevised.type,
    "CommitmentWithdrawn": CommitmentWithdrawn.type,
    "CommitmentChangeProposed": CommitmentChangeProposed.type,
    "CommitmentChangeAccepted": CommitmentChangeAccepted.type,
    "CommitmentChangeRejected": CommitmentChangeRejected.type,
    "CommitmentRevoked": CommitmentRevoked.type,
    "CommitmentReportedDone": CommitmentReportedDone.type,
    "CommitmentAccepted": CommitmentAccepted.type,
    "CommitmentRejected": CommitmentRejected.type,
    "CommitmentMarkedMissed": CommitmentMarkedMissed.type,
}


def current_type(stored: str) -> str:
    """The name an event stored under `stored` has now (a name of today stays as it is)."""
    return LEGACY_NAMES.get(stored, stored)


def stored_types(name: str) -> list[str]:
    """Every name under which the log may hold events of the type `name` (given by its name
    of today or an earlier one), today's first."""
    now = current_type(name)
    return [now, *sorted(old for old, new in LEGACY_NAMES.items() if new == now)]


def commitment_moved(
    commitment: str, actor: str | None, at: datetime, payload: dict[str, Any]
) -> CommitmentMoved:
    """The event of a move from the payload the commitment's domain gives it (see
    `CommitmentMoved.payload`); a request's payload also names its partnership and teams."""
    kind = MOVES[payload["move"]]
    extra: dict[str, Any] = {}
    if kind is CommitmentRequested:
        extra = {name: payload[name] for name in ("partnership", "requester", "performer")}
    return kind(
        commitment=commitment,
        actor=actor,
        at=at,
        before=payload["from"],
        after=payload["to"],
        version=payload["version"],
        side=payload["side"],
        args=payload["args"],
        terms=payload.get("terms"),
        **extra,
    )
