"""Whether viewers looping on the backtest slow everyone else: the
latency of GET /api/v1/me, p50 and p99, for one user alone and while 8 others loop on
GET /api/v1/trust/backtest, as ratios within one run.

    cp /tmp/accord-bench-forecast/sim-200-20000-1.db /tmp/my-copy.db
    python bench/expensive_reads.py --database /tmp/my-copy.db

Four phases of --seconds each, one after the other on one `accord serve`:
  alone     only the /me reader;
  cheap     the control: 8 people loop on /me too, back to back (what any 8 busy clients cost);
  loopers   8 people loop on the backtest, back to back and ignoring Retry-After, on unchanged
            evidence (computed once, then answered from the cache);
  churn     the same while the evidence changes every --churn seconds (a team's mission is
            edited: one event), so that each change is a new backtest to compute, rationed by
            ACCORD_EXPENSIVE_READS_PER_MINUTE and _AT_ONCE.
The loopers run in a process of their own, so that they do not slow the /me reader's client.
ACCORD_* variables in the environment reach the server (e.g. ACCORD_EXPENSIVE_READS_AT_ONCE=2).
Run it on a copy: it adds API tokens and team.updated events to the database.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import threading
import time
from collections import Counter
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import served

LOOPERS = 8
PHASES = ("alone", "cheap", "loopers", "churn")


def _tokens(url: str, count: int) -> tuple[list[str], str]:
    """API tokens of `count` active people, and a team slug to edit (the schema upgraded first)."""
    from accord.db import make_engine, migrate
    from accord.org import service as org
    from accord.org.domain import Operator
    from accord.uow import UnitOfWork

    engine = make_engine(url)
    try:
        migrate(engine)
        people = [p.email for p in org.list_people(UnitOfWork(engine, read_only=True)) if p.active]
        if len(people) < count:
            raise SystemExit(f"the database has {len(people)} active people; {count} needed")
        tokens = [
            org.create_token(UnitOfWork(engine), Operator("bench"), email)
            for email in people[:count]
        ]
        team = org.list_teams(UnitOfWork(engine, read_only=True))[0].slug
    finally:
        engine.dispose()
    return tokens, team


def _loop(
    base: str, path: str, token: str, stop: EventType, tally: Counter[str], lock: threading.Lock
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
        while not stop.is_set():
            status = str(client.get(path).status_code)
            with lock:
                tally[status] += 1


def loopers(base: str, path: str, tokens: list[str], stop: EventType, out: Any) -> None:
    """The 8 viewers, as threads of this (child) process; their answers by status at the end."""
    tally: Counter[str] = Counter()
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_loop, args=(base, path, token, stop, tally, lock))
        for token in tokens
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(dict(tally))


def _figures(laps: list[float]) -> dict[str, float]:
    ordered = sorted(laps)
    return {
        "n": len(ordered),
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def read_me(base: str, token: str, seconds: float) -> dict[str, float]:
    """/me back to back for `seconds`: its latency."""
    laps = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        client.get("/api/v1/me")
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            answer = client.get("/api/v1/me")
            laps.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise SystemExit(f"/api/v1/me answered {answer.status_code}")
    return _figures(laps)


def _churn(url: str, team: str, every: float, stop: threading.Event) -> None:
    from accord.db import make_engine
    from accord.org import service as org
    from accord.org.domain import Operator
    from accord.uow import UnitOfWork

    engine = make_engine(url)
    edits = 0
    while not stop.wait(every):
        edits += 1
        org.update_team(UnitOfWork(engine), Operator("bench"), team, mission=f"edit {edits}")
    engine.dispose()


def phase(
    base: str,
    url: str,
    tokens: list[str],
    team: str,
    seconds: float,
    churn: float | None,
    path: str = "/api/v1/trust/backtest",
) -> dict[str, Any]:
    """/me's latency while the loopers ask `path` (and the evidence changes every `churn` s)."""
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    out = context.Queue()
    child = context.Process(target=loopers, args=(base, path, tokens[1:], stop, out))
    child.start()
    editing = threading.Event()
    editor = None
    if churn is not None:
        editor = threading.Thread(target=_churn, args=(url, team, churn, editing))
        editor.start()
    try:
        time.sleep(1.0)  # the loopers are under way
        figures = read_me(base, tokens[0], seconds)
    finally:
        stop.set()
        editing.set()
        if editor is not None:
            editor.join()
    figures["loopers"] = out.get(timeout=900)
    child.join()
    return figures


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = f"sqlite:///{Path(args.database).resolve()}"
    tokens, team = _tokens(url, LOOPERS + 1)
    result: dict[str, Any] = {"database": args.database, "seconds": args.seconds}
    with served(url) as base:
        with httpx.Client(base_url=base, timeout=900) as client:
            started = time.perf_counter()
            first = client.get(
                "/api/v1/trust/backtest", headers={"Authorization": f"Bearer {tokens[1]}"}
            )
            result["first_backtest_s"] = time.perf_counter() - started
            result["first_backtest_status"] = first.status_code
        result["alone"] = read_me(base, tokens[0], args.seconds)
        result["cheap"] = phase(base, url, tokens, team, args.seconds, None, "/api/v1/me")
        result["loopers"] = phase(base, url, tokens, team, args.seconds, None)
        result["churn"] = phase(base, url, tokens, team, args.seconds, args.churn)
    alone = result["alone"]
    for name in PHASES[1:]:
        for figure in ("p50_ms", "p99_ms"):
            result[name][figure.replace("_ms", "_ratio")] = result[name][figure] / alone[figure]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="a SQLite file (a copy: it is written)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--churn", type=float, default=2.0, help="seconds between edits")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"first backtest: {result['first_backtest_s']:.1f} s ({result['first_backtest_status']})")
    print(f"{'/me':<10} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'p50 x':>6} {'p99 x':>6}  loopers")
    for name in PHASES:
        row = result[name]
        ratios = (
            f"{row['p50_ratio']:>6.2f} {row['p99_ratio']:>6.2f}"
            if "p50_ratio" in row
            else f"{'1':>6} {'1':>6}"
        )
        print(
            f"{name:<10} {row['n']:>6} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {ratios}  "
            f"{row.get('loopers', '')}"
        )


if __name__ == "__main__":
    main()
