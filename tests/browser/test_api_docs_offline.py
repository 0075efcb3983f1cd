"""The interactive API docs render and work in a real Chromium that may reach only Accord."""

from __future__ import annotations

from urllib.parse import urlsplit

from browsing import NewPage
from playwright.sync_api import Locator, Page, Route, expect

# Records every CSP violation on the page (a Playwright init script is not itself under the CSP).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def offline(page: Page, live_url: str) -> list[str]:
    """Aborts every request that is not to the Accord server; returns what was refused."""
    own = urlsplit(live_url).netloc
    refused: list[str] = []

    def only_own(route: Route) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in ("http", "https") and parts.netloc != own:
            refused.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.context.route("**/*", only_own)
    return refused


def open_docs(new_page: NewPage, live_url: str) -> tuple[Page, list[str]]:
    page = new_page()
    refused = offline(page, live_url)
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/api/docs")
    return page, refused


def operation(page: Page, method: str, path: str) -> Locator:
    """An operation's block in Swagger UI's list."""
    summary = page.locator(f".opblock-summary-path[data-path='{path}']")
    return page.locator(f".opblock-{method}", has=summary)


def test_the_api_docs_render_every_operation_offline(new_page: NewPage, live_url: str) -> None:
    page, refused = open_docs(new_page, live_url)

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Accord")
    me = operation(page, "get", "/api/v1/me")
    expect(me).to_be_visible()
    expect(me.locator(".opblock-summary-method")).to_have_text("GET")
    expect(operation(page, "post", "/api/v1/commitments")).to_be_visible()
    assert page.locator("script:not([src])").count() == 0
    assert page.evaluate("window.cspViolations") == []
    assert refused == []


def test_try_it_out_calls_the_api_under_the_csp(new_page: NewPage, live_url: str) -> None:
    page, refused = open_docs(new_page, live_url)
    healthz = operation(page, "get", "/healthz")

    healthz.locator(".opblock-summary-control").click()
    healthz.get_by_role("button", name="Try it out").click()
    healthz.get_by_role("button", name="Execute").click()

    answer = healthz.locator(".live-responses-table tr.response")
    expect(answer.locator(".response-col_status")).to_have_text("200")
    expect(answer).to_contain_text('"status": "ok"')
    assert page.evaluate("window.cspViolations") == []
    assert refused == []
