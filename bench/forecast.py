"""The forecast on real and simulated histories, in one run: the backtest's scores beside the
plain forecasts, by lead time, the share of the oracle's skill on the simulator, and how long
fitting, backtesting and reading a forecast take.

    python bench/forecast.py                        # ../shared/data dev data + a 20k simulator
    python bench/forecast.py --sim-commitments 50000 --out /tmp/forecast.json
    python bench/forecast.py --db sqlite:////tmp/bench.db   # timings on a database built before

Organizations are imported once through `accord import`'s service into SQLite files under
--work (kept between runs; delete them to import again). The real data is read from
../shared/data and never copied into the repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from realistic import simulate_realistic
from simulate import documents

from accord.config import Settings
from accord.db import make_engine, migrate
from accord.interchange.importer import import_document
from accord.org.domain import Operator
from accord.uow import UnitOfWork

OPERATOR = Operator("bench")
SHARED = Path(__file__).resolve().parents[2] / "shared"
DEV_DATA = SHARED / "data" / "jira-delays-dev.accord1.json.gz"


def _import(url: str, docs: list[dict[str, Any]]) -> float:
    engine = make_engine(url)
    migrate(engine)
    started = time.perf_counter()
    for document in docs:
        import_document(UnitOfWork(engine), OPERATOR, document)
    engine.dispose()
    return time.perf_counter() - started


def organization(work: Path, name: str, load: Any) -> tuple[str, dict[str, float] | None]:
    """The SQLite URL of an organization imported once; `load` gives (documents, truth)."""
    path = work / f"{name}.db"
    url = f"sqlite:///{path}"
    truth_path = work / f"{name}.truth.json"
    if not path.exists():
        docs, truth = load()
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        seconds = _import(f"sqlite:///{partial}", docs)
        partial.rename(path)
        print(f"{name}: imported in {seconds:.0f} s", flush=True)
        if truth is not None:
            truth_path.write_text(json.dumps(truth))
    else:
        engine = make_engine(url)
        migrate(engine)  # an organization imported by an older version
        engine.dispose()
    truth = json.loads(truth_path.read_text()) if truth_path.exists() else None
    return url, truth


def backtest(url: str, settings: Settings, truth: dict[str, float] | None) -> dict[str, Any]:
    from accord.trust import backtest as backtesting
    from accord.trust.replay import replay

    engine = make_engine(url)
    uow = UnitOfWork(engine)
    with uow:
        events = list(uow.trust.commitment_moves())
        purposes = {p.key: p.purpose.key for p in uow.partnerships.list()}
    started = time.perf_counter()
    replayed = replay(events, settings.half_life_days, purposes)
    material = backtesting.Material.of_replay(replayed, settings)
    rows, models = backtesting.rolling_rows(material, settings)
    summary = backtesting.summarize(rows, len(models))
    purpose = backtesting.purpose_backtest(replayed, models, settings)
    seconds = time.perf_counter() - started
    doc = summary.document()
    doc["purpose"] = purpose.document()
    doc["seconds"] = seconds
    doc["events"] = len(events)
    if truth is not None:
        outcomes = np.array([r.outcome for r in rows], dtype=float)
        oracle = np.array([truth[r.key] for r in rows], dtype=float)
        brier_oracle = float(np.mean((oracle - outcomes) ** 2))
        base = doc["brier_base"]
        doc["brier_oracle"] = brier_oracle
        doc["oracle_share"] = (base - doc["brier"]) / (base - brier_oracle)
    engine.dispose()
    return doc


def timings(url: str, settings: Settings, reads: int) -> dict[str, Any]:
    """`accord trust fit`'s use case, then forecast and team-trust reads against a bare read."""
    from sqlalchemy import select, text

    from accord.commitments.orm import commitments_table
    from accord.trust import forecast as forecasts
    from accord.trust import service as trust
    from accord.trust.fitting import fit_model

    engine = make_engine(url)
    started = time.perf_counter()
    report = fit_model(UnitOfWork(engine), settings, OPERATOR, backtest=False)
    fit_seconds = time.perf_counter() - started
    c = commitments_table.c
    with engine.connect() as connection:
        keys = [
            row[0]
            for row in connection.execute(
                select(c.key).where(c.state.in_(["promised", "renegotiating"])).limit(reads)
            )
        ]
        teams = [row[0] for row in connection.execute(text("SELECT slug FROM teams LIMIT 200"))]

    def sample(action: Any, items: list[Any]) -> dict[str, float]:
        laps = []
        for item in items:
            tick = time.perf_counter()
            action(item)
            laps.append((time.perf_counter() - tick) * 1000)
        laps.sort()
        return {
            "n": len(laps),
            "median_ms": statistics.median(laps) if laps else 0.0,
            "p99_ms": laps[min(len(laps) - 1, int(len(laps) * 0.99))] if laps else 0.0,
        }

    def floor(_: Any) -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1")).all()

    def read_forecast(key: str) -> None:
        forecasts.commitment_forecast(UnitOfWork(engine, read_only=True), settings, OPERATOR, key)

    def read_team(slug: str) -> None:
        trust.trust_of(UnitOfWork(engine, read_only=True), settings, OPERATOR, slug)

    read_forecast(keys[0]) if keys else None  # the model is read once per process
    result = {
        "fit_s": fit_seconds,
        "fit": report.document(),
        "floor": sample(floor, list(range(max(len(keys), 50)))),
        "forecast_read": sample(read_forecast, keys),
        "team_trust_read": sample(read_team, teams),
    }
    engine.dispose()
    return result


