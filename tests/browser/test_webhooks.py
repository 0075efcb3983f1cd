"""Webhooks in a real Chromium: a team's lead adds one on the team page (a refused address said
beside the input, the secret shown once), sends it a test and removes it; a member and another
team's lead see no such section; an admin retries a dead delivery from the Deliveries page."""

from __future__ import annotations

import re

from browsing import NewPage, Organization, PageWatch
from playwright.sync_api import Dialog, expect

from accord.config import Settings
from accord.notify import service as notify
from accord.notify.delivery import Delivery, DeliveryFailed
from accord.notify.domain import DeliveryState, Outlet
from accord.notify.worker import Worker
from accord.org.domain import Operator
from factories import SETTINGS

HOOK = "https://93.184.216.34/accord"  # a public address: no name to look up


def accept(dialog: Dialog) -> None:
    dialog.accept()


def test_a_lead_adds_a_webhook_sees_its_secret_once_and_removes_it(
    new_page: NewPage, organization: Organization, page_watch: PageWatch
) -> None:
    page_watch.expect(r"status of 422")  # the refused address
    page = new_page(organization.data_lead)
    page.goto(f"/teams/{organization.data}")
    section = page.locator("#webhooks")
    expect(section.get_by_role("heading", name="Webhooks")).to_be_visible()
    expect(section).to_contain_text("No webhook yet.")

    address = section.get_by_label("Address (URL)")
    address.fill("http://169.254.169.254/latest/meta-data")
    section.get_by_role("button", name="Add webhook").click()
    section = page.locator("#webhooks")
    address = section.get_by_label("Address (URL)")
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(address).to_have_value("http://169.254.169.254/latest/meta-data")
    expect(section.locator(".field-error")).to_have_text(
        re.compile(r"^The URL leads to a link-local address")
    )

    address.fill(HOOK)
    section.get_by_label("Form").select_option("Chat message (Slack-compatible)")
    section.get_by_role("button", name="Add webhook").click()
    shown = page.get_by_label("Signing secret")
    expect(shown).to_have_value(re.compile(r"^whsec_"))
    [hook] = notify.list_webhooks(organization.uow(), Operator(), organization.data)
    with organization.uow() as uow:
        kept = uow.notify.webhook(hook.id)
        assert kept is not None
        assert shown.input_value() == kept.secret
    row = page.locator(f"#webhook-{hook.id}")
    expect(row).to_contain_text(HOOK)
    expect(row).to_contain_text("Chat message (Slack-compatible)")
    expect(row).to_contain_text("Nothing sent yet")

    page.goto(f"/teams/{organization.data}")
    expect(page.get_by_label("Signing secret")).to_have_count(0)  # shown once, never again
    page.locator(f"#webhook-{hook.id}").get_by_role("button", name="Send a test").click()
    expect(
        page.get_by_role("status").filter(has_text="A test message is on its way")
    ).to_be_visible()
    rows = notify.list_deliveries(organization.uow(), Operator(), limit=5)
    assert rows[0].title.startswith("A test from Accord for Data")

    page.once("dialog", accept)
    page.locator(f"#webhook-{hook.id}").get_by_role("button", name="Remove").click()
    expect(page.locator("#webhooks")).to_contain_text("No webhook yet.")
    assert notify.list_webhooks(organization.uow(), Operator(), organization.data) == []

    # a member of a team, and the lead of another, see no webhooks
    for email, team in (
        (organization.care_member, organization.care),
        (organization.care_lead, organization.data),
    ):
        other = new_page(email)
        other.goto(f"/teams/{team}")
        expect(other.get_by_role("heading", name="Members")).to_be_visible()
        expect(other.locator("#webhooks")).to_have_count(0)


def fail(delivery: Delivery, settings: Settings) -> None:
    raise DeliveryFailed("answered 410 Gone", retry=False)


def deliver(delivery: Delivery, settings: Settings) -> None:
    """Every e-mail goes out."""


def test_an_admin_retries_a_dead_delivery(new_page: NewPage, organization: Organization) -> None:
    made = notify.add_webhook(organization.uow(), Operator(), SETTINGS, organization.data, url=HOOK)
    key = notify.ping_webhook(organization.uow(), Operator(), organization.data, made.webhook.id)
    settings = Settings(database_url="sqlite://", _env_prefix="NONE_")
    senders = {Outlet.WEBHOOK: fail, Outlet.EMAIL: deliver, Outlet.DIGEST: deliver}
    Worker(organization.engine, settings, clock=organization.clock, senders=senders).drain()
    found = notify.list_deliveries(organization.uow(), Operator(), state="dead", limit=200)
    [dead] = [d.row for d in found if d.row.key == key]

    page = new_page(organization.admin)
    page.goto("/admin")
    admin_nav = page.get_by_role("navigation", name="Administration")
    admin_nav.get_by_role("link", name="Deliveries").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deliveries")
    row = page.locator(f"#delivery-{dead.id}")
    expect(row).to_contain_text("A test from Accord for Data <script>alert(1)</script>")
    expect(row).to_contain_text("Webhook of Data <script>alert(1)</script> at 93.184.216.34")
    expect(row).to_contain_text("Dead")
    expect(row).to_contain_text("answered 410 Gone")

    row.get_by_role("button", name=re.compile(r"^Retry")).click()

    expect(page.get_by_role("status").filter(has_text="tried again")).to_be_visible()
    expect(page.locator(f"#delivery-{dead.id}")).to_contain_text("Waiting")
    retried = notify.list_deliveries(organization.uow(), Operator(), limit=500)
    [again] = [d.row for d in retried if d.row.id == dead.id]
    assert (again.state, again.attempts) == (DeliveryState.PENDING, 0)
