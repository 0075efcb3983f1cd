"""Trust snapshots on SQLite and PostgreSQL: a read as of a past instant starts from the nearest
snapshot and folds only the events after it, and gives the figures of a replay of the whole
log: after random histories kept by the upkeep, after a rebuild, and after history told later
about the past; trust over time and the health page's earned trust read the same figures."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, func, select
from test_trust_service import random_history

from accord.interchange.exporter import export_document
from accord.interchange.importer import import_document, import_parts
from accord.trust import service as trust
from accord.trust import snapshots
from accord.trust.domain import Ledger, fold, ledger
from accord.trust.orm import EVIDENCE_COLUMNS, trust_snapshots_table
from accord.trust.repository import TrustStore
from accord.trust.service import report_at
from accord.trust.snapshots import (
    PAIR,
    SnapshotStore,
    boundary_after,
    boundary_before,
    tracks_of,
)
from accord.trust.views import ReplayView, snapshot_view
from accord.uow import UnitOfWork
from built_once import built_once
from factories import OPERATOR, SETTINGS, make_commitment, make_partners

H = SETTINGS.half_life_days
EPSILON = timedelta(microseconds=1)
CLOSE = {"rel": 1e-9, "abs": 1e-12}


@pytest.fixture
def org(request, engine, uow):
    """R, P and O in partnership `rp` (their leads by team slug)."""
    return built_once(request, engine, lambda: build_org(uow))


def build_org(uow):
    people = make_partners(
        uow, {"r": ("rita", "Asks"), "p": ("paul", "Delivers"), "o": ("olga", "Advises")}, key="rp"
    )
    return {"r": people["rita"], "p": people["paul"], "o": people["olga"]}


def replayed(uow, moment: datetime) -> Ledger:
    """DESIGN §2's as of, by its definition: the whole log folded up to `moment`."""
    with uow:
        tracks = fold(uow.trust.commitment_events(upto=moment), upto=moment)
    return ledger(tracks.values(), moment, H)


def from_snapshot(uow, moment: datetime) -> Ledger:
    with uow:
        view = snapshot_view(uow, SETTINGS, moment)
    assert view is not None, f"no snapshot serves {moment}"
    return view.ledger


def assert_same(fast: Ledger, plain: Ledger) -> None:
    assert fast.org.as_tuple() == pytest.approx(plain.org.as_tuple(), **CLOSE)
    for pair in set(fast.pairs) | set(plain.pairs):
        assert fast.pair(*pair).as_tuple() == pytest.approx(
            plain.pair(*pair).as_tuple(), **CLOSE
        ), pair
    assert fast.given == plain.given


def instants(uow, rng: random.Random, count: int) -> list[datetime]:
    """Instants over the whole history: random ones, event times, boundaries and next to them."""
    with uow:
        events = list(uow.trust.commitment_events())
    first, last = events[0][0], events[-1][0] + timedelta(days=20)
    span = (last - first).total_seconds()
    found = [first + timedelta(seconds=rng.uniform(0, span)) for _ in range(count)]
    for at, _, _ in rng.sample(events, min(count, len(events))):
        found += [at, at - EPSILON]
    for moment in found[:count]:
        found += [
            boundary_before(moment),
            boundary_before(moment) - EPSILON,
            boundary_after(moment),
        ]
    return sorted(found)


