"""Load on Accord's REST API, measured against a bare FastAPI app as the ceiling.

    python bench/load.py --database /tmp/accord-bench.db --seconds 15 --clients 64 --workers 2
    python bench/load.py --database /tmp/accord-bench.db --only trust,ceiling --json

Accord and bench/ceiling.py each run under uvicorn on loopback; a closed-loop generator keeps
N clients busy (each sends its next request as soon as the last one is answered) for a bounded
time after a warm-up. Scenarios: a team's trust, a partnership's data, a page of a team's
commitments, a move (propose a change, then reject it), and the ceiling's constant. Requests
and req/s count 2xx answers; errors (other statuses, failed connections) are counted apart and
the first few distinct ones shown. The machine is shared and noisy, so what counts is each
scenario's throughput as a share of the ceiling's, measured in the same run. The target: trust
at >= 40% of the ceiling's throughput, with p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("ceiling", "trust", "partnership", "list", "move")
ACCORD_SCENARIOS = ("trust", "partnership", "list", "move")
ADMIN_EMAIL = "load-admin@bench.example"
TOKEN_NAME = "load benchmark"
TARGET_SHARE = 0.40
TARGET_P99_MS = 50.0
ERRORS_KEPT = 5
LIST_LIMIT = 50


@dataclass(frozen=True)
class MovePlan:
    """One client's commitment: it proposes a change as the performer, then rejects it."""

    key: str
    performer_token: str
    requester_token: str
    due: str
    version: int
    state: str


@dataclass(frozen=True)
class Plan:
    """What one scenario sends; plain data, so a generator process can be given it."""

    name: str
    base_url: str
    token: str | None = None
    paths: tuple[str, ...] = ()
    moves: tuple[MovePlan, ...] = ()


@dataclass
class Tally:
    """What one generator measured inside the window."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def error(self, text: str, counted: bool) -> None:
        self.errors += counted
        if len(self.samples) < ERRORS_KEPT and text not in self.samples:
            self.samples.append(text)

    def merge(self, other: Tally) -> None:
        self.latencies.extend(other.latencies)
        self.errors += other.errors
        for text in other.samples:
            self.error(text, counted=False)
        self.seconds = max(self.seconds, other.seconds)


@dataclass
class Fixture:
    """What the scenarios need from the database, chosen before the server starts."""

    admin_token: str
    teams: list[str]
    partnerships: list[str]
    moves: list[MovePlan]


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "system": platform.platform(),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
    }


def log(text: str) -> None:
    # Progress goes to stderr so that --json leaves stdout to the figures.
    print(text, file=sys.stderr, flush=True)


def prepare(database: Path, clients: int, wanted: set[str]) -> Fixture:
    """An admin, tokens and the keys each scenario cycles over, through Accord's services."""
    from sqlalchemy import select

    from accord.commitments.domain import State
    from accord.db import make_engine
    from accord.org import service as org
    from accord.org.domain import GlobalRole, Operator
    from accord.org.orm import teams_table
    from accord.partnerships.orm import partnerships_table
    from accord.uow import UnitOfWork

    operator = Operator("bench")
    engine = make_engine(f"sqlite:///{database}")
    with UnitOfWork(engine, read_only=True) as uow:
        admin = uow.org.find_person(ADMIN_EMAIL)
        is_admin = admin is not None and admin.role == GlobalRole.ADMIN and admin.active
    if admin is None:
        org.create_person(
            UnitOfWork(engine), operator, email=ADMIN_EMAIL, name="Load admin", role="admin"
        )
    elif not is_admin:
        org.update_person(UnitOfWork(engine), operator, ADMIN_EMAIL, role="admin", active=True)

    with UnitOfWork(engine, read_only=True) as uow:
        session = uow.session
        teams = list(session.scalars(select(teams_table.c.slug).order_by(teams_table.c.id)))
        partnerships = list(
            session.scalars(select(partnerships_table.c.key).order_by(partnerships_table.c.id))
        )
        now = uow.now()
        chosen = _move_seeds(session, clients, now) if "move" in wanted else []
    if len(chosen) < clients and "move" in wanted:
        raise SystemExit(
            f"only {len(chosen)} promised commitments with members on both sides; "
            f"the move scenario needs one per client ({clients})"
        )

    def create(email: str) -> str:
        return org.create_token(UnitOfWork(engine), operator, email, TOKEN_NAME)

    def owner(secret: str) -> str | None:
        person = org.authenticate_token(UnitOfWork(engine, read_only=True), secret)
        return None if person is None else person.email

    emails = {ADMIN_EMAIL} | {e for *_, p, r in chosen for e in (p, r)}
    tokens = _tokens(database, emails, create, owner)
    engine.dispose()
    moves = [
        MovePlan(
            key=key,
            performer_token=tokens[performer],
            requester_token=tokens[requester],
            # the proposal only has to lie ahead of the move, and a reject leaves it unused
            due=_iso(max(due, now) + timedelta(days=30)),
            version=version,
            state=State.PROMISED.value,
        )
        for key, version, due, performer, requester in chosen
    ]
    return Fixture(tokens[ADMIN_EMAIL], teams, partnerships, moves)


