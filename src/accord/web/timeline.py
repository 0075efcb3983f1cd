"""A partnership's timeline: its charter's events, its health-check rounds and its stories."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.errors import NotFound
from accord.events import service as events
from accord.events.catalog import (
    CharterAffirmed,
    CharterUpdated,
    ContributionSet,
    InvitationAccepted,
    InvitationDeclined,
    InvitationWithdrawn,
    PartnerInvited,
    PartnershipActivated,
    PartnershipCreated,
    PartnershipStatusChanged,
    PartyAdded,
    PartyLeft,
    current_type,
)
from accord.health import service as health
from accord.org import service as org
from accord.org.domain import Person
from accord.stories import service as stories
from accord.uow import UnitOfWork

LENGTH = 30


@dataclass(frozen=True)
class Moment:
    """One line of the timeline."""

    at: datetime
    kind: str  # charter, health or story
    text: str
    href: str | None = None
    by: str | None = None


def _charter_text(type: str, payload: dict[str, Any], teams: Mapping[str, str]) -> str | None:
    slug = payload.get("team", "")
    team = teams.get(slug, slug)
    texts = {
        PartnershipCreated.type: "Partnership started",
        PartyAdded.type: f"{team} joined as a party",
        PartnerInvited.type: f"{team} was invited to join",
        InvitationAccepted.type: f"{team} accepted the invitation and joined as a party",
        InvitationDeclined.type: f"{team} declined the invitation",
        InvitationWithdrawn.type: f"The invitation of {team} was withdrawn",
        PartyLeft.type: f"{team} left the partnership",
        ContributionSet.type: f"{team} stated its contribution",
        CharterAffirmed.type: f"{team} affirmed the charter",
        PartnershipActivated.type: "Every party affirmed: the partnership is active",
        CharterUpdated.type: "The charter was edited",
        PartnershipStatusChanged.type: f"Status changed from {payload.get('from')} to "
        f"{payload.get('to')}" + (f": {payload['note']}" if payload.get("note") else ""),
    }
    return texts.get(current_type(type))


def _name(uow: UnitOfWork, actor: str, known: dict[str, str]) -> str:
    """The name of the person an event's actor is, or the actor as written (an operator)."""
    if actor not in known:
        try:
            known[actor] = org.get_person(uow, actor).name
        except NotFound:
            known[actor] = actor
    return known[actor]


def partnership_timeline(uow: UnitOfWork, person: Person, key: str) -> list[Moment]:
    """The newest moments of a partnership, newest first, as `person` may see them."""
    moments: list[Moment] = []
    names: dict[str, str] = {}
    charter = events.newest_events(uow, subject=f"partnership:{key}", limit=LENGTH)
    teams = events.names_of(uow, {"teams": {e.payload.get("team", "") for e in charter}}).teams
    for event in charter:
        text = _charter_text(event.type, event.payload, teams)
        if text is not None:
            by = _name(uow, event.actor, names) if event.actor else None
            moments.append(Moment(event.at, "charter", text, by=by))
    now = uow.now()
    for check in health.rounds_on(uow, key):
        href = f"/health-checks/{check.key}"
        by = check.opened_by.name if check.opened_by else None
        moments.append(Moment(check.opened_at, "health", "Health-check round opened", href, by))
        if not check.is_open(now):
            moments.append(Moment(check.closes_at, "health", "Health-check round closed", href))
    for story in stories.stories_of_partnership(uow, person, key):
        moments.append(
            Moment(
                story.created_at,
                "story",
                f"Story shared: {story.title}",
                f"/stories/{story.key}",
                story.author.name,
            )
        )
    moments.sort(key=lambda m: m.at, reverse=True)
    return moments[:LENGTH]