def count(engine, table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def pair_rows(engine) -> int:
    """How many pairs the snapshots hold, all together."""
    with engine.connect() as connection:
        values = connection.execute(select(trust_snapshots_table.c.pairs)).scalars()
        return sum(len(value) // PAIR.itemsize for value in values if value is not None)


def track_rows(engine) -> int:
    """How many commitments' tracks the snapshots hold, all together."""
    with engine.connect() as connection:
        values = connection.execute(select(trust_snapshots_table.c.tracks)).scalars()
        return sum(len(tracks_of(value)[0]) for value in values if value is not None)


def no_full_replay(monkeypatch) -> list[Any]:
    """Count the reads of the whole log from here on."""
    read_log = TrustStore.commitment_events
    reads: list[Any] = []

    def counted(store: TrustStore, **options: Any) -> Any:
        reads.append(options)
        return read_log(store, **options)

    monkeypatch.setattr(TrustStore, "commitment_events", counted)
    return reads


def assert_reads_equal_replays(uow, rng: random.Random, monkeypatch) -> None:
    moments = instants(uow, rng, 15)
    plain = [replayed(uow, moment) for moment in moments]
    reads = no_full_replay(monkeypatch)
    for moment, expected in zip(moments, plain, strict=True):
        assert_same(from_snapshot(uow, moment), expected)
    assert reads == [], "an as-of read replayed the whole log"
    monkeypatch.undo()


@pytest.mark.parametrize("seed", [11, 12])
def test_as_of_reads_from_snapshots_equal_replays_of_the_log(
    engine, uow, clock, org, seed, monkeypatch
) -> None:
    random_history(uow, clock, org, seed, steps=150)
    assert count(engine, trust_snapshots_table) > 20, "the upkeep wrote no snapshots"
    assert track_rows(engine) > 0
    assert pair_rows(engine) > 0
    assert_reads_equal_replays(uow, random.Random(seed), monkeypatch)
    # a rebuild makes them again from the log, and they read the same
    trust.rebuild(uow, SETTINGS, OPERATOR)
    assert_reads_equal_replays(uow, random.Random(seed + 1), monkeypatch)


def test_history_told_later_about_the_past_drops_the_snapshots_after_it(
    engine, uow, clock, org, monkeypatch
) -> None:
    random_history(uow, clock, org, 21, steps=120)
    end = clock.now
    with uow:
        newest = SnapshotStore(uow.session).newest()
    assert newest is not None
    # the same organization learns of commitments made and moved weeks ago
    clock.now = end - timedelta(days=40)
    told = clock.now
    random_history(uow, clock, org, 22, steps=12)  # at most 36 days
    with uow:
        kept = SnapshotStore(uow.session).newest()
        gap = uow.trust.state().snapshot_gap
    assert kept is not None
    assert gap is not None  # the first move told about the past
    assert told <= gap < told + timedelta(days=3)
    assert kept <= gap < newest
    clock.now = max(clock.now, end) + timedelta(days=3)
    random_history(uow, clock, org, 23, steps=20)  # and goes on: later midnights again
    assert_reads_equal_replays(uow, random.Random(21), monkeypatch)
    before = count(engine, trust_snapshots_table)
    # the next start makes the dropped ones again (as a rebuild does), once
    assert trust.ensure_built(uow, SETTINGS) is False
    assert count(engine, trust_snapshots_table) > before
    with uow:
        assert uow.trust.state().snapshot_gap is None
    assert trust.refresh_snapshots(uow) is False
    assert_reads_equal_replays(uow, random.Random(22), monkeypatch)
    trust.rebuild(uow, SETTINGS, OPERATOR)
    assert_reads_equal_replays(uow, random.Random(23), monkeypatch)


def test_snapshots_kept_in_time_order_leave_no_gap(uow, clock, org) -> None:
    random_history(uow, clock, org, 24, steps=60)
    with uow:
        assert uow.trust.state().snapshot_gap is None
    assert trust.refresh_snapshots(uow) is False


def test_reports_as_of_a_past_instant_equal_replays(uow, clock, org, monkeypatch) -> None:
    random_history(uow, clock, org, 31, steps=120)
    moments = instants(uow, random.Random(31), 6)
    with uow:
        teams = {t.slug: t for t in uow.org.teams()}
        ids = {slug: team.id for slug, team in teams.items() if team.id is not None}
    expected = {}
    for moment in moments:
        view = ReplayView(moment, replayed(uow, moment), ids)
        for team, of in (("p", None), ("r", None), ("p", "r"), ("o", "p")):
            report = report_at(view, SETTINGS, teams[team], teams[of] if of else None)
            expected[(moment, team, of)] = report.document()
    reads = no_full_replay(monkeypatch)
    for (moment, team, of), document in expected.items():
        report = trust.trust_of(uow, SETTINGS, OPERATOR, team, of=of, as_of=moment)
        _close(report.document(), document)
    assert reads == []


def _close(got: Any, want: Any) -> bool:
    """Nested documents equal, floats up to rounding."""
    if isinstance(want, dict):
        assert set(got) == set(want)
        return all(_close(got[k], want[k]) for k in want)
    if isinstance(want, list):
        assert len(got) == len(want)
        return all(_close(g, w) for g, w in zip(got, want, strict=True))
    if isinstance(want, float):
        assert got == pytest.approx(want, **CLOSE)
        return True
    assert got == want
    return True


def test_trust_over_time_reads_the_snapshots_with_the_sweeps_figures(
    uow, clock, org, monkeypatch
) -> None:
    random_history(uow, clock, org, 41, steps=120)
    with monkeypatch.context() as patched:
        patched.setattr(SnapshotStore, "nearest", lambda *_: None)  # the sweep of the whole log
        swept = [r.document() for r in trust.trust_history(uow, SETTINGS, OPERATOR, "p")]
        with uow:
            teams = {t.slug: t for t in uow.org.teams()}
        requests = [
            (clock.now - timedelta(days=days), [(teams["r"], teams["p"]), (teams["p"], teams["o"])])
            for days in (90, 30, 7, 1)
        ]
        with uow:
            earned_swept = trust.earned_over_time(uow, SETTINGS, requests)
    reads = no_full_replay(monkeypatch)
    charted = [r.document() for r in trust.trust_history(uow, SETTINGS, OPERATOR, "p")]
    with uow:
        earned = trust.earned_over_time(uow, SETTINGS, requests)
    assert reads == [], "trust over time replayed the whole log"
    assert len(charted) == 12
    _close(charted, swept)
    _close(earned, earned_swept)


def test_a_new_half_life_makes_the_snapshots_again(uow, clock, org) -> None:
    random_history(uow, clock, org, 51, steps=60)
    moment = clock.now - timedelta(days=10)
    settings = SETTINGS.model_copy(update={"half_life_days": 30.0})
    with uow:
        assert snapshot_view(uow, settings, moment) is None  # made with another half-life
    assert trust.ensure_built(uow, settings) is True
    with uow:
        view = snapshot_view(uow, settings, moment)
        tracks = fold(uow.trust.commitment_events(upto=moment), upto=moment)
    assert view is not None
    assert_same(view.ledger, ledger(tracks.values(), moment, 30.0))


def test_an_import_of_past_history_leaves_the_snapshots_whole(
    uow, clock, org, make_fresh_engine, monkeypatch
) -> None:
    """An import tells the whole history after the fact: it makes the snapshots it dropped
    before it returns, so that reads of the past are quick from the first one."""
    random_history(uow, clock, org, 31, steps=80)
    document = export_document(uow)
    other = UnitOfWork(make_fresh_engine(), clock=clock)
    import_document(other, OPERATOR, document)
    with other:
        state = other.trust.state()
        assert state.built
        assert state.snapshot_gap is None

    def stored(engine) -> list[int]:
        return [count(engine, trust_snapshots_table), pair_rows(engine), track_rows(engine)]

    imported = stored(other.engine)
    assert imported[0] > 20, "the import left the snapshots of its history unmade"
    assert_reads_equal_replays(other, random.Random(31), monkeypatch)
    # every snapshot a rebuild makes from the log was there already
    trust.rebuild(other, SETTINGS, OPERATOR)
    assert stored(other.engine) == imported


def test_a_streamed_import_leaves_the_snapshots_to_the_next_start(
    uow, clock, org, make_fresh_engine
) -> None:
    """`accord import` keeps its memory bounded: it marks the snapshots due, and the next
    start makes them."""
    random_history(uow, clock, org, 32, steps=60)
    document = export_document(uow)
    other = UnitOfWork(make_fresh_engine(), clock=clock)
    head = {name: value for name, value in document.items() if name != "commitments"}
    import_parts(other, OPERATOR, head, iter(enumerate(document["commitments"])), snapshots=False)
    with other:
        assert other.trust.state().snapshot_gap is not None
    assert count(other.engine, trust_snapshots_table) <= 1  # the empty one before it all
    assert trust.ensure_built(other, SETTINGS) is False
    with other:
        assert other.trust.state().snapshot_gap is None
    assert count(other.engine, trust_snapshots_table) > 20
    for days in (3, 10, 30):
        moment = clock.now - timedelta(days=days)
        assert_same(from_snapshot(other, moment), replayed(other, moment))


@pytest.mark.parametrize("made_by", ["upkeep", "rebuild"])
def test_a_read_needs_only_the_snapshots_since_the_full_copy_before_it(
    engine, uow, clock, org, made_by, monkeypatch
) -> None:
    """A full copy every few days holds every pair and the track of every open commitment: with
    everything before the newest one gone, reads after it still equal replays of the log."""
    monkeypatch.setattr(snapshots, "FULL_EVERY", timedelta(days=5))
    random_history(uow, clock, org, 61, steps=120)
    if made_by == "rebuild":
        trust.rebuild(uow, SETTINGS, OPERATOR)
    sn = trust_snapshots_table.c
    with uow:
        full = uow.session.scalars(select(sn.at).where(sn.full.is_(True)).order_by(sn.at)).all()
        assert len(full) > 5, "no full copies"
        assert all(later - earlier >= timedelta(days=5) for earlier, later in pairwise(full))
        newest = full[-2]  # with full copies after it too
        uow.session.execute(delete(trust_snapshots_table).where(sn.at < newest))
        uow.commit()
    moments = [m for m in instants(uow, random.Random(61), 15) if m >= newest]
    assert len(moments) > 5
    for moment in moments:
        assert_same(from_snapshot(uow, moment), replayed(uow, moment))


@pytest.mark.parametrize("made_by", ["upkeep", "rebuild"])
def test_a_read_folds_at_most_one_period_of_the_log(uow, clock, org, made_by, monkeypatch) -> None:
    """A snapshot at every boundary (`EVERY`, two hours) that ends a period with moves: the
    events a read folds after its snapshot all lie in one period, not in a whole day."""
    random_history(uow, clock, org, 71, steps=150)
    if made_by == "rebuild":
        trust.rebuild(uow, SETTINGS, OPERATOR)
    with uow:
        times = uow.session.scalars(select(trust_snapshots_table.c.at)).all()
    assert all(snapshots.boundary_before(at) == at for at in times)
    folded: list[list[datetime]] = []
    read = SnapshotStore.moves_between

    def recorded(store: SnapshotStore, start: datetime, end: datetime) -> Any:
        found, moved = read(store, start, end)
        folded.append([at for at, _, _ in found])
        return found, moved

    moments = instants(uow, random.Random(71), 30)
    plain = [replayed(uow, moment) for moment in moments]
    monkeypatch.setattr(SnapshotStore, "moves_between", recorded)
    for moment, expected in zip(moments, plain, strict=True):
        assert_same(from_snapshot(uow, moment), expected)
    assert sum(len(found) for found in folded) > 10
    assert all(found[-1] - found[0] < timedelta(hours=2) for found in folded if found)


@pytest.mark.parametrize("before", ["0016", "0017"])
def test_the_migration_to_periods_drops_the_snapshots_and_a_start_makes_them(
    engine, uow, clock, org, before, monkeypatch
) -> None:
    """0017 drops the snapshots of the form before (commitments by key), and 0018 those whose
    pairs may be in another order, and mark them due: reads replay the log until the next start
    makes them again (each snapshot's pairs in order of the teams' ids), then read them."""
    from alembic import command

    from accord.db import alembic_config

    random_history(uow, clock, org, 81, steps=80)
    assert count(engine, trust_snapshots_table) > 20
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    for target, step in ((before, command.downgrade), ("head", command.upgrade)):
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, target)
    assert count(engine, trust_snapshots_table) == 0
    with uow:
        assert uow.trust.state().snapshot_gap is not None
    moment = clock.now - timedelta(days=5)
    with uow:
        assert snapshot_view(uow, SETTINGS, moment) is None  # the log is replayed meanwhile
    assert trust.ensure_built(uow, SETTINGS) is False
    assert count(engine, trust_snapshots_table) > 20
    with engine.connect() as connection:
        for value in connection.execute(select(trust_snapshots_table.c.pairs)).scalars():
            pairs = np.frombuffer(value or b"", dtype=PAIR)
            ids = list(zip(pairs["requester"].tolist(), pairs["performer"].tolist(), strict=True))
            assert ids == sorted(ids)
    assert_reads_equal_replays(uow, random.Random(81), monkeypatch)


def test_a_read_of_the_past_after_the_last_move_reads_the_snapshots(
    uow, clock, org, monkeypatch
) -> None:
    """An instant after the last move but before now is the past: read from its snapshot (a
    bounded read), not from the stored sums, whose network for an instant of its own reads
    every pair and open commitment; with the figures of a replay, and the present still read
    from the stored sums."""
    from accord.trust.views import StoredView

    random_history(uow, clock, org, 91, steps=80)
    clock.advance(days=12)
    moments = [clock.now - timedelta(days=days) for days in (11, 6, 1)]
    with uow:
        teams = {t.slug: t for t in uow.org.teams()}
        ids = {slug: team.id for slug, team in teams.items() if team.id is not None}
        assert all(moment > uow.trust.state().latest_at for moment in moments)
    expected = {}
    for moment in moments:
        view = ReplayView(moment, replayed(uow, moment), ids)
        for team, of in (("p", None), ("p", "r")):
            report = report_at(view, SETTINGS, teams[team], teams[of] if of else None)
            expected[(moment, team, of)] = report.document()
    present = trust.trust_of(uow, SETTINGS, OPERATOR, "p").document()

    def refused(view: StoredView) -> dict[int, float]:
        raise AssertionError(f"the stored sums' network read for {view.moment}")

    monkeypatch.setattr(StoredView, "network", refused)
    reads = no_full_replay(monkeypatch)
    for (moment, team, of), document in expected.items():
        report = trust.trust_of(uow, SETTINGS, OPERATOR, team, of=of, as_of=moment)
        _close(report.document(), document)
    assert reads == []
    monkeypatch.undo()
    assert trust.trust_of(uow, SETTINGS, OPERATOR, "p").document() == present


def test_a_read_of_the_past_maps_the_sqlite_file(engine, uow, clock, org) -> None:
    """On SQLite a read of the past turns on memory-mapped reads for its connection (its packed
    values are then copied from the page cache, not read a page per system call), once per
    pooled connection, with the figures of a replay; PostgreSQL has nothing to turn on."""
    random_history(uow, clock, org, 5, steps=60)
    moments = instants(uow, random.Random(5), 4)
    for moment in moments:
        with uow:
            view = snapshot_view(uow, SETTINGS, moment)
            assert view is not None
            if engine.dialect.name == "sqlite":
                mapped = uow.session.connection().exec_driver_sql("PRAGMA mmap_size").scalar()
                assert mapped > 0
                assert uow.session.connection().info["mmap"] is True
            else:
                assert "mmap" not in uow.session.connection().info
        assert_same(view.ledger, replayed(uow, moment))


def test_the_nearest_snapshot_names_the_full_copy_before_it(uow, clock, org, monkeypatch) -> None:
    """The query of the nearest snapshot also finds the full copy a read starts from (one query
    instead of two): the newest full copy at or before the snapshot."""
    monkeypatch.setattr(snapshots, "FULL_EVERY", timedelta(days=3))
    random_history(uow, clock, org, 8, steps=80)
    with uow:
        store = uow.trust.snapshots
        fulls = 0
        for moment in instants(uow, random.Random(8), 10):
            found = store.nearest(moment, H)
            if found is None:
                continue
            assert found.full == store.full_before(found.at)
            assert found.full is not None
            assert found.full <= found.at
            fulls += found.full != found.at
        assert fulls > 0, "every instant read its own full copy"


def snapshot_table(engine) -> list[tuple[Any, ...]]:
    """Every stored snapshot, whole, in time order."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(trust_snapshots_table).order_by(trust_snapshots_table.c.at)
        )
        return [tuple(row) for row in rows]


def test_the_log_read_by_time_is_the_log_sorted_by_time(uow, clock, org, make_fresh_engine) -> None:
    """Read in batches along the events' times, an imported log (written commitment by
    commitment) comes as a stable sort of it by time gives it: events of one instant in log
    order, across batches too."""
    random_history(uow, clock, org, 33, steps=40)
    for n in range(5):  # requests at one instant
        make_commitment(
            uow, "rp", org["r"], "r", "p", key=f"tie-{n}", due=clock.now + timedelta(days=9)
        )
    random_history(uow, clock, org, 34, steps=20)
    document = export_document(uow)
    other = UnitOfWork(make_fresh_engine(), clock=clock)
    import_document(other, OPERATOR, document)
    with other:
        log = list(other.trust.commitment_events())
        by_time = list(other.trust.commitment_events_by_time(batch=3))
    expected = sorted(log, key=lambda event: event[0])
    assert log != expected, "the imported log is in time order already: nothing to sort"
    assert len({at for at, _, _ in log}) <= len(log) - 4, "no events at one instant"
    assert by_time == expected


def test_the_snapshots_a_start_makes_after_an_import_are_a_rebuilds(
    uow, clock, org, make_fresh_engine, monkeypatch
) -> None:
    """The next start after `accord import` makes the snapshots from the log read in time order
    (memory holds a batch of it, here 5 events, read between the snapshots' writes): a
    rebuild's, to the byte."""
    monkeypatch.setattr(TrustStore.commitment_events_by_time, "__kwdefaults__", {"batch": 5})
    random_history(uow, clock, org, 35, steps=80)
    document = export_document(uow)
    other = UnitOfWork(make_fresh_engine(), clock=clock)
    head = {name: value for name, value in document.items() if name != "commitments"}
    import_parts(other, OPERATOR, head, iter(enumerate(document["commitments"])), snapshots=False)
    assert trust.ensure_built(other, SETTINGS) is False
    made = snapshot_table(other.engine)
    assert len(made) > 20
    trust.rebuild(other, SETTINGS, OPERATOR)
    assert snapshot_table(other.engine) == made


def stored_forms(engine) -> tuple[set[str], int]:
    """PostgreSQL: the storage of the snapshots' packed columns, and how many of their values
    are kept compressed."""
    with engine.connect() as connection:
        storage = set(
            connection.exec_driver_sql(
                "SELECT attstorage FROM pg_attribute WHERE attrelid = 'trust_snapshots'::regclass "
                "AND attname IN ('pairs', 'tracks')"
            ).scalars()
        )
        compressed = connection.exec_driver_sql(
            "SELECT count(pg_column_compression(pairs)) + count(pg_column_compression(tracks)) "
            "FROM trust_snapshots"
        ).scalar_one()
    return storage, int(compressed)


def test_the_migration_to_uncompressed_snapshots_keeps_them(
    engine, uow, clock, org, monkeypatch
) -> None:
    """0019 keeps every snapshot as it is, to the byte, with nothing to make again at the next
    start; on PostgreSQL the packed values, which 0018 let the server compress (and decompress on
    every read of the past), are stored uncompressed from then on, those written before too."""
    from alembic import command

    from accord.db import alembic_config

    random_history(uow, clock, org, 19, steps=160)
    config = alembic_config(engine.url.render_as_string(hide_password=False))

    def to(step: Any, target: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, target)

    to(command.downgrade, "0018")
    postgres = engine.dialect.name == "postgresql"
    # a snapshot as large as an organization's (this one's are too small for the server to
    # compress them), before the first, where no read looks
    sn = trust_snapshots_table.c
    with engine.begin() as connection:
        first = connection.execute(select(func.min(sn.at))).scalar_one()
        connection.execute(
            trust_snapshots_table.insert().values(
                at=first - timedelta(days=30),
                half_life_days=H,
                full=False,
                pairs=np.zeros(2000, dtype=PAIR).tobytes(),
                tracks=None,
                **dict.fromkeys(EVIDENCE_COLUMNS, 0.0),
            )
        )
        if postgres:  # the others written again as 0018 wrote them: compressed where it pays
            connection.exec_driver_sql(
                "UPDATE trust_snapshots "
                "SET pairs = pairs || ''::bytea, tracks = tracks || ''::bytea"
            )
    if postgres:
        storage, compressed = stored_forms(engine)
        assert storage == {"x"}
        assert compressed > 0, "no value compressed before the migration: nothing to show"
    before = snapshot_table(engine)
    assert len(before) > 20
    to(command.upgrade, "head")
    assert snapshot_table(engine) == before
    if postgres:
        assert stored_forms(engine) == ({"e"}, 0)
    with engine.begin() as connection:
        connection.execute(delete(trust_snapshots_table).where(sn.at < first))
    with uow:
        assert uow.trust.state().snapshot_gap is None  # nothing to make again
    assert_reads_equal_replays(uow, random.Random(19), monkeypatch)
    # and what the upkeep writes from then on is stored the same way
    random_history(uow, clock, org, 20, steps=40)
    if postgres:
        assert stored_forms(engine) == ({"e"}, 0)
    assert_reads_equal_replays(uow, random.Random(20), monkeypatch)


def test_a_read_of_the_past_takes_the_packed_values_in_binary_on_postgresql(
    engine, uow, clock, org, monkeypatch
) -> None:
    """On PostgreSQL the snapshots' packed values come in the binary format (in text each byte
    is sent as two hex digits, for the server to write and the driver to parse), with the
    figures of a replay."""
    random_history(uow, clock, org, 6, steps=60)
    cursors: list[bool] = []
    if engine.dialect.name == "postgresql":
        import psycopg

        opened = psycopg.Connection.cursor

        def cursor(self: Any, *args: Any, **options: Any) -> Any:
            cursors.append(bool(options.get("binary")))
            return opened(self, *args, **options)

        monkeypatch.setattr(psycopg.Connection, "cursor", cursor)
    for moment in instants(uow, random.Random(6), 4):
        with uow:
            view = snapshot_view(uow, SETTINGS, moment)
        assert view is not None
        assert_same(view.ledger, replayed(uow, moment))
    if engine.dialect.name == "postgresql":
        assert cursors.count(True) >= 4, "the snapshots were read in text"


def test_the_charts_last_point_is_the_present_however_long_the_past_points_take(
    uow, clock, org, monkeypatch
) -> None:
    """The chart's last point is the present, read from the stored sums as `trust_of` reads it,
    even when its past points take longer than what still counts as the present (seconds in a
    large organization): not the past, from its snapshot and the log since."""
    from accord.trust import service, views

    random_history(uow, clock, org, 44, steps=60)
    clock.advance(days=2)
    now = clock.now
    present = trust.trust_of(uow, SETTINGS, OPERATOR, "p").document()
    sweep = service.past_views

    def slow(*args: Any, **options: Any) -> Any:
        clock.advance(seconds=5)
        return sweep(*args, **options)

    monkeypatch.setattr(service, "past_views", slow)
    read = views.snapshot_view
    moments: list[datetime] = []

    def recorded(uow: Any, settings: Any, moment: datetime, **options: Any) -> Any:
        moments.append(moment)
        return read(uow, settings, moment, **options)

    monkeypatch.setattr(views, "snapshot_view", recorded)
    history = trust.trust_history(uow, SETTINGS, OPERATOR, "p")
    assert len(moments) == 11
    assert now not in moments, "the present was read from its snapshot"
    assert history[-1].document() == present


def test_a_charts_first_point_is_the_earliest_commitment_event_as_the_log_grows(
    engine, uow, clock, org, monkeypatch
) -> None:
    """The earliest commitment event is searched for in the whole log once, then among the
    events appended since: the chart's first point is that event's instant after later moves,
    after history told later about the past, after more events than it reads again, and when
    the log it knew is not this one."""
    searched: list[int | None] = []
    search = SnapshotStore._first_after

    def recorded(store: SnapshotStore, after: int | None) -> Any:
        searched.append(after)
        return search(store, after)

    monkeypatch.setattr(SnapshotStore, "_first_after", recorded)
    monkeypatch.setattr(snapshots, "_FIRST_EVENT", {})

    def first_point() -> datetime:
        searched.clear()
        return trust.trust_history(uow, SETTINGS, OPERATOR, "p")[0].as_of

    def earliest() -> datetime:
        with uow:
            return min(at for at, _, _ in uow.trust.commitment_events())

    random_history(uow, clock, org, 81, steps=30)
    first = earliest()
    assert first_point() == first
    assert searched == [None]  # the whole log, once
    assert first_point() == first
    assert searched == []  # the same log: nothing searched
    end = clock.now
    random_history(uow, clock, org, 82, steps=10)
    assert first_point() == first
    assert searched[0] is not None  # the events since only
    assert len(searched) == 1
    # the organization learns of commitments made before its first one
    clock.now = first - timedelta(days=20)
    random_history(uow, clock, org, 83, steps=4)
    assert earliest() < first
    assert first_point() == earliest()
    assert searched[0] is not None
    assert len(searched) == 1
    clock.now = end + timedelta(days=30)
    monkeypatch.setattr(snapshots, "FEW_EVENTS", 2)
    random_history(uow, clock, org, 84, steps=6)  # more events than it reads again
    assert first_point() == earliest()
    assert searched == [None]
    # what it knew was of another log (a database put back from a backup at the same URL)
    (where, (last, _, _)) = next(iter(snapshots._FIRST_EVENT.items()))
    snapshots._FIRST_EVENT[where] = (last - 1, "0" * 64, clock.now)
    monkeypatch.setattr(snapshots, "FEW_EVENTS", 10_000)
    assert first_point() == earliest()
    assert searched == [None]
