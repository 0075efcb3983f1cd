"""Accord's API under `wrk`, measured against floors served by the same server in the same run.

    python bench/wrk.py --database sqlite:////tmp/accord-bench.db
    python bench/wrk.py --database postgresql+psycopg://postgres@127.0.0.1:54329/accord --json

Needs `wrk` (Debian/Ubuntu: `apt-get install wrk`; macOS: `brew install wrk`); it installs
nothing itself. It serves the database with `accord serve --workers 2` (ACCORD_BENCH_FLOORS=1
mounts the floors; forecast refits off so that none runs during the load), then drives each
scenario with wrk in turn over keep-alive connections (64 by default, from 2 wrk threads):

- `constant`: the floor that answers a constant (`/bench/constant`, async, no database);
- `row`: the floor that reads one team by its indexed slug through SQLAlchemy (`/bench/row`), in
  a reader's transaction as the app's reads (on SQLite a deferred BEGIN, no write lock);
- `write`: the floor of a change: one row inserted into a scratch table and committed, on the
  same engine, pool and durability settings as the app's changes (`/bench/write`; the table,
  `bench_writes`, is made before the server starts and dropped after the run);
- `healthz`; `trust`: a team's trust (`/api/v1/teams/{slug}/trust`); `partnership`: a
  partnership's data; `list`: a page of a team's commitments (50), each cycling over every team
  or partnership (each wrk thread from its own share of the list, so that no two threads read
  one team close together), signed in as an admin with an API token;
- `move`: commitments with fresh keys, each requested by a member of one team and promised by
  a member of the other once its request is answered (about half the requests are each move).

Each scenario is warmed up unmeasured first. Reported: requests/s, p50 and p99 (wrk's own
histogram), errors answers and socket errors, each as a ratio to the one-row floor (and its
throughput as a ratio to the write floor's), and the server's processor time per request (its
processes' user and system time over the run, from /proc: steadier than requests/s on a
machine shared with other work, where the server's share of the cores varies).
Targets: a team's trust at >= 50% of the floor's throughput with p99 <= 3x the floor's; a move
at >= 25% of its throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("constant", "row", "write", "healthz", "trust", "partnership", "list", "move")
ADMIN_EMAIL = "wrk-admin@bench.example"
TOKEN_NAME = "wrk benchmark"
LIST_LIMIT = 50
TARGETS = {"trust": (0.50, 3.0), "move": (0.25, None)}  # share of the row floor, p99 multiple


@dataclass(frozen=True)
class Mover:
    """Who moves the fresh commitments: a partnership, its two teams and a member of each."""

    partnership: str
    requester: str
    performer: str
    requester_token: str
    performer_token: str


@dataclass(frozen=True)
class Fixture:
    admin_token: str
    teams: list[str]
    partnerships: list[str]
    mover: Mover | None


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare(url: str, wanted: set[str]) -> Fixture:
    """An admin, API tokens and the keys the scenarios cycle over, through Accord's services."""
    from sqlalchemy import select

    from accord.db import make_engine
    from accord.org import service as org
    from accord.org.domain import GlobalRole, Operator
    from accord.org.orm import teams_table
    from accord.partnerships.orm import partnerships_table
    from accord.uow import UnitOfWork

    operator = Operator("bench")
    engine = make_engine(url)
    try:
        with UnitOfWork(engine, read_only=True) as uow:
            admin = uow.org.find_person(ADMIN_EMAIL)
        if admin is None:
            org.create_person(
                UnitOfWork(engine), operator, email=ADMIN_EMAIL, name="wrk admin", role="admin"
            )
        elif admin.role != GlobalRole.ADMIN or not admin.active:
            org.update_person(UnitOfWork(engine), operator, ADMIN_EMAIL, role="admin", active=True)
        with UnitOfWork(engine, read_only=True) as uow:
            session = uow.session
            teams = list(session.scalars(select(teams_table.c.slug).order_by(teams_table.c.id)))
            partnerships = list(
                session.scalars(select(partnerships_table.c.key).order_by(partnerships_table.c.id))
            )
            seed = _mover_seed(session) if "move" in wanted else None
        if not teams or not partnerships:
            raise SystemExit(f"{_shown(url)} has no teams or no partnerships to read")

        def token(email: str) -> str:
            return org.create_token(UnitOfWork(engine), operator, email, TOKEN_NAME, days=1)

        mover = None
        if seed is not None:
            partnership, requester, performer, requester_email, performer_email = seed
            mover = Mover(
                partnership,
                requester,
                performer,
                token(requester_email),
                token(performer_email),
            )
        elif "move" in wanted:
            raise SystemExit(
                "no partnership with a commitment between two teams that each have an active "
                "member: the move scenario needs one"
            )
        return Fixture(token(ADMIN_EMAIL), teams, partnerships, mover)
    finally:
        engine.dispose()


