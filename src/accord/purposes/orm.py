"""Tables of purposes, measures and measure updates."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from accord.db import UTCDateTime, enum_type, mapper_registry, metadata
from accord.org.domain import Person
from accord.purposes.domain import Measure, MeasureUpdate, Purpose, PurposeStatus

purposes_table = Table(
    "purposes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(100), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("statement", Text, nullable=False, default=""),
    Column(
        "status",
        enum_type(PurposeStatus, "purpose_status"),
        nullable=False,
    ),
    Column("sponsor_id", Integer, ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
    Column("created_by_id", Integer, ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
    Column("target_date", Date, nullable=True),
    Column("parent_id", Integer, ForeignKey("purposes.id", ondelete="SET NULL"), nullable=True),
)

measures_table = Table(
    "measures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("purpose_id", Integer, ForeignKey("purposes.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("name", String(200), nullable=False),
    Column("unit", String(40), nullable=False, default=""),
    Column("baseline", Float, nullable=True),
    Column("target", Float, nullable=True),
    Column("current", Float, nullable=True),
    UniqueConstraint("purpose_id", "name", name="uq_measures_purpose_name"),
)

measure_updates_table = Table(
    "measure_updates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "measure_id",
        Integer,
        ForeignKey("measures.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("value", Float, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("by_id", Integer, ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
)

mapper_registry.map_imperatively(
    Purpose,
    purposes_table,
    properties={
        "sponsor": relationship(Person, foreign_keys=[purposes_table.c.sponsor_id], lazy="joined"),
        "created_by": relationship(
            Person, foreign_keys=[purposes_table.c.created_by_id], lazy="joined"
        ),
        "parent": relationship(
            Purpose, remote_side=[purposes_table.c.id], lazy="joined", join_depth=3
        ),
        "measures": relationship(
            Measure,
            cascade="all, delete-orphan",
            lazy="selectin",
            order_by=measures_table.c.position,
            collection_class=list,
        ),
    },
)
mapper_registry.map_imperatively(
    Measure,
    measures_table,
    properties={
        "updates": relationship(
            MeasureUpdate,
            cascade="all, delete-orphan",
            lazy="selectin",
            order_by=[measure_updates_table.c.at, measure_updates_table.c.id],
        ),
    },
)
mapper_registry.map_imperatively(
    MeasureUpdate, measure_updates_table, properties={"by": relationship(Person, lazy="joined")}
)
