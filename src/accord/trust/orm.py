"""Stored trust: decayed evidence sums scaled to a reference time, and the open commitments.

`trust_pairs` holds finished evidence per (requester, performer), `trust_state` the whole
organization's and the bookkeeping, `trust_tracks` what trust needs of every open commitment
(overdue evidence is added at read time from these, since it grows without any move).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table

from accord.db import JSONType, UTCDateTime, metadata

EVIDENCE_COLUMNS = (
    "ability_r",
    "ability_s",
    "integrity_r",
    "integrity_s",
    "value_r",
    "value_s",
)


def _evidence_columns() -> list[Column[float]]:
    return [Column(name, Float, nullable=False, default=0.0) for name in EVIDENCE_COLUMNS]


trust_state_table = Table(
    "trust_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("reference", UTCDateTime(), nullable=False),
    Column("half_life_days", Float, nullable=False),
    Column("built", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("latest_at", UTCDateTime(), nullable=True),
    *_evidence_columns(),
    # Open commitments due before `overdue_through` are summed here (`counted` on their track),
    # so that a read adds only those that fell due since: O(few), not O(all overdue).
    Column("overdue_through", UTCDateTime(), nullable=True),
    Column("overdue_count", Integer, nullable=True),
    Column("overdue_notice", Float, nullable=True),
    Column("overdue_silent", Float, nullable=True),
)

trust_pairs_table = Table(
    "trust_pairs",
    metadata,
    Column(
        "requester_id",
        Integer,
        ForeignKey("teams.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column(
        "performer_id",
        Integer,
        ForeignKey("teams.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    *_evidence_columns(),
    Index("ix_trust_pairs_performer", "performer_id"),
)

trust_tracks_table = Table(
    "trust_tracks",
    metadata,
    Column(
        "commitment_id",
        Integer,
        ForeignKey("commitments.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("key", String(100), nullable=False, unique=True),
    Column("requester_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("performer_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(20), nullable=False),
    Column("due", UTCDateTime(), nullable=False),
    # 2 ** ((due - reference) / H): an overdue commitment's evidence, summed in SQL
    Column("due_weight", Float, nullable=False),
    Column("notice", Boolean, nullable=False),
    Column("reliance", String(20), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("promised_at", UTCDateTime(), nullable=True),
    Column("counted", Boolean, nullable=True),
    Index("ix_trust_tracks_state_due", "state", "due", "counted", "notice", "due_weight"),
    # a performer's and a requester's reads from the index alone, in the order they sum rows
    Index(
        "ix_trust_tracks_performer",
        "performer_id",
        "due",
        "commitment_id",
        "state",
        "notice",
        "due_weight",
        "requester_id",
    ),
    Index(
        "ix_trust_tracks_requester",
        "requester_id",
        "state",
        "due",
        "counted",
        "notice",
        "due_weight",
    ),
)

# Fitted forecast models, newest last: plain numbers as JSON (never a pickle), with the window
# and size they were fitted on and their own backtest scores. The id is the model's version.
trust_models_table = Table(
    "trust_models",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fitted_at", UTCDateTime(), nullable=False),
    Column("window_start", UTCDateTime(), nullable=True),
    Column("window_end", UTCDateTime(), nullable=True),
    Column("trained_on", Integer, nullable=False),
    Column("calibrated_on", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("scores", JSONType, nullable=False),
    Column("parameters", JSONType, nullable=False),
)