def _mover_seed(session: Any) -> tuple[str, str, str, str, str] | None:
    """The partnership and teams of a commitment between two teams, with a member of each."""
    from sqlalchemy import select

    from accord.commitments.orm import commitments_table
    from accord.org.domain import GlobalRole
    from accord.org.orm import memberships_table, people_table, teams_table
    from accord.partnerships.orm import partnerships_table

    c, members, people = commitments_table.c, memberships_table.c, people_table.c
    teams, partnerships = teams_table.c, partnerships_table.c
    candidates = session.execute(
        select(c.partnership_id, c.requester_id, c.performer_id)
        .where(c.requester_id != c.performer_id)
        .order_by(c.id.desc())
        .limit(200)
    ).all()
    for partnership_id, requester_id, performer_id in candidates:
        emails = {}
        for team_id in (requester_id, performer_id):
            emails[team_id] = list(
                session.scalars(
                    select(people.email)
                    .join(memberships_table, members.person_id == people.id)
                    .where(
                        members.team_id == team_id,
                        members.left_at.is_(None),
                        people.active.is_(True),
                        people.role != GlobalRole.VIEWER,
                    )
                    .order_by(people.id)
                )
            )
        requester_email = next(iter(emails[requester_id]), None)
        performer_email = next((e for e in emails[performer_id] if e != requester_email), None)
        if requester_email is None or performer_email is None:
            continue
        slug = {
            row.id: row.slug
            for row in session.execute(
                select(teams.id, teams.slug).where(teams.id.in_([requester_id, performer_id]))
            )
        }
        key = session.scalar(select(partnerships.key).where(partnerships.id == partnership_id))
        return key, slug[requester_id], slug[performer_id], requester_email, performer_email
    return None


