"""Partnerships and commitments worked through their buttons by two people in two browsers."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from browsing import PASSWORD, NewPage, Organization, PageWatch
from playwright.sync_api import Locator, Page, expect

from accord.commitments import service as commitments
from accord.config import Settings
from accord.events.catalog import CommitmentPromised
from accord.org import service as org
from accord.org.domain import Operator
from accord.partnerships import service as partnerships
from accord.partnerships.domain import Label
from accord.trust import service as trust
from accord.trust.words import Figure
from factories import make_person, make_team


def card(page: Page, key: str) -> Locator:
    """A commitment on the board (an article), or among the recently closed (a table row)."""
    return page.locator(f"#c-{key}")


def state_of(page: Page, key: str) -> Locator:
    return card(page, key).locator(".state")


def state(organization: Organization, key: str) -> tuple[str, int]:
    found = commitments.get_commitment(organization.uow(), key).commitment
    return found.state.value, found.version


def label_of(organization: Organization, key: str) -> Label:
    return partnerships.get_partnership(organization.uow(), key).label


def settings_of(organization: Organization) -> Settings:
    """The settings the live server runs with (see the `live_url` fixture)."""
    url = organization.engine.url.render_as_string(hide_password=False)
    return Settings(database_url=url, secret_key="test-secret")


def pct(value: float) -> str:
    """A share as the pages show it, rounded to a whole percent."""
    return f"{value * 100:.0f}%"


def shown(figure: Figure) -> str:
    """A figure as the team page shows it: its percentage and 80% range, or while the evidence
    is thin only the range."""
    low, high = (pct(bound) for bound in figure.interval)
    if figure.enough_evidence:
        return f"{pct(figure.expected)} (between {low} and {high})"
    return f"too little evidence to judge (between {low} and {high})"


def low_end(text: str) -> int:
    """The lower end of the range a figure is shown with."""
    found = re.search(r"between (\d+)% and", text)
    assert found is not None, text
    return int(found.group(1))


def trust_row(page: Page, row: str) -> str:
    """The figure of a row (ability, overall, …) of the team page's Trust earned table, without
    the evidence below it."""
    return page.locator(f"#trust-{row} td").first.inner_text().splitlines()[0].strip()


def test_a_partnership_started_on_its_form_becomes_trust_based_when_both_leads_affirm(
    new_page: NewPage, organization: Organization
) -> None:
    ana = new_page(organization.data_lead)
    ana.goto("/partnerships/new")
    ana.get_by_role("textbox", name="Name", exact=True).fill("Retention experiments")
    ana.get_by_label("The one purpose").select_option(organization.purpose)
    ana.get_by_role("combobox", name="Your team").select_option(organization.data)
    ana.get_by_label("Partner teams").select_option([organization.care])
    ana.get_by_label("What your team uniquely contributes").fill("Uplift models")

    ana.get_by_role("button", name="Start the partnership").click()

    expect(ana.get_by_role("heading", level=1)).to_have_text("Retention experiments")
    key = urlsplit(ana.url).path.removeprefix("/partnerships/")
    badge = ana.locator("#partnership-label")
    expect(badge).to_have_text("traditional")
    charter = ana.locator("#charter")
    expect(charter).to_contain_text("This partnership is traditional")
    expect(charter).to_contain_text("no contribution from care")
    assert label_of(organization, key) == Label.TRADITIONAL

    bo = new_page(organization.care_lead)
    bo.goto(f"/partnerships/{key}")
    care = bo.locator(f"#party-{organization.care}")
    care.get_by_text("Edit the contribution").click()
    care.get_by_label(f"What {organization.care_name} uniquely contributes").fill("Save playbooks")
    care.get_by_role("button", name="Save").click()
    expect(bo.locator(f"#party-{organization.care} .contribution")).to_have_text("Save playbooks")
    bo.get_by_role("button", name=f"Affirm for {organization.care_name}").click()
    expect(bo.locator(f"#party-{organization.care}")).to_contain_text("affirmed by Bo Berg")
    expect(bo.locator("#charter")).to_contain_text("not yet affirmed by data")
    assert label_of(organization, key) == Label.TRADITIONAL

    ana.reload()
    ana.get_by_role("button", name=f"Affirm for {organization.data_name}").click()

    expect(ana.locator("#charter")).to_contain_text("this is a trust-based partnership")
    expect(badge).to_have_text("trust-based")
    expect(ana.locator("#partnership-status")).to_have_text("active")
    expect(ana.locator("#charter .check-fail")).to_have_count(0)
    assert label_of(organization, key) == Label.TRUST_BASED
    bo.reload()
    expect(bo.locator("#partnership-label")).to_have_text("trust-based")


def test_a_commitment_goes_from_request_to_accepted_and_the_performer_earns_trust(
    new_page: NewPage, organization: Organization
) -> None:
    ana = new_page(organization.data_lead)
    ana.goto(f"/teams/{organization.data}")
    ability_before = trust_row(ana, "ability")
    overall_before = trust_row(ana, "overall")
    before = trust.trust_of(organization.uow(), settings_of(organization), Operator(), "data")
    assert ability_before == shown(before.figure("ability"))
    bo = new_page(organization.care_lead)
    bo.goto(f"/partnerships/{organization.partnership}")

    ask = bo.locator("#request-form")
    expect(ask.get_by_label("From (your team)")).to_have_value(organization.care)
    ask.get_by_role("combobox", name="Ask", exact=True).select_option(organization.data)
    ask.get_by_role("textbox", name="What", exact=True).fill("Weekly churn report")
    ask.get_by_label("Conditions of satisfaction").fill("In the shared drive by Monday 09:00")
    ask.get_by_label("Due (UTC)").fill("2026-06-10")
    ask.get_by_label("Time (optional)").fill("09:00")
    ask.get_by_label("Reliance").select_option("high")
    ask.get_by_role("button", name="Send the request").click()

    bo.wait_for_url(re.compile(r"#c-"))
    key = urlsplit(bo.url).fragment.removeprefix("c-")
    expect(state_of(bo, key)).to_have_text("Requested")
    assert state(organization, key) == ("requested", 1)

    ana.goto(f"/partnerships/{organization.partnership}")
    ana.evaluate("window.notReloaded = true")  # gone if a move loaded the page anew
    card(ana, key).get_by_role("button", name="Promise").click()
    expect(state_of(ana, key)).to_have_text("Promised")
    card(ana, key).get_by_text("Report done…").click()  # a step that asks to confirm
    card(ana, key).get_by_role("button", name="Report done", exact=True).click()
    expect(state_of(ana, key)).to_have_text("Delivered")
    assert ana.evaluate("window.notReloaded") is True
    assert state(organization, key) == ("delivered", 3)

    bo.reload()
    delivered = card(bo, key)
    delivered.get_by_text("Accept delivery…").click()
    delivered.get_by_label("Value it brought").select_option("5")
    delivered.get_by_role("button", name="Accept delivery", exact=True).click()

    expect(state_of(bo, key)).to_have_text("Accepted")
    expect(card(bo, key)).to_contain_text("value 5/5")
    assert state(organization, key) == ("accepted", 4)
    ana.goto(f"/teams/{organization.data}")
    after = trust.trust_of(organization.uow(), settings_of(organization), Operator(), "data")
    assert after.trust.ability.expected > before.trust.ability.expected
    assert trust_row(ana, "ability") == shown(after.figure("ability"))
    assert trust_row(ana, "overall") == shown(after.figure("overall"))
    # one commitment is still too little evidence to judge, but its range moves up
    assert low_end(trust_row(ana, "ability")) > low_end(ability_before)
    assert low_end(trust_row(ana, "overall")) > low_end(overall_before)


def test_a_move_not_allowed_is_not_offered_and_is_refused_when_posted(
    new_page: NewPage, organization: Organization, page_watch: PageWatch
) -> None:
    page_watch.expect(r"status of 403")
    key = organization.commitment
    ana = new_page(organization.data_lead)
    ana.goto(f"/partnerships/{organization.partnership}")
    bo = new_page(organization.care_lead)
    bo.goto(f"/partnerships/{organization.partnership}")

    expect(card(ana, key).get_by_role("button", name="Promise")).to_have_count(1)
    expect(state_of(bo, key)).to_have_text("Requested")
    expect(card(bo, key).get_by_role("button", name="Promise")).to_have_count(0)
    expect(card(bo, key).locator("[data-move=promise]")).to_have_count(0)
    token = bo.locator("input[name=csrf_token]").first.input_value()
    response = bo.request.post(
        f"/commitments/{key}/moves",
        form={"csrf_token": token, "move": "promise", "version": "1", "view": "board"},
        max_redirects=0,
    )

    assert response.status == 403
    assert "is for a member of the performer team" in response.text()
    assert state(organization, key) == ("requested", 1)
    bo.reload()
    expect(state_of(bo, key)).to_have_text("Requested")


def test_a_move_from_a_stale_page_is_refused_and_made_once(
    new_page: NewPage, organization: Organization, page_watch: PageWatch
) -> None:
    page_watch.expect(r"status of 409")
    key = organization.commitment
    first = new_page(organization.data_lead)
    first.goto(f"/partnerships/{organization.partnership}")
    second = new_page(organization.data_lead)
    second.goto(f"/partnerships/{organization.partnership}")

    card(first, key).get_by_role("button", name="Promise").click()
    expect(state_of(first, key)).to_have_text("Promised")
    card(second, key).get_by_role("button", name="Promise").click()

    flash = second.locator("#flash")
    expect(flash.get_by_role("alert")).to_contain_text("is at version 2, not 1")
    expect(flash).to_contain_text("reload it and try again")
    assert state(organization, key) == ("promised", 2)
    promised = [
        e
        for e in commitments.history(organization.uow(), key, Operator())
        if e.type == CommitmentPromised.type
    ]
    assert len(promised) == 1
    second.reload()
    expect(state_of(second, key)).to_have_text("Promised")
    expect(card(second, key).get_by_role("button", name="Promise")).to_have_count(0)


def test_a_move_without_its_required_reason_shows_the_error_beside_the_field(
    new_page: NewPage, organization: Organization, page_watch: PageWatch
) -> None:
    page_watch.expect(r"status of 422")
    key = organization.commitment
    ana = new_page(organization.data_lead)
    ana.goto(f"/partnerships/{organization.partnership}")
    card(ana, key).get_by_text("Decline the request…").click()
    reason = card(ana, key).get_by_label("Reason")
    expect(reason).to_have_attribute("required", "")
    reason.evaluate("field => field.removeAttribute('required')")

    card(ana, key).get_by_role("button", name="Decline the request", exact=True).click()

    reason = card(ana, key).get_by_label("Reason")
    expect(reason).to_be_focused()
    expect(reason).to_have_attribute("aria-invalid", "true")
    error = ana.locator(f"#{key}-decline-reason-error")
    expect(error).to_have_text("'decline' needs reason.")
    expect(reason).to_have_attribute("aria-describedby", re.compile(f"{key}-decline-reason-error"))
    assert state(organization, key) == ("requested", 1)


def parties_of(organization: Organization, key: str) -> list[str]:
    view = partnerships.get_partnership(organization.uow(), key)
    return [party.team.slug for party in view.partnership.parties]


def partnership_name(organization: Organization) -> str:
    view = partnerships.get_partnership(organization.uow(), organization.partnership)
    return view.partnership.name


def test_a_team_joins_by_invitation_accepted_on_the_desk_and_leaves_after_confirming(
    new_page: NewPage, organization: Organization
) -> None:
    make_team(organization.uow(), "ops", name="Operations")
    make_person(organization.uow(), "olu@example.org", teams={"ops": "lead"}, name="Olu Okafor")
    org.set_passwords(organization.uow(), Operator(), ["olu@example.org"], PASSWORD)
    key = organization.partnership

    ana = new_page(organization.data_lead)
    ana.goto(f"/partnerships/{key}")
    invite = ana.get_by_role("region", name="Invite a team")
    invite.get_by_label("Team").select_option("ops")
    invite.get_by_role("button", name="Send the invitation").click()
    expect(ana.locator("#invitations")).to_contain_text("Operations")
    expect(ana.locator("[data-withdraw=ops]")).to_have_count(1)

    olu = new_page("olu@example.org")
    invited = olu.locator("#invitations-to-answer")
    expect(invited).to_contain_text("invites Operations")
    invited.get_by_label("What Operations uniquely contributes").fill("On-call runbooks")
    invited.get_by_role("button", name="Accept and join").click()

    expect(olu.locator("#party-ops")).to_contain_text("On-call runbooks")
    expect(olu.locator("#partnership-status")).to_have_text("forming")
    expect(olu.get_by_role("button", name="Affirm for Operations")).to_have_count(1)
    assert parties_of(organization, key) == ["data", "care", "ops"]

    # leaving opens first and says what it does: the confirmation needs no script
    party = olu.locator("#party-ops")
    party.get_by_text("Leave this partnership…").click()
    expect(party).to_contain_text(f"Operations leaves {partnership_name(organization)}.")
    assert parties_of(organization, key) == ["data", "care", "ops"]
    party.get_by_role("button", name="Leave for Operations").click()

    expect(olu.locator("#party-ops")).to_have_count(0)
    assert parties_of(organization, key) == ["data", "care"]
