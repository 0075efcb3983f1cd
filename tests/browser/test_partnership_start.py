"""Starting a partnership and signing its charter, the partnership page on a phone, the moves
that end it, and a health check's answer and counts, worked through the pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from browsing import PHONE, NewPage, Organization, PageWatch
from playwright.sync_api import Page, expect

from accord.health.domain import Statement
from accord.partnerships import service as partnerships


def in_first_screen(page: Page, selector: str) -> bool:
    """Whether the element is seen without scrolling: its box within the window's height."""
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 0
    return box is not None and box["height"] > 0 and box["y"] + box["height"] <= height


def test_the_starter_affirms_as_it_starts_and_a_change_says_who_affirms_again(
    new_page: NewPage, organization: Organization, page_watch: PageWatch
) -> None:
    page_watch.expect(r"status of 409")  # the refused signature
    o = organization
    ana = new_page(o.data_lead)
    ana.goto("/partnerships")
    ana.get_by_role("link", name="Start a partnership").click()
    ana.get_by_role("textbox", name="Name", exact=True).fill("Win-back")
    ana.get_by_label("The one purpose").select_option(o.purpose)
    ana.get_by_label("Partner teams").select_option([o.care])
    ana.get_by_label("What your team uniquely contributes").fill("Churn-risk scores")
    expect(ana.get_by_label("Affirm the charter for your team now")).to_be_checked()
    ana.get_by_role("button", name="Start the partnership").click()

    expect(ana.get_by_role("heading", level=1)).to_have_text("Win-back")
    key = urlsplit(ana.url).path.removeprefix("/partnerships/")
    expect(ana.locator(f"#party-{o.data}")).to_contain_text("affirmed by Ana Lima")
    expect(ana.locator("#to-affirm")).to_contain_text(f"{o.care_name} (a lead: Bo Berg)")

    # Care has stated nothing yet: its lead's signature is refused beside the contribution
    bo = new_page(o.care_lead)
    bo.goto(f"/partnerships/{key}")
    care = bo.locator(f"#party-{o.care}")
    care.get_by_role("button", name=f"Affirm for {o.care_name}").click()
    field = care.get_by_label(f"What {o.care_name} uniquely contributes")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(care.locator(f"#contrib-{o.care}-contribution-error")).to_have_text(
        f"{o.care_name} affirms the charter once it states what it uniquely contributes."
    )
    assert not partnerships.get_partnership(o.uow(), key).partnership.parties[1].affirmed_by

    field.fill("Save playbooks")
    care.get_by_role("button", name="Save").click()
    expect(care.locator(".contribution")).to_have_text("Save playbooks")
    # stating it changed the charter Ana signed: the page says she signs again, and why
    data = bo.locator(f"#party-{o.data}")
    expect(data.locator(".reaffirm")).to_contain_text("Affirmed an earlier charter (Ana Lima")
    expect(data.locator(".reaffirm")).to_contain_text(f"{o.care_name}'s contribution was stated")
    expect(bo.locator("#to-affirm")).to_contain_text("Why again: the charter changed")
    expect(bo.locator("#to-affirm")).to_contain_text("(a lead: Ana Lima)")
    bo.get_by_role("button", name=f"Affirm for {o.care_name}").click()
    expect(care).to_contain_text("affirmed by Bo Berg")
    ana.reload()
    ana.get_by_role("button", name=f"Affirm for {o.data_name}").click()
    expect(ana.locator("#partnership-status")).to_have_text("active")
    expect(ana.locator("#to-affirm")).to_have_count(0)


def test_on_a_phone_asking_comes_first_and_ending_asks_first(
    new_page: NewPage, organization: Organization
) -> None:
    o = organization
    bo = new_page(o.care_lead, viewport=PHONE)
    bo.goto(f"/partnerships/{o.partnership}")

    ask = bo.get_by_role("link", name="Ask a partner")
    assert in_first_screen(bo, "#ask-a-partner")
    first = bo.locator("main").locator("a.button, button, summary").first
    expect(first).to_have_text("Ask a partner")
    for move in ("Pause…", "Conclude…", "Dissolve…"):
        assert not in_first_screen(bo, f"summary:text-is('{move}')"), move
    ask.click()
    expect(bo.locator("#request-form")).to_be_in_viewport()

    status = bo.locator("#status")
    status.get_by_text("Conclude…").click()
    conclude = status.get_by_role("button", name="Conclude the partnership")
    expect(conclude).to_have_class("danger")
    expect(status.get_by_role("button", name="Dissolve the partnership")).to_be_hidden()
    assert partnerships.get_partnership(o.uow(), o.partnership).partnership.is_open
    status.locator("details", has_text="Conclude…").get_by_label("Why (optional)").fill(
        "Churn halved"
    )
    conclude.click()

    expect(bo.locator("#partnership-status")).to_have_text("concluded")
    expect(bo.locator(".timeline")).to_contain_text("to concluded: Churn halved")
    assert partnerships.get_partnership(o.uow(), o.partnership).partnership.status == "concluded"


def test_an_answer_is_confirmed_once_and_each_count_says_its_round(
    new_page: NewPage, organization: Organization
) -> None:
    o = organization
    cy = new_page(o.care_member)
    cy.goto("/partnerships")
    expect(cy.get_by_role("heading", name="Partnerships", exact=True)).to_be_visible()
    expect(cy.get_by_role("link", name="Start a partnership")).to_have_count(0)
    cy.goto("/partnerships/new")
    expect(cy.locator("#not-a-lead")).to_contain_text(f"{o.care_name}: led by Bo Berg")
    expect(cy.get_by_role("button", name="Start the partnership")).to_have_count(0)

    cy.goto(f"/health-checks/{o.health_check}")
    for statement in Statement:
        cy.locator(f"input[name={statement.value}][value='4']").check()
    cy.get_by_role("button", name="Send my answer").click()

    confirmation = cy.get_by_role("status").filter(has_text="your answer")
    expect(confirmation).to_have_text(
        "Thank you: your answer is sent. It is counted in your party's tally and is not kept "
        "on its own."
    )
    expect(cy.locator("main .note")).to_have_count(1)
    expect(cy.get_by_role("button", name="Send my answer")).to_have_count(0)

    cy.goto("/health")
    row = cy.locator("table.latest tbody tr").first
    cells = row.locator("td")
    expect(cells.nth(0)).to_contain_text("1 answered so far")  # the open round
    expect(cells.nth(2)).to_have_text("6")  # the closed round, whose figures follow
    expect(cy.locator("table.latest th[scope=colgroup]")).to_have_text(
        "Results of the last closed round"
    )
