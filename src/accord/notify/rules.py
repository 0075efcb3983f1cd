"""Who hears of what happens: the subscriber that turns a commit's events into notifications.

Only people who can act on what happened hear of it, never the person who did it:
- a commitment move reaches the members of the team on the other side (a request the performer's,
  a counter-offer or a delivery the requester's…);
- an invitation reaches the leads of the invited team; a forming partnership, the leads of the
  parties that have not affirmed its charter as it stands;
- a health check that opens reaches the members of its parties; a reply, the story's author.

Each person gets one inbox notification (unless their channel for its kind is "off"), and an
e-mail in the outbox when their channel is "email"; each active webhook of a team the event
concerns gets the event. All of it is written in the transaction of the change: kept with it,
or rolled back with it. Reminders (due soon, overdue, a health check closing) are in `reminders`.

The unit of work runs this module's `notify` on every commit, so the module knows the unit of
work only by what it uses (`Unit`), not by import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from accord.commitments.domain import Commitment, Move, Side
from accord.commitments.repository import CommitmentRepository
from accord.commitments.words import DONE, day_utc, sentence
from accord.events.catalog import (
    CharterUpdated,
    CommitmentMoved,
    ContributionSet,
    DomainEvent,
    HealthCheckOpened,
    InvitationAccepted,
    Logged,
    PartnerInvited,
    PartnershipCreated,
    PartnershipEvent,
    StoryReplied,
)
from accord.health.repository import HealthRepository
from accord.notify.domain import Channel, Kind, Notice, Outlet
from accord.notify.repository import Member, NotifyRepository, Webhook
from accord.org.domain import Team
from accord.org.repository import OrgRepository
from accord.partnerships.domain import Partnership, PartnershipStatus
from accord.partnerships.repository import PartnershipRepository
from accord.stories.repository import StoryRepository


class Unit(Protocol):
    """What the rules read and write of the unit of work they run in."""

    silent: bool
    org: OrgRepository
    partnerships: PartnershipRepository
    commitments: CommitmentRepository
    health: HealthRepository
    stories: StoryRepository
    notify: NotifyRepository

    def now(self) -> datetime: ...


# The kind of notification each move makes for the other side.
MOVE_KINDS: dict[str, Kind] = {
    Move.REQUEST: Kind.REQUEST,
    Move.REVISE: Kind.REQUEST,
    Move.COUNTER: Kind.ANSWER,
    Move.PROPOSE_CHANGE: Kind.ANSWER,
    Move.REPORT_DONE: Kind.DELIVERY,
}

# The events after which a forming partnership's parties must affirm its charter.
FORMING_AGAIN = (PartnershipCreated, InvitationAccepted, ContributionSet, CharterUpdated)


@dataclass(frozen=True)
class Heard:
    """What one event tells: who hears it (as notices) and which teams' webhooks carry it."""

    event_id: int
    notices: list[Notice]
    teams: list[Team]
    body: dict[str, Any] | None = None


# Who is in each team: `Crew(team)` the team's people now, `Crew(team, leads_only=True)` its leads.
Crew = Callable[..., list[Member]]


def crew_of(unit: Unit, teams: Iterable[Team]) -> Crew:
    """The people of these teams, read in one query."""
    return _crew(unit.notify.members({team.id for team in teams if team.id is not None}))


def _crew(found: dict[int, list[Member]]) -> Crew:
    def crew(team: Team, *, leads_only: bool = False) -> list[Member]:
        people = found.get(team.id, []) if team.id is not None else []
        return [m for m in people if m.lead or not leads_only]

    return crew


def notices_for(
    people: Iterable[Member],
    actor: str | None,
    kind: Kind,
    subject: str,
    title: str,
    text: str,
    link: str,
    key: str,
    event_id: int | None = None,
) -> list[Notice]:
    """One notice per person, not to the actor; each keyed `{key}:p{person id}`."""
    seen: set[int] = set()
    notices = []
    for person in people:
        if person.email == actor or person.id in seen:
            continue
        seen.add(person.id)
        notices.append(
            Notice(
                person_id=person.id,
                kind=kind,
                subject=subject,
                title=title,
                text=text,
                link=link,
                key=f"{key}:p{person.id}",
                event_id=event_id,
            )
        )
    return notices


def _heard(
    logged: Logged[DomainEvent],
    people: Iterable[Member],
    kind: Kind,
    title: str,
    text: str,
    link: str,
    teams: list[Team],
) -> Heard:
    event = logged.event
    key = _event_key(logged.id)
    notices = notices_for(
        people, event.actor, kind, event.subject, title, text, link, key, logged.id
    )
    body = {
        "type": event.type,
        "occurred_at": event.at.isoformat().replace("+00:00", "Z"),
        "subject": event.subject,
        "title": title,
        "text": text,
        "link": link,
        "data": event.payload(),
    }
    return Heard(logged.id, notices, teams, body)


