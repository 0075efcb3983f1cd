"""Logs written by earlier versions, whose commitment events are named `CommitmentPromised`,
keep verifying, read under today's names (`commitment.promised`) and give the same trust and
exports as the same history written today; so does a log that holds both names."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from accord.commitments import service as commitments
from accord.events import service as events
from accord.events.catalog import LEGACY_NAMES, current_type
from accord.events.domain import GENESIS_HASH, Event, event_hash
from accord.events.orm import event_head_table, events_table
from accord.interchange.exporter import export_document
from accord.trust import service as trust
from accord.trust.orm import trust_pairs_table, trust_state_table, trust_tracks_table
from factories import (
    OPERATOR,
    SETTINGS,
    events_after,
    last_event_id,
    make_commitment,
    make_partnership,
    make_person,
    make_team,
)

EARLIER_NAME = {new: old for old, new in LEGACY_NAMES.items()}


def write_as_earlier_versions_did(engine: Any, *, upto: int | None = None) -> None:
    """Give the commitment events up to id `upto` (all without it) the names earlier versions
    wrote, and chain the log again from its first event, as those versions chained it."""
    with engine.begin() as connection:
        rows = connection.execute(select(events_table).order_by(events_table.c.id)).all()
        prev = GENESIS_HASH
        for row in rows:
            renamed = upto is None or row.id <= upto
            type = EARLIER_NAME.get(row.type, row.type) if renamed else row.type
            event = Event(
                id=row.id,
                at=row.at,
                actor=row.actor,
                type=type,
                subject=row.subject,
                payload=row.payload,
                prev_hash=prev,
            )
            event.hash = event_hash(event)
            connection.execute(
                update(events_table)
                .where(events_table.c.id == row.id)
                .values(type=type, prev_hash=prev, hash=event.hash)
            )
            prev = event.hash
        connection.execute(update(event_head_table).values(last_hash=prev))


def stored_trust(engine: Any) -> dict[str, Any]:
    """The stored trust sums and tracks (the state's version aside: readers key caches on it)."""
    with engine.connect() as connection:
        state = dict(connection.execute(select(trust_state_table)).mappings().one())
        state.pop("version")
        for name in ("overdue_notice", "overdue_silent"):
            state[name] = pytest.approx(state[name], rel=1e-9, abs=1e-9)
        pairs = select(trust_pairs_table).order_by(
            trust_pairs_table.c.requester_id, trust_pairs_table.c.performer_id
        )
        tracks = select(trust_tracks_table).order_by(trust_tracks_table.c.commitment_id)
        return {
            "state": state,
            "pairs": [dict(r) for r in connection.execute(pairs).mappings()],
            "tracks": [dict(r) for r in connection.execute(tracks).mappings()],
        }


def move(uow, person, key: str, name: str, **args: Any) -> None:
    version = commitments.get_commitment(uow, key).commitment.version
    commitments.move(uow, person, key, name, version=version, **args)


@pytest.fixture
def people(uow, clock) -> dict[str, Any]:
    """Teams r (requester) and p (performer) of partnership `rp`, o a third party of it, and
    commitments in most states: accepted, missed, declined, renegotiated and open."""
    for slug in ("r", "p", "o"):
        make_team(uow, slug)
    found = {
        "r": make_person(uow, "rita@example.org", teams={"r": "lead"}),
        "p": make_person(uow, "paul@example.org", teams={"p": "lead"}),
        "o": make_person(uow, "olga@example.org", teams={"o": "lead"}),
    }
    make_partnership(
        uow,
        found["r"],
        key="rp",
        parties=[("r", "Asks"), ("p", "Delivers"), ("o", "Advises")],
        affirmed_by=list(found.values()),
    )
    r, p = found["r"], found["p"]
    due = clock.now + timedelta(days=10)
    for key in ("vault", "late", "dropped", "moved", "open"):
        make_commitment(uow, "rp", r, "r", "p", key=key, due=due, reliance="high")
    clock.advance(hours=2)
    move(uow, p, "vault", "promise")
    move(uow, p, "late", "promise")
    move(uow, p, "open", "promise")
    move(uow, p, "dropped", "decline", reason="No capacity")
    move(uow, p, "moved", "counter", due=clock.now + timedelta(days=20))
    clock.advance(hours=2)
    move(uow, r, "moved", "accept_counter")
    move(uow, p, "vault", "report_done", note="Live")
    clock.advance(hours=2)
    move(uow, r, "vault", "accept", value=4, note="Solid work")
    move(uow, p, "moved", "propose_change", due=clock.now + timedelta(days=30))
    clock.advance(hours=2)
    move(uow, r, "moved", "accept_change")
    clock.advance(days=11)
    move(uow, r, "late", "mark_missed")
    move(uow, p, "moved", "report_done")
    move(uow, r, "moved", "accept", value=2)
    return found


def commitment_types(uow) -> set[str]:
    return {e.type for e in events_after(uow) if e.subject.startswith("commitment:")}


def test_a_log_of_earlier_names_verifies_and_reads_and_trusts_as_one_written_today(
    engine, uow, people
) -> None:
    today = commitment_types(uow)
    assert today <= set(EARLIER_NAME), today
    trust_today = stored_trust(engine)
    assert trust_today["pairs"], "the history finished no commitment"
    assert trust_today["tracks"], "the history left nothing open"
    views_today = [
        (v.id, v.type, v.payload) for v in commitments.event_log(uow, OPERATOR, limit=1000)
    ]
    export_today = export_document(uow, settings=SETTINGS)

    write_as_earlier_versions_did(engine)

    assert commitment_types(uow) == {EARLIER_NAME[name] for name in today}
    assert events.verify(uow).ok
    # read under today's names, everywhere events are read as types
    views = [(v.id, v.type, v.payload) for v in commitments.event_log(uow, OPERATOR, limit=1000)]
    assert views == views_today
    history = commitments.history(uow, "vault", people["r"])
    assert [v.type for v in history] == [
        "commitment.requested",
        "commitment.promised",
        "commitment.reported_done",
        "commitment.accepted",
    ]
    accepts = commitments.newest_event_log(uow, OPERATOR, type="commitment.accepted")
    assert [v.subject for v in accepts] == ["commitment:moved", "commitment:vault"]
    assert {v.type for v in accepts} == {"commitment.accepted"}
    # an accept's value stays evidence for the two teams only, whatever its stored name
    [seen_by_party] = [v for v in history if v.type == "commitment.accepted"]
    assert seen_by_party.payload["args"] == {"value": 4, "note": "Solid work"}
    [seen_by_other] = [
        v for v in commitments.history(uow, "vault", people["o"]) if v.type == "commitment.accepted"
    ]
    assert "value" not in seen_by_other.payload["args"]
    assert "payload.args.value" in seen_by_other.withheld
    # the same trust, from a rebuild over the earlier names, and the same export
    trust.rebuild(uow, SETTINGS, OPERATOR)
    assert stored_trust(engine) == trust_today
    assert export_document(uow, settings=SETTINGS) == export_today


def test_a_log_holding_both_names_verifies_and_keeps_the_trust_a_rebuild_gives(
    engine, uow, clock, people
) -> None:
    earlier = last_event_id(uow)
    clock.advance(hours=3)
    move(uow, people["p"], "open", "report_done")
    make_commitment(
        uow, "rp", people["r"], "r", "p", key="later", due=clock.now + timedelta(days=5)
    )
    trust_today = stored_trust(engine)

    write_as_earlier_versions_did(engine, upto=earlier)

    stored = [e.type for e in events_after(uow) if e.subject.startswith("commitment:")]
    assert "CommitmentPromised" in stored
    assert stored[-2:] == ["commitment.reported_done", "commitment.requested"]
    assert events.verify(uow).ok
    trust.rebuild(uow, SETTINGS, OPERATOR)
    assert stored_trust(engine) == trust_today
    # the upkeep goes on over the mixed log as a rebuild would
    clock.advance(hours=1)
    move(uow, people["r"], "open", "accept", value=5)
    move(uow, people["p"], "later", "promise")
    assert events.verify(uow).ok
    kept = stored_trust(engine)
    trust.rebuild(uow, SETTINGS, OPERATOR)
    assert stored_trust(engine) == kept
    assert {current_type(name) for name in stored} <= set(LEGACY_NAMES.values())
