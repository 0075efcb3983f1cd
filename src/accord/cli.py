"""The `accord` command: set up, import and export, backup and restore, demo, serve, users,
audit, trust.

Longer than most modules on purpose: one Typer app whose commands are each a few lines around a
use case; their help texts read best together.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from accord.config import Settings
from accord.db import make_engine, migrate, schema_is_current
from accord.errors import AccordError, Invalid
from accord.events.domain import parse_instant
from accord.org.domain import GlobalRole, Operator
from accord.uow import UnitOfWork

if TYPE_CHECKING:
    from accord.notify.sink import MailSink

app = typer.Typer(
    help="Accord: the system of record for trust-based partnerships between teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
users_app = typer.Typer(help="People who sign in.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident event log.", no_args_is_help=True)
trust_app = typer.Typer(
    help="Earned and given trust, forecasts, calibration.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(trust_app, name="trust")
notify_app = typer.Typer(help="Notifications by e-mail.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")

OPERATOR = Operator("cli")
# how many of an import's adjustments `accord import` lists unless asked for all
SHOWN = 10


class Failed(Exception):
    """A refusal the CLI prints as one clear message and exits non-zero on."""


def settings() -> Settings:
    """The settings from the environment; a bad value is named and nothing runs."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            where = "".join(f"ACCORD_{str(part).upper()}" for part in problem["loc"])
            message = problem["msg"].removeprefix("Value error, ")
            value = problem.get("input")
            shown = f" (is {value!r})" if where and isinstance(value, str) else ""
            typer.echo(f"error: {where + ': ' if where else ''}{message}{shown}", err=True)
        raise typer.Exit(2) from None


def say(message: str) -> None:
    typer.echo(message)


