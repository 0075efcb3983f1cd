"""Fixtures for tests that drive a real Chromium against a live Accord server.

The Chromium is Debian's (scripts/ensure-chromium.sh; ACCORD_TEST_CHROMIUM names another one),
driven through Playwright's sync API. Without it these tests are skipped, or fail where a
browser is required (ACCORD_REQUIRE_BROWSER=1, as `make test` sets). Every test here is marked
`browser` and `slow`. The server runs in a thread, since the sync API keeps the main thread's
event loop to itself; every page a test opens must log no console error and raise no error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from browsing import DESKTOP, PASSWORD, NewPage, Organization, PageWatch, Shot, sign_in
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)
from sqlalchemy import Engine

from accord.commitments import service as commitments
from accord.config import Settings
from accord.health import service as health
from accord.health.domain import Statement
from accord.org import service as org
from accord.org.domain import Operator
from accord.stories import service as stories
from accord.uow import UnitOfWork
from built_once import built_once
from factories import SETTINGS, make_partnership, make_person, make_purpose, make_team
from live_server import serve

CHROMIUM_ENV = "ACCORD_TEST_CHROMIUM"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE.parents[1] / "build" / "screenshots"
# Actions wait this long (ms) before failing; Playwright's 30 s only makes a broken test slow.
TIMEOUT_MS = 15_000
# Assertions wait as long as actions: on a loaded 2-core runner a navigation after a form post
# can take more than Playwright's 5 s default, which fails a correct page.
expect.set_options(timeout=TIMEOUT_MS)


def in_here(item: pytest.Item | None) -> bool:
    return item is not None and HERE in item.path.parents


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks the tests here before `-m` deselects by mark."""
    for item in items:
        if in_here(item):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


