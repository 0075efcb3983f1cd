"""Every query the hot requests send to PostgreSQL, with its plan: no sequential scan of a large
table, and which index each one uses.

    python bench/explain.py --database postgresql+psycopg://postgres@127.0.0.1:54329/accord_bench

Serves the app in this process on the database, signs in a lead of the team with the most
commitments (with a session cookie for the pages and an API token for the API), and makes the
requests the load benchmark drives (a team's trust, a partnership, a commitment list, a move)
and the main pages, recording every statement sent. Each distinct statement is then explained
(`EXPLAIN (FORMAT JSON)`, which plans without running it) with the parameters it was sent
with. A sequential scan of a table over `--large` rows is a finding; the script prints each
statement's slowest plan node, the indexes used, and exits 1 on any finding.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from pages import SECRET, _subject, session_cookie  # noqa: E402


@dataclass
class Seen:
    """A statement as sent, the requests that sent it and one set of its parameters."""

    statement: str
    parameters: Any
    paths: set[str] = field(default_factory=set)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _requests(subject: dict[str, str]) -> list[tuple[str, str, dict[str, Any] | None]]:
    team, partnership = subject["team"], subject["partnership"]
    return [
        ("GET", f"/api/v1/teams/{team}/trust", None),
        ("GET", f"/api/v1/partnerships/{partnership}", None),
        ("GET", f"/api/v1/commitments?partnership={partnership}&limit=50", None),
        ("GET", f"/api/v1/commitments?team={team}&state=requested&limit=50", None),
        ("GET", "/healthz", None),
        ("GET", "/", None),
        ("GET", f"/teams/{team}", None),
        ("GET", f"/partnerships/{partnership}", None),
        ("GET", f"/commitments/{subject['commitment']}", None),
        ("GET", "/commitments", None),
        ("GET", "/health", None),
        ("GET", "/trust-map", None),
        ("MOVE", "", None),  # a request asked of a partner team, then withdrawn by its asker
    ]


def run(args: argparse.Namespace) -> int:
    os.environ.update(
        {
            "ACCORD_DATABASE_URL": args.database,
            "ACCORD_SECRET_KEY": SECRET,
            "ACCORD_FORECAST_REFIT_HOURS": "0",
            "ACCORD_SERVE_WORKER": "false",
            "ACCORD_LOG_LEVEL": "warning",
        }
    )
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, event, text
    from sqlalchemy.engine import Engine

    from accord.app import create_app
    from accord.org import service as org
    from accord.org.domain import Operator
    from accord.uow import UnitOfWork

    subject = _subject(args.database)
    engine = create_engine(args.database)
    with UnitOfWork(engine) as uow:
        lead = uow.org.person_by_id(int(subject["person_id"]))
        email = lead.email
        performer = next(
            (
                party.team.slug
                for party in uow.partnerships.get(subject["partnership"]).parties
                if party.team.slug != subject["team"]
            ),
        )
    token = org.create_token(UnitOfWork(engine), Operator(), email, name=f"explain-{uuid.uuid4()}")

    seen: dict[str, Seen] = {}
    current = {"path": ""}

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT")):
            # of a statement sent for many rows at once, the first row's parameters
            rows = isinstance(parameters, list | tuple) and parameters
            one = (
                parameters[0]
                if rows and isinstance(parameters[0], dict | list | tuple)
                else parameters
            )
            found = seen.setdefault(statement, Seen(statement, one))
            found.paths.add(current["path"])

    event.listen(Engine, "before_cursor_execute", record)
    app = create_app()
    with TestClient(app) as client:
        client.cookies.update(session_cookie(int(subject["person_id"]), int(subject["epoch"])))
        api = {"Authorization": f"Bearer {token}"}
        for method, path, _ in _requests(subject):
            if method == "MOVE":
                current["path"] = "a move"
                asked = client.post(
                    "/api/v1/commitments",
                    headers=api,
                    json={
                        "partnership": subject["partnership"],
                        "requester": subject["team"],
                        "performer": performer,
                        "title": "Explain the plans",
                        "due": "2099-01-01T12:00:00Z",
                    },
                )
                if asked.status_code != 201:
                    raise SystemExit(f"the request was refused: {asked.text}")
                made = asked.json()
                revised = client.post(
                    f"/api/v1/commitments/{made['key']}/moves",
                    headers=api,
                    json={"move": "withdraw", "version": made["version"]},
                )
                if revised.status_code != 200:
                    raise SystemExit(f"the withdrawal was refused: {revised.text}")
                continue
            current["path"] = path
            answer = client.get(path, headers=api if path.startswith("/api/") else None)
            if answer.status_code != 200:
                raise SystemExit(f"{path} answered {answer.status_code}")
    event.remove(Engine, "before_cursor_execute", record)

    findings = 0
    with engine.connect() as conn:
        sizes = {
            name: int(rows)
            for name, rows in conn.execute(
                text(
                    "SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
                    "AND n.nspname = current_schema()"
                )
            )
        }
        raw = conn.connection.dbapi_connection
        assert raw is not None
        for found in seen.values():
            with raw.cursor() as cursor:
                cursor.execute("EXPLAIN (FORMAT JSON) " + found.statement, found.parameters)
                plan = cursor.fetchone()[0][0]["Plan"]
            raw.rollback()
            nodes = list(_nodes(plan))
            scans = [
                n["Relation Name"]
                for n in nodes
                if n["Node Type"] == "Seq Scan" and sizes.get(n["Relation Name"], 0) > args.large
            ]
            indexes = sorted({n["Index Name"] for n in nodes if "Index Name" in n})
            where = ", ".join(sorted(found.paths))
            head = " ".join(found.statement.split())[:110]
            mark = "SEQ SCAN " + ", ".join(scans) if scans else "ok"
            findings += bool(scans)
            if scans or args.verbose:
                print(f"{mark:<28} cost {plan['Total Cost']:>10.1f}  {head}")
                print(f"{'':<28} indexes: {', '.join(indexes) or '-'}; from {where}")
    large = sorted((rows, name) for name, rows in sizes.items() if rows > args.large)
    print(f"{len(seen)} distinct statements from {len(_requests(subject))} requests explained")
    print("large tables: " + ", ".join(f"{name} ({rows:,})" for rows, name in reversed(large)))
    print(f"sequential scans of a large table: {findings}")
    return 1 if findings else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="a PostgreSQL URL")
    parser.add_argument(
        "--large", type=int, default=10_000, help="rows above which a table counts as large"
    )
    parser.add_argument("--verbose", action="store_true", help="print every statement's plan")
    raise SystemExit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
