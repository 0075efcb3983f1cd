"""The inbox in a real Chromium: a partner's request rings the header's bell, the inbox leads
to it, marking all read silences the bell, and the profile keeps where one hears of what and
the feed token of one's calendar."""

from __future__ import annotations

import re

import httpx
from browsing import NewPage, Organization
from playwright.sync_api import Dialog, expect

from accord.notify import service as notify
from accord.notify.domain import Channel, Kind
from accord.org import service as org


def accept(dialog: Dialog) -> None:
    dialog.accept()


def test_a_partners_request_rings_the_bell_and_the_inbox_leads_to_it(
    new_page: NewPage, organization: Organization, live_url: str
) -> None:
    ana = org.get_person(organization.uow(), organization.data_lead)
    unread = notify.unread_count(organization.uow(), ana)
    assert unread >= 1  # bo's request of data, and what else the organization's start told ana
    page = new_page(organization.data_lead)
    bell = page.get_by_role("banner").get_by_role("link", name=re.compile(r"^Inbox"))
    expect(bell).to_have_accessible_name(f"Inbox, {unread} unread")

    bell.click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    request = page.get_by_role("listitem").filter(has_text="Daily churn-risk score").first
    expect(request).to_contain_text("New")
    expect(request).to_contain_text("Customer Care asks Data <script>alert(1)</script> for")
    request.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/commitments/{organization.commitment}$"))
    expect(bell).to_have_accessible_name(f"Inbox, {unread - 1} unread" if unread > 1 else "Inbox")

    page.goto("/inbox")
    opened = page.get_by_role("listitem").filter(has_text="Daily churn-risk score").first
    expect(opened).not_to_contain_text("New")
    if unread > 1:
        page.get_by_role("button", name="Mark all read").click()
        expect(bell).to_have_accessible_name("Inbox")
    expect(page.get_by_text("New", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Mark all read")).to_have_count(0)
    assert notify.unread_count(organization.uow(), ana) == 0
    page.reload()
    expect(bell).to_have_accessible_name("Inbox")

    # where ana hears of a request, chosen on her profile; e-mail reaches only the inbox here
    page.get_by_role("link", name="Choose what you hear of, and how").click()
    section = page.locator("#notifications")
    expect(section).to_contain_text("No e-mail server is set up")
    section.get_by_label("A partner asks your team for something").select_option("Inbox only")
    section.get_by_role("button", name="Save the choices").click()
    expect(page.get_by_role("status").filter(has_text="are saved")).to_be_visible()
    chosen = notify.preferences(organization.uow(), ana)
    assert chosen[Kind.REQUEST] == Channel.INBOX
    assert chosen[Kind.DELIVERY] == Channel.EMAIL

    # the feed token: its calendar address shown once, working until revoked
    page.get_by_role("button", name="Make a feed token").click()
    address = page.get_by_label("Calendar (iCalendar)").input_value()
    assert address.startswith(f"{live_url}/calendar/")
    calendar = httpx.get(address, timeout=60)
    assert calendar.status_code == 200
    assert f"UID:{organization.commitment}@accord" in calendar.text
    page.goto("/profile")
    expect(page.get_by_label("Calendar (iCalendar)")).to_have_count(0)  # never shown again
    page.once("dialog", accept)
    page.get_by_role("button", name="Revoke the feed token").click()
    expect(page.get_by_role("status").filter(has_text="feed token is revoked")).to_be_visible()
    assert httpx.get(address, timeout=60).status_code == 404
