"""A new lead's first day, using only what the pages offer: sign in, the desk, ask a partner,
the partner sees it on its desk and promises, reports it done, and the lead accepts it."""

from __future__ import annotations

from datetime import timedelta

from browsing import PASSWORD, NewPage, Organization, Shot, scripts_ran
from playwright.sync_api import Locator, Page, expect

from accord.org import service as org
from accord.org.domain import Operator
from factories import make_person


def section(page: Page, heading: str) -> Locator:
    """A section of the desk by its heading."""
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def test_a_new_lead_asks_a_partner_and_accepts_what_was_delivered(
    new_page: NewPage, organization: Organization, shot: Shot
) -> None:
    make_person(
        organization.uow(),
        "noor@example.org",
        teams={organization.care: "lead"},
        name="Noor Haddad",
    )
    org.set_passwords(organization.uow(), Operator(), ["noor@example.org"], PASSWORD)
    due = (organization.clock() + timedelta(days=9)).date()
    title = "Weekly list of accounts at risk"

    noor = new_page("noor@example.org")  # signs in through the form, lands on the desk
    expect(noor.get_by_role("heading", level=1)).to_have_text("My desk")
    noor.get_by_role("link", name="Ask a partner").click()
    expect(noor.get_by_role("heading", level=1)).to_have_text("Ask a partner")
    scripts_ran(noor)  # the teams narrow through htmx, which must listen before the change
    noor.locator("#req-partnership").select_option(organization.partnership)
    # the teams are narrowed to the partnership's parties before one is chosen
    expect(noor.locator("#req-parties")).to_have_attribute(
        "data-partnership", organization.partnership
    )
    noor.locator("#req-performer").select_option(organization.data)
    noor.locator("#req-title").fill(title)
    noor.locator("#req-due").fill(due.isoformat())
    noor.get_by_role("button", name="Send the request").click()
    expect(noor.get_by_role("heading", level=1)).to_contain_text(title)
    expect(noor.locator("#commitment-sentence")).to_contain_text(
        f"{organization.care_name} asks {organization.data_name} for {title}"
    )
    asked = noor.url

    ana = new_page(organization.data_lead)
    must_answer = section(ana, "Your team must answer")
    request = must_answer.get_by_role("link", name=f"{organization.care_name} asks")
    expect(request.filter(has_text=title)).to_have_count(1)
    request.filter(has_text=title).click()
    expect(ana).to_have_url(asked)
    ana.get_by_role("button", name="Promise", exact=True).click()
    expect(ana.locator(".page-head .state")).to_have_text("Promised")
    expect(ana.locator("#commitment-sentence")).to_contain_text(
        f"{organization.data_name} promised {organization.care_name} {title}"
    )
    ana.locator("summary[data-move=report_done]").click()
    ana.get_by_role("button", name="Report done", exact=True).click()
    expect(ana.locator(".page-head .state")).to_have_text("Delivered")

    noor.get_by_role("link", name="My desk").first.click()
    delivered = section(noor, "To accept").get_by_role("link").filter(has_text=title)
    expect(delivered).to_have_count(1)
    delivered.click()
    noor.locator("summary[data-move=accept]").click()
    noor.locator("select[name=value]").select_option("5")
    noor.get_by_role("button", name="Accept delivery", exact=True).click()
    expect(noor.locator(".page-head .state")).to_have_text("Accepted")
    shot(noor, "first-day-accepted")

    noor.get_by_role("link", name="My desk").first.click()
    expect(section(noor, "To accept").get_by_role("link").filter(has_text=title)).to_have_count(0)
