"""A partnership's charter, its status rules, the checks that make it trust-based, and the
invitations by which teams join it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from accord.errors import Forbidden, NotFound, RuleBroken
from accord.org.domain import Actor, Person, Team, ensure_can_write, may_write
from accord.purposes.domain import Purpose, PurposeStatus


class PartnershipStatus(StrEnum):
    FORMING = "forming"
    ACTIVE = "active"
    PAUSED = "paused"
    CONCLUDED = "concluded"
    DISSOLVED = "dissolved"


CLOSED = frozenset({PartnershipStatus.CONCLUDED, PartnershipStatus.DISSOLVED})

# The moves a lead may make by hand; forming -> active happens by affirmation alone.
STATUS_MOVES: dict[PartnershipStatus, frozenset[PartnershipStatus]] = {
    PartnershipStatus.FORMING: frozenset({PartnershipStatus.DISSOLVED}),
    PartnershipStatus.ACTIVE: frozenset(
        {PartnershipStatus.PAUSED, PartnershipStatus.CONCLUDED, PartnershipStatus.DISSOLVED}
    ),
    PartnershipStatus.PAUSED: frozenset(
        {PartnershipStatus.ACTIVE, PartnershipStatus.CONCLUDED, PartnershipStatus.DISSOLVED}
    ),
    PartnershipStatus.CONCLUDED: frozenset(),
    PartnershipStatus.DISSOLVED: frozenset(),
}


class Label(StrEnum):
    TRUST_BASED = "trust-based"
    TRADITIONAL = "traditional"


class InvitationState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


# Leaving never takes a partnership below this many parties (the enough_parties check).
MIN_PARTIES = 2


@dataclass(eq=False)
class Party:
    """A team in a partnership, what it uniquely contributes, and its signature."""

    team: Team
    contribution: str = ""
    affirmed_by: Person | None = None
    affirmed_at: datetime | None = None
    affirmed_version: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class Check:
    """One charter check: whether it passes and, if not, how to make it pass."""

    name: str
    passed: bool
    detail: str
    fix: str


@dataclass(eq=False)
class Partnership:
    """Two or more teams joined around one purpose."""

    key: str
    name: str
    purpose: Purpose
    parties: list[Party] = field(default_factory=list)
    working_agreements: list[str] = field(default_factory=list)
    review_every_days: int | None = None
    status: PartnershipStatus = PartnershipStatus.FORMING
    charter_version: int = 1
    id: int | None = None

    def party(self, team: Team) -> Party:
        for party in self.parties:
            if party.team is team:
                return party
        raise NotFound(
            f"{team.name} is not a party of “{self.name}”",
            rule="partnership.not_a_party",
        )

    def has_party(self, team: Team) -> bool:
        return any(party.team is team for party in self.parties)

    def is_affirmed(self, party: Party) -> bool:
        return party.affirmed_by is not None and party.affirmed_version == self.charter_version

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED

    def ensure_open(self) -> None:
        if not self.is_open:
            raise RuleBroken(
                f"“{self.name}” is {self.status.value}; its charter is closed",
                rule="partnership.closed",
            )

    def add_party(self, team: Team, contribution: str) -> Party:
        self.ensure_open()
        if self.has_party(team):
            raise RuleBroken(
                f"{team.name} is already a party of “{self.name}”",
                rule="partnership.party_exists",
            )
        party = Party(team=team, contribution=contribution)
        self.parties.append(party)
        self.charter_changed()
        return party

    def invite(
        self,
        team: Team,
        invited_by: Person | None,
        at: datetime,
        pending: Sequence[Invitation] = (),
    ) -> Invitation:
        """Invite `team` to join as a party; `pending` are the invitations still unanswered."""
        self.ensure_open()
        if self.has_party(team):
            raise RuleBroken(
                f"{team.name} is already a party of “{self.name}”",
                rule="partnership.party_exists",
                field="team",
            )
        for other in pending:
            if other.team is team and other.is_pending:
                raise RuleBroken(
                    f"{team.name} is already invited to “{self.name}”; "
                    "its invitation waits for an answer",
                    rule="partnership.already_invited",
                    field="team",
                )
        return Invitation(partnership=self, team=team, invited_by=invited_by, invited_at=at)

    def leave(self, team: Team, open_commitments: Sequence[str]) -> tuple[Party, bool]:
        """The party of `team` leaves: the charter of the others stands as they affirmed it.

        Refused while `open_commitments` (keys of the team's commitments here that are still
        open) remain, and when fewer than two parties would be left: such a partnership is
        dissolved or concluded, not emptied. Returns the party that left, and True when the
        others had all affirmed the current charter, so that a forming partnership is active.
        """
        self.ensure_open()
        party = self.party(team)
        if len(self.parties) <= MIN_PARTIES:
            raise RuleBroken(
                f"{team.name} cannot leave “{self.name}”: a partnership keeps at least "
                f"{MIN_PARTIES} parties; dissolve or conclude it instead",
                rule="partnership.too_few_parties",
            )
        if open_commitments:
            keys = sorted(open_commitments)
            shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
            raise RuleBroken(
                f"{team.name} cannot leave “{self.name}” while {len(keys)} of its "
                f"commitments there are open ({shown}); settle or withdraw them first",
                rule="partnership.open_commitments",
            )
        self.parties.remove(party)
        if self.status == PartnershipStatus.FORMING and all(
            self.is_affirmed(p) for p in self.parties
        ):
            self.status = PartnershipStatus.ACTIVE
            return party, True
        return party, False

    def set_contribution(self, team: Team, contribution: str) -> None:
        self.ensure_open()
        party = self.party(team)
        if party.contribution != contribution:
            party.contribution = contribution
            self.charter_changed()

    def set_purpose(self, purpose: Purpose) -> None:
        self.ensure_open()
        if purpose is not self.purpose:
            self.purpose = purpose
            self.charter_changed()

    def set_working_agreements(self, agreements: list[str]) -> None:
        self.ensure_open()
        if agreements != list(self.working_agreements):
            self.working_agreements = agreements
            self.charter_changed()

    def charter_changed(self) -> None:
        """A new charter: every party must affirm it again, so an active partnership re-forms."""
        self.charter_version += 1
        if self.status in (PartnershipStatus.ACTIVE, PartnershipStatus.PAUSED):
            self.status = PartnershipStatus.FORMING

    def affirm(self, team: Team, person: Person, at: datetime, *, replayed: bool = False) -> bool:
        """Sign the current charter for `team`; returns True when this made it active.

        A party signs for what it contributes: it states its contribution first, else its
        signature would make active a charter that fails the contributions_stated check. An
        affirmation `replayed` from an export stands as it was made, under the rules of then."""
        self.ensure_open()
        party = self.party(team)
        if not party.contribution.strip() and not replayed:
            raise RuleBroken(
                f"{team.name} affirms the charter once it states what it uniquely contributes",
                rule="partnership.contribution_missing",
                field="contribution",
            )
        party.affirmed_by = person
        party.affirmed_at = at
        party.affirmed_version = self.charter_version
        if (
            self.status == PartnershipStatus.FORMING
            and len(self.parties) >= 2
            and all(self.is_affirmed(p) for p in self.parties)
        ):
            self.status = PartnershipStatus.ACTIVE
            return True
        return False

    def move_to(self, status: PartnershipStatus) -> None:
        if status == self.status:
            return
        if status not in STATUS_MOVES[self.status]:
            hint = (
                " (it becomes active when every party has affirmed)"
                if (status == PartnershipStatus.ACTIVE and self.status == PartnershipStatus.FORMING)
                else ""
            )
            raise RuleBroken(
                f"“{self.name}” cannot go from {self.status.value} to {status.value}{hint}",
                rule="partnership.status_not_allowed",
                field="status",
            )
        if status == PartnershipStatus.ACTIVE and not all(
            self.is_affirmed(p) for p in self.parties
        ):
            raise RuleBroken(
                f"“{self.name}” cannot resume before every party affirms its charter",
                rule="partnership.not_affirmed",
                field="status",
            )
        self.status = status


@dataclass(eq=False)
class Invitation:
    """A team invited to join a partnership; a lead of that team accepts or declines it, and a
    lead of a party may withdraw it while it waits. No team joins on its own."""

    partnership: Partnership
    team: Team
    invited_by: Person | None
    invited_at: datetime
    state: InvitationState = InvitationState.PENDING
    answered_by: Person | None = None
    answered_at: datetime | None = None
    id: int | None = None

    @property
    def is_pending(self) -> bool:
        return self.state == InvitationState.PENDING

    def accept(self, person: Person, contribution: str, at: datetime) -> Party:
        """The invited team joins with its contribution: the charter changes, so every party
        affirms it again (an active partnership goes back to forming)."""
        self._ensure_pending("accepted")
        party = self.partnership.add_party(self.team, contribution)
        self._answered(InvitationState.ACCEPTED, person, at)
        return party

    def decline(self, person: Person, at: datetime) -> None:
        self._ensure_pending("declined")
        self._answered(InvitationState.DECLINED, person, at)

    def withdraw(self, person: Person | None, at: datetime) -> None:
        self._ensure_pending("withdrawn")
        self._answered(InvitationState.WITHDRAWN, person, at)

    def _ensure_pending(self, done: str) -> None:
        if not self.is_pending:
            raise RuleBroken(
                f"the invitation of {self.team.name} to “{self.partnership.name}” is "
                f"{self.state.value}; only a pending invitation can be {done}",
                rule="invitation.not_pending",
            )

    def _answered(self, state: InvitationState, person: Person | None, at: datetime) -> None:
        self.state = state
        self.answered_by = person
        self.answered_at = at


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def charter_checks(partnership: Partnership) -> list[Check]:
    """The five checks of a trust-based partnership, in a fixed order."""
    parties = partnership.parties
    purpose = partnership.purpose
    purpose_ok = purpose is not None and purpose.status in (
        PurposeStatus.ACTIVE,
        PurposeStatus.ACHIEVED,
    )
    distinct_teams = {id(p.team) for p in parties}
    missing = [p.team.slug for p in parties if not p.contribution.strip()]
    seen: dict[str, str] = {}
    duplicates: list[str] = []
    for party in parties:
        norm = _norm(party.contribution)
        if not norm:
            continue
        if norm in seen:
            duplicates.append(f"{seen[norm]} and {party.team.slug}")
        else:
            seen[norm] = party.team.slug
    unaffirmed = [p.team.slug for p in parties if not partnership.is_affirmed(p)]
    return [
        Check(
            "shared_purpose",
            purpose_ok,
            f"the purpose “{purpose.title}” is {purpose.status.value}",
            "activate the purpose, or join a purpose that is active",
        ),
        Check(
            "enough_parties",
            len(distinct_teams) >= 2,
            f"{len(distinct_teams)} distinct team(s)",
            "add at least one more team as a party",
        ),
        Check(
            "contributions_stated",
            not missing,
            "every party states its contribution"
            if not missing
            else "no contribution from " + ", ".join(missing),
            "each party states what it uniquely provides",
        ),
        Check(
            "contributions_distinct",
            not duplicates,
            "every contribution is unique"
            if not duplicates
            else "the same contribution from " + "; ".join(duplicates),
            "make each contribution say what only that party provides",
        ),
        Check(
            "all_affirmed",
            not unaffirmed,
            "every party affirmed the current charter"
            if not unaffirmed
            else "not yet affirmed by " + ", ".join(unaffirmed),
            "a lead of each party affirms the charter",
        ),
    ]


def label(checks: list[Check]) -> Label:
    """Trust-based when every check passes; derived, never typed in."""
    return Label.TRUST_BASED if all(c.passed for c in checks) else Label.TRADITIONAL


def may_start_partnership(actor: Actor) -> bool:
    """Whether `actor` may start a partnership: a lead of a team, which becomes its first party
    (DESIGN §7)."""
    return may_write(actor) and any(actor.is_lead(team) for team in actor.teams())


def may_lead_partnership(actor: Actor, partnership: Partnership) -> bool:
    """Whether `actor` may edit the charter, change the status, invite teams, withdraw
    invitations and open health checks: a lead of one of its parties (DESIGN §7)."""
    return may_write(actor) and any(actor.is_lead(party.team) for party in partnership.parties)


def ensure_may_lead_partnership(actor: Actor, partnership: Partnership, doing: str) -> Person:
    person = ensure_can_write(actor)
    if not may_lead_partnership(person, partnership):
        raise Forbidden(
            f"only a lead of a party of “{partnership.name}” may {doing}",
            rule="permission.party_lead",
        )
    return person
