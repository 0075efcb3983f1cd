"""The commitments table; `version` guards every update against lost writes."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import relationship

from accord.commitments.domain import Commitment, Reliance, Side, State
from accord.db import JSONType, UTCDateTime, enum_type, mapper_registry, metadata
from accord.org.domain import Team
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Measure

commitments_table = Table(
    "commitments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(100), nullable=False, unique=True),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    ),
    Column("requester_id", Integer, ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False),
    Column("performer_id", Integer, ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("conditions_of_satisfaction", Text, nullable=False),
    Column("due", UTCDateTime(), nullable=False),
    Column("reliance", enum_type(Reliance, "reliance"), nullable=False),
    Column("measure_id", Integer, ForeignKey("measures.id", ondelete="SET NULL"), nullable=True),
    Column("state", enum_type(State, "commitment_state"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("value", Integer, nullable=True),
    Column("pending", JSONType, nullable=True),
    Column("pending_by", enum_type(Side, "commitment_side"), nullable=True),
    Column("pending_proposer", String(320), nullable=True),
    Index("ix_commitments_requester_state", "requester_id", "state"),
    Index("ix_commitments_performer_state", "performer_id", "state"),
    Index("ix_commitments_state_due", "state", "due"),
    Index("ix_commitments_performer_updated", "performer_id", "updated_at"),
    # the commitments page's sorts, read in index order and cut at the page (migration 0012)
    Index("ix_commitments_due", "due", "id"),
    Index("ix_commitments_updated_at", "updated_at", "id"),
    Index("ix_commitments_title", "title", "id"),
)

mapper_registry.map_imperatively(
    Commitment,
    commitments_table,
    properties={
        "partnership": relationship(Partnership, lazy="joined"),
        "requester": relationship(
            Team, foreign_keys=[commitments_table.c.requester_id], lazy="joined"
        ),
        "performer": relationship(
            Team, foreign_keys=[commitments_table.c.performer_id], lazy="joined"
        ),
        "measure": relationship(Measure, lazy="joined"),
    },
    version_id_col=commitments_table.c.version,
    version_id_generator=False,
)
