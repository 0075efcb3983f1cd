"""The profile page in a real Chromium: name, password, API tokens, signing out everywhere else,
and times shown and typed in the reader's own time zone (by default the browser's)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from browsing import DESKTOP, PASSWORD, NewPage, Organization, PageWatch, sign_in
from playwright.sync_api import Browser, Dialog, expect

from accord.commitments import service as commitments
from accord.org import service as org
from accord.org.domain import Operator

NEW_PASSWORD = "a longer horse battery"


def accept(dialog: Dialog) -> None:
    dialog.accept()


def test_a_person_changes_name_and_password_makes_a_token_and_signs_out_elsewhere(
    new_page: NewPage, organization: Organization, live_url: str, page_watch: PageWatch
) -> None:
    email = organization.care_member
    page = new_page(email)
    elsewhere = new_page(email)  # the same person in another browser

    page.get_by_role("banner").get_by_role("link", name="Cy Chen").click()
    expect(page).to_have_url(re.compile(r"/profile$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")

    page.get_by_label("Your name").fill("Cy Chen-Park")
    page.get_by_role("button", name="Save the name").click()
    expect(page.get_by_role("status").filter(has_text="name is changed")).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("link", name="Cy Chen-Park")).to_be_visible()

    # a token, shown once, lets a program in until it is revoked
    page.get_by_label("Token name").fill("Nightly report")
    page.get_by_role("button", name="Make a token").click()
    secret = page.get_by_label("Token", exact=True).input_value()
    bearer = {"Authorization": f"Bearer {secret}"}
    me = httpx.get(f"{live_url}/api/v1/me", headers=bearer, timeout=60)
    assert (me.status_code, me.json()["name"], me.json()["time_zone"]) == (
        200,
        "Cy Chen-Park",
        None,
    )
    row = page.get_by_role("row").filter(has_text="Nightly report")
    expect(row).to_contain_text("live")
    page.once("dialog", accept)
    row.get_by_role("button", name="Revoke Nightly report").click()
    expect(page.get_by_role("status").filter(has_text="token is revoked")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Nightly report")).to_contain_text("revoked")
    expect(page.get_by_label("Token", exact=True)).to_have_count(0)  # never shown again
    assert httpx.get(f"{live_url}/api/v1/me", headers=bearer, timeout=60).status_code == 401

    # the current password is needed, and said beside its input when wrong
    page_watch.expect(r"status of 422")
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change the password").click()
    current = page.get_by_label("Current password")
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-form")).to_contain_text("The current password is not right")
    current.fill(PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change the password").click()
    expect(page.get_by_role("status").filter(has_text="password is changed")).to_be_visible()

    # the new password ended the other session; this one stays signed in
    elsewhere.goto("/")
    expect(elsewhere).to_have_url(re.compile(r"/sign-in"))
    sign_in(elsewhere, email, NEW_PASSWORD)
    page.goto("/profile")
    expect(page).to_have_url(re.compile(r"/profile$"))

    page.get_by_role("button", name="Sign out everywhere else").click()
    expect(page.get_by_role("status").filter(has_text="signed out everywhere else")).to_be_visible()
    elsewhere.goto("/")
    expect(elsewhere).to_have_url(re.compile(r"/sign-in"))
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert urlsplit(page.url).path == "/"


def test_times_are_shown_and_typed_in_the_readers_time_zone(
    browser: Browser, live_url: str, organization: Organization, page_watch: PageWatch
) -> None:
    email = organization.care_lead
    # a browser in New York: its zone becomes Bo's, who had chosen none
    context = browser.new_context(
        base_url=live_url, viewport=DESKTOP, locale="en-GB", timezone_id="America/New_York"
    )
    page_watch.watch(context)
    page = context.new_page()
    try:
        sign_in(page, email)
        assert zone_of(organization, email) == "America/New_York"
        # the page reloads itself once the zone is kept, to show times on the reader's clock
        # (a function, not an expression: polling an expression evaluates a string, which the
        # page's Content-Security-Policy refuses when the first check is not yet true)
        page.wait_for_function(
            "() => performance.getEntriesByType('navigation')[0].type === 'reload'"
        )

        page.goto("/profile")
        page.get_by_label("Show and enter times in").select_option("Europe/Paris")
        page.get_by_role("button", name="Save the time zone").click()
        expect(page.get_by_role("status").filter(has_text="your time zone")).to_be_visible()
        assert zone_of(organization, email) == "Europe/Paris"

        # the request was made at 2026-06-01 00:00 UTC, which is 02:00 in Paris in summer
        page.goto(f"/commitments/{organization.commitment}")
        expect(page.get_by_role("main")).to_contain_text("2026-06-01 02:00 CEST")

        # a due date typed without a time means the end of that day, in Paris
        page.goto(f"/partnerships/{organization.partnership}")
        ask = page.locator("#request-form")
        ask.get_by_role("combobox", name="Ask", exact=True).select_option(organization.data)
        ask.get_by_role("textbox", name="What", exact=True).fill("Churn notes")
        ask.get_by_label("Due (Europe/Paris)").fill("2026-07-10")
        expect(ask.get_by_label("Time (optional)")).to_have_value("")
        ask.get_by_role("button", name="Send the request").click()
        page.wait_for_url(re.compile(r"#c-"))
        key = urlsplit(page.url).fragment.removeprefix("c-")
        made = commitments.get_commitment(organization.uow(), key, Operator())
        assert made.commitment.due == datetime(2026, 7, 10, 21, 59, 59, tzinfo=UTC)
    finally:
        context.close()


def zone_of(organization: Organization, email: str, wait: float = 10.0) -> str | None:
    """The person's time zone, once the browser has sent it (it does so after a page loads)."""
    deadline = time.monotonic() + wait
    while True:
        zone = org.get_person(organization.uow(), email).time_zone
        if zone is not None or time.monotonic() > deadline:
            return zone
        time.sleep(0.1)
