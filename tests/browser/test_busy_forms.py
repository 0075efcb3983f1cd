"""A form sent while another change holds the server's one turn (`ACCORD_CHANGES_AT_ONCE`) waits
for it; one that waits longer than `ACCORD_CHANGES_WAIT_SECONDS` says, where the form is, that
the server is busy, and changes nothing; sent again once the turn is free, it is made."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import pytest
from browsing import Organization, PageWatch, sign_in
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine

from accord.commitments import service as commitments
from accord.config import Settings
from accord.org import service as org
from factories import OPERATOR
from live_server import serve
from turn_holding import Held


def test_a_move_made_while_another_change_holds_the_turn_says_the_server_is_busy(
    browser: Browser,
    organization: Organization,
    sqlite_engine: Engine,
    clock: Callable[[], datetime],
    page_watch: PageWatch,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = organization.commitment
    url = sqlite_engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="test-secret", changes_wait_seconds=0.5)
    token = org.create_token(organization.uow(), OPERATOR, organization.care_lead, "held")
    request = {
        "partnership": organization.partnership,
        "requester": organization.care,
        "performer": organization.data,
        "title": "Held while the page moves",
        "due": (organization.uow().now() + timedelta(days=20)).isoformat(),
    }
    for base in serve(settings, clock):
        context = browser.new_context(base_url=base, locale="en-GB", timezone_id="UTC")
        page_watch.watch(context)
        page_watch.expect(r"/moves: Failed to load resource: .* status of 503")  # the one refused
        page = context.new_page()
        sign_in(page, organization.data_lead)
        page.goto(f"/commitments/{key}")
        held = Held(monkeypatch)
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(
                httpx.post,
                f"{base}/api/v1/commitments",
                json=request,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            try:
                assert held.entered()
                page.get_by_role("button", name="Promise", exact=True).click()
                expect(page.locator("#flash")).to_contain_text("busy making other changes")
            finally:
                held.go.set()
            assert first.result().status_code == 201
        assert commitments.get_commitment(organization.uow(), key).commitment.state == "requested"
        expect(page.locator(".page-head .state")).to_have_text("Requested")

        page.get_by_role("button", name="Promise", exact=True).click()
        expect(page.locator(".page-head .state")).to_have_text("Promised")
        assert commitments.get_commitment(organization.uow(), key).commitment.state == "promised"
        context.close()
