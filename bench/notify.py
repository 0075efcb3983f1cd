"""How fast notifications go from a move to their receivers: the outbox's throughput and latency.

    python bench/notify.py                                  # SQLite, in a temporary file
    python bench/notify.py --database postgresql+psycopg://postgres@127.0.0.1:54329/bench

Two teams of `--members` people each, both with a webhook; every request reaches the asked
team's members (an inbox notice and an e-mail each) and both teams' webhooks. Deliveries go
for real: e-mail over SMTP to a local server (aiosmtpd), webhooks over HTTP to a local
receiver that checks each signature; one `accord worker` process delivers them.

- **Throughput**: `--backlog` requests are made with the worker stopped, then the worker is
  started and the time to deliver the whole backlog is measured (deliveries a second).
- **Latency**: `--moves` requests at `--rate` a second with the worker running; the time from
  each move's commit to its delivery (the outbox row's `sent_at`, written once the receiver
  answered), p50 / p95 / max.

A PostgreSQL database must be empty (its tables are made here).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from accord.commitments import service as commitments  # noqa: E402
from accord.config import Settings  # noqa: E402
from accord.db import make_engine, migrate, utcnow  # noqa: E402
from accord.notify import service as notify  # noqa: E402
from accord.notify.orm import outbox_table  # noqa: E402
from accord.notify.sink import MailSink  # noqa: E402
from accord.notify.webhook import verify  # noqa: E402
from accord.org import service as org  # noqa: E402
from accord.org.domain import Operator, Person  # noqa: E402
from accord.partnerships import service as partnerships  # noqa: E402
from accord.purposes import service as purposes  # noqa: E402
from accord.uow import UnitOfWork  # noqa: E402

OPERATOR = Operator("bench")


class Receiver:
    """Counts the webhook calls it receives and how many were signed with a known secret."""

    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.received = 0
        self.unsigned = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                signed = any(verify(secret, headers, body) for secret in receiver.secrets)
                with receiver.lock:
                    receiver.received += 1
                    receiver.unsigned += not signed
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class CountingSink(MailSink):
    """The local SMTP server, counting every message (it keeps only the last few)."""

    count = 0

    def keep(self, message: Any) -> None:
        self.count += 1
        super().keep(message)


def organization(uow: UnitOfWork, members: int, receiver: Receiver, settings: Settings) -> Person:
    """Two teams, `members` people each (the first a lead), a partnership, both teams' webhooks;
    the requesting team's lead, who makes the requests."""
    leads: list[Person] = []
    for slug in ("asks", "does"):
        org.create_team(uow, OPERATOR, slug=slug, name=slug.title())
        for number in range(members):
            email = f"{slug}{number}@example.org"
            org.create_person(uow, OPERATOR, email=email, name=f"{slug.title()} {number}")
            role = "lead" if number == 0 else "member"
            person = org.set_membership(uow, OPERATOR, slug, email, role).person
            if number == 0:
                leads.append(person)
    asker, doer = leads
    purpose = purposes.create_purpose(
        uow, asker, title="Bench purpose", statement="Measure", sponsor=asker.email, key="bench"
    )
    purposes.set_status(uow, asker, purpose.key, "active")
    partnerships.create_partnership(
        uow,
        asker,
        name="Bench partnership",
        key="bench",
        purpose=purpose.key,
        parties=[("asks", "Asking"), ("does", "Doing")],
        working_agreements=["Say early when a date slips"],
    )
    for lead, slug in ((asker, "asks"), (doer, "does")):
        partnerships.affirm(uow, lead, "bench", slug)
        made = notify.add_webhook(uow, lead, settings, slug, url=receiver.url)
        receiver.secrets.append(made.secret)
    return asker


def request(uow: UnitOfWork, asker: Person, number: int) -> None:
    commitments.request(
        uow,
        asker,
        partnership="bench",
        requester="asks",
        performer="does",
        title=f"Item {number}",
        due=utcnow().replace(year=utcnow().year + 1),
    )