class Chromium:
    """One Chromium for a run of browser tests, started by the first, stopped after the last.

    Not a session fixture: between its calls the sync API marks its event loop as the running
    one, which would make asyncio.run() fail in every test that comes after the browser tests.
    """

    def __init__(self) -> None:
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None

    def get(self) -> Browser:
        if self.browser is None:
            path = os.environ.get(CHROMIUM_ENV, "/usr/bin/chromium")
            if not os.access(path, os.X_OK):
                how = f"run `make test`, or scripts/ensure-chromium.sh, or set {CHROMIUM_ENV}"
                if os.environ.get("ACCORD_REQUIRE_BROWSER") == "1":
                    pytest.fail(
                        f"no Chromium at {path}, but a browser is required here "
                        f"(ACCORD_REQUIRE_BROWSER=1): {how}",
                        pytrace=False,
                    )
                pytest.skip(f"browser test: no Chromium at {path} ({how})")
            self.playwright = sync_playwright().start()
            try:
                self.browser = self.playwright.chromium.launch(
                    executable_path=path, headless=True, args=CHROMIUM_ARGS
                )
            except BaseException:
                self.stop()  # else the next test would start a second driver and fail on it
                raise
        return self.browser

    def stop(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self.browser = None
        if self.playwright is not None:
            self.playwright.stop()
            self.playwright = None


chromium = Chromium()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Stops Chromium once the test's own fixtures are gone, unless a browser test is next."""
    try:
        return (yield)
    finally:
        if not in_here(nextitem):
            chromium.stop()


def pytest_sessionfinish() -> None:
    chromium.stop()


@pytest.fixture
def browser() -> Browser:
    """The Chromium, shared by the browser tests that run one after another."""
    return chromium.get()


@pytest.fixture
def organization(
    request: pytest.FixtureRequest, sqlite_engine: Engine, clock: Callable[[], datetime]
) -> Organization:
    """Teams data and care in an active partnership; care requested a commitment of data.

    Ana leads data, whose name holds a <script>; Bo leads care, Cy is a member of care, Root
    is an admin. Everyone's password is PASSWORD. Built once per module, then copied.
    """
    keys = built_once(request, sqlite_engine, lambda: build_organization(sqlite_engine, clock))
    return Organization(sqlite_engine, clock, **keys)


def build_organization(sqlite_engine: Engine, clock: Callable[[], datetime]) -> dict[str, str]:
    """The `organization` fixture's records; returns the keys of those that have one."""
    o = Organization
    uow = UnitOfWork(sqlite_engine, clock=clock)
    make_team(uow, o.data, name=o.data_name, mission="Signals from the numbers")
    make_team(uow, o.care, name=o.care_name, mission="Customers helped at once")
    ana = make_person(uow, o.data_lead, teams={o.data: "lead"}, name="Ana Lima")
    bo = make_person(uow, o.care_lead, teams={o.care: "lead"}, name="Bo Berg")
    make_person(uow, o.care_member, teams={o.care: "member"}, name="Cy Chen")
    make_person(uow, o.admin, role="admin", name="Root Admin")
    emails = [o.data_lead, o.care_lead, o.care_member, o.admin]
    org.set_passwords(uow, Operator(), emails, PASSWORD)
    purpose = make_purpose(uow, bo)
    partnership = make_partnership(
        uow,
        ana,
        purpose=purpose,
        parties=[(o.data, "Signals"), (o.care, "Playbooks")],
        affirmed_by=[ana, bo],
    )
    commitment = commitments.request(
        uow,
        bo,
        partnership=partnership.key,
        requester=o.care,
        performer=o.data,
        title="Daily churn-risk score",
        due=uow.now() + timedelta(days=20),
        conditions_of_satisfaction="In the CRM by 08:00 every day",
        reliance="high",
    )
    stories.create_story(
        uow,
        bo,
        key=Organization.story,
        title="A weekly demo",
        body="We show **working** software every Friday.\n\n- one rule\n- one demo",
        tags=["rituals"],
        partnerships=[partnership.key],
        results="Fewer surprises at the review.",
    )
    start = uow.now() - timedelta(days=60)
    health.open_round(
        uow,
        SETTINGS,
        Operator(),
        partnership.key,
        start + timedelta(days=14),
        key=o.closed_health_check,
        opened_at=start,
        imported=True,
    )
    spread = {s.value: [0, 1, 0, 2, 0] for s in Statement}
    health.set_tallies(
        uow, Operator(), o.closed_health_check, {o.data: (3, spread), o.care: (3, spread)}
    )
    health.open_round(
        uow, SETTINGS, ana, partnership.key, uow.now() + timedelta(days=14), key=o.health_check
    )
    return {"purpose": purpose.key, "partnership": partnership.key, "commitment": commitment.key}


@pytest.fixture
def live_url(sqlite_engine: Engine, clock: Callable[[], datetime]) -> Iterator[str]:
    """A real server on the test's SQLite database and clock (the clock stands still)."""
    url = sqlite_engine.url.render_as_string(hide_password=False)
    yield from serve(Settings(database_url=url, secret_key="test-secret"), clock)


@pytest.fixture
def page_watch() -> Iterator[PageWatch]:
    """Collects the console errors and uncaught errors of the test's pages; fails on any."""
    watch = PageWatch()
    yield watch
    unexpected = watch.unexpected()
    assert not unexpected, "the pages logged errors:\n" + "\n".join(unexpected)


@pytest.fixture
def new_page(browser: Browser, live_url: str, page_watch: PageWatch) -> Iterator[NewPage]:
    """Makes pages: `new_page(email=None, viewport=DESKTOP)`, each in a context of its own.

    With an e-mail the page is signed in through the sign-in form and is on the page after it
    (My desk); two calls are two people in two browsers, with cookies of their own.
    """
    contexts: list[BrowserContext] = []

    def make(email: str | None = None, viewport: ViewportSize = DESKTOP) -> Page:
        context = browser.new_context(
            base_url=live_url, viewport=viewport, locale="en-GB", timezone_id="UTC"
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        page_watch.watch(context)
        page = context.new_page()
        if email is not None:
            sign_in(page, email)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot() -> Shot:
    """`shot(page, name)` saves a full-page screenshot to build/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take
