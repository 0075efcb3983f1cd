"""Trust at scale: import, rebuild, reads, a move's upkeep, EigenTrust and forecast skill.

    python bench/benchmark.py build   --db /tmp/bench.db --teams 2000 --commitments 500000
    python bench/benchmark.py measure --db /tmp/bench.db
    python bench/benchmark.py skill   --teams 200 --commitments 50000

`build` simulates an organization (bench/simulate.py) and imports it in batches through the
same import a user runs; `measure` times the trust engine on that database; `skill` scores
Accord's forecast against an oracle that knows the latent reliabilities. Each phase writes
its figures as JSON (--out) and prints them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from simulate import documents, simulate
from sqlalchemy import text

from accord.config import Settings
from accord.db import make_engine, migrate
from accord.interchange.importer import import_document
from accord.org.domain import Operator
from accord.uow import UnitOfWork

OPERATOR = Operator("bench")


def machine() -> dict[str, Any]:
    memory = 0
    try:
        with open("/proc/meminfo") as info:
            memory = int(info.readline().split()[1]) // (1024 * 1024)
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "system": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": memory,
    }


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "n": len(ordered),
    }


def report(out: Path | None, figures: dict[str, Any]) -> None:
    figures["machine"] = machine()
    text = json.dumps(figures, indent=2)
    print(text)
    if out is not None:
        out.write_text(text + "\n")


def build(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    sim = simulate(args.teams, args.commitments, seed=args.seed)
    generated = time.perf_counter() - started
    db = Path(args.db)
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    (db.parent / f"{db.name}.truth.json").write_text(json.dumps(sim.truth))
    batches = []
    total = time.perf_counter()
    for number, document in enumerate(documents(sim, args.batch), 1):
        tick = time.perf_counter()
        import_document(UnitOfWork(engine), OPERATOR, document)
        batches.append(time.perf_counter() - tick)
        print(
            f"batch {number}: {len(document['commitments'])} commitments in {batches[-1]:.1f} s",
            flush=True,
        )
    report(
        Path(args.out) if args.out else None,
        {
            "teams": args.teams,
            "commitments": args.commitments,
            "pairs": sim.pairs,
            "moves": sim.moves,
            "generate_s": generated,
            "import_s": time.perf_counter() - total,
            "import_batches_s": batches,
        },
    )


def timed(action: Callable[[], Any]) -> float:
    tick = time.perf_counter()
    action()
    return time.perf_counter() - tick


def measure(args: argparse.Namespace) -> None:
    from accord.trust import service as trust
    from accord.trust.views import network_values

    settings = Settings(database_url=f"sqlite:///{args.db}", secret_key="bench")
    engine = make_engine(settings.database_url)
    figures: dict[str, Any] = {}
    uow = UnitOfWork(engine)
    with uow:
        teams = [t.slug for t in uow.org.teams()]
        events = uow.trust.count_commitment_events()
        commitments = uow.session.execute(text("SELECT count(*) FROM commitments")).scalar_one()
    figures.update(teams=len(teams), commitments=commitments, commitment_events=events)
    rng = random.Random(1)
    reads = []
    pair_reads = []
    trust.trust_of(UnitOfWork(engine, read_only=True), settings, OPERATOR, teams[0])  # warm
    for _ in range(args.reads):
        team, other = rng.sample(teams, 2)
        tick = time.perf_counter()
        trust.trust_of(UnitOfWork(engine, read_only=True), settings, OPERATOR, team)
        reads.append(time.perf_counter() - tick)
        tick = time.perf_counter()
        trust.trust_of(UnitOfWork(engine, read_only=True), settings, OPERATOR, team, of=other)
        pair_reads.append(time.perf_counter() - tick)
    figures["team_read"] = percentiles(reads)
    figures["pair_read"] = percentiles(pair_reads)
    figures["move"] = measure_moves(engine, args.moves)
    uow = UnitOfWork(engine, read_only=True)
    with uow:
        moment = uow.now()
        ids = uow.trust.team_ids()
        load = time.perf_counter()
        local = list(uow.trust.local_trust(moment))
        figures["eigentrust_load_ms"] = (time.perf_counter() - load) * 1000
    figures["eigentrust_pairs"] = len(local)
    runs = []
    for _ in range(5):
        tick = time.perf_counter()
        network_values(ids, local)
        runs.append(time.perf_counter() - tick)
    figures["eigentrust_ms"] = statistics.median(runs) * 1000
    figures["rebuild_s"] = timed(lambda: trust.rebuild(UnitOfWork(engine), settings, OPERATOR))
    report(Path(args.out) if args.out else None, figures)


def measure_moves(engine: Any, count: int) -> dict[str, Any]:
    """A move's trust upkeep (the projection inside its commit) and the whole move."""
    from accord.commitments import service as commitments
    from accord.trust.repository import TrustStore

    upkeep: list[float] = []
    original = TrustStore.project

    def project(self: TrustStore, events: Any, now: Any) -> None:
        tick = time.perf_counter()
        original(self, events, now)
        upkeep.append(time.perf_counter() - tick)

    TrustStore.project = project  # type: ignore[method-assign]
    whole = []
    try:
        uow = UnitOfWork(engine)
        with uow:
            rows = (
                uow.session.execute(
                    text(
                        "SELECT key FROM commitments WHERE state IN ('promised', 'delivered') "
                        "ORDER BY id DESC LIMIT :n"
                    ),
                    {"n": count},
                )
                .scalars()
                .all()
            )
        for key in rows:
            view = commitments.get_commitment(UnitOfWork(engine), key)
            commitment = view.commitment
            slug = (
                commitment.performer.slug
                if commitment.state.value == "promised"
                else (commitment.requester.slug)
            )
            with UnitOfWork(engine) as u:
                email = u.session.execute(
                    text(
                        "SELECT p.email FROM people p JOIN memberships m ON m.person_id = p.id "
                        "JOIN teams t ON t.id = m.team_id "
                        "WHERE t.slug = :slug AND m.left_at IS NULL LIMIT 1"
                    ),
                    {"slug": slug},
                ).scalar_one()
                person = u.org.person(email)
            move = "report_done" if commitment.state.value == "promised" else "accept"
            extra = {"value": 4} if move == "accept" else {}
            now = max(commitment.updated_at or commitment.requested_at, view.commitment.due) + (
                timedelta(seconds=1)
            )
            clock_uow = UnitOfWork(engine, clock=lambda now=now: now)
            tick = time.perf_counter()
            commitments.move(clock_uow, person, key, move, version=commitment.version, **extra)
            whole.append(time.perf_counter() - tick)
    finally:
        TrustStore.project = original  # type: ignore[method-assign]
    return {"upkeep": percentiles(upkeep), "whole_move": percentiles(whole)}