def worker(url: str, settings: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env |= {"ACCORD_DATABASE_URL": url, "ACCORD_LOG_LEVEL": "warning", **settings}
    return subprocess.Popen([sys.executable, "-m", "accord.cli", "worker"], env=env)


def pending(engine: Engine) -> int:
    uow = UnitOfWork(engine, read_only=True)
    with uow:
        return len(uow.notify.deliveries(None, limit=1_000_000)) - sent(engine)


def sent(engine: Engine) -> int:
    with engine.connect() as connection:
        rows = connection.execute(select(outbox_table.c.id).where(outbox_table.c.state == "sent"))
        return len(rows.all())


def latencies(engine: Engine, since_id: int) -> list[float]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(outbox_table.c.created_at, outbox_table.c.sent_at).where(
                outbox_table.c.id > since_id, outbox_table.c.state == "sent"
            )
        )
        return [(done - made).total_seconds() for made, done in rows]


def last_id(engine: Engine) -> int:
    with engine.connect() as connection:
        ids = connection.execute(select(outbox_table.c.id)).scalars().all()
        return max(ids, default=0)


def wait_until(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not deliver everything in time")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="an empty database's URL (a temporary SQLite file)")
    parser.add_argument("--members", type=int, default=3, help="people in each team")
    parser.add_argument("--backlog", type=int, default=200, help="requests for throughput")
    parser.add_argument("--moves", type=int, default=100, help="requests for latency")
    parser.add_argument("--rate", type=float, default=5.0, help="requests a second (latency)")
    parser.add_argument("--poll", type=float, default=0.1, help="ACCORD_WORKER_POLL_SECONDS")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        url = args.database or f"sqlite:///{Path(directory) / 'notify.db'}"
        engine = make_engine(url)
        migrate(engine)
        receiver = Receiver()
        with CountingSink() as sink:
            mail = {
                "ACCORD_SMTP_HOST": sink.host,
                "ACCORD_SMTP_PORT": str(sink.port),
                "ACCORD_SMTP_SECURITY": "none",
                "ACCORD_WEBHOOK_ALLOW_PRIVATE": "true",
                "ACCORD_WORKER_POLL_SECONDS": str(args.poll),
            }
            settings = Settings.defaults().model_copy(update={"webhook_allow_private": True})
            uow = UnitOfWork(engine)
            asker = organization(uow, args.members, receiver, settings)
            per_move = args.members + 2  # the asked team's e-mails, both teams' webhooks

            started = time.perf_counter()
            for number in range(args.backlog):
                request(uow, asker, number)
            making = time.perf_counter() - started
            backlog = pending(engine)
            process = worker(url, mail)
            try:
                started = time.perf_counter()
                wait_until(lambda: pending(engine) == 0, 600)
                drained = time.perf_counter() - started

                mark = last_id(engine)
                gap = 1 / args.rate
                for number in range(args.moves):
                    began = time.perf_counter()
                    request(uow, asker, args.backlog + number)
                    time.sleep(max(0.0, gap - (time.perf_counter() - began)))
                wait_until(lambda: pending(engine) == 0, 600)
                waits = sorted(latencies(engine, mark))
            finally:
                process.terminate()
                process.wait(timeout=30)
            database = engine.dialect.name
            print(f"database: {database}; {args.members} people a team; poll {args.poll} s")
            print(
                f"backlog: {args.backlog} requests made in {making:.1f} s "
                f"({args.backlog / making:.0f}/s), {backlog} deliveries "
                f"({per_move} a request)"
            )
            print(
                f"throughput: {backlog} delivered in {drained:.1f} s = "
                f"{backlog / drained:.0f} deliveries/s"
            )
            p95 = waits[int(0.95 * (len(waits) - 1))]
            print(
                f"latency at {args.rate:g} requests/s ({len(waits)} deliveries): "
                f"p50 {statistics.median(waits) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                f"max {waits[-1] * 1000:.0f} ms"
            )
            print(
                f"received: {sink.count} e-mails, {receiver.received} webhook calls "
                f"({receiver.unsigned} unsigned)"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
