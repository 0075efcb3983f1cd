"""Search everything from the header: a commitment by its title, kinds by name, and nothing the
reader may not see."""

from __future__ import annotations

from datetime import timedelta

from browsing import PHONE, NewPage, Organization
from playwright.sync_api import Page, expect

from accord.commitments import service as commitments
from accord.org import service as org
from accord.stories import service as stories


def search_from_the_header(page: Page, words: str) -> None:
    box = page.get_by_role("search", name="Search Accord").get_by_role("searchbox")
    box.fill(words)
    box.press("Enter")
    page.wait_for_url("**/search?q=*")


def test_the_header_finds_a_commitment_and_keeps_hidden_stories_hidden(
    new_page: NewPage, organization: Organization
) -> None:
    uow = organization.uow()
    bo = org.get_person(uow, organization.care_lead)
    asked = commitments.request(
        uow,
        bo,
        partnership=organization.partnership,
        requester=organization.care,
        performer=organization.data,
        title="Billing data feed",
        due=uow.now() + timedelta(days=9),
        conditions_of_satisfaction="Invoices of every account, daily",
    )
    stories.create_story(
        uow, bo, key="billing-secrets", title="Billing secrets", body="Names a customer."
    )
    root = org.get_person(uow, organization.admin)
    stories.hide_story(organization.uow(), root, "billing-secrets", "Names a customer")

    page = new_page(organization.care_member)
    search_from_the_header(page, "Billing data feed")

    hits = page.locator(".search-hit")
    first = hits.first
    expect(first).to_contain_text("Commitment")
    expect(first.get_by_role("link")).to_have_text("Billing data feed")
    expect(first).to_contain_text("Customer Care asks Data <script>alert(1)</script> for Billing")
    expect(page.get_by_role("searchbox", name="Search everything")).to_have_value(
        "Billing data feed"
    )
    # the hidden story is no hit for a member, though its words match
    search_from_the_header(page, "billing")
    expect(page.get_by_role("heading", name="Everything matching “billing”")).to_be_visible()
    expect(hits.get_by_role("link", name="Billing data feed")).to_be_visible()
    expect(hits.get_by_role("link", name="Billing secrets")).to_have_count(0)
    # narrowed to one kind, then nothing at all
    page.get_by_role("navigation", name="What to find").get_by_role("link", name="Teams").click()
    expect(page.get_by_text("Nothing among the teams matches “billing”.")).to_be_visible()
    search_from_the_header(page, "customer care")
    page.locator(".search-hit").get_by_role("link", name="Customer Care").first.click()
    page.wait_for_url(f"**/teams/{organization.care}")
    # the stories' own search, finding no story, leads here
    page.goto("/stories?q=Billing+data+feed")
    page.get_by_role("link", name="Search everything for it").click()
    hits.first.get_by_role("link", name="Billing data feed").click()
    page.wait_for_url(f"**/commitments/{asked.key}")

    # an admin, on a phone, finds the hidden story, said to be hidden
    phone = new_page(organization.admin, viewport=PHONE)
    search_from_the_header(phone, "billing secrets")
    hit = phone.locator(".search-hit").first
    expect(hit.get_by_role("link")).to_have_text("Billing secrets")
    expect(hit).to_contain_text("Story")
    expect(hit).to_contain_text("(hidden)")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a phone"