def commitment_heard(logged: Logged[CommitmentMoved], commitment: Commitment, crew: Crew) -> Heard:
    event = logged.event
    mover, other = (
        (commitment.requester, commitment.performer)
        if event.side == Side.REQUESTER
        else (commitment.performer, commitment.requester)
    )
    if event.move == Move.REQUEST:
        title = f"{mover.name} asks {other.name} for something"
    else:
        title = f"{mover.name} {DONE.get(event.move, 'moved it')}"
    return _heard(
        logged,
        crew(other),
        MOVE_KINDS.get(event.move, Kind.OUTCOME),
        title,
        sentence(commitment),
        f"/commitments/{commitment.key}",
        [commitment.requester, commitment.performer],
    )


def partnership_heard(
    logged: Logged[PartnershipEvent],
    partnership: Partnership,
    crew: Crew,
    invited: Team | None = None,
) -> Heard:
    event = logged.event
    link = f"/partnerships/{partnership.key}"
    parties = [party.team for party in partnership.parties]
    if invited is not None:
        title = f"{invited.name} is invited into “{partnership.name}”"
        text = (
            f"{title}, around the purpose “{partnership.purpose.title}”: a lead of "
            f"{invited.name} may accept, with what {invited.name} uniquely contributes."
        )
        leads = crew(invited, leads_only=True)
        return _heard(logged, leads, Kind.INVITATION, title, text, link, [*parties, invited])
    if isinstance(event, FORMING_AGAIN) and partnership.status == PartnershipStatus.FORMING:
        title = f"“{partnership.name}” waits for your affirmation"
        text = (
            f"“{partnership.name}” is forming: each party's lead affirms the charter as it "
            "stands, and the partnership goes active when every party has."
        )
        waiting = [
            lead
            for party in partnership.parties
            if not partnership.is_affirmed(party)
            for lead in crew(party.team, leads_only=True)
        ]
        return _heard(logged, waiting, Kind.AFFIRM, title, text, link, parties)
    what = event.type.split(".", 1)[1].replace("_", " ")
    title = f"“{partnership.name}”: {what}"
    return _heard(logged, [], Kind.OUTCOME, title, title, link, parties)


def health_heard(logged: Logged[HealthCheckOpened], unit: Unit, crew: Crew) -> Heard:
    event = logged.event
    partnership = unit.partnerships.get(event.partnership)
    check = unit.health.find(event.health_check)
    closes = f", open until {day_utc(check.closes_at)}" if check is not None else ""
    title = f"Health check of “{partnership.name}” is open"
    text = f"How is “{partnership.name}” going? Answer the health check{closes}."
    teams = [party.team for party in partnership.parties]
    # a round told again from history (closed already) asks no one to answer
    still_open = check is not None and check.is_open(unit.now())
    people = [person for team in teams for person in crew(team)] if still_open else []
    link = f"/health-checks/{event.health_check}"
    return _heard(logged, people, Kind.HEALTH, title, text, link, teams)


def reply_heard(logged: Logged[StoryReplied], unit: Unit) -> Heard:
    event = logged.event
    story = unit.stories.get(event.story)
    replier = unit.org.find_person(event.actor) if event.actor else None
    who = replier.name if replier else "Someone"
    author = story.author
    people = [] if author.id is None else [Member(author.id, author.email, False)]
    title = f"{who} replied to your story"
    text = f"{who} replied to “{story.title}”."
    heard = _heard(logged, people, Kind.REPLY, title, text, f"/stories/{story.key}", [])
    return Heard(heard.event_id, heard.notices, [])  # a story is no team's event


def notify(unit: Unit, events: Sequence[Logged[DomainEvent]]) -> None:
    """The notifications of events logged already, in the unit of work's transaction."""
    step = prepare_notices(unit, [logged.event for logged in events])
    if step is not None:
        step(events)


