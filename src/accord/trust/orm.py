"""Stored trust: decayed evidence sums scaled to a reference time, and the open commitments.

`trust_pairs` holds finished evidence per (requester, performer), `trust_state` the whole
organization's and the bookkeeping, `trust_tracks` what trust needs of every open commitment
(overdue evidence is added at read time from these, since it grows without any move).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    and_,
)

from accord.db import JSONType, UTCDateTime, metadata
from accord.trust.domain import SUBJECT_PREFIX

EVIDENCE_COLUMNS = (
    "ability_r",
    "ability_s",
    "integrity_r",
    "integrity_s",
    "value_r",
    "value_s",
)


def commitment_subject(subject: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether an event's `subject` names a commitment (`commitment:<key>`): a range of the
    subjects (";" follows ":"), which an index of them serves."""
    return and_(subject >= SUBJECT_PREFIX, subject < "commitment;")


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

# Snapshots of the fold every two hours (UTC; DESIGN §2 "as of"): a row at the end of each
# period with commitment events, holding the organization's finished evidence decayed to it,
# and what changed in the period before: the pairs whose finished evidence changed and the
# commitments that moved (by id), each in one value (a pair's sums at the latest snapshot at or
# before an instant that has it are its sums then; so is a commitment's track). Changes only,
# so the snapshots grow with the moves, not with periods times pairs; and about once a week in
# full, so that a read of the past starts from the full copy before it.
trust_snapshots_table = Table(
    "trust_snapshots",
    metadata,
    Column("at", UTCDateTime(), primary_key=True),
    Column("half_life_days", Float, nullable=False),
    *_evidence_columns(),
    # the pairs whose sums changed in the period before (`snapshots.PAIR`: their ids and sums
    # decayed to `at`), every pair in a full copy
    Column("pairs", LargeBinary, nullable=True),
    # the commitments that moved in the period before (`snapshots.OPEN_TRACK`: the track of each
    # still open, or that it finished), every open one in a full copy
    Column("tracks", LargeBinary, nullable=True),
    # a full copy: `pairs` and `tracks` hold every pair and open commitment, so that a read
    # needs only the snapshots from the full copy before its own on
    Column("full", Boolean, nullable=True),
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
