"""The hash chain finds every kind of tampering with the `events` table, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update

from accord.commitments import service as commitments
from accord.events import service as events
from accord.events.catalog import TeamCreated
from accord.events.domain import event_hash
from accord.events.orm import events_table
from accord.purposes import service as purposes
from accord.uow import UnitOfWork
from factories import checkout, events_after, make_commitment, make_person, make_team

# Its tests break the log on purpose: the integration tests' check that it verifies is off.
BREAKS_THE_LOG = True
COLUMNS = ("at", "actor", "type", "subject", "payload", "prev_hash", "hash")


@pytest.fixture
def log(uow, clock):
    """Some real changes: teams, people, a partnership and a commitment with three moves."""
    partners = checkout(uow)
    rita, paul = partners["rita"], partners["paul"]
    make_commitment(uow, "checkout", rita, "payments", "platform", key="vault")
    for version, (actor, move, args) in enumerate(
        [
            (paul, "promise", {}),
            (paul, "report_done", {"note": "Live"}),
            (rita, "accept", {"value": 5}),
        ],
        start=1,
    ):
        clock.advance(hours=2)
        commitments.move(uow, actor, "vault", move, version=version, **args)
    count = len(events_after(uow))
    assert count >= 15
    return count


def rows(engine):
    with engine.connect() as connection:
        return {row.id: row for row in connection.execute(select(events_table))}


def test_an_untouched_log_verifies(uow, log):
    report = events.verify(uow)

    assert report.ok
    assert (report.checked, report.first_bad_id, report.problem) == (log, None, None)


def test_an_empty_log_verifies(uow):
    report = events.verify(uow)

    assert (report.ok, report.checked) == (True, 0)


def test_an_edited_payload_is_found(uow, engine, log):
    with engine.begin() as connection:
        connection.execute(
            update(events_table).where(events_table.c.id == 7).values(payload={"forged": True})
        )

    report = events.verify(uow)

    assert not report.ok
    assert report.first_bad_id == 7
    assert report.checked == 6
    assert "event 7 was changed" in report.problem


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "mallory@example.org"),
        ("type", "team.deleted"),
        ("subject", "team:elsewhere"),
    ],
)
def test_an_edited_column_is_found(uow, engine, log, column, value):
    with engine.begin() as connection:
        connection.execute(
            text(f"UPDATE events SET {column} = :value WHERE id = 5"), {"value": value}
        )

    report = events.verify(uow)

    assert (report.ok, report.first_bad_id) == (False, 5)


def test_an_edited_time_is_found(uow, engine, log):
    [event] = [e for e in events_after(uow) if e.id == log - 1]
    with engine.begin() as connection:
        connection.execute(
            update(events_table)
            .where(events_table.c.id == event.id)
            .values(at=event.at - timedelta(days=1))
        )

    assert events.verify(uow).first_bad_id == log - 1


def test_an_edit_with_its_own_hash_recomputed_is_found_at_the_next_event(uow, engine, log):
    [event] = [e for e in events_after(uow) if e.id == 4]
    event.payload = {**event.payload, "name": "Forged"}
    forged = event_hash(event)
    with engine.begin() as connection:
        connection.execute(
            update(events_table)
            .where(events_table.c.id == 4)
            .values(payload=event.payload, hash=forged)
        )

    report = events.verify(uow)

    assert (report.ok, report.first_bad_id) == (False, 5)
    assert "does not chain" in report.problem


def test_a_rewritten_chain_is_found_by_the_head(uow, engine, log):
    forged = events_after(uow)
    forged[2].payload = {**forged[2].payload, "name": "Forged"}
    previous = forged[0].prev_hash
    with engine.begin() as connection:
        for event in forged:
            event.prev_hash = previous
            event.hash = event_hash(event)
            previous = event.hash
            connection.execute(
                update(events_table)
                .where(events_table.c.id == event.id)
                .values(payload=event.payload, prev_hash=event.prev_hash, hash=event.hash)
            )

    report = events.verify(uow)

    assert (report.ok, report.first_bad_id, report.checked) == (False, log, log)
    assert "head" in report.problem


def test_a_deleted_middle_event_is_found(uow, engine, log):
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM events WHERE id = 6"))

    report = events.verify(uow)

    assert (report.ok, report.first_bad_id, report.checked) == (False, 7, 5)
    assert "event 6 is missing" in report.problem


def test_a_deleted_first_event_is_found(uow, engine, log):
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM events WHERE id = 1"))

    report = events.verify(uow)

    assert (report.ok, report.first_bad_id, report.checked) == (False, 2, 0)


def test_a_deleted_last_event_is_found(uow, engine, log):
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM events WHERE id = :id"), {"id": log})

    report = events.verify(uow)

    assert (report.ok, report.first_bad_id, report.checked) == (False, log, log - 1)
    assert f"records {log} events but {log - 1} are present" in report.problem


def test_two_events_with_swapped_contents_are_found(uow, engine, log):
    before = rows(engine)
    with engine.begin() as connection:
        for here, there in ((8, 9), (9, 8)):
            connection.execute(
                update(events_table)
                .where(events_table.c.id == here)
                .values({column: getattr(before[there], column) for column in COLUMNS})
            )
    after = rows(engine)
    assert after[8].hash == before[9].hash  # the swap happened

    report = events.verify(uow)

    assert (report.ok, report.first_bad_id, report.checked) == (False, 8, 7)


def test_a_later_change_does_not_heal_a_broken_chain(uow, engine, log):
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM events WHERE id = 3"))

    make_team(uow, "marketing")

    report = events.verify(uow)
    assert (report.ok, report.first_bad_id) == (False, 4)


def test_odd_times_texts_and_numbers_verify_after_the_round_trip_through_the_database(uow, clock):
    clock.advance(microseconds=123_457)
    make_team(uow, "donnees", name="Équipe Données ✓", mission='Quotes " and \\ backslashes')
    sponsor = make_person(uow, "zoë@example.org", name="Zoë 山田")
    purposes.create_purpose(uow, sponsor, title="Über-Ziel", key="ziel")
    purposes.add_measure(uow, sponsor, "ziel", name="Ratio", baseline=0.1 + 0.2, target=1e-7)

    report = events.verify(uow)

    assert (report.ok, report.checked) == (True, 4)
    [first, *_] = events_after(uow)
    assert first.at.microsecond == 123_457
    assert events_after(uow)[-1].payload["baseline"] == 0.1 + 0.2


def test_instants_in_any_offset_go_in_as_the_same_instants_and_verify(uow):
    """An appended event's instant is stored as its UTC time whatever its offset, and the
    chain made from it verifies after the round trip (the hash's text and the row's are made
    together)."""
    instants = [
        datetime(2026, 1, 5, 9, tzinfo=UTC),
        datetime(2026, 1, 5, 9, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 7, 5, 9, 30, 15, 250_000, tzinfo=ZoneInfo("Europe/London")),
        datetime(2026, 6, 1, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 6, 1, 1, tzinfo=timezone(timedelta(hours=-7))),
    ]
    made = [
        TeamCreated(team=f"t{n}", actor=None, at=at, name="T", kind="team", mission="", parent=None)
        for n, at in enumerate(instants)
    ]
    with uow:
        uow.events.append(made)
        uow.commit()

    assert [event.at for event in events_after(uow)] == instants
    assert all(event.at.utcoffset() == timedelta(0) for event in events_after(uow))
    report = events.verify(uow)
    assert (report.ok, report.checked) == (True, len(instants))


def test_an_event_added_by_hand_after_the_head_is_detected(engine, uow, log):
    last = rows(engine)[log]
    forged = {name: getattr(last, name) for name in COLUMNS}
    forged.update(id=log + 1, prev_hash=last.hash, type="team.created")
    with engine.begin() as connection:
        connection.execute(events_table.insert().values(**forged))

    report = events.verify(uow)

    assert not report.ok
    assert report.first_bad_id == log + 1


def test_a_read_only_audit_sees_one_snapshot(engine, make_uow, log):
    reader = UnitOfWork(engine, read_only=True)
    with reader:
        head_id, _ = reader.events.head()
        make_team(make_uow(), "late-comers")  # appended while the audit reads
        assert reader.events.count_after(head_id) == 0
    assert events.verify(make_uow()).ok