def skill(args: argparse.Namespace) -> None:
    from accord.trust import backtest as backtesting
    from accord.trust.model import calibration

    path = Path(args.db)
    settings = Settings(
        database_url=f"sqlite:///{path}",
        secret_key="bench",
        pair_prior_weight=args.pair_prior_weight,
    )
    truth_file = path.parent / f"{path.name}.truth.json"
    if args.existing:
        truth = json.loads(truth_file.read_text())
        engine = make_engine(settings.database_url)
    else:
        sim = simulate(args.teams, args.commitments, seed=args.seed)
        truth = sim.truth
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        engine = make_engine(settings.database_url)
        migrate(engine)
        for document in documents(sim, args.batch):
            import_document(UnitOfWork(engine), OPERATOR, document)
        truth_file.write_text(json.dumps(truth))
    tick = time.perf_counter()
    with UnitOfWork(engine, read_only=True) as uow:
        rows = list(backtesting.backtest_rows(uow.trust.commitment_events(), settings))
    backtest_s = time.perf_counter() - tick
    n = len(rows)
    outcomes = [o for *_, o in rows]
    scored = calibration([f for _, f, _, _ in rows], [b for _, _, b, _ in rows], outcomes)
    oracle_scored = calibration([truth[k] for k, *_ in rows], [0.5] * n, outcomes)
    brier, base, oracle = scored.brier or 0.0, scored.brier_base or 0.0, oracle_scored.brier or 0.0
    report(
        Path(args.out) if args.out else None,
        {
            "teams": args.teams,
            "commitments": args.commitments,
            "pair_prior_weight": args.pair_prior_weight,
            "finished": n,
            "backtest_s": backtest_s,
            "brier": brier,
            "brier_base": base,
            "brier_oracle": oracle,
            "skill": 1 - brier / base,
            "oracle_skill": 1 - oracle / base,
            "share_of_oracle_skill": (base - brier) / (base - oracle),
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="phase", required=True)
    for name in ("build", "measure", "skill"):
        p = sub.add_parser(name)
        p.add_argument("--db", default="/tmp/accord-bench.db")
        p.add_argument("--out")
        p.add_argument("--teams", type=int, default=2000)
        p.add_argument("--commitments", type=int, default=500_000)
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--batch", type=int, default=50_000)
        p.add_argument("--reads", type=int, default=500)
        p.add_argument("--moves", type=int, default=300)
        p.add_argument("--pair-prior-weight", type=float, default=8.0)
        p.add_argument(
            "--existing", action="store_true", help="skill: score the database `build` made"
        )
    args = parser.parse_args()
    {"build": build, "measure": measure, "skill": skill}[args.phase](args)


if __name__ == "__main__":
    main()