def _move_seeds(
    session: Any, clients: int, now: datetime
) -> list[tuple[str, int, datetime, str, str]]:
    """Promised commitments, the latest due first, each with a performer and a requester."""
    from sqlalchemy import select

    from accord.commitments.domain import State
    from accord.commitments.orm import commitments_table
    from accord.org.domain import GlobalRole
    from accord.org.orm import memberships_table, people_table

    c = commitments_table.c
    rows = session.execute(
        select(c.key, c.version, c.due, c.requester_id, c.performer_id)
        .where(c.state == State.PROMISED, c.requester_id != c.performer_id)
        .order_by(c.due.desc(), c.id)
        .limit(clients * 8)
    ).all()
    people, members = people_table.c, memberships_table.c
    team_members: dict[int, list[str]] = {}
    for team_id, email in session.execute(
        select(members.team_id, people.email)
        .join(people_table, people.id == members.person_id)
        .where(members.left_at.is_(None), people.active.is_(True), people.role != GlobalRole.VIEWER)
        .order_by(members.team_id, people.id)
    ):
        team_members.setdefault(team_id, []).append(email)
    chosen: list[tuple[str, int, datetime, str, str]] = []
    for key, version, due, requester_id, performer_id in rows:
        performer = next(iter(team_members.get(performer_id, [])), None)
        # a person in both teams could not answer their own proposal: two different people
        requester = next((e for e in team_members.get(requester_id, []) if e != performer), None)
        if performer is not None and requester is not None:
            chosen.append((key, version, due, performer, requester))
        if len(chosen) == clients:
            break
    ahead = sum(1 for _, _, due, _, _ in chosen if due > now)
    if ahead < len(chosen):
        log(f"set-up: {ahead} of {len(chosen)} commitments for moves are due after now")
    return chosen


def _tokens(
    database: Path,
    emails: set[str],
    create: Callable[[str], str],
    owner: Callable[[str], str | None],
) -> dict[str, str]:
    """A live token per person, reused from the last run when it still signs them in."""
    cache = database.with_name(f"{database.name}.load-tokens.json")
    known: dict[str, str] = {}
    with suppress(OSError, ValueError):
        known = json.loads(cache.read_text())
    tokens: dict[str, str] = {}
    made = 0
    for email in sorted(emails):
        secret = known.get(email)
        if secret is None or owner(secret) != email:
            secret = create(email)
            made += 1
        tokens[email] = secret
    known.update(tokens)
    # the secrets sign in as these people, so only the owner may read them
    descriptor = os.open(cache, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(known, out)
    log(f"set-up: {len(tokens)} tokens ({made} new, {len(tokens) - made} reused)")
    return tokens


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def uvicorn_with_nodelay(argv: list[str]) -> None:
    """uvicorn's own command line, with TCP_NODELAY on the connections its workers accept.

    uvicorn binds the listener of --workers N with proto 0, accepted sockets inherit it, and
    asyncio only turns TCP_NODELAY on for proto IPPROTO_TCP: each keep-alive request after
    the first then waits ~40 ms for a delayed ACK (Kludex/uvicorn#3149).
    """
    import uvicorn
    from uvicorn.config import Config

    bind_socket = Config.bind_socket

    def bind_tcp_socket(self: Config) -> socket.socket:
        sock = bind_socket(self)
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto != 0:
            return sock
        return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, sock.detach())

    Config.bind_socket = bind_tcp_socket  # type: ignore[method-assign]
    uvicorn.main(argv, prog_name="uvicorn")


@contextmanager
def serve(
    app: Sequence[str], env: dict[str, str], workers: int, ready: str, nodelay: bool
) -> Iterator[str]:
    """Run uvicorn on a free loopback port until the block ends, and stop it even on error."""
    port = free_port()
    output = tempfile.TemporaryFile()
    launcher = (str(Path(__file__).resolve()), "uvicorn") if nodelay else ("-m", "uvicorn")
    process = subprocess.Popen(
        [
            *(sys.executable, *launcher, *app, "--workers", str(workers)),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--log-level", "warning", "--no-access-log"),
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so its workers can be stopped with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base + ready, output)
        yield base
    finally:
        _stop(process)
        output.close()


def _wait_ready(process: subprocess.Popen[bytes], url: str, output: IO[bytes]) -> None:
    deadline = time.monotonic() + 120
    with httpx.Client(trust_env=False, timeout=5) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}:\n{_tail(output)}")
            with suppress(httpx.HTTPError):
                if http.get(url).status_code == 200:
                    return
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within 120 s:\n{_tail(output)}")


