"""The edges of the organization: teams, people, memberships and API tokens as JSON."""

from __future__ import annotations

from pydantic import BaseModel, Field

from accord.inputs import Email, Input, Instant, Key, Title
from accord.org.domain import ApiToken, GlobalRole, MemberRole, Person, Team, TeamKind


class MemberRead(BaseModel):
    email: str
    name: str
    role: MemberRole


class TeamRead(BaseModel):
    slug: str
    name: str
    kind: TeamKind
    mission: str
    parent: str | None
    members: list[MemberRead]

    @classmethod
    def of(cls, team: Team) -> TeamRead:
        members = [m for m in team.memberships if m.left_at is None]
        return cls(
            slug=team.slug,
            name=team.name,
            kind=team.kind,
            mission=team.mission,
            parent=team.parent.slug if team.parent else None,
            members=[
                MemberRead(email=m.person.email, name=m.person.name, role=m.role)
                for m in sorted(members, key=lambda m: m.person.email)
            ],
        )


class TeamCreate(Input):
    slug: Key = Field(examples=["data-platform"])
    name: Title
    kind: TeamKind = TeamKind.TEAM
    mission: str = Field("", max_length=2000)
    parent: str | None = None


class TeamUpdate(Input):
    """Only the fields given change; `parent: null` takes the team out of the tree."""

    name: Title | None = None
    mission: str | None = Field(None, max_length=2000)
    kind: TeamKind | None = None
    parent: str | None = None


class MembershipSet(Input):
    email: Email
    role: MemberRole = MemberRole.MEMBER


class MembershipRead(BaseModel):
    team: str
    role: MemberRole


class PersonRead(BaseModel):
    email: str
    name: str
    role: GlobalRole
    active: bool
    memberships: list[MembershipRead]
    time_zone: str | None = Field(
        None, description="The IANA zone the person's pages show times in; null is UTC."
    )

    @classmethod
    def of(cls, person: Person) -> PersonRead:
        return cls(
            email=person.email,
            name=person.name,
            role=person.role,
            active=person.active,
            time_zone=person.time_zone,
            memberships=[
                MembershipRead(team=m.team.slug, role=m.role)
                for m in sorted(person.current_memberships, key=lambda m: m.team.slug)
            ],
        )


class PersonCreate(Input):
    email: Email
    name: Title
    role: GlobalRole = GlobalRole.MEMBER
    password: str | None = Field(None, max_length=1000, description="At least 8 characters.")


class PersonUpdate(Input):
    name: Title | None = None
    role: GlobalRole | None = None
    active: bool | None = None


class ProfileUpdate(Input):
    """Only the fields given change."""

    name: Title | None = None
    time_zone: str | None = Field(None, max_length=64, examples=["Europe/Paris"])


class PasswordChange(Input):
    current_password: str = Field(max_length=1000)
    password: str = Field(max_length=1000, description="At least 8 characters.")


class SignIn(Input):
    email: Email
    password: str = Field(max_length=1000)
    name: str = Field("api", max_length=100, description="A name for the new token.")
    expires_in_days: int | None = Field(
        None,
        ge=1,
        description="Days the token lives; at most ACCORD_TOKEN_DAYS, which is also the default.",
    )


class TokenCreate(Input):
    name: str = Field("api", max_length=100)
    expires_in_days: int | None = Field(
        None,
        ge=1,
        description="Days the token lives; at most ACCORD_TOKEN_DAYS, which is also the default.",
    )


class TokenRead(BaseModel):
    id: int
    name: str
    created_at: Instant
    expires_at: Instant
    revoked_at: Instant | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenRead:
        assert token.id is not None
        return cls(
            id=token.id,
            name=token.name,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


class TokenCreated(BaseModel):
    """A new API token; `token` is shown this once and never again."""

    token: str
    name: str
    expires_at: Instant
