"""The commitment page: its sentence runs the way the commitment does, a counter-offer shows old →
new terms and its note, the history names people, and moves that end or undo something ask
first, take a note, and never come first on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

from browsing import PHONE, NewPage, Organization, PageWatch
from playwright.sync_api import expect
from test_accessibility import described, violations

from accord.commitments import service as commitments
from accord.commitments.words import day_utc
from accord.org import service as org


def state(organization: Organization, key: str) -> tuple[str, int]:
    found = commitments.get_commitment(organization.uow(), key).commitment
    return found.state.value, found.version


def test_the_sentence_follows_the_direction_and_a_counter_shows_old_to_new_with_its_note(
    new_page: NewPage, organization: Organization
) -> None:
    key, care, data = organization.commitment, organization.care_name, organization.data_name
    uow = organization.uow()
    due = commitments.get_commitment(uow, key).commitment.due
    later = (uow.now() + timedelta(days=30)).replace(hour=17, minute=0, second=0, microsecond=0)
    ana = new_page(organization.data_lead)
    ana.goto(f"/commitments/{key}")

    sentence = ana.locator("#commitment-sentence")
    expect(sentence).to_have_text(
        f"{care} asks {data} for Daily churn-risk score, due {day_utc(due)}."
    )
    expect(sentence).not_to_contain_text("promise")
    ana.get_by_text("Counter-offer…").click()
    ana.locator(f"#{key}-counter-due").fill(later.strftime("%Y-%m-%d"))
    ana.locator(f"#{key}-counter-note").fill("The vendor ships the scores late in the month")
    ana.get_by_role("button", name="Counter-offer", exact=True).click()
    expect(ana.locator(".page-head .state")).to_have_text("Countered")

    bo = new_page(organization.care_lead)
    bo.goto(f"/commitments/{key}")
    pending = bo.locator("#pending")
    expect(pending.get_by_role("heading")).to_have_text(f"Counter-offer from {data}")
    expect(bo.locator("#pending-changes")).to_have_text(
        re.compile(rf"Due:\s*{day_utc(due)}\s*→\s*{day_utc(later)}")
    )
    expect(bo.locator("#pending-note")).to_have_text(
        "Note: The vendor ships the scores late in the month"
    )
    assert not violations(bo), described({"pending counter": violations(bo)})
    counter = bo.locator("li[data-move=counter]")
    expect(counter).to_contain_text("Ana Lima")
    expect(counter).to_contain_text("made a counter-offer")
    expect(counter).to_contain_text(f"{day_utc(due)} → {day_utc(later)}")
    expect(counter).to_contain_text("Note: The vendor ships the scores late in the month")
    expect(counter.get_by_role("link", name="Ana Lima")).to_have_attribute(
        "href", f"/teams/{organization.data}"
    )
    expect(bo.locator("li[data-move=request]")).to_contain_text(f"Bo Berg of {care} asked")
    expect(bo.locator(".timeline")).not_to_contain_text("@example.org")

    bo.get_by_role("button", name="Accept the counter-offer").click()

    expect(bo.locator(".page-head .state")).to_have_text("Promised")
    expect(sentence := bo.locator("#commitment-sentence")).to_have_text(
        f"{data} promised {care} Daily churn-risk score, due {day_utc(later)}."
    )
    expect(sentence).not_to_contain_text("asks")
    expect(bo.locator("li[data-move=accept_counter]")).to_contain_text(
        f"{day_utc(due)} → {day_utc(later)}"
    )


def test_ending_moves_ask_first_come_last_on_a_phone_and_the_rating_is_chosen(
    new_page: NewPage, organization: Organization, page_watch: PageWatch
) -> None:
    page_watch.expect(r"status of 422")
    key = organization.commitment
    ana_lima = org.get_person(organization.uow(), organization.data_lead)
    commitments.move(organization.uow(), ana_lima, key, "promise", version=1)
    ana = new_page(organization.data_lead, PHONE)
    ana.goto(f"/commitments/{key}")

    moves = ana.locator("#commitment-main .moves [data-move]")
    expect(moves.first).to_have_attribute("data-move", "report_done")
    revoke = ana.locator("summary[data-move=revoke]")
    expect(revoke).to_have_text("Revoke the promise…")
    expect(revoke).to_have_class(re.compile(r"\bdanger\b"))
    done = ana.locator("summary[data-move=report_done]")
    colour = "el => getComputedStyle(el).color"
    assert revoke.evaluate(colour) != done.evaluate(colour)
    assert revoke.bounding_box()["y"] > done.bounding_box()["y"]  # type: ignore[index]

    done.click()  # the first step only opens the confirmation
    confirm = ana.locator(f"#{key}-report_done-note")
    expect(confirm).to_be_visible()
    expect(ana.locator("details:has(summary[data-move=report_done]) .consequence")).to_contain_text(
        f"{organization.care_name} is told that Daily churn-risk score is done"
    )
    assert state(organization, key) == ("promised", 2)
    confirm.fill("Live in the CRM since this morning")
    ana.get_by_role("button", name="Report done", exact=True).click()

    expect(ana.locator(".page-head .state")).to_have_text("Delivered")
    expect(ana.locator("li[data-move=report_done]")).to_contain_text(
        "Note: Live in the CRM since this morning"
    )
    assert state(organization, key) == ("delivered", 3)

    bo = new_page(organization.care_lead, PHONE)
    bo.goto(f"/commitments/{key}")
    expect(bo.locator("#commitment-main .moves [data-move]").first).to_have_attribute(
        "data-move", "accept"
    )
    expect(bo.locator("summary[data-move=reject]")).to_have_class(re.compile(r"\bdanger\b"))
    bo.get_by_text("Accept delivery…").click()
    rating = bo.locator(f"#{key}-accept-value")
    expect(rating).to_have_value("")
    expect(rating.locator("option[selected]")).to_have_count(0)
    rating.evaluate("field => field.removeAttribute('required')")
    bo.get_by_role("button", name="Accept delivery", exact=True).click()

    rating = bo.locator(f"#{key}-accept-value")
    expect(rating).to_have_attribute("aria-invalid", "true")
    expect(bo.locator(f"#{key}-accept-value-error")).to_have_text(
        "Choose the value it brought, from 1 (little) to 5 (great)."
    )
    assert state(organization, key) == ("delivered", 3)
    rating.select_option("4")
    bo.get_by_role("button", name="Accept delivery", exact=True).click()

    expect(bo.locator(".page-head .state")).to_have_text("Accepted")
    assert state(organization, key) == ("accepted", 4)
