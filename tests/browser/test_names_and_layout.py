"""Names and layout in a real Chromium: the audit log says each event as a sentence with people,
teams and things by name and its details folded; pages show people by name, not by e-mail; the
form macros' limits reach the browser as numbers it enforces; the purpose forecast is never
clipped at laptop widths; the audit log reads at a phone's width; a wide table shows that it
scrolls."""

from __future__ import annotations

from datetime import timedelta

from browsing import NewPage, Organization
from playwright.sync_api import Page, ViewportSize, expect

from accord.org import service as org
from factories import make_commitment

PHONE: ViewportSize = {"width": 390, "height": 844}
LAPTOPS = (1280, 1366, 1440)
LONG_TITLE = "Weekly churn-risk scores for every enterprise account, with their main drivers"

# Whether the page, or an element, is wider than what it shows: [page, element, sizes].
CLIPPED = """(selector) => {
  const root = document.documentElement;
  const box = document.querySelector(selector);
  return {
    page: root.scrollWidth > root.clientWidth,
    box: box.scrollWidth > box.clientWidth + 1,
    sizes: [root.scrollWidth, root.clientWidth, box.scrollWidth, box.clientWidth],
  };
}"""


def visible_text(page: Page) -> str:
    return page.locator("main").inner_text()


def test_the_audit_log_says_events_by_name_with_details_folded(
    new_page: NewPage, organization: Organization
) -> None:
    page = new_page(organization.admin)
    page.goto("/audit?type=commitment.requested")

    row = page.locator("table.events tbody tr").first
    said = row.locator("p.said")
    expect(said).to_have_text(f"Bo Berg asked {organization.data_name} for Daily churn-risk score")
    expect(said.get_by_role("link", name="Daily churn-risk score")).to_have_attribute(
        "href", f"/commitments/{organization.commitment}"
    )
    expect(said.get_by_role("link", name="Bo Berg")).to_have_attribute(
        "href", f"/admin/people/{organization.care_lead}"
    )
    details = row.locator("details").first
    expect(details.locator("dl")).to_be_hidden()  # folded until asked for
    details.locator("summary").first.click()
    expect(details.locator("dl")).to_contain_text("In the CRM by 08:00 every day")
    expect(details.locator("dl")).to_contain_text("Customer Care")

    page.goto("/audit")
    text = visible_text(page)
    assert "@example.org" not in text
    assert "side:" not in text
    assert "args:" not in text
    assert "Bo Berg published a story" in text
    assert "An operator on the server" in text


def test_pages_name_people_not_their_e_mail(new_page: NewPage, organization: Organization) -> None:
    page = new_page(organization.data_lead)
    for path in (
        f"/purposes/{organization.purpose}",
        f"/teams/{organization.care}",
        f"/stories/{organization.story}",
    ):
        page.goto(path)
        assert "@example.org" not in visible_text(page), path
    page.goto(f"/purposes/{organization.purpose}")
    expect(page.locator("main")).to_contain_text("Bo Berg")


def test_the_limits_of_inputs_are_numbers_the_browser_enforces(
    new_page: NewPage, organization: Organization
) -> None:
    page = new_page(organization.data_lead)
    page.goto("/stories/new")
    title = page.locator("#story-title")
    expect(title).to_have_attribute("maxlength", "200")
    title.press_sequentially("x" * 205, delay=0)
    assert len(title.input_value()) == 200

    page.goto("/partnerships/new")
    days = page.locator("#new-review_every_days")
    expect(days).to_have_attribute("min", "1")
    expect(days).to_have_attribute("max", "366")
    days.fill("0")
    assert days.evaluate("input => input.validity.rangeUnderflow")
    days.fill("400")
    assert days.evaluate("input => input.validity.rangeOverflow")
    days.fill("30")
    assert days.evaluate("input => input.validity.valid")


def test_the_purpose_forecast_is_never_clipped_at_laptop_widths(
    new_page: NewPage, organization: Organization
) -> None:
    uow = organization.uow()
    bo = org.get_person(uow, organization.care_lead)
    make_commitment(
        uow,
        organization.partnership,
        bo,
        organization.care,
        organization.data,
        key="long-scores",
        title=LONG_TITLE,
        due=uow.now() + timedelta(days=30),
        reliance="critical",
    )
    page = new_page(organization.data_lead)
    for width in LAPTOPS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/purposes/{organization.purpose}")
        forecast = page.locator("#forecast table").last
        expect(forecast).to_contain_text(LONG_TITLE)
        for selector in ("#forecast", "#forecast .table-wrap:last-of-type"):
            clipped = page.evaluate(CLIPPED, selector)
            assert not clipped["page"], (width, selector, clipped)
            assert not clipped["box"], (width, selector, clipped)
        on_time = page.locator("#forecast th", has_text="On time").last
        assert on_time.is_visible()
        box = on_time.bounding_box()
        card = page.locator("#forecast").bounding_box()
        assert box is not None
        assert card is not None
        assert box["x"] + box["width"] <= card["x"] + card["width"], width


def test_the_audit_log_reads_on_a_phone_and_wide_tables_show_they_scroll(
    new_page: NewPage, organization: Organization
) -> None:
    page = new_page(organization.admin, viewport=PHONE)
    page.goto("/audit")
    what = page.locator("table.events td.what").first
    box = what.bounding_box()
    assert box is not None
    assert box["width"] >= 160, box  # whole words a line, not one letter
    said = what.locator("p.said")
    line_height = float(said.evaluate("p => parseFloat(getComputedStyle(p).lineHeight)"))
    said_box = said.bounding_box()
    assert said_box is not None
    assert said_box["height"] <= 6 * line_height, said_box

    page.goto("/admin/people")
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("box => box.scrollWidth > box.clientWidth")
    expect(wrap).to_have_attribute("tabindex", "0")
    expect(wrap).to_have_attribute("aria-label", "Everyone: scrolls sideways")
    cue = wrap.evaluate("box => getComputedStyle(box).backgroundImage")
    assert cue.count("gradient") >= 2, cue
    wrap.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('.table-wrap').scrollLeft > 0", timeout=5_000
    )