def _tail(output: IO[bytes], size: int = 4000) -> str:
    output.seek(0)
    return output.read().decode(errors="replace")[-size:]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # workers left behind by a supervisor that died are in the same group
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _version(body: Any) -> tuple[int, str] | None:
    if isinstance(body, dict) and isinstance(body.get("commitment"), dict):
        body = body["commitment"]
    if isinstance(body, dict) and isinstance(body.get("version"), int):
        return body["version"], str(body.get("state", ""))
    return None


class MoveClient:
    """A client's place in its propose/reject cycle, resynchronised from the server on error."""

    def __init__(self, plan: MovePlan) -> None:
        self.plan = plan
        self.version = plan.version
        self.proposing = plan.state != "renegotiating"

    def request(self) -> tuple[str, str, dict[str, Any]]:
        """The next move: the token that makes it, its name and its body."""
        if self.proposing:
            body = {"move": "propose_change", "version": self.version, "due": self.plan.due}
            return self.plan.performer_token, "propose_change", body
        body = {"move": "reject_change", "version": self.version}
        return self.plan.requester_token, "reject_change", body

    async def send(self, http: httpx.AsyncClient) -> tuple[httpx.Response, str]:
        token, move, body = self.request()
        response = await http.post(
            f"/api/v1/commitments/{self.plan.key}/moves",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        found = _version(_json(response)) if response.is_success else None
        if found is not None:
            self.version = found[0]
            self.proposing = not self.proposing
        return response, f"POST /api/v1/commitments/{self.plan.key}/moves {move}"

    async def resync(self, http: httpx.AsyncClient) -> None:
        with suppress(httpx.HTTPError):
            response = await http.get(
                f"/api/v1/commitments/{self.plan.key}",
                headers={"Authorization": f"Bearer {self.plan.performer_token}"},
            )
            found = _version(_json(response)) if response.is_success else None
            if found is not None:
                self.version = found[0]
                self.proposing = found[1] != "renegotiating"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


async def drive(
    plan: Plan, clients: Sequence[int], warmup: float, seconds: float, part: int = 0, parts: int = 1
) -> Tally:
    """Run `clients` back to back for warm-up plus `seconds`; count what ends in the window."""
    tally = Tally(seconds=seconds)
    headers = {"Authorization": f"Bearer {plan.token}"} if plan.token else {}
    start = time.monotonic()
    opens, closes = start + warmup, start + warmup + seconds
    cursor = itertools.count()

    def connection() -> httpx.AsyncClient:
        # one keep-alive connection per client: a pool shared by 64 costs O(n) per request
        return httpx.AsyncClient(
            base_url=plan.base_url,
            headers=headers,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=httpx.Timeout(30.0),
            trust_env=False,  # loopback only, never through a proxy from the environment
        )

    async def read(http: httpx.AsyncClient) -> tuple[httpx.Response, str]:
        # generator processes walk interleaved, disjoint turns over the same keys
        path = plan.paths[(next(cursor) * parts + part) % len(plan.paths)]
        return await http.get(path), f"GET {path}"

    async def run(client: int) -> None:
        async with connection() as http:
            await loop(client, http)

    async def loop(client: int, http: httpx.AsyncClient) -> None:
        mover = MoveClient(plan.moves[client]) if plan.moves else None
        while (began := time.monotonic()) < closes:
            tick = time.perf_counter()
            failure: str | None = None
            try:
                response, label = await (mover.send(http) if mover else read(http))
                if not response.is_success:
                    failure = f"{response.status_code} {label}: {response.text[:300]}"
            except httpx.HTTPError as error:
                failure = f"{type(error).__name__} ({plan.name}): {error}"
            elapsed = time.perf_counter() - tick
            counted = opens <= began + elapsed <= closes
            if failure is not None:
                tally.error(failure, counted)
                if mover is not None:
                    await mover.resync(http)  # untimed: learn the version and state again
            elif counted:
                tally.latencies.append(elapsed)
        if mover is not None and not mover.proposing:
            # leave the commitment promised, as it was found (outside the window)
            with suppress(httpx.HTTPError):
                await mover.send(http)

    await asyncio.gather(*(run(client) for client in clients))
    return tally


def _generate(
    plan: Plan,
    clients: list[int],
    warmup: float,
    seconds: float,
    part: int,
    parts: int,
    barrier: Any,
    results: Any,
) -> None:
    try:
        barrier.wait(timeout=120)  # every generator starts its clock together
        results.put(asyncio.run(drive(plan, clients, warmup, seconds, part, parts)))
    except BaseException as error:
        results.put(f"{type(error).__name__}: {error}")
        raise


def load(plan: Plan, clients: int, generators: int, warmup: float, seconds: float) -> Tally:
    """Closed-loop load from one process, or from several started together and merged."""
    if generators == 1:
        return asyncio.run(drive(plan, range(clients), warmup, seconds))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(generators)
    results = context.Queue()
    processes = [
        context.Process(
            target=_generate,
            args=(
                plan,
                list(range(n, clients, generators)),
                warmup,
                seconds,
                n,
                generators,
                barrier,
                results,
            ),
            daemon=True,
        )
        for n in range(generators)
    ]
    for process in processes:
        process.start()
    tally = Tally()
    try:
        for _ in processes:
            part = results.get(timeout=warmup + seconds + 240)
            if isinstance(part, str):
                raise RuntimeError(f"a generator process failed: {part}")
            tally.merge(part)
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    return tally


def figures(tally: Tally) -> dict[str, Any]:
    ordered = sorted(tally.latencies)
    n = len(ordered)
    return {
        "requests": n,
        "errors": tally.errors,
        "requests_per_s": n / tally.seconds if tally.seconds else 0.0,
        "p50_ms": statistics.median(ordered) * 1000 if n else None,
        "p99_ms": ordered[min(n - 1, int(n * 0.99))] * 1000 if n else None,
        "error_samples": tally.samples,
    }


def plans(fixture: Fixture, base: str) -> dict[str, Plan]:
    teams, token = fixture.teams, fixture.admin_token
    return {
        "trust": Plan("trust", base, token, tuple(f"/api/v1/teams/{t}/trust" for t in teams)),
        "partnership": Plan(
            "partnership",
            base,
            token,
            tuple(f"/api/v1/partnerships/{k}" for k in fixture.partnerships),
        ),
        "list": Plan(
            "list",
            base,
            token,
            tuple(f"/api/v1/commitments?team={t}&limit={LIST_LIMIT}" for t in teams),
        ),
        "move": Plan("move", base, None, moves=tuple(fixture.moves)),
    }


def current_moves(base: str, token: str, moves: list[MovePlan]) -> tuple[list[MovePlan], int]:
    """Each commitment's version and state as the API reports them now."""
    fresh: list[MovePlan] = []
    unread = 0
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, trust_env=False, timeout=30
    ) as http:
        for plan in moves:
            found = None
            with suppress(httpx.HTTPError):
                response = http.get(f"/api/v1/commitments/{plan.key}")
                found = _version(_json(response)) if response.is_success else None
            if found is None:
                unread += 1
                fresh.append(plan)
            else:
                state = "renegotiating" if found[1] == "renegotiating" else "promised"
                fresh.append(MovePlan(**{**plan.__dict__, "version": found[0], "state": state}))
    return fresh, unread


