"""Tables of partnerships, their parties and the invitations to join them."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from accord.db import JSONType, UTCDateTime, enum_type, mapper_registry, metadata
from accord.org.domain import Person, Team
from accord.partnerships.domain import (
    Invitation,
    InvitationState,
    Partnership,
    PartnershipStatus,
    Party,
)
from accord.purposes.domain import Purpose

partnerships_table = Table(
    "partnerships",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(100), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column(
        "purpose_id",
        Integer,
        ForeignKey("purposes.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    ),
    Column("working_agreements", JSONType, nullable=False),
    Column("review_every_days", Integer, nullable=True),
    Column(
        "status",
        enum_type(PartnershipStatus, "partnership_status"),
        nullable=False,
    ),
    Column("charter_version", Integer, nullable=False),
)

parties_table = Table(
    "parties",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "partnership_id", Integer, ForeignKey("partnerships.id", ondelete="CASCADE"), nullable=False
    ),
    Column(
        "team_id", Integer, ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False, index=True
    ),
    Column("contribution", Text, nullable=False),
    Column("affirmed_by_id", Integer, ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
    Column("affirmed_at", UTCDateTime(), nullable=True),
    Column("affirmed_version", Integer, nullable=True),
    UniqueConstraint("partnership_id", "team_id", name="uq_parties_partnership_team"),
)

# An invitation is kept once answered: who invited whom, and who answered, is history.
invitations_table = Table(
    "invitations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column(
        "team_id", Integer, ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False, index=True
    ),
    Column("invited_by_id", Integer, ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
    Column("invited_at", UTCDateTime(), nullable=False),
    Column("state", enum_type(InvitationState, "invitation_state"), nullable=False),
    Column("answered_by_id", Integer, ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
    Column("answered_at", UTCDateTime(), nullable=True),
)

mapper_registry.map_imperatively(
    Partnership,
    partnerships_table,
    properties={
        "purpose": relationship(Purpose, lazy="joined"),
        "parties": relationship(
            Party, cascade="all, delete-orphan", lazy="selectin", order_by=parties_table.c.id
        ),
    },
)
mapper_registry.map_imperatively(
    Party,
    parties_table,
    properties={
        "team": relationship(Team, lazy="joined"),
        "affirmed_by": relationship(Person, lazy="joined"),
    },
)
mapper_registry.map_imperatively(
    Invitation,
    invitations_table,
    properties={
        "partnership": relationship(Partnership, lazy="joined"),
        "team": relationship(Team, lazy="joined"),
        "invited_by": relationship(
            Person, lazy="joined", foreign_keys=[invitations_table.c.invited_by_id]
        ),
        "answered_by": relationship(
            Person, lazy="joined", foreign_keys=[invitations_table.c.answered_by_id]
        ),
    },
)
