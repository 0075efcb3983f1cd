"""Trust over time and reads as of a past instant, from the trust snapshots, at scale.

    python bench/trust_history.py --database /tmp/th.db --build --teams 200 --commitments 20000
    python bench/trust_history.py --database /tmp/th.db
    python bench/trust_history.py --database postgresql+psycopg://postgres@127.0.0.1:54329/th

`--build` simulates an organization (bench/simulate.py, plain profile) into a fresh database
(an SQLite file, or a PostgreSQL URL whose database is emptied) through the import a user runs,
then rebuilds trust, which makes the snapshots. Without it, the database is used as it is (its
snapshots are made first when they are missing, as the next start makes them after an import;
that time is not in the figures).

Times, for the team with the most commitments as performer: the service call of its one-year
chart (`trust_history`, 12 points; target < 200 ms) and of its trust as of random past instants
(target < 20 ms), each also in process CPU time, then the same over HTTP from `accord serve`
(the page `/teams/{slug}/trust-history`, kept per state of the evidence after its first
request, and `GET /api/v1/teams/{slug}/trust?as_of=…`), and once, for comparison, an as-of read
that replays the whole log. Prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import served, session_cookie
from simulate import documents, simulate

from accord.config import Settings
from accord.db import make_engine, migrate
from accord.org.domain import Operator
from accord.uow import UnitOfWork

OPERATOR = Operator("bench")


def _url(database: str) -> str:
    return database if "://" in database else f"sqlite:///{database}"


def figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "max_ms": round(ordered[-1], 2),
        "n": len(ordered),
    }


def timed(action: Callable[[], Any], cpu: list[float] | None = None) -> float:
    """Milliseconds `action` takes; its process CPU time appended to `cpu` (on a shared
    machine the time waiting for a core is in the first, not in the second)."""
    start, used = time.perf_counter(), time.process_time()
    action()
    if cpu is not None:
        cpu.append((time.process_time() - used) * 1000)
    return (time.perf_counter() - start) * 1000


def build(args: argparse.Namespace) -> dict[str, Any]:
    from accord.interchange.importer import import_document
    from accord.trust import service as trust

    url = _url(args.database)
    if "://" not in args.database:
        for stale in ("", "-wal", "-shm"):
            Path(args.database + stale).unlink(missing_ok=True)
    else:
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    engine = make_engine(url)
    migrate(engine)
    started = time.perf_counter()
    sim = simulate(args.teams, args.commitments, seed=args.seed)
    for number, document in enumerate(documents(sim, 5000), 1):
        import_document(UnitOfWork(engine), OPERATOR, document)
        print(f"imported batch {number}", file=sys.stderr, flush=True)
    imported = time.perf_counter() - started
    tick = time.perf_counter()
    trust.rebuild(UnitOfWork(engine), Settings(database_url=url), OPERATOR)
    engine.dispose()
    return {
        "teams": args.teams,
        "commitments": args.commitments,
        "moves": sim.moves,
        "import_s": round(imported, 1),
        "rebuild_s": round(time.perf_counter() - tick, 1),
    }


def subject(engine: Any) -> dict[str, Any]:
    """The busiest performer team, a lead of it, and the span of the log."""
    from accord.commitments.orm import commitments_table
    from accord.trust.orm import trust_snapshots_table
    from accord.trust.snapshots import PAIR, tracks_of

    uow = UnitOfWork(engine, read_only=True)
    with uow:
        performer = commitments_table.c.performer_id
        busiest = uow.session.execute(
            select(performer, func.count())
            .group_by(performer)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        assert busiest is not None, "the database has no commitments"
        team = next(t for t in uow.org.teams() if t.id == busiest[0])
        found = uow.org.team(team.slug)
        lead = next(m.person for m in found.memberships if m.left_at is None)
        first = uow.trust.snapshots.first_event_at()
        sn = trust_snapshots_table.c
        rows = {"snapshots": 0, "full_copies": 0, "pairs": 0, "tracks": 0, "bytes": 0}
        for full, pairs, tracks in uow.session.execute(select(sn.full, sn.pairs, sn.tracks)):
            rows["snapshots"] += 1
            rows["full_copies"] += bool(full)
            rows["pairs"] += len(pairs or b"") // PAIR.itemsize
            rows["tracks"] += len(tracks_of(tracks)[0]) if tracks else 0
            rows["bytes"] += len(pairs or b"") + len(tracks or b"")
        events = uow.trust.count_commitment_events()
    return {
        "team": found.slug,
        "commitments_performed": int(busiest[1]),
        "lead": lead,
        "first": first,
        "now": uow.now(),
        "rows": rows,
        "events": events,
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from accord.memory import keep_freed_memory
    from accord.org import service as org
    from accord.trust import service as trust
    from accord.trust.snapshots import SnapshotStore

    # the reads below are a server's: its process keeps freed memory as `create_app` has it
    # keep (`accord.memory`)
    keep_freed_memory()
    url = _url(args.database)
    engine = make_engine(url)
    migrate(engine)
    settings = Settings(database_url=url)
    trust.ensure_built(UnitOfWork(engine), settings)
    found = subject(engine)
    team, first, now = found["team"], found["first"], found["now"]
    rng = random.Random(args.seed)
    span = (now - first).total_seconds()
    instants = [first + timedelta(seconds=rng.uniform(0, span)) for _ in range(args.repeat * 3)]

    def history() -> None:
        trust.trust_history(UnitOfWork(engine, read_only=True), settings, OPERATOR, team)

    def as_of(moment: Any) -> Callable[[], Any]:
        return lambda: trust.trust_of(
            UnitOfWork(engine, read_only=True), settings, OPERATOR, team, as_of=moment
        )

    history()  # warm
    chart_cpu: list[float] = []
    read_cpu: list[float] = []
    result: dict[str, Any] = {
        "database": engine.url.render_as_string(hide_password=True),
        "team": team,
        "team_commitments_performed": found["commitments_performed"],
        "commitment_events": found["events"],
        "snapshots": found["rows"],
        "service_trust_history_12_points": figures(
            [timed(history, chart_cpu) for _ in range(args.repeat)]
        ),
        "service_as_of_read": figures([timed(as_of(moment), read_cpu) for moment in instants]),
    }
    result["service_trust_history_12_points_cpu"] = figures(chart_cpu)
    result["service_as_of_read_cpu"] = figures(read_cpu)
    original = SnapshotStore.nearest
    SnapshotStore.nearest = lambda *_: None  # type: ignore[method-assign,assignment]
    try:
        result["service_as_of_read_replaying_the_whole_log_once_ms"] = round(
            timed(as_of(instants[0])), 1
        )
    finally:
        SnapshotStore.nearest = original  # type: ignore[method-assign]
    token = org.create_token(UnitOfWork(engine), OPERATOR, found["lead"].email)
    engine.dispose()
    with served(args.database) as base:
        with httpx.Client(
            base_url=base,
            cookies=session_cookie(found["lead"].id, found["lead"].session_epoch),
            timeout=600,
        ) as client:

            def page() -> None:
                answer = client.get(f"/teams/{team}/trust-history")
                assert answer.status_code == 200, answer.status_code

            page()
            result["page_trust_history"] = figures([timed(page) for _ in range(args.repeat)])
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600
        ) as client:

            def api(moment: Any) -> Callable[[], None]:
                def read() -> None:
                    answer = client.get(
                        f"/api/v1/teams/{team}/trust",
                        params={"as_of": moment.isoformat().replace("+00:00", "Z")},
                    )
                    assert answer.status_code == 200, (answer.status_code, answer.text)

                return read

            api(instants[0])()
            result["api_as_of_read"] = figures([timed(api(moment)) for moment in instants])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="an SQLite file or a PostgreSQL URL")
    parser.add_argument("--build", action="store_true", help="simulate and import it first")
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--commitments", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat", type=int, default=20, help="chart reads (and three times as many as-of reads)"
    )
    args = parser.parse_args()
    result: dict[str, Any] = {}
    if args.build:
        result["build"] = build(args)
    result.update(measure(args))
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