def run(args: argparse.Namespace) -> dict[str, Any]:
    wanted = [s for s in SCENARIOS if s in args.only]
    database = Path(args.database).resolve()
    results: dict[str, dict[str, Any]] = {}
    notes: list[str] = []

    def measure(plan: Plan, first: bool) -> None:
        # a fresh server's first load also fills each worker's caches (trust's network)
        warmup = args.warmup + (args.server_warmup if first else 0.0)
        log(f"{plan.name}: {args.clients} clients for {warmup:g} + {args.seconds:g} s")
        tally = load(plan, args.clients, args.generators, warmup, args.seconds)
        results[plan.name] = figures(tally)
        log(f"{plan.name}: {_line(plan.name, results[plan.name], None)}")

    accord = [s for s in wanted if s in ACCORD_SCENARIOS]
    if accord and not database.exists():
        raise SystemExit(f"no database at {database}")
    # before any server starts, so that a set-up failure costs no measuring
    fixture = prepare(database, args.clients, set(accord)) if accord else None
    if "ceiling" in wanted:
        try:
            app = ["bench.ceiling:app", "--app-dir", str(ROOT)]
            with serve(app, {}, args.workers, "/constant", args.nodelay) as base:
                measure(Plan("ceiling", base, None, ("/constant",)), first=True)
        except RuntimeError as error:
            notes.append(f"ceiling: {error}")
            results["ceiling"] = figures(Tally(samples=[str(error)[:1000]]))
    if fixture is not None:
        env = {
            "ACCORD_DATABASE_URL": f"sqlite:///{database}",
            "ACCORD_SECRET_KEY": secrets.token_hex(32),
            "ACCORD_LOG_LEVEL": "warning",
        }
        try:
            app = ["--factory", "accord.app:create_app"]
            with serve(app, env, args.workers, "/healthz", args.nodelay) as base:
                scenario_plans = plans(fixture, base)
                if "move" in accord:
                    fixture.moves, unread = current_moves(base, fixture.admin_token, fixture.moves)
                    if unread:
                        notes.append(
                            f"move: {unread} commitments could not be read through the API "
                            "before the run; their versions come from the database"
                        )
                    scenario_plans["move"] = Plan("move", base, None, moves=tuple(fixture.moves))
                for number, name in enumerate(accord):
                    measure(scenario_plans[name], first=number == 0)
        except RuntimeError as error:
            notes.append(f"accord: {error}")
            for name in accord:
                results.setdefault(name, figures(Tally(samples=[str(error)[:1000]])))

    ceiling = results.get("ceiling", {}).get("requests_per_s")
    for result in results.values():
        result["share_of_ceiling"] = result["requests_per_s"] / ceiling if ceiling else None
    return {
        "clients": args.clients,
        "workers": args.workers,
        "generators": args.generators,
        "nodelay": args.nodelay,
        "seconds": args.seconds,
        "warmup_s": args.warmup,
        "server_warmup_s": args.server_warmup,
        "scenarios": {name: results[name] for name in wanted if name in results},
        "target": target(results),
        "notes": notes,
        "machine": machine(),
    }