def scaled_copy(work: Path, url: str, copies: int) -> str:
    """A copy of an organization's database whose commitment events appear `copies` times,
    each copy under other commitment, team and partnership names: the same history's nature
    at `copies` times its size, without an import of hours. Made once under --work."""
    import shutil
    import sqlite3

    source = Path(url.removeprefix("sqlite:///"))
    path = work / f"{source.stem}-x{copies}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        shutil.copyfile(source, partial)
        connection = sqlite3.connect(partial)
        renamed = "json_extract(payload, '$.{0}') || '-x' || {1}"
        (top,) = connection.execute("SELECT max(id) FROM events").fetchone()
        for copy in range(1, copies):
            connection.execute(
                "INSERT INTO events (at, actor, type, subject, payload, prev_hash, hash) "
                f"SELECT at, actor, type, subject || '-x{copy}', "
                "CASE WHEN json_extract(payload, '$.move') = 'request' THEN json_set(payload, "
                + ", ".join(
                    f"'$.{name}', {renamed.format(name, copy)}"
                    for name in ("requester", "performer", "partnership")
                )
                + ") ELSE payload END, prev_hash, hash FROM events "
                f"WHERE subject >= 'commitment:' AND subject < 'commitment;' AND id <= {top} "
                "ORDER BY id"
            )
        connection.commit()
        connection.close()
        partial.rename(path)
    return f"sqlite:///{path}"


def scale_timings(url: str, settings: Settings) -> dict[str, Any]:
    """`accord trust fit --quick`, `accord trust fit` (with its backtest) and `accord trust
    backtest` on one database, each through its use case, from reading the log to the end."""
    from accord.trust import backtest as backtesting
    from accord.trust.fitting import fit_model

    engine = make_engine(url)
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    with UnitOfWork(engine, read_only=True) as uow:
        figures["events"] = sum(1 for _ in uow.trust.commitment_events())
    figures["read_s"] = time.perf_counter() - started
    started = time.perf_counter()
    report = fit_model(UnitOfWork(engine), settings, OPERATOR, backtest=False)
    figures["fit_quick_s"] = time.perf_counter() - started
    figures["finished"] = report.finished
    started = time.perf_counter()
    backtesting.backtest(UnitOfWork(engine, read_only=True), settings, OPERATOR)
    figures["backtest_s"] = time.perf_counter() - started
    started = time.perf_counter()
    fit_model(UnitOfWork(engine), settings, OPERATOR, backtest=True)
    figures["fit_with_backtest_s"] = time.perf_counter() - started
    engine.dispose()
    return figures


def _dev_data() -> tuple[list[dict[str, Any]], None]:
    with gzip.open(DEV_DATA, "rt", encoding="utf-8") as handle:
        return [json.load(handle)], None


