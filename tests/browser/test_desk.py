"""My desk, grouped by who must act, and asking a partner from the desk and from a team page."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from browsing import PASSWORD, PHONE, NewPage, Organization, Shot, scripts_ran
from playwright.sync_api import Locator, Page, expect

from accord.commitments import service as commitments
from accord.commitments.words import day_utc
from accord.org import service as org
from accord.org.domain import Operator, Person
from accord.partnerships import service as partnerships
from factories import make_partnership, make_person, make_team


def group(page: Page, heading: str) -> Locator:
    """A section of the desk by its heading."""
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def person(organization: Organization, email: str) -> Person:
    return org.get_person(organization.uow(), email)


def promised_to_data(organization: Organization, title: str, days: int) -> str:
    """Data asks Care for `title`, due in `days`; Bo promises it for Care."""
    uow = organization.uow()
    ana = person(organization, organization.data_lead)
    bo = person(organization, organization.care_lead)
    asked = commitments.request(
        uow,
        ana,
        partnership=organization.partnership,
        requester=organization.data,
        performer=organization.care,
        title=title,
        due=uow.now() + timedelta(days=days),
    )
    commitments.move(organization.uow(), bo, asked.key, "promise", version=asked.version)
    return asked.key


def test_a_leads_desk_puts_each_commitment_with_whoever_must_act(
    new_page: NewPage, organization: Organization, shot: Shot
) -> None:
    late = promised_to_data(organization, "Playbook for at-risk accounts", days=2)
    soon = promised_to_data(organization, "Save-call script", days=6)
    ana = person(organization, organization.data_lead)
    score = commitments.get_commitment(organization.uow(), organization.commitment).commitment
    commitments.move(
        organization.uow(), ana, organization.commitment, "promise", version=score.version
    )
    organization.clock.advance(days=3)  # type: ignore[attr-defined]
    changed = organization.clock()
    partnerships.set_contribution(
        organization.uow(), ana, organization.partnership, organization.data, "Scores by noon"
    )

    page = new_page(organization.care_lead)

    owes = group(page, "Your team owes")
    expect(owes.locator("li")).to_have_count(2)
    expect(owes.locator("li").first).to_contain_text("Customer Care promised")
    expect(owes.locator(f"#desk-{late}")).to_contain_text("overdue")
    expect(owes.locator(f"#desk-{soon}")).to_contain_text("due soon")
    partners = group(page, "Partners owe you")
    expect(partners.locator("li")).to_have_count(1)  # the catch-all once put our promises here
    sentence = (
        f"{organization.data_name} promised {organization.care_name} Daily churn-risk score, "
        f"due {day_utc(score.due)}"
    )
    expect(partners.get_by_role("link", name=sentence)).to_have_attribute(
        "href", f"/commitments/{organization.commitment}"
    )
    expect(group(page, "Your team must answer")).to_contain_text("No request")
    tiles = page.locator(".summary")
    expect(tiles.get_by_role("link", name="2 your team owes, 1 overdue")).to_have_count(1)
    expect(tiles.get_by_role("link", name="1 partners owe you")).to_have_count(1)
    expect(tiles.get_by_role("link", name="1 to affirm")).to_have_count(1)
    affirm = group(page, "To affirm")
    expect(affirm.get_by_role("link")).to_have_text(
        f"{organization.care_name} affirms the charter of Churn signals"
    )
    expect(affirm).to_contain_text(
        f"The charter changed on {day_utc(changed)}: {organization.data_name}'s contribution "
        "was edited — affirm again."
    )
    expect(page.get_by_role("link", name="Start a partnership")).to_have_count(1)
    shot(page, "desk-lead-desktop")

    member = new_page(organization.care_member)  # of Care, leading no team
    expect(group(member, "Your team owes").locator("li")).to_have_count(2)
    expect(group(member, "To affirm")).to_contain_text("No charter waits")
    expect(member.get_by_role("link", name="Start a partnership")).to_have_count(0)
    expect(member.get_by_role("link", name="Ask a partner")).to_have_count(1)


def test_ask_a_partner_from_the_desk_and_from_a_team_page(
    new_page: NewPage, organization: Organization
) -> None:
    make_team(organization.uow(), "ops", name="Operations")
    olu = make_person(organization.uow(), "olu@example.org", teams={"ops": "lead"}, name="Olu")
    org.set_passwords(organization.uow(), Operator(), ["olu@example.org"], PASSWORD)
    bo = person(organization, organization.care_lead)
    make_partnership(
        organization.uow(),
        bo,
        key="rota",
        name="Support rota",
        purpose=organization.purpose,
        parties=[(organization.care, "Playbooks"), ("ops", "On-call rota")],
        affirmed_by=[bo, olu],
    )
    due = (organization.clock() + timedelta(days=10)).date().isoformat()

    cy = new_page(organization.care_member)
    cy.get_by_role("link", name="Ask a partner").click()
    expect(cy.get_by_role("heading", level=1)).to_have_text("Ask a partner")
    ask, partnership = cy.locator("#req-performer"), cy.locator("#req-partnership")
    partners = ["Choose a partner", organization.data_name, "Operations"]
    expect(ask.locator("option")).to_have_text(partners)
    # The narrowing is htmx's, which starts after the document is parsed: a change made before
    # the page's scripts ran would only reach the server with the form.
    scripts_ran(cy)
    partnership.select_option("rota")  # narrows the teams
    expect(ask.locator("option")).to_have_text(["Choose a partner", "Operations"])
    partnership.select_option(organization.partnership)
    expect(ask.locator("option")).to_have_text(["Choose a partner", organization.data_name])
    ask.select_option(organization.data)
    cy.locator("#req-title").fill("Accounts at risk this week")
    cy.locator("#req-due").fill(due)
    cy.get_by_role("button", name="Send the request").click()
    expect(cy.get_by_role("heading", level=1)).to_contain_text("Accounts at risk this week")
    asked_by_cy = urlsplit(cy.url).path.removeprefix("/commitments/")

    bo_page = new_page(organization.care_lead)
    bo_page.goto(f"/teams/{organization.data}")
    bo_page.get_by_role("link", name=f"Ask {organization.data_name}").click()
    expect(bo_page.locator("#req-performer")).to_have_value(organization.data)
    expect(bo_page.locator("#req-partnership")).to_have_value(organization.partnership)
    bo_page.locator("#req-title").fill("Churn drivers by segment")
    bo_page.locator("#req-due").fill(due)
    bo_page.get_by_role("button", name="Send the request").click()
    expect(bo_page.get_by_role("heading", level=1)).to_contain_text("Churn drivers by segment")

    ana = new_page(organization.data_lead)
    answer = group(ana, "Your team must answer")
    expect(answer.get_by_role("link", name=f"{organization.care_name} asks")).to_have_count(3)
    expect(answer.locator(f"#desk-{asked_by_cy}")).to_contain_text(
        f"{organization.care_name} asks {organization.data_name} for Accounts at risk this week"
    )
    ana.goto(f"/teams/{organization.data}")
    expect(ana.get_by_role("link", name=f"Ask {organization.data_name}")).to_have_count(0)


def test_the_desk_and_the_ask_page_fit_a_phone(
    new_page: NewPage, organization: Organization, shot: Shot
) -> None:
    page = new_page(organization.care_lead, PHONE)
    shot(page, "desk-lead-phone")

    ask = page.get_by_role("link", name="Ask a partner")
    box = ask.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= PHONE["height"]  # no scrolling to it
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
    ask.click()
    expect(page.locator("#req-title")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
    shot(page, "ask-phone")