def target(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Trust at >= 40% of the ceiling's throughput with p99 < 50 ms, and no errors."""
    trust = results.get("trust")
    share = trust.get("share_of_ceiling") if trust else None
    p99 = trust.get("p99_ms") if trust else None
    verdict: bool | None = None
    if trust is not None and share is not None:
        verdict = (
            share >= TARGET_SHARE
            and p99 is not None
            and p99 < TARGET_P99_MS
            and not trust["errors"]
        )
    return {
        "share_at_least": TARGET_SHARE,
        "p99_below_ms": TARGET_P99_MS,
        "trust_share": share,
        "trust_p99_ms": p99,
        "met": verdict,
    }


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _line(name: str, result: dict[str, Any], width: int | None = 12) -> str:
    share = result.get("share_of_ceiling")
    return (
        f"{name:<{width or len(name)}} {result['requests']:>9} {result['errors']:>7} "
        f"{result['requests_per_s']:>9.1f} {_number(result['p50_ms']):>8} "
        f"{_number(result['p99_ms']):>8} {_number(share, 2):>9}"
    )


def show(report: dict[str, Any]) -> None:
    print(
        f"{report['clients']} clients, {report['workers']} uvicorn workers, "
        f"{report['generators']} generator process(es), {report['seconds']:g} s after "
        f"{report['warmup_s']:g} s warm-up (+{report['server_warmup_s']:g} s on a fresh server), "
        f"TCP_NODELAY {'forced on' if report['nodelay'] else 'as uvicorn leaves it'}"
    )
    print(
        f"{'scenario':<12} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'x ceiling':>9}"
    )
    for name, result in report["scenarios"].items():
        print(_line(name, result))
    goal = report["target"]
    met = {True: "PASS", False: "FAIL", None: "n/a (needs trust and ceiling)"}[goal["met"]]
    print(
        f"target: trust >= {goal['share_at_least']:.0%} of the ceiling "
        f"(is {_number(goal['trust_share'], 2)}) and p99 < {goal['p99_below_ms']:g} ms "
        f"(is {_number(goal['trust_p99_ms'])}): {met}"
    )
    for name, result in report["scenarios"].items():
        for sample in result["error_samples"]:
            print(f"error {name}: {sample}")
    for note in report["notes"]:
        print(f"note: {note}")


def main() -> None:
    if sys.argv[1:2] == ["uvicorn"]:
        uvicorn_with_nodelay(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="/tmp/accord-bench.db")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured time per scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time before it")
    parser.add_argument(
        "--server-warmup",
        type=float,
        default=10.0,
        help="more unmeasured time before a fresh server's first scenario",
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--generators", type=int, default=1, help="load generator processes")
    parser.add_argument(
        "--nodelay",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="start uvicorn with TCP_NODELAY on its workers' connections (Kludex/uvicorn#3149)",
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
    if args.generators < 1 or args.clients < args.generators:
        parser.error("--generators must be at least 1 and at most --clients")
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        show(report)


if __name__ == "__main__":
    main()
