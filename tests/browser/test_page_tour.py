"""Every main page, as a team lead and as an admin, on a desktop and on a phone; and an import."""

from __future__ import annotations

import json

import pytest
from browsing import DESKTOP, PHONE, NewPage, Organization, PageWatch, Shot
from playwright.sync_api import FilePayload, Page, ViewportSize, expect

from accord.errors import NotFound
from accord.org import service as org

# The form controls no <label>, aria-label, aria-labelledby or title names, as HTML to read.
UNNAMED = """() => [...document.querySelectorAll(
    "input:not([type=hidden]), select, textarea")]
  .filter(c => !(c.labels && c.labels.length) && !c.getAttribute("aria-label")
    && !c.getAttribute("aria-labelledby") && !c.getAttribute("title"))
  .map(c => c.outerHTML.slice(0, 160))"""
SIZES = [("desktop", DESKTOP), ("phone", PHONE)]
ADMIN_PAGES = {
    "admin": "/admin",
    "admin-people": "/admin/people",
    "admin-teams": "/admin/teams",
    "admin-import": "/admin/import",
}


def main_pages(organization: Organization) -> dict[str, str]:
    """Screenshot name -> path of every page anyone signed in may open."""
    return {
        "desk": "/",
        "teams": "/teams",
        "team": f"/teams/{organization.data}",
        "purposes": "/purposes",
        "purpose": f"/purposes/{organization.purpose}",
        "partnerships": "/partnerships",
        "partnership": f"/partnerships/{organization.partnership}",
        "commitment": f"/commitments/{organization.commitment}",
        "stories": "/stories",
        "story": f"/stories/{organization.story}",
        "health": "/health",
        "health-check": f"/health-checks/{organization.health_check}",
        "health-results": f"/health-checks/{organization.closed_health_check}",
        "trust-map": "/trust-map",
        "pair": f"/teams/{organization.data}/trust/{organization.care}",
        "calibration": "/trust/calibration",
        "audit": "/audit",
    }


def visit(page: Page, path: str, status: int = 200) -> None:
    """Open a page and check what every page owes: its status, one h1, named controls, a fit."""
    response = page.goto(path)
    assert response is not None
    assert response.status == status, f"{path} answered {response.status}"
    expect(page.locator("h1")).to_have_count(1)
    assert page.locator("h1").inner_text().strip(), f"{path} has an empty h1"
    unnamed = page.evaluate(UNNAMED)
    assert unnamed == [], f"{path} has form controls without a name: {unnamed}"
    wider = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"{path} scrolls sideways by {wider} px at {page.viewport_size}"


def check_the_graph(page: Page) -> None:
    """The trust map's graph drew a node for each team in a pair, an arrow for each pair."""
    graph = page.locator("#trust-graph")
    expect(graph.locator("canvas").first).to_be_attached()
    expect(graph).to_have_attribute("data-nodes", "2")
    pairs = page.locator("#pairs tbody tr").count()
    assert pairs >= 1
    expect(graph).to_have_attribute("data-edges", str(pairs))


@pytest.mark.parametrize(("size", "viewport"), SIZES, ids=[s for s, _ in SIZES])
def test_a_team_lead_sees_every_main_page_whole_and_is_refused_the_admin_pages(
    new_page: NewPage,
    organization: Organization,
    page_watch: PageWatch,
    shot: Shot,
    size: str,
    viewport: ViewportSize,
) -> None:
    page_watch.expect(r"status of 403")
    page = new_page(organization.data_lead, viewport)

    for name, path in main_pages(organization).items():
        visit(page, path)
        if name == "trust-map":
            check_the_graph(page)
        shot(page, f"{name}-{size}")
    for path in ADMIN_PAGES.values():
        visit(page, path, status=403)
        expect(page.locator("h1")).to_have_text("Not allowed")

    assert page.locator("nav.primary a", has_text="Admin").count() == 0


@pytest.mark.parametrize(("size", "viewport"), SIZES, ids=[s for s, _ in SIZES])
def test_an_admin_sees_every_page_whole(
    new_page: NewPage,
    organization: Organization,
    shot: Shot,
    size: str,
    viewport: ViewportSize,
) -> None:
    page = new_page(organization.admin, viewport)

    for name, path in {**main_pages(organization), **ADMIN_PAGES}.items():
        visit(page, path)
        if name == "trust-map":
            check_the_graph(page)
        shot(page, f"{name}-{size}" if name.startswith("admin") else f"admin-sees-{name}-{size}")

    expect(page.locator("nav.primary a", has_text="Admin")).to_have_count(1)


def document(data: object, name: str) -> FilePayload:
    return {"name": name, "mimeType": "application/json", "buffer": json.dumps(data).encode()}


def test_an_admin_imports_a_file_after_its_problems_are_shown_with_their_paths(
    new_page: NewPage, organization: Organization, page_watch: PageWatch, shot: Shot
) -> None:
    page_watch.expect(r"status of 422")
    bad = {
        "format": "accord/1",
        "teams": [{"slug": "legal", "name": "Legal", "kind": "guild"}],
        "people": [
            {
                "email": "lee@example.org",
                "name": "Lee Park",
                "memberships": [{"team": "legal", "role": "chief"}],
            }
        ],
    }
    good = {
        "format": "accord/1",
        "teams": [{"slug": "legal", "name": "Legal", "kind": "shared_service"}],
        "people": [
            {
                "email": "lee@example.org",
                "name": "Lee Park",
                "memberships": [{"team": "legal", "role": "lead"}],
            }
        ],
    }
    page = new_page(organization.admin)
    page.goto("/admin/import")

    page.get_by_label("Document").set_input_files(document(bad, "bad.json"))
    page.get_by_role("button", name="Import").click()

    problems = page.locator(".import-problems")
    expect(problems).to_contain_text("nothing was imported")
    expect(problems).to_contain_text("bad.json")
    paths = problems.locator("tbody td:first-child").all_inner_texts()
    assert "teams[0].kind" in paths, paths
    assert any(p.startswith("people[0].memberships[0]") for p in paths), paths
    shot(page, "admin-import-refused")
    with pytest.raises(NotFound):
        org.get_team(organization.uow(), "legal")

    page.get_by_label("Document").set_input_files(document(good, "good.json"))
    page.get_by_role("button", name="Import").click()

    done = page.locator(".import-done")
    expect(done).to_contain_text("imported")
    expect(done).to_contain_text("good.json")
    expect(page.locator(".import-problems")).to_have_count(0)
    teams = done.locator("tr", has=page.get_by_role("cell", name="Teams", exact=True))
    expect(teams.locator("td.num").first).to_have_text("1")
    assert org.get_team(organization.uow(), "legal").name == "Legal"
    assert org.get_person(organization.uow(), "lee@example.org").name == "Lee Park"
