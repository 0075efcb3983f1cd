"""Tables of teams, people, memberships and API tokens, mapped onto the domain classes."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Enum,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from accord.db import UTCDateTime, mapper_registry, metadata
from accord.org.domain import ApiToken, GlobalRole, MemberRole, Membership, Person, Team, TeamKind


def enum(kind: type[TeamKind] | type[MemberRole] | type[GlobalRole], name: str) -> Enum:
    return Enum(
        kind,
        name=name,
        native_enum=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


teams_table = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(63), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", enum(TeamKind, "team_kind"), nullable=False),
    Column("mission", Text, nullable=False, default=""),
    Column(
        "parent_id", Integer, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True
    ),
)

people_table = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", enum(GlobalRole, "global_role"), nullable=False),
    Column("password_hash", String(200), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
)

memberships_table = Table(
    "memberships",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    Column(
        "team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("role", enum(MemberRole, "member_role"), nullable=False),
    UniqueConstraint("person_id", "team_id", name="uq_memberships_person_team"),
)

api_tokens_table = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "person_id",
        Integer,
        ForeignKey("people.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

mapper_registry.map_imperatively(
    Team,
    teams_table,
    properties={
        "parent": relationship(Team, remote_side=[teams_table.c.id], lazy="joined", join_depth=3),
        # loaded on demand: eager members of every team would load half the organization
        "memberships": relationship(
            Membership, back_populates="team", cascade="all, delete-orphan", lazy="select"
        ),
    },
)
mapper_registry.map_imperatively(
    Person,
    people_table,
    properties={
        "memberships": relationship(
            Membership, back_populates="person", cascade="all, delete-orphan", lazy="selectin"
        ),
    },
)
mapper_registry.map_imperatively(
    Membership,
    memberships_table,
    properties={
        "person": relationship(Person, back_populates="memberships", lazy="joined"),
        "team": relationship(Team, back_populates="memberships", lazy="joined"),
    },
)
mapper_registry.map_imperatively(
    ApiToken, api_tokens_table, properties={"person": relationship(Person, lazy="joined")}
)
