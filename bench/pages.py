"""How long the web app's main pages take to render, one reader at a time, on a large organization.

    python bench/pages.py --database /tmp/accord-bench.db --repeat 15

Serves the database with uvicorn on loopback, signs a lead of a busy team in with a session
cookie, and asks each main page `--repeat` times in turn (after one unmeasured request),
printing the median and the slowest time of each. The ceiling is /healthz, measured in the same
run, so the figures can be read as multiples of it on a noisy machine. Trust over time replays
the whole event log, so it is asked once, on its own line.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-pages-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _subject(database: str) -> dict[str, str]:
    """A lead of the team with the most commitments as performer, and pages about that team."""
    from accord.commitments.orm import commitments_table as commitment_table
    from accord.db import make_engine
    from accord.uow import UnitOfWork

    engine = make_engine(database if "://" in database else f"sqlite:///{database}")
    uow = UnitOfWork(engine, read_only=True)
    with uow:
        performer = commitment_table.c.performer_id
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
        partnership = uow.partnerships.list(team=found)[0]
        commitment = uow.commitments.list(partnership=partnership, limit=1)[0]
        result = {
            "person_id": str(lead.id),
            "epoch": str(lead.session_epoch),
            "team": found.slug,
            "partnership": partnership.key,
            "purpose": partnership.purpose.key,
            "commitment": commitment.key,
            "title": commitment.title,
        }
    engine.dispose()
    return result


def _time(client: httpx.Client, path: str, repeat: int) -> dict[str, float]:
    client.get(path)  # warm the caches once
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path} answered {answer.status_code}")
    return {"median_ms": statistics.median(times), "max_ms": max(times), "n": repeat}


@contextmanager
def served(database: str) -> Iterator[str]:
    """`accord serve` on the database (an SQLite file, or a URL), on a free loopback port,
    without the scheduled refit unless the environment asks for it; its base URL once it
    answers."""
    port = _free_port()
    env = {
        "ACCORD_FORECAST_REFIT_HOURS": "0",
        **os.environ,
        "ACCORD_DATABASE_URL": database if "://" in database else f"sqlite:///{database}",
        "ACCORD_SECRET_KEY": SECRET,
        "ACCORD_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a large database's trust sums may be built first
        while True:
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def session_cookie(person_id: int, epoch: int) -> dict[str, str]:
    """The session cookie of a person signed in to the served database."""
    from accord.channel.session import SESSION_COOKIE, Signer

    return {SESSION_COOKIE: Signer(SECRET).session(person_id, epoch)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    subject = _subject(args.database)
    with served(args.database) as base:
        team = subject["team"]
        pages = {
            "ceiling: /healthz": "/healthz",
            "My desk": "/",
            "team": f"/teams/{subject['team']}",
            "partnership": f"/partnerships/{subject['partnership']}",
            "commitment": f"/commitments/{subject['commitment']}",
            "purpose": f"/purposes/{subject['purpose']}",
            "partnerships": "/partnerships",
            "teams": "/teams",
            "purposes": "/purposes",
            "audit log": "/audit",
            "commitments": "/commitments",
            "commitments by change": "/commitments?sort=updated&order=desc",
            "commitments, team open": f"/commitments?team={team}&state=requested&state=promised",
            "commitments, mine late": "/commitments?mine=1&overdue=1",
            "commitments, purpose": f"/commitments?purpose={subject['purpose']}&sort=title",
            "commitments CSV": f"/commitments.csv?partnership={subject['partnership']}",
            "search, a title": "/search?" + urlencode({"q": subject["title"]}),
            "search, a common word": "/search?q=data",
            "search, a team's name": "/search?" + urlencode({"q": team.replace("-", " ")}),
            "search API, a title": "/api/v1/search?" + urlencode({"q": subject["title"]}),
        }
        figures: dict[str, Any] = {}
        cookies = session_cookie(int(subject["person_id"]), int(subject["epoch"]))
        with httpx.Client(base_url=base, cookies=cookies, timeout=600) as client:
            for name, path in pages.items():
                figures[name] = _time(client, path, args.repeat)
            once = [("trust map", "/trust-map")]
            if args.history:
                once.append(("trust over time", f"/teams/{subject['team']}/trust-history"))
            for name, path in once:
                figures[name] = _time(client, path, 1)
        return {"subject": subject, "pages": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="/tmp/accord-bench.db")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--history",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time trust over time, which replays the whole log",
    )
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    ceiling = result["pages"]["ceiling: /healthz"]["median_ms"]
    print(f"{'page':<24} {'median ms':>10} {'max ms':>10} {'x ceiling':>10}")
    for name, row in result["pages"].items():
        ratio = row["median_ms"] / ceiling if ceiling else float("nan")
        print(f"{name:<24} {row['median_ms']:>10.1f} {row['max_ms']:>10.1f} {ratio:>10.1f}")


if __name__ == "__main__":
    main()
