"""Tables of health-check rounds: tallies, comments and who answered, never one answer."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import relationship

from accord.db import JSONType, UTCDateTime, mapper_registry, metadata
from accord.health.domain import HealthCheck, Respondent, Tally
from accord.org.domain import Person, Team
from accord.partnerships.domain import Partnership

health_checks_table = Table(
    "health_checks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(100), nullable=False, unique=True),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("opened_by_id", Integer, ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("closes_at", UTCDateTime(), nullable=False, index=True),
    # SQL NULL until read (not JSON null), so that the rounds still to read are found
    Column("earned", JSON(none_as_null=True), nullable=True),
)

health_tallies_table = Table(
    "health_tallies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "health_check_id",
        Integer,
        ForeignKey("health_checks.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False),
    Column("responses", Integer, nullable=False),
    Column("counts", JSONType, nullable=False),
    Column("comments", JSONType, nullable=False),
    UniqueConstraint("health_check_id", "team_id", name="uq_health_tallies_check_team"),
)

health_respondents_table = Table(
    "health_respondents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "health_check_id",
        Integer,
        ForeignKey("health_checks.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "person_id",
        Integer,
        ForeignKey("people.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    UniqueConstraint("health_check_id", "person_id", name="uq_health_respondents_check_person"),
)

mapper_registry.map_imperatively(
    HealthCheck,
    health_checks_table,
    properties={
        "partnership": relationship(Partnership, lazy="joined"),
        "opened_by": relationship(Person, lazy="joined"),
        "tallies": relationship(
            Tally,
            cascade="all, delete-orphan",
            lazy="selectin",
            order_by=health_tallies_table.c.id,
        ),
        "respondents": relationship(Respondent, cascade="all, delete-orphan", lazy="select"),
    },
)
mapper_registry.map_imperatively(
    Tally, health_tallies_table, properties={"team": relationship(Team, lazy="joined")}
)
mapper_registry.map_imperatively(
    Respondent, health_respondents_table, properties={"person": relationship(Person, lazy="joined")}
)