def prepare_notices(
    unit: Unit, events: Sequence[DomainEvent]
) -> Callable[[Sequence[Logged[DomainEvent]]], None] | None:
    """The subscriber, in two parts: given a commit's events before they are logged, it reads
    who hears of them (the subjects, their teams' people, their channels, the webhooks) and
    returns the step that writes the notifications once the events have their ids (None:
    nobody hears of them)."""
    if unit.silent:
        return None
    found: list[tuple[DomainEvent, Any, Team | None]] = []
    teams: set[Team] = set()
    for event in events:
        subject: Any = None
        invited = None
        if isinstance(event, CommitmentMoved):
            subject = unit.commitments.find(event.commitment)
            if subject is not None:
                teams |= {subject.requester, subject.performer}
        elif isinstance(event, PartnershipEvent):
            subject = unit.partnerships.find(event.partnership)
            if subject is not None:
                teams |= {party.team for party in subject.parties}
            if isinstance(event, PartnerInvited):
                invited = unit.org.find_team(event.team, members=False)
                teams |= {invited} if invited is not None else set()
        elif isinstance(event, HealthCheckOpened):
            partnership = unit.partnerships.find(event.partnership)
            teams |= {p.team for p in partnership.parties} if partnership else set()
            subject = partnership
        elif isinstance(event, StoryReplied):
            subject = event
        if subject is not None:
            found.append((event, subject, invited))
    if not found:
        return None
    # the people of the teams concerned, and how each of them wants to hear, in one query
    members, channels = unit.notify.members_heard({t.id for t in teams if t.id is not None})
    crew = _crew(members)
    # each event heard as if it had id 0, numbered once logged (`_numbered`)
    unnumbered: dict[int, Heard] = {}
    for event, subject, invited in found:
        item: Logged[Any] = Logged(0, event)
        if isinstance(event, CommitmentMoved):
            unnumbered[id(event)] = commitment_heard(item, subject, crew)
        elif isinstance(event, PartnershipEvent):
            unnumbered[id(event)] = partnership_heard(item, subject, crew, invited)
        elif isinstance(event, HealthCheckOpened):
            unnumbered[id(event)] = health_heard(item, unit, crew)
        elif isinstance(event, StoryReplied):
            unnumbered[id(event)] = reply_heard(item, unit)
    readers = audience(unit, list(unnumbered.values()), channels)

    def write(logged: Sequence[Logged[DomainEvent]]) -> None:
        heard = [
            _numbered(unnumbered[id(item.event)], item.id)
            for item in logged
            if id(item.event) in unnumbered
        ]
        write_notices(unit, heard, readers, unit.now())

    return write


def _numbered(heard: Heard, event_id: int) -> Heard:
    """`heard` (made with event id 0) for the event logged with id `event_id`: its notices keyed
    and linked as `_heard` keys them."""
    notices = [
        replace(n, key=f"{_event_key(event_id)}:p{n.person_id}", event_id=event_id)
        for n in heard.notices
    ]
    return Heard(event_id, notices, heard.teams, heard.body)


def _event_key(event_id: int) -> str:
    return f"e{event_id}"


@dataclass(frozen=True)
class Audience:
    """What writing notices reads first: each person's channel per kind, the active webhooks."""

    channels: dict[int, dict[Kind, Channel]]
    hooks: list[Webhook]


def audience(
    unit: Unit, heard: Sequence[Heard], known: dict[int, dict[Kind, Channel]] | None = None
) -> Audience:
    """The channels of the people who hear and the active webhooks of the teams concerned;
    `known`: the channels of some people read already (the others' are read here)."""
    people = {notice.person_id for h in heard for notice in h.notices}
    team_ids = {team.id for h in heard for team in h.teams if team.id is not None}
    hooks = unit.notify.webhooks_of(team_ids, active_only=True) if team_ids else []
    known = known or {}
    channels = {person: known[person] for person in people if person in known}
    if missing := people - channels.keys():
        channels.update(unit.notify.preferences(missing))
    return Audience(channels, hooks)


def keep(unit: Unit, heard: Sequence[Heard], now: datetime) -> None:
    """Write the notices (with new keys), their e-mails and the webhooks' deliveries, in one
    statement each."""
    write_notices(unit, heard, audience(unit, heard), now)


def write_notices(unit: Unit, heard: Sequence[Heard], readers: Audience, now: datetime) -> None:
    """`keep`, with its reads done (`audience`)."""
    channels = readers.channels
    kept: list[tuple[Notice, bool]] = []
    for h in heard:
        for notice in h.notices:
            channel = channels[notice.person_id][notice.kind]
            if channel != Channel.OFF:
                kept.append((notice, channel == Channel.DIGEST))
    ids = unit.notify.add_new(kept, now)
    deliveries: list[dict[str, Any]] = [
        {
            "channel": Outlet.EMAIL,
            "key": f"mail:{notice.key}",
            "person_id": notice.person_id,
            "notification_id": ids[notice.key],
        }
        for notice, _ in kept
        if channels[notice.person_id][notice.kind] == Channel.EMAIL
    ]
    for h in heard:
        if h.body is None:
            continue
        concerned = {team.id for team in h.teams}
        deliveries += [
            {
                "channel": Outlet.WEBHOOK,
                "key": f"hook:{hook.id}:e{h.event_id}",
                "webhook_id": hook.id,
                "body": h.body,
            }
            for hook in readers.hooks
            if hook.team_id in concerned
        ]
    unit.notify.enqueue_new(deliveries, now)