def _print(name: str, doc: dict[str, Any]) -> None:
    print(
        f"\n== {name}: {doc['n']:,} finished commitments ({doc['events']:,} events), "
        f"backtest {doc['seconds']:.1f} s, {doc['refits']} refits"
    )
    print(f"{'forecast':14} {'Brier':>7} {'log loss':>9} {'ECE':>7} {'skill':>7}")
    rows = [("Accord", doc)] + [(k, v) for k, v in doc["comparisons"].items()]
    for label, scores in rows:
        print(
            f"{label:14} {scores['brier']:7.4f} {scores['log_loss']:9.4f} {scores['ece']:7.4f} "
            f"{(scores['skill'] or 0):+7.3f}"
        )
    if "oracle_share" in doc:
        print(
            f"{'oracle':14} {doc['brier_oracle']:7.4f}   share of the oracle's skill "
            f"{doc['oracle_share']:.3f}"
        )
    print(doc["verdict"])
    print(f"{'lead time':14} {'n':>6} {'on time':>8} {'Accord':>8} {'pair E':>8} {'running':>8}")
    for bucket in doc["by_lead_time"]:
        if bucket["n"]:
            cells = [bucket[k]["skill"] for k in ("forecast", "pair_ability", "running_rate")]
            print(
                f"{bucket['bucket']:14} {bucket['n']:6} {bucket['observed']:8.3f} "
                + " ".join(f"{(c or 0):+8.3f}" for c in cells)
            )
    purpose = doc["purpose"]
    if purpose["n"]:
        print(
            f"purposes: {purpose['n']} purpose-months, Brier {purpose['brier']:.4f} "
            f"vs {purpose['brier_base']:.4f} for the share of months landed whole"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default="/tmp/accord-bench-forecast")
    parser.add_argument("--sim-teams", type=int, default=200)
    parser.add_argument("--sim-commitments", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="also time fit and reads on this database URL")
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        help="also time fit and backtest on the real data's events copied this many times "
        "(16: about 500,000 commitments)",
    )
    parser.add_argument("--out", help="write every figure as JSON here")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings(database_url="sqlite://", secret_key="bench")
    figures: dict[str, Any] = {}
    if DEV_DATA.exists():
        url, _ = organization(work, "jira-dev", _dev_data)
        figures["dev_data"] = backtest(url, settings, None)
        _print("real data (Jira, ../shared/data)", figures["dev_data"])
        figures["dev_data_timings"] = timings(url, settings, args.reads)
    else:
        print(f"no {DEV_DATA}: the real-data part is skipped", file=sys.stderr)

    def simulated() -> tuple[list[dict[str, Any]], dict[str, float]]:
        sim = simulate_realistic(args.sim_teams, args.sim_commitments, seed=args.seed)
        return list(documents(sim, 50_000)), sim.truth

    name = f"sim-{args.sim_teams}-{args.sim_commitments}-{args.seed}"
    url, truth = organization(work, name, simulated)
    figures["simulator"] = backtest(url, settings, truth)
    _print(f"realistic simulator ({args.sim_teams} teams, seed {args.seed})", figures["simulator"])
    figures["simulator_timings"] = timings(url, settings, args.reads)
    if args.db:
        figures["db_timings"] = timings(args.db, settings, args.reads)
    if args.scale > 1 and DEV_DATA.exists():
        big = scaled_copy(work, organization(work, "jira-dev", _dev_data)[0], args.scale)
        figures["scale"] = scale_timings(big, settings)
        t = figures["scale"]
        print(
            f"\nreal data x{args.scale}: {t['events']:,} events, {t['finished']:,} finished; "
            f"reading the log {t['read_s']:.1f} s; accord trust fit --quick "
            f"{t['fit_quick_s']:.1f} s; accord trust backtest {t['backtest_s']:.1f} s; "
            f"accord trust fit (with its backtest) {t['fit_with_backtest_s']:.1f} s"
        )
    for key in ("dev_data_timings", "simulator_timings", "db_timings"):
        if key in figures:
            t = figures[key]
            print(
                f"\n{key}: fit {t['fit_s']:.1f} s; forecast read median "
                f"{t['forecast_read']['median_ms']:.2f} ms p99 {t['forecast_read']['p99_ms']:.2f} "
                f"ms; team trust p99 {t['team_trust_read']['p99_ms']:.2f} ms; floor (SELECT 1) "
                f"median {t['floor']['median_ms']:.2f} ms"
            )
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
