"""Trust in words in a real Chromium: the trust map says why a pair is over-reliant and that
its evidence is thin, and each arrow, each row of its table and each partner on a team page
opens the pair's page, with the commitments behind its figures."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from browsing import DESKTOP, PASSWORD, PHONE, NewPage, Organization, PageWatch, Shot
from playwright.sync_api import Page, ViewportSize, expect

from accord.commitments import service as commitments
from accord.org import service as org
from accord.org.domain import Operator
from factories import make_commitment, make_person, make_team

# The on-screen middle of the arrow from `source` to `target`, from the page's Cytoscape.
EDGE_POINT = """([source, target]) => {
  const box = document.getElementById("trust-graph");
  const cy = box._cyreg.cy;
  const edge = cy.getElementById("pair:" + source + ">" + target);
  const point = edge.renderedMidpoint();
  const frame = box.getBoundingClientRect();
  return {x: frame.left + point.x, y: frame.top + point.y};
}"""


@pytest.fixture
def delivered(organization: Organization) -> Organization:
    """Besides the open request of care (reliance high), data delivered one commitment to care
    on time: one finished commitment, too little evidence to judge."""
    uow = organization.uow()
    ana = org.get_person(uow, organization.data_lead)
    bo = org.get_person(uow, organization.care_lead)
    make_commitment(
        uow,
        organization.partnership,
        bo,
        organization.care,
        organization.data,
        key="weekly-export",
        title="Weekly export of the scores",
        due=uow.now() + timedelta(days=5),
        reliance="low",
    )
    for who, move, args in (
        (ana, "promise", {}),
        (ana, "report_done", {}),
        (bo, "accept", {"value": 4}),
    ):
        version = commitments.get_commitment(uow, "weekly-export").commitment.version
        commitments.move(uow, who, "weekly-export", move, version=version, **args)
    return organization


def pair_path(organization: Organization) -> str:
    return f"/teams/{organization.data}/trust/{organization.care}"


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def check_the_pair_page(page: Page, organization: Organization) -> None:
    """The pair page of care's trust in data: thin figures in words, the flag and its causes,
    and the one finished commitment behind them."""
    assert path_of(page) == pair_path(organization)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{organization.data_name} as {organization.care_name} sees it"
    )
    ability = page.locator("#pair-ability")
    expect(ability).to_contain_text("too little evidence to judge")
    expect(ability).to_contain_text("on time in 1 of 1 commitment")
    expect(ability.locator(".figure")).to_have_count(0)
    flags = page.locator("#pair-flags")
    expect(flags).to_contain_text("over-reliant")
    expect(flags).to_contain_text("Relied on heavily, but its record is thin")
    expect(page.locator("#relied-on")).to_contain_text("Daily churn-risk score")
    behind = page.locator("#evidence-weekly-export")
    expect(behind).to_contain_text("Weekly export of the scores")
    expect(behind).to_contain_text("Delivered on time")
    expect(behind).to_contain_text("1.00")
    expect(page.locator("#evidence-total")).to_contain_text("1.00")


def test_the_trust_map_says_why_a_pair_is_over_reliant_and_that_its_evidence_is_thin(
    new_page: NewPage, delivered: Organization, shot: Shot
) -> None:
    page = new_page(delivered.care_lead)
    page.goto("/trust-map")

    row = page.locator(f"#pair-{delivered.care}--{delivered.data}")
    expect(row).to_contain_text("too little evidence to judge")
    expect(row).to_contain_text("on time in 1 of 1 commitment")
    expect(row).to_contain_text("over-reliant")
    expect(row).to_contain_text("Relied on heavily, but its record is thin (uncertainty")
    over = page.locator(f"#over-{delivered.care}--{delivered.data}")
    expect(over).to_contain_text("too little evidence to judge")
    expect(over).to_contain_text("its record is thin")
    shot(page, "trust-map-words")

    row.get_by_role("link", name="See why").click()

    check_the_pair_page(page, delivered)
    shot(page, "pair")


def test_an_arrow_of_the_graph_reads_in_words_and_opens_its_pair(
    new_page: NewPage, delivered: Organization
) -> None:
    page = new_page(delivered.data_lead)
    page.goto("/trust-map")
    graph = page.locator("#trust-graph")
    expect(graph).to_have_attribute("data-edges", "2")

    point = page.evaluate(EDGE_POINT, [delivered.care, delivered.data])
    page.mouse.move(point["x"], point["y"])
    detail = page.locator("#trust-graph-detail")
    expect(detail).to_contain_text(f"{delivered.care_name} → {delivered.data_name}")
    expect(detail).to_contain_text("too little evidence to judge")
    expect(detail).to_contain_text("over-reliant: relied on heavily, but its record")
    with page.expect_navigation():
        page.mouse.click(point["x"], point["y"])

    check_the_pair_page(page, delivered)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_partner_on_the_team_page_opens_its_pair(
    new_page: NewPage, delivered: Organization, shot: Shot, viewport: ViewportSize
) -> None:
    page = new_page(delivered.care_member, viewport)
    page.goto(f"/teams/{delivered.care}")
    partner = page.locator(f"#partner-{delivered.data}")
    expect(partner).to_contain_text("too little evidence to judge")
    expect(partner).to_contain_text("Relied on heavily, but its record is thin")

    partner.get_by_role("link", name="See why").click()

    check_the_pair_page(page, delivered)
    wider = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"the pair page scrolls sideways by {wider} px"
    shot(page, f"pair-from-team-{'phone' if viewport == PHONE else 'desktop'}")
    page.get_by_role("link", name="Weekly export of the scores").click()
    assert path_of(page) == "/commitments/weekly-export"
    outcome = page.locator("#outcome")
    expect(outcome).to_contain_text("on time")
    expect(outcome).to_contain_text("counts for ability and integrity")
    expect(page.locator("#forecast")).to_have_count(0)


def test_someone_of_neither_team_is_refused_the_pair_page(
    new_page: NewPage, delivered: Organization, page_watch: PageWatch
) -> None:
    page_watch.expect(r"status of 403")
    uow = delivered.uow()
    make_team(uow, "ops", name="Operations")
    make_person(uow, "olga@example.org", teams={"ops": "member"}, name="Olga Orr")
    org.set_passwords(uow, Operator(), ["olga@example.org"], PASSWORD)
    page = new_page("olga@example.org")

    response = page.goto(pair_path(delivered))

    assert response is not None
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator("main")).not_to_contain_text("Weekly export")
