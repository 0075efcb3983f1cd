"""Signing in and out, escaping, CSRF, keyboard use and small screens, in a real Chromium."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from browsing import DESKTOP, PHONE, NewPage, Organization, PageWatch, Shot, sign_in
from playwright.sync_api import Dialog, Page, ViewportSize, expect

from accord.org import service as org

# The element that has the focus, as "nav:<text>" in the main navigation, "header:<text>"
# elsewhere in the page header, else its text.
FOCUSED = """() => {
  const e = document.activeElement;
  const where = e.closest("nav.primary") ? "nav:" : e.closest("header") ? "header:" : "";
  return where + e.textContent.trim();
}"""


def path_of(page: Page) -> str:
    parts = urlsplit(page.url)
    return parts.path + ("?" + parts.query if parts.query else "")


def session_epoch(organization: Organization, email: str) -> int:
    return org.get_person(organization.uow(), email).session_epoch


def test_sign_in_through_the_form_lands_on_my_desk(
    new_page: NewPage, organization: Organization
) -> None:
    page = new_page()

    sign_in(page, organization.data_lead)

    assert path_of(page) == "/"
    expect(page).to_have_title("My desk · Accord")
    expect(page.get_by_role("heading", level=1)).to_have_text("My desk")
    to_answer = page.locator(
        "section", has=page.get_by_role("heading", name="Your team must answer")
    )
    expect(to_answer).to_contain_text("Daily churn-risk score")
    expect(page.locator(".account .who")).to_have_text("Ana Lima")


def test_a_wrong_password_shows_the_error_and_signs_nobody_in(
    new_page: NewPage, organization: Organization, page_watch: PageWatch
) -> None:
    page_watch.expect(r"status of 401")
    page = new_page()
    page.goto("/sign-in")

    page.get_by_label("E-mail").fill(organization.data_lead)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("E-mail or password is not right.")
    expect(page.get_by_label("E-mail")).to_have_value(organization.data_lead)
    expect(page.get_by_label("E-mail")).to_have_attribute("aria-describedby", "sign-in-error")
    page.goto("/")
    assert path_of(page) == "/sign-in?next=/"


def test_sign_out_ends_the_session(new_page: NewPage, organization: Organization) -> None:
    page = new_page(organization.care_lead)

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert path_of(page) == "/sign-in"
    page.goto("/")
    assert path_of(page) == "/sign-in?next=/"


def test_a_team_name_with_a_script_tag_is_shown_as_text(
    new_page: NewPage, organization: Organization
) -> None:
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page = new_page()
    page.on("dialog", dismiss)

    sign_in(page, organization.data_lead)

    expect(page.locator("main")).to_contain_text(organization.data_name)
    expect(page.get_by_text(organization.data_name).first).to_be_visible()
    assert page.locator("script:not([src])").count() == 0
    assert page.evaluate("[...document.scripts].every(s => !s.textContent.includes('alert'))")
    assert dialogs == []


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    new_page: NewPage, organization: Organization
) -> None:
    page = new_page(organization.data_lead)
    epoch = session_epoch(organization, organization.data_lead)

    # The browser's own cookies (session and CSRF) go along; only the form's token is missing.
    response = page.request.post("/sign-out", form={"next": "/"}, max_redirects=0)

    assert response.status == 403
    assert "did not come from Accord" in response.text()
    assert session_epoch(organization, organization.data_lead) == epoch
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My desk")


def test_a_form_whose_token_was_taken_out_shows_the_refusal(
    new_page: NewPage, organization: Organization, page_watch: PageWatch
) -> None:
    page_watch.expect(r"status of 403")
    page = new_page(organization.data_lead)
    epoch = session_epoch(organization, organization.data_lead)
    sign_out = page.locator("form[action='/sign-out']")
    sign_out.locator("input[name=csrf_token]").evaluate("input => input.remove()")

    sign_out.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator("main")).to_contain_text("did not come from Accord")
    assert session_epoch(organization, organization.data_lead) == epoch


def test_the_desk_is_usable_by_keyboard(new_page: NewPage, organization: Organization) -> None:
    page = new_page(organization.data_lead)
    nav = [f"nav:{text}" for text in page.locator("nav.primary a").all_inner_texts()]
    assert nav[0] == "nav:My desk"

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    reached = [page.evaluate(FOCUSED)]
    for _ in range(len(nav) + 1):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(FOCUSED))

    assert reached[0] == "Skip to content"
    assert reached[1].startswith("header:")  # the brand, a link home
    assert reached[2:] == nav

    page.reload()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_the_page_watch_catches_inline_script_and_style(
    new_page: NewPage, organization: Organization, page_watch: PageWatch
) -> None:
    page = new_page()
    page.goto("/sign-in")

    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.ran = true'; document.body.append(s); }"
        )
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            "() => document.querySelector('main')"
            ".insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')"
        )

    assert page.evaluate("window.ran === undefined")
    assert len(page_watch.unexpected()) == 2
    assert any("inline script" in seen for seen in page_watch.seen)
    assert any("inline style" in seen for seen in page_watch.seen)
    page_watch.expect("Content Security Policy")


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_sign_in_and_desk_fit_the_screen(
    new_page: NewPage, organization: Organization, shot: Shot, size: str, viewport: ViewportSize
) -> None:
    page = new_page(viewport=viewport)
    page.goto("/sign-in")
    assert overflow(page) <= 0
    shot(page, f"sign-in-{size}")

    sign_in(page, organization.data_lead)

    expect(page.get_by_role("heading", level=1)).to_have_text("My desk")
    assert overflow(page) <= 0
    assert shot(page, f"desk-{size}").stat().st_size > 0


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (it scrolls sideways when above 0)."""
    wider = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert isinstance(wider, int)
    return wider
