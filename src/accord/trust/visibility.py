"""Who sees trust (DESIGN §1 "Who sees trust"): the one rule every page and route asks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.config import Settings
from accord.errors import Forbidden
from accord.org.domain import Actor, GlobalRole, Operator, Person, Team

if TYPE_CHECKING:
    from accord.org.repository import TokenGrant
    from accord.uow import UnitOfWork


def _shares_partnership_led_by(uow: UnitOfWork, person: Person, team: Team) -> bool:
    led = {id(t) for t in person.teams() if person.is_lead(t)}
    if not led:
        return False
    return any(
        id(party.team) in led
        for partnership in uow.partnerships.list(team=team)
        for party in partnership.parties
    )


def may_see_team(uow: UnitOfWork, settings: Settings, actor: Actor, team: Team) -> bool:
    """Team trust: its own members, admins, leads of its partner teams (or all, if org)."""
    if isinstance(actor, Operator) or actor.is_admin or settings.trust_visibility == "org":
        return True
    return actor.is_member(team) or _shares_partnership_led_by(uow, actor, team)


def may_see_pair(actor: Actor, requester: Team, performer: Team) -> bool:
    """Pair trust and the gap: members of the two teams, and admins."""
    if isinstance(actor, Operator) or actor.is_admin:
        return True
    return actor.is_member(requester) or actor.is_member(performer)


def may_see_with(grant: TokenGrant, settings: Settings, team: str, of: str | None) -> bool:
    """`may_see_team` (`of` None) and `may_see_pair` as read from an API token's `TokenGrant`
    (its owner's role, current teams by slug, and whether they lead a partner team of `team`),
    for a kept answer given without loading the person (`read_cache.TrustAnswers`). The same
    rules: change one, change both."""
    if grant.role == GlobalRole.ADMIN:
        return True
    if of is None:
        return settings.trust_visibility == "org" or team in grant.teams or grant.leads_a_partner
    return team in grant.teams or of in grant.teams


def may_see_evidence(actor: Actor, requester: Team, performer: Team) -> bool:
    """An accept's value rating and note (DESIGN §7): the current members of the two teams,
    and admins. They are one pair's evidence, so `ACCORD_TRUST_VISIBILITY=org` opens them no
    more than it opens pair trust."""
    return may_see_pair(actor, requester, performer)


def may_see_chain(actor: Actor) -> bool:
    """The event log's hashes: only whoever reads every payload whole, that is admins. A hash
    commits to its payload (and every later hash to it), so it would give a withheld rating
    away to five guesses."""
    return isinstance(actor, Operator) or actor.is_admin


def ensure_may_see_team(uow: UnitOfWork, settings: Settings, actor: Actor, team: Team) -> None:
    if not may_see_team(uow, settings, actor, team):
        raise Forbidden(
            f"team trust of {team.slug!r} is for its members, admins and the leads of its "
            "partner teams",
            rule="trust.not_visible",
        )