@contextmanager
def refusals() -> Iterator[None]:
    """Print refusals as `error: …` with their rule, without a traceback, and exit 1."""
    try:
        yield
    except AccordError as error:
        typer.echo(f"error: {error.message}\n(rule: {error.rule})", err=True)
        raise typer.Exit(1) from None
    except Failed as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except OperationalError as error:
        typer.echo(f"error: the database cannot be used: {error.orig}", err=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as error:
        typer.echo(f"error: database error: {error}", err=True)
        raise typer.Exit(2) from None


def open_engine(config: Settings, *, require_schema: bool = True) -> Engine:
    engine = make_engine(config.database_url)
    if require_schema and not schema_is_current(engine):
        raise Failed(
            f"the database {describe(config.database_url)} is not set up or is out of date; "
            "run `accord init` first"
        )
    return engine


def describe(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return str(Path(parsed.database or ":memory:").resolve()) if parsed.database else ":memory:"
    return parsed.render_as_string(hide_password=True)


@app.command()
def init() -> None:
    """Create or upgrade the database named by ACCORD_DATABASE_URL (default: ./accord.db)."""
    config = settings()
    with refusals():
        engine = make_engine(config.database_url)
        migrate(engine)
        _ensure_trust(engine, config)
        say(f"database ready: {describe(config.database_url)}")


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(help="An accord/1 JSON document; - reads standard input.", allow_dash=True),
    ],
    all_adjustments: Annotated[
        bool,
        typer.Option(
            "--all-adjustments", help=f"List every adjustment, not only the first {SHOWN}."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar on the terminal.")
    ] = False,
) -> None:
    """Import an accord/1 document: all or nothing, and importing it again changes nothing.

    The document is read as it comes, one commitment at a time, whatever its size; a bar on
    the terminal (standard error) shows the commitments read, their rate and the time left."""
    from accord.interchange.importer import import_parts
    from accord.interchange.streaming import read_head

    config = settings()
    with refusals(), _spooled(file) as path:
        streamed = read_head(path, str(file))
        engine = open_engine(config)
        with _import_bar(streamed.commitments, quiet) as progress:
            report = import_parts(
                UnitOfWork(engine),
                OPERATOR,
                streamed.head,
                streamed.items(),
                settings=config,
                progress=progress,
                snapshots=False,  # memory stays bounded: the next start makes them
            )
        for section, count in report.created.items():
            say(f"{section:13} {count:6} created {report.unchanged[section]:6} unchanged")
        adjusted = report.adjustments
        if adjusted:
            say(f"{len(adjusted)} adjustment{'s' if len(adjusted) != 1 else ''}:")
            shown = adjusted if all_adjustments else adjusted[:SHOWN]
            for adjustment in shown:
                say(f"  {adjustment}")
            if len(shown) < len(adjusted):
                say(f"  … and {len(adjusted) - len(shown)} more (--all-adjustments lists them)")


@app.command()
def export(
    file: Annotated[
        Path | None, typer.Argument(help="Where to write; standard output if omitted.")
    ] = None,
) -> None:
    """Export everything as one accord/1 JSON document."""
    from accord.interchange.exporter import export_document

    config = settings()
    with refusals():
        document = export_document(UnitOfWork(open_engine(config), read_only=True), settings=config)
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if file is None or str(file) == "-":
            sys.stdout.write(text)
        else:
            try:
                file.write_text(text, encoding="utf-8")
            except OSError as error:
                raise Failed(f"cannot write {file}: {error.strerror}") from None
            say(f"wrote {file}")


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the backup (an SQLite file).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Copy the SQLite database into FILE, safely while it is in use; on PostgreSQL, say how."""
    from accord.backup import back_up

    config = settings()
    with refusals():
        report = back_up(config.database_url, file, force=force)
        say(
            f"wrote {report.path}: {_size(report.size)}, {report.events} events, "
            f"schema {report.revision}, in {report.seconds:.2f} s"
        )


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `accord backup`.")],
) -> None:
    """Restore a backup into an empty SQLite database, bring it up to date, verify its log."""
    from accord.backup import restore as restore_backup

    config = settings()
    with refusals():
        report = restore_backup(config.database_url, file)
        upgraded = f" (upgraded from {report.upgraded_from})" if report.upgraded_from else ""
        say(
            f"restored {file} into {report.database}: {_size(report.size)}, "
            f"schema {report.revision}{upgraded}, in {report.seconds:.2f} s"
        )
        if not report.chain.ok:
            typer.echo(
                f"audit FAILED at event {report.chain.first_bad_id}: {report.chain.problem}\n"
                "(the database holds the backup as it was written, and its event log does not "
                "verify)",
                err=True,
            )
            raise typer.Exit(1)
        say(f"audit ok: {report.chain.checked} events, the chain is intact")


def _size(size: int) -> str:
    """A file's size in decimal units (1 MB = 1,000,000 bytes)."""
    if size < 1000:
        return f"{size} bytes"
    if size < 1000**2:
        return f"{size / 1000:.1f} KB"
    if size < 1000**3:
        return f"{size / 1000**2:.1f} MB"
    return f"{size / 1000**3:.1f} GB"


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="The same seed gives the same organization.")] = 7,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the app afterwards.")
    ] = True,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port to listen on.")] = None,
) -> None:
    """Fill a database with a realistic demo organization, then serve it.

    Without ACCORD_DATABASE_URL the demo gets its own fresh file, ./accord-demo.db; a database
    named by ACCORD_DATABASE_URL must be empty. Without ACCORD_SMTP_HOST the demo's e-mail goes
    to a local mail server it starts, shown to admins on the admin page Mail.
    """
    from accord.demo import DEMO_LOGIN, DEMO_PASSWORD, build_demo
    from accord.interchange.importer import import_document
    from accord.org import service as org

    config = settings()
    with refusals():
        if "database_url" not in config.model_fields_set:  # ACCORD_DATABASE_URL is not set
            path = Path("accord-demo.db").resolve()
            for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                stale.unlink(missing_ok=True)
            config = config.model_copy(update={"database_url": f"sqlite:///{path}"})
        engine = make_engine(config.database_url)
        migrate(engine)
        uow = UnitOfWork(engine)
        with uow:
            if uow.org.teams():
                raise Failed(
                    f"the database {describe(config.database_url)} already has data; "
                    "the demo fills only an empty one"
                )
        _ensure_trust(engine, config)  # the import's upkeep then keeps them with the setting's
        document = build_demo(seed=seed)
        report = import_document(uow, OPERATOR, document, settings=config)
        org.set_passwords(uow, OPERATOR, [p["email"] for p in document["people"]], DEMO_PASSWORD)
        # an import notifies no one; the demo's people find the last three days in their inboxes
        from accord.notify.service import tell_recent

        told = tell_recent(uow, OPERATOR, uow.now() - timedelta(days=3))
        say(
            f"demo organization in {describe(config.database_url)}: "
            + ", ".join(f"{count} {section}" for section, count in report.created.items())
            + f"; {told} notifications of the last three days"
        )
        from accord.trust.fitting import fit_model

        fitted = fit_model(uow, config, OPERATOR)
        if fitted.version is not None:
            say(f"forecast model {fitted.version} fitted on {fitted.finished} commitments")
        say(f"sign in as {DEMO_LOGIN} with password {DEMO_PASSWORD}")
    if serve_after:
        if config.smtp_host:
            _serve(config, host, port, demo_login=DEMO_LOGIN)
            return
        from accord.notify.sink import MailSink

        with MailSink() as sink:
            say(f"e-mail goes to a local mail server on port {sink.port} (the admin page Mail)")
            mail = {"smtp_host": sink.host, "smtp_port": sink.port, "smtp_security": "none"}
            mail |= {"smtp_user": "", "smtp_password": ""}
            _serve(config.model_copy(update=mail), host, port, demo_login=DEMO_LOGIN, sink=sink)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (ACCORD_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port to listen on (ACCORD_PORT).")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processes that serve requests on the one port (several need "
            "ACCORD_SECRET_KEY, so that each reads the others' sessions).",
        ),
    ] = 1,
) -> None:
    """Serve the web app and the API."""
    config = settings()
    with refusals():
        if workers > 1 and not config.secret_key:
            raise Failed(
                f"--workers {workers} needs ACCORD_SECRET_KEY: without it each worker signs "
                "sessions with a key of its own, and a person signed in on one is signed out on "
                "the next; set it to a long random value, e.g. "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        engine = open_engine(config)
        _ensure_trust(engine, config)
        engine.dispose()
    _serve(config, host, port, workers=workers)


def _ensure_trust(engine: Engine, config: Settings, *, err: bool = False) -> None:
    """Before anything reads trust: stored sums that are missing, or were built with another
    half-life than ACCORD_HALF_LIFE_DAYS, are rebuilt once from the event log, with a bar while
    it replays. With `err`, what was done is said on standard error (the command's standard
    output is a document)."""
    from accord.health.service import fill_earned
    from accord.trust.service import ensure_built, refresh_snapshots, stale_events

    uow = UnitOfWork(engine)
    events = stale_events(uow, config)
    if events is not None:
        with _replaying(events) as progress:
            rebuilt = ensure_built(uow, config, progress)
        if rebuilt:
            typer.echo(
                f"trust sums rebuilt from the event log (half-life {config.half_life_days:g} days)",
                err=err,
            )
    else:
        # snapshots dropped by history told later about the past (an import) are made again
        refresh_snapshots(UnitOfWork(engine))
    # rounds an older version imported but could not finish (a crash after its commit)
    if filled := fill_earned(UnitOfWork(engine), config):
        typer.echo(
            f"earned trust read from the event log for {filled} imported health-check rounds",
            err=err,
        )


@contextmanager
def _spooled(file: Path) -> Iterator[Path]:
    """The file to import; standard input (-) first copied to a temporary file, which the
    import reads twice."""
    if str(file) != "-":
        yield file
        return
    with tempfile.TemporaryDirectory(prefix="accord-import-") as directory:
        path = Path(directory) / "stdin.json"
        with path.open("wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        yield path


@contextmanager
def _import_bar(total: int, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A bar on the terminal while an import reads `total` commitments, with their rate and the
    time left; nothing when standard error is not a terminal or with --quiet."""
    if quiet or total == 0 or not sys.stderr.isatty():
        yield None
        return
    started = time.monotonic()
    state = {"read": 0, "shown": 0}

    def rate(_: object) -> str:
        elapsed = time.monotonic() - started
        return f"{state['read'] / elapsed:,.0f}/s" if elapsed > 0 else ""

    with typer.progressbar(
        length=total,
        label="importing commitments",
        file=sys.stderr,
        show_pos=True,
        show_eta=True,
        item_show_func=rate,
    ) as bar:

        def advance(count: int) -> None:
            state["read"] += count
            if state["read"] - state["shown"] >= 500 or state["read"] == total:
                bar.update(state["read"] - state["shown"])
                state["shown"] = state["read"]

        yield advance


@contextmanager
def _replaying(events: int) -> Iterator[Callable[[int], None]]:
    """A bar on the terminal while a rebuild replays `events` commitment events; yields what
    moves it on."""
    with typer.progressbar(length=events, label="replaying events", file=sys.stderr) as bar:
        yield bar.update


def _serve(
    config: Settings,
    host: str | None,
    port: int | None,
    demo_login: str | None = None,
    sink: MailSink | None = None,
    workers: int = 1,
) -> None:
    import secrets

    from accord import server
    from accord.app import create_app

    config = config.model_copy(
        update={
            "host": host if host is not None else config.host,
            "port": port if port is not None else config.port,
        }
    )
    shown_host = "localhost" if config.host in ("127.0.0.1", "0.0.0.0") else config.host
    # several workers each build their own app from the environment; one serves this one
    app = create_app(config) if workers == 1 else None
    address = f"http://{shown_host}:{config.port}/"
    if app is not None:
        app.state.mail_sink = sink  # the demo's local mail server, shown on the admin page Mail
        if demo_login is not None:
            # one link, printed only here, signs the demo lead in: the demo opens on My desk
            token = secrets.token_urlsafe(18)
            app.state.demo_login = (demo_login, token)
            address += f"sign-in/demo?token={token}"
    shown_workers = f", {workers} workers" if workers > 1 else ""
    say(f"Accord is running at {address}{shown_workers}  (Ctrl+C stops it)")

    def beside() -> Callable[[], None]:
        """The refits and the notifications worker: once per server, in this process."""
        engine = app.state.engine if app is not None else make_engine(config.database_url)
        refitter = None
        if config.forecast_refit_hours > 0:
            from accord.trust.fitting import Refitter

            refitter = Refitter(lambda: UnitOfWork(engine), config)
            refitter.start()
        stop_worker = None
        if config.serve_worker:
            from accord.notify.worker import start_in_thread

            stop_worker = start_in_thread(engine, config)

        def stop() -> None:
            if stop_worker is not None:
                stop_worker()
            if refitter is not None:
                refitter.stop()
            if app is None:
                engine.dispose()

        return stop

    server.run(app, config, workers=workers, beside=beside)


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then stop.")
    ] = False,
) -> None:
    """Deliver notifications (e-mail, webhooks) and schedule reminders, until stopped.

    Run one or more beside app servers started with ACCORD_SERVE_WORKER=false; several workers
    never deliver the same notification at the same time.
    """
    import signal
    import threading

    from accord.notify.worker import Worker

    config = settings()
    with refusals():
        engine = open_engine(config)
        runner = Worker(engine, config)
        if once:
            say(f"delivered {runner.drain()} notifications")
            return
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
        say(f"worker {runner.name} delivers notifications (Ctrl+C stops it)")
        runner.run(stop)
        say("worker stopped")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="The person's e-mail, used to sign in.")],
    name: Annotated[str, typer.Option(help="The person's name.")],
    role: Annotated[GlobalRole, typer.Option(help="Global role.")] = GlobalRole.MEMBER,
    password: Annotated[str | None, typer.Option(help="Password (8 characters or more).")] = None,
    token: Annotated[
        bool, typer.Option("--token", help="Also make an API token; printed on the last line.")
    ] = False,
) -> None:
    """Create a person; with --token, print a new API token on the last line."""
    from accord.org import service as org

    config = settings()
    with refusals():
        uow = UnitOfWork(open_engine(config))
        person = org.create_person(
            uow, OPERATOR, email=email, name=name, role=role, password=password
        )
        say(f"created {person.email} ({person.role.value})")
        if token:
            longest = config.token_days
            say(org.create_token(uow, OPERATOR, person.email, "cli", days=longest, longest=longest))


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument(help="Whose token: the person's e-mail.")],
    name: Annotated[str, typer.Option(help="A name to tell the token apart.")] = "cli",
    days: Annotated[
        int | None,
        typer.Option(help="Days the token lives (default and longest: ACCORD_TOKEN_DAYS)."),
    ] = None,
) -> None:
    """Make a new API token for a person; printed once, on the last line."""
    from accord.org import service as org

    config = settings()
    with refusals():
        uow = UnitOfWork(open_engine(config))
        longest = config.token_days
        say(org.create_token(uow, OPERATOR, email, name, days=days or longest, longest=longest))


@users_app.command("list")
def users_list() -> None:
    """List people: e-mail, role, name, teams."""
    from accord.org import service as org

    config = settings()
    with refusals():
        for person in org.list_people(UnitOfWork(open_engine(config), read_only=True)):
            teams = ", ".join(f"{m.team.slug} ({m.role.value})" for m in person.current_memberships)
            say(f"{person.email:32} {person.role.value:7} {person.name:24} {teams}")


@users_app.command("set-password")
def users_set_password(
    email: Annotated[str, typer.Argument(help="The person's e-mail.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="The new password."
        ),
    ],
) -> None:
    """Set a person's password."""
    from accord.org import service as org

    config = settings()
    with refusals():
        org.set_password(UnitOfWork(open_engine(config)), OPERATOR, email, password)
        say(f"password set for {email.strip().lower()}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain of the event log; name the first bad event and exit 1 if broken."""
    from accord.events import service as events

    config = settings()
    with refusals():
        report = events.verify(UnitOfWork(open_engine(config), read_only=True))
        if not report.ok:
            typer.echo(f"audit FAILED at event {report.first_bad_id}: {report.problem}", err=True)
            raise typer.Exit(1)
        say(f"audit ok: {report.checked} events, the chain is intact")


@notify_app.command("test")
def notify_test(
    email: Annotated[str, typer.Argument(help="Address the test e-mail goes to.")],
) -> None:
    """Send one e-mail now through the SMTP server of ACCORD_SMTP_*, to check those settings."""
    from accord.notify.delivery import DeliveryFailed
    from accord.notify.mail import send, trial_message

    config = settings()
    with refusals():
        if not config.smtp_host:
            raise Failed(
                "no SMTP server is set up: set ACCORD_SMTP_HOST (and ACCORD_SMTP_PORT, "
                "ACCORD_SMTP_SECURITY, ACCORD_SMTP_USER, ACCORD_SMTP_PASSWORD as it needs)"
            )
        try:
            message = trial_message(email, config)
        except ValueError as error:
            raise Failed(str(error)) from None
        try:
            send(message, config)
        except DeliveryFailed as error:
            raise Failed(error.message) from None
    say(
        f"sent a test e-mail to {email} through {config.smtp_host}:{config.smtp_port} "
        f"({config.smtp_security})"
    )


def _instant(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 instant with a zone, or a date (midnight UTC)."""
    if text is None:
        return None
    try:
        return parse_instant(text, option)
    except Invalid as error:
        raise Failed(str(error)) from None


@trust_app.command("show")
def trust_show(
    team: Annotated[str, typer.Argument(help="The performer team (slug).")],
    of: Annotated[
        str | None, typer.Option("--of", help="The requester team: trust as that team sees it.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="An ISO 8601 instant; default now.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The DESIGN §6 document.")] = False,
) -> None:
    """A team's earned trust, or the pair's with --of, with its uncertainty."""
    from accord.trust.service import trust_of

    config = settings()
    with refusals():
        moment = _instant(as_of, "--as-of")
        engine = open_engine(config)
        _ensure_trust(engine, config, err=True)
        report = trust_of(
            UnitOfWork(engine, read_only=True),
            config,
            OPERATOR,
            team,
            of=of,
            as_of=moment,
        )
        document = report.document()
        if as_json:
            say(json.dumps(document, indent=2))
            return
        seen = f"{team} as seen by {of}" if of else f"{team} as seen by everyone"
        say(f"{seen}, as of {document['as_of']}")
        say(
            f"{'':10} {'expected':>8} {'belief':>8} {'disbelief':>9} {'uncertain':>9} "
            f"{'r':>8} {'s':>8}"
        )
        for name in ("ability", "integrity", "value"):
            d = document[name]
            say(
                f"{name:10} {d['expected']:8.3f} {d['belief']:8.3f} {d['disbelief']:9.3f} "
                f"{d['uncertainty']:9.3f} {d['r']:8.2f} {d['s']:8.2f}"
            )
        overall = document["overall"]
        say(
            f"{'overall':10} {overall['expected']:8.3f} {'':8} {'':9} {overall['uncertainty']:9.3f}"
        )
        say(f"network reputation {document['network']:.2f} (1.00 = average)")
        say("in words (each figure with its 80% range, and what it rests on):")
        for name in ("ability", "integrity", "value", "overall"):
            say(f"  {name:10} {document[name]['words']}")
        if of:
            flags = ", ".join(document["flags"]) or "none"
            say(
                f"trust given {document['given']:.2f} · gap {document['gap']:+.2f} · flags: {flags}"
            )
            for cause in document["flag_causes"]:
                say(f"  {cause['flag'].replace('_', '-')}: {cause['words']}")


@trust_app.command("forecast")
def trust_forecast(
    purpose: Annotated[str, typer.Argument(help="The purpose (key).")],
    seed: Annotated[int, typer.Option(help="Seed of the Monte Carlo draws.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Will a purpose's high and critical commitments land on time? Exact P(all), the
    expected count and its distribution."""
    from accord.events.domain import iso
    from accord.trust.forecast import purpose_forecast

    config = settings()
    with refusals():
        engine = open_engine(config)
        _ensure_trust(engine, config, err=True)
        result = purpose_forecast(
            UnitOfWork(engine, read_only=True), config, OPERATOR, purpose, seed=seed
        )
        outlook = result.outlook
        document = result.document()
        if as_json:
            say(json.dumps(document, indent=2))
            return
        count = len(result.commitments)
        if not count:
            say(f"{purpose}: no open commitment with reliance high or critical")
            return
        noun = "commitment" if count == 1 else "commitments"
        say(f"{purpose}: {count} open {noun} with reliance high or critical")
        for c in result.commitments:
            late = "  OVERDUE" if c.overdue else ""
            chance = f"{c.probability:5.1%}" if c.probability is not None else "    -"
            say(f"  {chance}  {c.key:30} {c.performer} for {c.requester}, due {iso(c.due)}{late}")
        say(f"all on time: {outlook.probability_all:.1%}")
        say(f"expected on time: {outlook.expected_count:.2f} of {count}")
        for landed, share in enumerate(outlook.distribution):
            say(f"  {landed:3} on time  {share:6.1%}  {'#' * round(share * 50)}")


@trust_app.command("backtest")
def trust_backtest(
    as_json: Annotated[bool, typer.Option("--json", help="The document of DESIGN §6.")] = False,
) -> None:
    """How well the forecast predicted every finished commitment: Brier, skill, reliability."""
    from accord.trust.backtest import backtest

    config = settings()
    with refusals():
        result = backtest(UnitOfWork(open_engine(config), read_only=True), config, OPERATOR)
        document = result.document()
        if as_json:
            say(json.dumps(document, indent=2))
            return
        forecast = result.forecast
        if forecast.n == 0:
            say("no finished commitments yet: nothing to score")
            return
        how = (
            f"{result.model_share:.0%} by a model refitted {result.refits} times on a rolling "
            "origin, the rest by the pair's record"
            if result.refits
            else "all by the pair's record: too few had finished before them to fit a model"
        )
        say(
            f"{forecast.n} finished commitments, each forecast from what was known at its "
            f"promise ({how})"
        )
        say(result.verdict)
        say("")
        say("forecast        Brier   log loss    ECE   skill")
        for name, scores in (
            ("Accord", forecast),
            ("pair ability", result.pair_ability),
            ("running rate", result.running_rate),
            ("base rate", result.base_rate),
        ):
            skill = f"{scores.skill:+.3f}" if scores.skill is not None else "    -"
            say(
                f"{name:13} {scores.brier or 0:7.4f}  {scores.log_loss or 0:8.4f}  "
                f"{scores.ece or 0:6.4f}  {skill}"
            )
        say("")
        say("lead time          n  on time  skill: Accord  pair  running")
        for bucket in result.by_lead_time:
            if not bucket.n:
                continue
            cells = [
                f"{s.skill:+.3f}" if s.skill is not None else "   -"
                for s in (bucket.forecast, bucket.pair_ability, bucket.running_rate)
            ]
            say(
                f"{bucket.name:14} {bucket.n:6}  {bucket.observed or 0:6.1%}  "
                f"{cells[0]:>12} {cells[1]:>6} {cells[2]:>8}"
            )
        say("")
        say("forecast      n   mean  observed   0 ......... observed share ......... 1")
        for line in reliability_lines(forecast.bins):
            say(line)
        say("(# = observed share on time, | = mean forecast: a calibrated bin has # up to |)")


@trust_app.command("fit")
def trust_fit(
    as_json: Annotated[bool, typer.Option("--json", help="The fit's report as JSON.")] = False,
    quick: Annotated[
        bool, typer.Option("--quick", help="Skip the model's own rolling backtest.")
    ] = False,
) -> None:
    """Fit the forecast model on the organization's history and store it as the new version."""
    from accord.trust.fitting import fit_model

    config = settings()
    bar_state: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if as_json:
            return
        if stage != "backtest":
            say(f"{stage}: {done:,}")
            return
        bar = bar_state.get("bar")
        if bar is None:
            bar = bar_state["bar"] = typer.progressbar(
                length=total, label="backtest", file=sys.stderr
            )
            bar.__enter__()
        bar.update(done - bar_state.get("done", 0))
        bar_state["done"] = done

    with refusals():
        try:
            report = fit_model(
                UnitOfWork(open_engine(config)),
                config,
                OPERATOR,
                progress=progress,
                backtest=not quick,
            )
        finally:
            if "bar" in bar_state:
                bar_state["bar"].__exit__(None, None, None)
        if as_json:
            say(json.dumps(report.document(), indent=2))
            return
        if report.version is None:
            say(
                f"{report.finished} finished commitments: a model needs "
                f"{config.forecast_min_history} (ACCORD_FORECAST_MIN_HISTORY); forecasts stay "
                "the pair's ability"
            )
            return
        say(
            f"model {report.version}: fitted on {report.trained_on:,} commitments, calibrated on "
            f"the {report.calibrated_on:,} settled last, in {report.seconds:.1f} s"
        )
        if report.overdue:
            say(
                f"{report.overdue:,} of them are still open past their due date: failures "
                "already, learned from as such"
            )
        scores = report.scores
        if scores.get("n"):
            pair = scores["comparisons"]["pair_ability"]["brier"]
            say(
                f"backtest: Brier {scores['brier']:.4f} (base rate {scores['brier_base']:.4f}, "
                f"pair ability {pair:.4f}), ECE {scores['ece']:.4f}"
            )
            say(scores["verdict"])


def reliability_lines(bins: Any, width: int = 40) -> list[str]:
    """The reliability diagram drawn in text, one line per bin."""
    lines = []
    for b in bins:
        label = f"{b.lo:.1f}-{b.hi:.1f}"
        if not b.n:
            lines.append(f"{label}  {0:5}      -         -")
            continue
        bar = ["#" if i < round(b.observed * width) else " " for i in range(width)]
        mark = min(int(b.mean_forecast * width), width - 1)
        bar[mark] = "|"
        lines.append(
            f"{label}  {b.n:5}  {b.mean_forecast:5.3f}    {b.observed:5.3f}   {''.join(bar)}"
        )
    return lines


@trust_app.command("rebuild")
def trust_rebuild() -> None:
    """Recompute the stored trust sums from the event log."""
    from accord.trust.service import rebuild

    config = settings()
    with refusals():
        engine = open_engine(config)
        uow = UnitOfWork(engine)
        with uow:
            total = uow.trust.count_commitment_events()
        with _replaying(total) as progress:
            report = rebuild(uow, config, OPERATOR, progress=progress)
        say(
            f"trust rebuilt: {report.events} events, {report.commitments} commitments, "
            f"{report.pairs} pairs with evidence, {report.open} open"
        )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
