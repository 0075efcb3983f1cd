"""What browser tests share besides fixtures: screen sizes, the sign-in form, the page watch."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Page, ViewportSize, WebError
from sqlalchemy import Engine

from accord.uow import UnitOfWork

PASSWORD = "correct horse"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


class NewPage(Protocol):
    """The `new_page` fixture: a page in a browser context of its own, signed in as `email`."""

    def __call__(self, email: str | None = None, viewport: ViewportSize = DESKTOP) -> Page: ...


Shot = Callable[[Page, str], Path]


@dataclass(frozen=True)
class Organization:
    """The people, teams and records of the `organization` fixture; every person has PASSWORD."""

    engine: Engine
    clock: Callable[[], datetime]
    purpose: str
    partnership: str
    commitment: str
    story: str = "weekly-demo"  # told by the care lead, about the partnership
    health_check: str = "signals-q2"  # open, opened by the data lead
    closed_health_check: str = "signals-q1"  # closed, three of each party answered
    data_lead: str = "ana@example.org"
    care_lead: str = "bo@example.org"
    care_member: str = "cy@example.org"
    admin: str = "root@example.org"
    data: str = "data"
    care: str = "care"
    data_name: str = "Data <script>alert(1)</script>"
    care_name: str = "Customer Care"

    def uow(self) -> UnitOfWork:
        """A unit of work on the server's database and clock, to check what a page changed."""
        return UnitOfWork(self.engine, clock=self.clock)


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form; returns once the page after it has loaded."""
    page.goto("/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if urlsplit(page.url).path == "/sign-in":
        alert = page.get_by_role("alert")
        why = alert.inner_text() if alert.count() else page.title()
        raise AssertionError(f"could not sign in as {email}: {why}")


def scripts_ran(page: Page) -> None:
    """Returns once the page's load event has fired: its scripts (htmx, accord.js) have run and
    listen, so that an action only they answer (a change htmx sends, a confirm) is not made
    before. Call it once the page a click led to is shown (a check of its heading, say): right
    after the click the page before it may still be the one loaded."""
    page.wait_for_load_state("load")


@dataclass
class PageWatch:
    """Console errors and uncaught errors of every page in a test; each must be expected.

    Chromium reports a blocked inline script or style (a CSP violation) as a console error, and
    an answer with status 4xx or 5xx as "Failed to load resource", so a test that means to get
    one says so with `expect(pattern)`.
    """

    seen: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("console", self._console)
        context.on("weberror", self._error)

    def expect(self, pattern: str) -> None:
        """Let console errors matching the regular expression `pattern` pass."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [s for s in self.seen if not any(p.search(s) for p in self.expected)]

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.seen.append(f"console error at {where}: {message.text}")

    def _error(self, error: WebError) -> None:
        where = error.page.url if error.page else ""
        self.seen.append(f"uncaught error at {where}: {error.error}")
