"""Every main page passes axe-core's WCAG 2 A and AA rules (contrast, names, landmarks, …)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browsing import DESKTOP, PHONE, NewPage, Organization
from playwright.sync_api import Page, ViewportSize

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + ": " + n.failureSummary)
  }));
}"""


def violations(page: Page) -> list[dict[str, Any]]:
    # evaluate() runs in the page through the DevTools protocol, which the page's CSP allows
    page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return found


def described(report: dict[str, list[dict[str, Any]]]) -> str:
    return "\n".join(
        f"{path}: {v['id']} ({v['impact']}) {v['help']}: {'; '.join(v['nodes'])}"
        for path, found in report.items()
        for v in found
    )


def pages_of(organization: Organization) -> list[str]:
    return [
        "/",
        "/teams",
        f"/teams/{organization.data}",
        "/purposes",
        f"/purposes/{organization.purpose}",
        "/partnerships",
        "/partnerships/new",
        f"/partnerships/{organization.partnership}",
        f"/commitments/{organization.commitment}",
        "/commitments",
        "/commitments/new",
        "/stories",
        "/stories/new",
        f"/stories/{organization.story}",
        "/stories/tags/rituals",
        "/health",
        f"/health-checks/{organization.health_check}",
        f"/health-checks/{organization.closed_health_check}",
        "/trust-map",
        f"/teams/{organization.data}/trust/{organization.care}",
        "/trust/calibration",
        "/audit",
        "/profile",
        "/inbox",
        "/search?q=churn",
        "/search?q=nothingmatches",
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_pages_of_a_lead_pass_axe(
    new_page: NewPage, organization: Organization, viewport: ViewportSize
) -> None:
    page = new_page(organization.data_lead, viewport)
    report = {}
    for path in pages_of(organization):
        page.goto(path)
        found = violations(page)
        if found:
            report[path] = found

    assert not report, described(report)


def test_the_admin_pages_pass_axe(new_page: NewPage, organization: Organization) -> None:
    page = new_page(organization.admin)
    report = {}
    for path in (
        "/admin",
        "/admin/people",
        "/admin/teams",
        f"/admin/teams/{organization.data}",
        f"/admin/people/{organization.care_lead}",
        "/admin/import",
        "/admin/mail",
        "/admin/deliveries",
        "/sign-in",
    ):
        page.goto(path)
        found = violations(page)
        if found:
            report[path] = found

    assert not report, described(report)


def test_axe_finds_what_it_should(new_page: NewPage, organization: Organization) -> None:
    """The check itself: an unlabelled field and faint text are reported."""
    page = new_page(organization.data_lead)
    page.goto("/")
    page.evaluate(
        """() => {
          document.querySelector("main").append(document.createElement("input"));
          const faint = document.createElement("p");
          faint.textContent = "hard to read";
          faint.setAttribute("class", "empty");
          document.querySelector("main").append(faint);
          document.styleSheets[0].insertRule(".empty { color: #ddd !important; }");
        }"""
    )

    assert {v["id"] for v in violations(page)} >= {"label", "color-contrast"}
