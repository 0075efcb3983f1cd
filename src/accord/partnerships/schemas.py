"""The edges of partnerships: charters, parties, checks, label and invitations as JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from accord.inputs import Input, Instant, Key, Title
from accord.partnerships.domain import Invitation, InvitationState, Label, PartnershipStatus
from accord.partnerships.service import PartnershipView


class PartyRead(BaseModel):
    team: str
    contribution: str
    affirmed: bool = Field(description="Whether the party affirmed the current charter.")
    affirmed_by: str | None
    affirmed_at: Instant | None


class CheckRead(BaseModel):
    name: str
    passed: bool
    detail: str
    fix: str = Field(description="How to make the check pass; empty when it passes.")


class PartnershipRead(BaseModel):
    key: str
    name: str
    purpose: str
    status: PartnershipStatus
    label: Label = Field(description="trust-based when every check passes, else traditional.")
    checks: list[CheckRead]
    parties: list[PartyRead]
    working_agreements: list[str]
    review_every_days: int | None
    charter_version: int

    @classmethod
    def of(cls, view: PartnershipView) -> PartnershipRead:
        p = view.partnership
        return cls(
            key=p.key,
            name=p.name,
            purpose=p.purpose.key,
            status=p.status,
            label=view.label,
            checks=[
                CheckRead(name=c.name, passed=c.passed, detail=c.detail, fix=c.fix)
                for c in view.checks
            ],
            parties=[
                PartyRead(
                    team=party.team.slug,
                    contribution=party.contribution,
                    affirmed=p.is_affirmed(party),
                    affirmed_by=party.affirmed_by.email if party.affirmed_by else None,
                    affirmed_at=party.affirmed_at,
                )
                for party in p.parties
            ],
            working_agreements=list(p.working_agreements),
            review_every_days=p.review_every_days,
            charter_version=p.charter_version,
        )


class PartyCreate(Input):
    team: str
    contribution: str = Field("", max_length=1000)
    affirm: bool = Field(
        False,
        description="The starter affirms the charter for this party at once: a lead of its "
        "team, once its contribution is stated.",
    )


class PartnershipCreate(Input):
    key: Key | None = Field(None, description="Made from the name when omitted.")
    name: Title
    purpose: str
    parties: list[PartyCreate] = Field(max_length=50)
    working_agreements: list[str] = Field(default_factory=list, max_length=50)
    review_every_days: int | None = None

    def args(self) -> dict[str, Any]:
        """The arguments of the use case: each party as its team and contribution, and the
        parties the starter affirms for."""
        parties = [(party.team, party.contribution) for party in self.parties]
        affirm = [party.team for party in self.parties if party.affirm]
        return {**self.model_dump(exclude={"parties"}), "parties": parties, "affirm": affirm}


class PartnershipUpdate(Input):
    """Only the fields given change; a new purpose or agreements need every party to affirm."""

    name: Title | None = None
    purpose: str | None = None
    working_agreements: list[str] | None = Field(None, max_length=50)
    review_every_days: int | None = None
    status: PartnershipStatus | None = None
    note: str | None = Field(
        None, max_length=1000, description="Why the status changes; kept in the log with it."
    )


class ContributionSet(Input):
    contribution: str = Field(max_length=1000)


class Affirmation(Input):
    team: str


class InvitationCreate(Input):
    team: str = Field(description="The team invited to join as a party.")


class InvitationAcceptance(Input):
    contribution: str = Field(
        "", max_length=1000, description="What the team uniquely contributes to the partnership."
    )


class InvitationRead(BaseModel):
    id: int
    partnership: str
    team: str
    invited_by: str | None = Field(description="The lead of a party who invited the team.")
    invited_at: Instant
    state: InvitationState
    answered_by: str | None = Field(
        description="Who accepted, declined or withdrew it; null while pending."
    )
    answered_at: Instant | None

    @classmethod
    def of(cls, invitation: Invitation) -> InvitationRead:
        assert invitation.id is not None  # read back after its commit
        return cls(
            id=invitation.id,
            partnership=invitation.partnership.key,
            team=invitation.team.slug,
            invited_by=invitation.invited_by.email if invitation.invited_by else None,
            invited_at=invitation.invited_at,
            state=invitation.state,
            answered_by=invitation.answered_by.email if invitation.answered_by else None,
            answered_at=invitation.answered_at,
        )
