"""Import speed and memory: one document of N commitments through `accord import`.

    python bench/import.py --commitments 50000
    python bench/import.py --commitments 1000000 --teams 2000 --database postgresql+psycopg://…

Simulates an organization (bench/simulate.py, the plain profile) and writes it as one accord/1
document (kept next to the database, and reused when it is there), then imports it with
`accord import --quiet` in a child process into a fresh SQLite file (default) or into the
PostgreSQL database given (which must be empty; its schema is migrated first). Prints the
commitments and moves a second, the wall time, the child's processor time and peak resident
memory, as JSON (--out also writes them to a file).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from simulate import simulate
from sqlalchemy import text

from accord.db import make_engine, migrate

# `accord import` in a child that writes its peak resident memory (VmHWM, in kB; Linux) to the
# file named by its first argument as it exits.
CHILD = """
import atexit, sys
from pathlib import Path

out = Path(sys.argv.pop(1))
status = Path("/proc/self/status")


def peak():
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                out.write_text(line.split()[1])


atexit.register(peak)
sys.argv[0] = "accord"
from accord.cli import main

main()
"""


def document(path: Path, teams: int, commitments: int, seed: int) -> tuple[int, int]:
    """Write the document unless it is there; returns (commitments, moves) it holds."""
    counts = path.with_suffix(".counts.json")
    if path.exists() and counts.exists():
        found = json.loads(counts.read_text())
        return int(found["commitments"]), int(found["moves"])
    sim = simulate(teams, commitments, seed=seed)
    with path.open("w", encoding="utf-8") as out:
        json.dump(sim.document, out, separators=(",", ":"))
    moves = sum(len(item["history"]) for item in sim.document["commitments"])
    counts.write_text(json.dumps({"commitments": commitments, "moves": moves}))
    return commitments, moves


def fresh(url: str) -> None:
    """A migrated, empty database at `url` (a SQLite file is made anew)."""
    if url.startswith("sqlite:///"):
        db = Path(url.removeprefix("sqlite:///"))
        for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            stale.unlink(missing_ok=True)
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as connection:
        if connection.execute(text("SELECT count(*) FROM teams")).scalar():
            raise SystemExit(f"{url} is not empty: give an empty database")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commitments", type=int, default=50_000)
    parser.add_argument("--teams", type=int, help="default: one per 250 commitments, 20 at least")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", default="/tmp/accord-bench-import", help="where files go")
    parser.add_argument("--database", help="a PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--out", help="also write the figures to this JSON file")
    args = parser.parse_args()

    teams = args.teams or max(20, args.commitments // 250)
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"import-{args.commitments}-{teams}-{args.seed}.json"
    started = time.perf_counter()
    commitments, moves = document(path, teams, args.commitments, args.seed)
    generated = time.perf_counter() - started
    url = args.database or f"sqlite:///{directory / 'import.db'}"
    fresh(url)

    hwm = directory / "import.peak"
    hwm.unlink(missing_ok=True)
    tick = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(hwm), "import", "--quiet", str(path)],
        env={**os.environ, "ACCORD_DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - tick
    if done.returncode != 0:
        raise SystemExit(f"the import failed:\n{done.stderr[-4000:]}")
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    # the child's own high-water mark; ru_maxrss would also count the pages of this process
    # that the child was forked with (a document just simulated here, a gigabyte at 500,000)
    peak = int(hwm.read_text()) / 1024 if hwm.exists() else child.ru_maxrss / 1024
    figures: dict[str, Any] = {
        "database": "postgresql" if args.database else "sqlite",
        "teams": teams,
        "commitments": commitments,
        "moves": moves,
        "document_mb": round(path.stat().st_size / 1e6, 1),
        "generate_s": round(generated, 1),
        "import_s": round(seconds, 1),
        # the import's own processor time: on a busy machine, steadier than the wall time
        "import_cpu_s": round(child.ru_utime + child.ru_stime, 1),
        "commitments_per_s": round(commitments / seconds),
        "moves_per_s": round(moves / seconds),
        "peak_rss_mb": round(peak),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
    }
    text_out = json.dumps(figures, indent=2)
    print(text_out)
    if args.out:
        Path(args.out).write_text(text_out + "\n")


if __name__ == "__main__":
    main()