@contextmanager
def scratch(url: str, wanted: bool) -> Iterator[None]:
    """The write floor's scratch table for the block (when `wanted`), dropped after it."""
    if not wanted:
        yield
        return
    from accord.channel.floors import drop_scratch, make_scratch
    from accord.db import make_engine

    engine = make_engine(url)
    try:
        make_scratch(engine)
        try:
            yield
        finally:
            drop_scratch(engine)
    finally:
        engine.dispose()


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve(url: str, workers: int, log_level: str) -> Iterator[str]:
    """`accord serve --workers N` on a free loopback port until the block ends."""
    port = free_port()
    output = tempfile.TemporaryFile()
    accord = Path(sys.executable).with_name("accord")
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": url,
        "ACCORD_SECRET_KEY": secrets.token_hex(32),
        "ACCORD_BENCH_FLOORS": "1",
        "ACCORD_FORECAST_REFIT_HOURS": "0",
        "ACCORD_LOG_LEVEL": log_level,
    }
    process = subprocess.Popen(
        [
            *(str(accord), "serve", "--workers", str(workers)),
            *("--host", "127.0.0.1", "--port", str(port)),
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so its workers are stopped with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base, workers, output)
        SERVERS[base] = process.pid
        yield base
    finally:
        _stop(process)
        output.close()


# The process id of each server `serve` runs, by its base URL.
SERVERS: dict[str, int] = {}


def server_cpu(pid: int) -> float | None:
    """Seconds of processor time used so far by process `pid` and its children (a server's
    supervisor and its workers), from /proc; None where there is no /proc (not Linux)."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        pids = [pid]
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(child) for child in (task / "children").read_text().split()]
        total = 0
        for each in pids:
            # after the command's closing parenthesis: state, ppid, ..., utime (12th), stime
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / tick
    except (OSError, ValueError, IndexError):
        return None


# The first start after an import makes the trust snapshots of its history before it answers:
# minutes at 1,000,000 commitments on two cores.
READY_SECONDS = 1200


def _wait_ready(process: subprocess.Popen[bytes], base: str, workers: int, out: IO[bytes]) -> None:
    """Until every worker answers: each answers the floor on a connection of its own."""
    deadline = time.monotonic() + READY_SECONDS
    answered = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{_tail(out)}")
        with suppress(httpx.HTTPError), httpx.Client(trust_env=False, timeout=5) as http:
            if http.get(base + "/healthz").status_code == 200:
                answered += 1
                if answered >= 4 * workers:
                    return
                continue
        time.sleep(0.3)
    raise RuntimeError(f"{base} did not answer within {READY_SECONDS} s:\n{_tail(out)}")


def _tail(output: IO[bytes], size: int = 4000) -> str:
    output.seek(0)
    return output.read().decode(errors="replace")[-size:]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of printable ASCII is a Lua string too


DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"http_errors":%d,'
    .. '"socket_errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""

THREADS = """
local made = 0
setup = function(thread)
  made = made + 1
  thread:set("id", made)
end
"""


WRITE_SCRIPT = f"""{THREADS}
request = function()
  return wrk.format("POST", "/bench/write")
end
{DONE}"""


def read_script(paths: list[str], token: str | None, threads: int) -> str:
    """Each wrk thread reads `paths` in turn, starting its own share of them apart from the
    others: no two threads read one path close together, so that what a server keeps for a
    moment (a team's present trust, for a second) is not given again to another thread by
    chance, more in one run than in the next."""
    headers = f'["Authorization"] = {_lua_string("Bearer " + token)}' if token else ""
    listed = ",\n  ".join(_lua_string(p) for p in paths)
    share = max(1, len(paths) // threads)
    return f"""{THREADS}
local paths = {{
  {listed}
}}
local headers = {{ {headers} }}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(((id or 1) - 1) * {share} + n) % #paths + 1], headers)
end
{DONE}"""


def move_script(mover: Mover, prefix: str, due: str, version: int) -> str:
    """Each turn promises a commitment this thread saw requested (its 201 answer names it),
    else requests a new one with a fresh key: about as many of one move as of the other."""
    request_body = (
        '{"key":"%s","partnership":'
        + json.dumps(mover.partnership)
        + ',"requester":'
        + json.dumps(mover.requester)
        + ',"performer":'
        + json.dumps(mover.performer)
        + ',"title":"Load %s","due":"'
        + due
        + '"}'
    )
    return f"""{THREADS}
local asking = {{ ["Authorization"] = {_lua_string("Bearer " + mover.requester_token)},
  ["Content-Type"] = "application/json" }}
local promising = {{ ["Authorization"] = {_lua_string("Bearer " + mover.performer_token)},
  ["Content-Type"] = "application/json" }}
local requested = 0
local ready, first, last = {{}}, 1, 0
request = function()
  if first <= last then
    local key = ready[first]
    ready[first] = nil
    first = first + 1
    return wrk.format("POST", "/api/v1/commitments/" .. key .. "/moves", promising,
      '{{"move":"promise","version":{version}}}')
  end
  requested = requested + 1
  local key = string.format("{prefix}-%d-%d", id or 1, requested)
  return wrk.format("POST", "/api/v1/commitments", asking,
    string.format({_lua_string(request_body)}, key, key))
end
response = function(status, headers, body)
  if status == 201 then
    local key = string.match(body, '"key":"([^"]+)"')
    if key then
      last = last + 1
      ready[last] = key
    end
  end
end
{DONE}"""


def first_version(base: str, mover: Mover, due: str) -> int:
    """Request one commitment and promise it through the API: the version a promise is made
    against, and proof that both people may make their move."""
    key = f"wrk-probe-{secrets.token_hex(4)}"
    body = {
        "key": key,
        "partnership": mover.partnership,
        "requester": mover.requester,
        "performer": mover.performer,
        "title": "Load probe",
        "due": due,
    }
    with httpx.Client(base_url=base, trust_env=False, timeout=30) as http:
        made = http.post(
            "/api/v1/commitments",
            json=body,
            headers={"Authorization": f"Bearer {mover.requester_token}"},
        )
        if made.status_code != 201:
            raise RuntimeError(f"the probe request failed: {made.status_code} {made.text[:500]}")
        version = int(made.json()["version"])
        promised = http.post(
            f"/api/v1/commitments/{key}/moves",
            json={"move": "promise", "version": version},
            headers={"Authorization": f"Bearer {mover.performer_token}"},
        )
        if not promised.is_success:
            raise RuntimeError(f"the probe promise failed: {promised.status_code} {promised.text}")
    return version


def wrk(base: str, script: str, seconds: float, connections: int, threads: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        finished = subprocess.run(
            [
                *("wrk", "-t", str(threads), "-c", str(connections)),
                *("-d", f"{seconds:g}s", "--timeout", "10s", "-s", file.name, base),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + 120,
        )
    finally:
        os.unlink(file.name)
    for line in finished.stdout.splitlines():
        if line.startswith("WRK "):
            raw = json.loads(line[4:])
            break
    else:
        raise RuntimeError(f"wrk gave no summary:\n{finished.stdout}\n{finished.stderr}")
    good = raw["requests"] - raw["http_errors"]
    return {
        "requests": raw["requests"],
        "http_errors": raw["http_errors"],
        "socket_errors": raw["socket_errors"],
        "requests_per_s": good / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    wanted = [s for s in SCENARIOS if s in args.only]
    url = args.database
    if "://" not in url:  # a file name: an SQLite database
        path = Path(url).resolve()
        if not path.exists():
            raise SystemExit(f"no database at {path}")
        url = f"sqlite:///{path}"
    fixture = prepare(url, set(wanted))
    results: dict[str, dict[str, Any]] = {}
    with scratch(url, "write" in wanted), serve(url, args.workers, args.log_level) as base:
        due = (datetime.now(UTC) + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        version = first_version(base, fixture.mover, due) if fixture.mover else 1
        run_id = datetime.now(UTC).strftime("%m%d%H%M%S")
        teams, token = fixture.teams, fixture.admin_token

        def script(name: str, phase: str) -> str:
            if name == "move":
                assert fixture.mover is not None
                return move_script(fixture.mover, f"wrk{run_id}{phase}", due, version)
            if name == "write":
                return WRITE_SCRIPT
            paths = {
                "constant": (["/bench/constant"], None),
                "row": ([f"/bench/row?slug={t}" for t in teams], None),
                "healthz": (["/healthz"], None),
                "trust": ([f"/api/v1/teams/{t}/trust" for t in teams], token),
                "partnership": ([f"/api/v1/partnerships/{k}" for k in fixture.partnerships], token),
                "list": (
                    [f"/api/v1/commitments?team={t}&limit={LIST_LIMIT}" for t in teams],
                    token,
                ),
            }[name]
            return read_script(*paths, args.threads)

        for name in wanted:
            log(f"{name}: {args.warmup:g} s warm-up, then {args.seconds:g} s")
            wrk(base, script(name, "w"), args.warmup, args.connections, args.threads)
            before = server_cpu(SERVERS[base])
            results[name] = wrk(
                base, script(name, "m"), args.seconds, args.connections, args.threads
            )
            after = server_cpu(SERVERS[base])
            served = results[name]["requests"]
            results[name]["server_cpu_ms"] = (
                (after - before) * 1000 / served
                if before is not None and after is not None and served
                else None
            )
            log(f"  {_line(name, results[name], None)}")
    floor, written = results.get("row"), results.get("write")
    for result in results.values():
        result["throughput_vs_row"] = (
            result["requests_per_s"] / floor["requests_per_s"] if floor else None
        )
        result["throughput_vs_write"] = (
            result["requests_per_s"] / written["requests_per_s"] if written else None
        )
        result["p99_vs_row"] = result["p99_ms"] / floor["p99_ms"] if floor else None
    return {
        "database": _shown(url),
        "workers": args.workers,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "seconds": args.seconds,
        "log_level": args.log_level,
        "scenarios": results,
        "targets": targets(results),
        "machine": {
            "python": platform.python_version(),
            "system": platform.platform(),
            "cores": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
    }


def targets(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    verdicts: dict[str, Any] = {}
    for name, (share, p99) in TARGETS.items():
        result = results.get(name)
        if result is None or result["throughput_vs_row"] is None:
            continue
        met = result["throughput_vs_row"] >= share and not result["http_errors"]
        if p99 is not None:
            met = met and result["p99_vs_row"] <= p99
        verdicts[name] = {"throughput_at_least": share, "p99_at_most": p99, "met": met}
    return verdicts


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _line(name: str, result: dict[str, Any], width: int | None = 12) -> str:
    return (
        f"{name:<{width or len(name)}} {result['requests_per_s']:>9.0f} "
        f"{_number(result['p50_ms'], 2):>8} {_number(result['p99_ms'], 2):>8} "
        f"{_number(result.get('throughput_vs_row'), 2):>9} "
        f"{_number(result.get('p99_vs_row'), 2):>8} "
        f"{_number(result.get('throughput_vs_write'), 2):>9} {result['http_errors']:>7} "
        f"{result['socket_errors']:>7} {_number(result.get('server_cpu_ms'), 2):>8}"
    )


def show(report: dict[str, Any]) -> None:
    print(
        f"{report['database']}: accord serve --workers {report['workers']}, wrk "
        f"-t{report['wrk_threads']} -c{report['connections']}, {report['seconds']:g} s each, "
        f"log level {report['log_level']}"
    )
    print(
        f"{'scenario':<12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x row':>9} "
        f"{'p99 x':>8} {'x write':>9} {'errors':>7} {'sockerr':>7} {'CPU ms':>8}"
    )
    for name, result in report["scenarios"].items():
        print(_line(name, result))
    for name, goal in report["targets"].items():
        p99 = f" and p99 <= {goal['p99_at_most']:g}x the row floor's" if goal["p99_at_most"] else ""
        verdict = "PASS" if goal["met"] else "FAIL"
        print(
            f"target {name}: >= {goal['throughput_at_least']:.0%} of the row floor{p99}: {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        default="/tmp/accord-bench.db",
        help="an SQLite file or a database URL (sqlite:///…, postgresql+psycopg://…)",
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="measured time per scenario")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured time before it")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="accord serve --workers")
    parser.add_argument(
        "--log-level", default="warning", help="ACCORD_LOG_LEVEL of the server (info logs access)"
    )
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        type=lambda text: {part.strip() for part in text.split(",") if part.strip()},
        help="comma-separated: " + ",".join(SCENARIOS),
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if unknown := args.only - set(SCENARIOS):
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        show(report)


if __name__ == "__main__":
    main()
