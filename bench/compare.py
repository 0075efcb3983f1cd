"""Two versions of Accord side by side in one run: a move with its trust upkeep, a team's read.

    python bench/compare.py                      # the work tree against HEAD
    python bench/compare.py --base HEAD~3 --work HEAD --teams 300 --commitments 30000

Each version (the work tree's `src/`, and `--base` unpacked from git) builds the same simulated
organization through its own import into its own SQLite database, then the two are measured in
alternating rounds (A B, B A, …), each round in a fresh process of its own, so that a noisy
machine weighs on both alike. A round times `--reads` team trust reads (the whole service call)
and `--moves` moves (report done on a promised commitment, its trust upkeep inside its commit).
The figures are medians and 95th percentiles of all rounds, and the ratio of the work tree's to
the base's: above 1 is slower.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _uow_class() -> Any:
    try:
        from accord.uow import UnitOfWork
    except ImportError:  # versions that kept it in accord.db
        from accord.db import UnitOfWork  # type: ignore[attr-defined,no-redef]
    return UnitOfWork


def _importer() -> Any:
    for module in ("accord.interchange.importer", "accord.interchange.service"):
        try:
            found = __import__(module, fromlist=["import_document"])
        except ImportError:
            continue
        if hasattr(found, "import_document"):
            return found.import_document
    raise SystemExit("no import_document in this version of Accord")


def worker_build(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from simulate import documents, simulate

    from accord.db import make_engine, migrate
    from accord.org.domain import Operator

    unit_of_work, import_document = _uow_class(), _importer()
    db = Path(args.db)
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    sim = simulate(args.teams, args.commitments, seed=args.seed)
    tick = time.perf_counter()
    for document in documents(sim, 50_000):
        import_document(unit_of_work(engine), Operator("bench"), document)
    return {"import_s": time.perf_counter() - tick}


def worker_measure(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import text

    from accord.commitments import service as commitments
    from accord.config import Settings
    from accord.db import make_engine
    from accord.org.domain import Operator
    from accord.trust import service as trust

    unit_of_work = _uow_class()
    operator = Operator("bench")
    settings = Settings(database_url=f"sqlite:///{args.db}", secret_key="bench")
    engine = make_engine(settings.database_url)
    with unit_of_work(engine) as uow:
        teams = sorted(t.slug for t in uow.org.teams())
        rows = uow.session.execute(
            text(
                "SELECT c.key, c.version, c.due, p.email FROM commitments c "
                "JOIN teams t ON t.id = c.performer_id "
                "JOIN memberships m ON m.team_id = t.id AND m.left_at IS NULL "
                "JOIN people p ON p.id = m.person_id "
                "WHERE c.state = 'promised' ORDER BY c.id LIMIT :n"
            ),
            {"n": args.moves * 4},
        ).all()
    rng = random.Random(args.round)
    trust.trust_of(unit_of_work(engine, read_only=True), settings, operator, teams[0])  # warm
    reads = []
    for _ in range(args.reads):
        team = rng.choice(teams)
        tick = time.perf_counter()
        trust.trust_of(unit_of_work(engine, read_only=True), settings, operator, team)
        reads.append(time.perf_counter() - tick)
    moves, seen = [], set()
    for key, version, due, email in rows:
        if key in seen:
            continue  # a performer team with several members: one row each
        seen.add(key)
        with unit_of_work(engine) as uow:
            person = uow.org.person(email)
        moment = _aware(due) + timedelta(hours=1)
        tick = time.perf_counter()
        commitments.move(
            unit_of_work(engine, clock=lambda moment=moment: moment),
            person,
            key,
            "report_done",
            version=version,
        )
        moves.append(time.perf_counter() - tick)
        if len(moves) == args.moves:
            break
    import accord

    return {"accord": str(Path(accord.__file__).parent), "reads": reads, "moves": moves}


def _aware(moment: Any) -> Any:
    from datetime import UTC, datetime

    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_worker(src: Path, phase: str, extra: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    env = {k: v for k, v in env.items() if not k.startswith("ACCORD_")}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", phase, *extra],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{phase} with {src} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def unpack(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "src"],
        capture_output=True,
        check=True,
    ).stdout
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "n": len(ordered),
    }


def compare(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="accord-compare-"))
    try:
        mine = unpack(args.work, work / "work") if args.work else ROOT / "src"
        sides = {"base": unpack(args.base, work / "base"), "work": mine}
        size = ["--teams", str(args.teams), "--commitments", str(args.commitments)]
        builds = {}
        for name, src in sides.items():
            db = work / f"{name}.db"
            builds[name] = run_worker(src, "build", [*size, "--db", str(db)])
            print(f"{name}: built in {builds[name]['import_s']:.1f} s", flush=True)
        samples: dict[str, dict[str, list[float]]] = {
            name: {"reads": [], "moves": []} for name in sides
        }
        for number in range(args.rounds):
            order = list(sides) if number % 2 == 0 else list(reversed(sides))
            for name in order:
                got = run_worker(
                    sides[name],
                    "measure",
                    [
                        "--db",
                        str(work / f"{name}.db"),
                        "--reads",
                        str(args.reads),
                        "--moves",
                        str(args.moves),
                        "--round",
                        str(number),
                    ],
                )
                if not got["accord"].startswith(str(sides[name])):
                    raise SystemExit(f"{name} ran the accord at {got['accord']}")
                samples[name]["reads"] += got["reads"]
                samples[name]["moves"] += got["moves"]
            print(f"round {number + 1} of {args.rounds}", flush=True)
        figures: dict[str, Any] = {"base": args.base, "work": args.work or "work tree"}
        figures["teams"] = args.teams
        figures["commitments"] = args.commitments
        for what in ("reads", "moves"):
            base, mine = summary(samples["base"][what]), summary(samples["work"][what])
            figures[what] = {
                "base": base,
                "work": mine,
                "median_ratio": mine["median_ms"] / base["median_ms"],
                "p95_ratio": mine["p95_ms"] / base["p95_ms"],
            }
        print(json.dumps(figures, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["build", "measure"])
    parser.add_argument("--base", default="HEAD")
    parser.add_argument("--work", help="a git ref to measure instead of the work tree")
    parser.add_argument("--db")
    parser.add_argument("--teams", type=int, default=300)
    parser.add_argument("--commitments", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--moves", type=int, default=60)
    parser.add_argument("--round", type=int, default=0)
    args = parser.parse_args()
    if args.worker == "build":
        print(json.dumps(worker_build(args)))
    elif args.worker == "measure":
        print(json.dumps(worker_measure(args)))
    else:
        compare(args)


if __name__ == "__main__":
    main()
