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
    # the earliest instant after which snapshots were dropped (history told later about the
    # past) and not made again yet: the next start makes them (`service.refresh_snapshots`)
    Column("snapshot_gap", UTCDateTime(), nullable=True),
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

# Snapshots of the fold at UTC midnights (DESIGN §2 "as of"): a row per midnight that follows a
# day with commitment events, holding the organization's finished evidence decayed to it. Pairs
# and open commitments are kept as changes only: a pair's row is written at the midnights after
# its sums changed (its sums at the latest row at or before an instant are its sums then), and
# an open commitment's track is a version valid from `since` until `until` (NULL: still the
# latest), so the rows grow with the moves, not with days times pairs.
trust_snapshots_table = Table(
    "trust_snapshots",
    metadata,
    Column("at", UTCDateTime(), primary_key=True),
    Column("half_life_days", Float, nullable=False),
    *_evidence_columns(),
)

trust_snapshot_pairs_table = Table(
    "trust_snapshot_pairs",
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
    Column("at", UTCDateTime(), primary_key=True),
    # finished evidence decayed to `at`
    *_evidence_columns(),
    Index("ix_trust_snapshot_pairs_at", "at"),
)

trust_snapshot_tracks_table = Table(
    "trust_snapshot_tracks",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("since", UTCDateTime(), primary_key=True),
    Column("until", UTCDateTime(), nullable=True),
    Column("requester_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("performer_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(20), nullable=False),
    Column("due", UTCDateTime(), nullable=False),
    Column("notice", Boolean, nullable=False),
    Column("reliance", String(20), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("promised_at", UTCDateTime(), nullable=True),
    Index("ix_trust_snapshot_tracks_since", "since"),
    Index("ix_trust_snapshot_tracks_until", "until"),
)

# The backtest computed for one state of the evidence (a digest of the event log's head, the
# stored sums' version and the settings it depends on), kept so that every server process
# answers it and a restart does not compute it again; the newest few are kept.
trust_backtests_table = Table(
    "trust_backtests",
    metadata,
    Column("evidence", String(64), primary_key=True),
    Column("computed_at", UTCDateTime(), nullable=False),
    Column("document", JSONType, nullable=False),
)
