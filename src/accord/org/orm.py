"""Tables of teams, people, memberships and API tokens, mapped onto the domain classes."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from accord.db import UTCDateTime, enum_type, mapper_registry, metadata
from accord.org.domain import ApiToken, GlobalRole, MemberRole, Membership, Person, Team, TeamKind

teams_table = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(63), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", enum_type(TeamKind, "team_kind"), nullable=False),
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
    Column("role", enum_type(GlobalRole, "global_role"), nullable=False),
    Column("password_hash", String(200), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("session_epoch", Integer, nullable=False, default=0),
    Column("time_zone", String(64), nullable=True),
)

memberships_table = Table(
    "memberships",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    Column(
        "team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("role", enum_type(MemberRole, "member_role"), nullable=False),
    Column("left_at", UTCDateTime(), nullable=True),
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
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

# Failed sign-ins of the last minutes, counted per account and per address to slow guessing.
sign_in_failures_table = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account", String(320), nullable=False, index=True),
    Column("address", String(64), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
)

mapper_registry.map_imperatively(
    Team,
    teams_table,
    properties={
        "parent": relationship(Team, remote_side=[teams_table.c.id], lazy="joined", join_depth=3),
        # no backrefs: Person.join and Person.leave file a membership on both sides
        "memberships": relationship(
            Membership, cascade="all, delete-orphan", lazy="selectin", overlaps="memberships"
        ),
    },
)
mapper_registry.map_imperatively(
    Person,
    people_table,
    properties={
        "memberships": relationship(
            Membership, cascade="all, delete-orphan", lazy="selectin", overlaps="memberships"
        ),
    },
)
mapper_registry.map_imperatively(
    Membership,
    memberships_table,
    properties={
        "person": relationship(Person, lazy="joined", overlaps="memberships"),
        "team": relationship(Team, lazy="joined", overlaps="memberships"),
    },
)
mapper_registry.map_imperatively(
    ApiToken, api_tokens_table, properties={"person": relationship(Person, lazy="joined")}
)
