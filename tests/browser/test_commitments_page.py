"""The commitments page in a real Chromium: reached from the header, its filters narrow the list
and stay in the address, its headers sort it, it pages, a wrong filter is said beside it, its
CSV holds what the pages show (safe to open in a spreadsheet), and an outsider reads every
commitment but not a rating that is for the two teams."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from browsing import PASSWORD, PHONE, NewPage, Organization, PageWatch
from playwright.sync_api import Page, expect

from accord.commitments import service as commitments
from accord.org import service as org
from accord.org.domain import Operator
from factories import make_commitment, make_person, make_team

FORMULA = '=HYPERLINK("http://evil.example","Open")'
OUTSIDER = "olga@example.org"


@pytest.fixture
def listed(organization: Organization) -> Organization:
    """Thirty commitments of care to data: the fixture's request, one accepted with a rating of
    4, one whose title is a spreadsheet formula, and 27 reports; Olga is in another team."""
    uow = organization.uow()
    ana = org.get_person(uow, organization.data_lead)
    bo = org.get_person(uow, organization.care_lead)

    def ask(key: str, title: str, days: int) -> None:
        make_commitment(
            uow, organization.partnership, bo, organization.care, organization.data,
            key=key, title=title, due=uow.now() + timedelta(days=days),
        )  # fmt: skip

    ask("weekly-export", "Weekly export of the scores", 5)
    moves = ((ana, "promise", {}), (ana, "report_done", {}), (bo, "accept", {"value": 4}))
    for who, move, args in moves:
        version = commitments.get_commitment(uow, "weekly-export").commitment.version
        commitments.move(uow, who, "weekly-export", move, version=version, **args)
    ask("formula", FORMULA, 6)
    for number in range(1, 28):
        ask(f"report-{number:02d}", f"Report {number:02d}", 30 + number)
    make_team(uow, "ops", name="Ops Desk")
    make_person(uow, OUTSIDER, teams={"ops": "member"}, name="Olga Ode")
    org.set_passwords(uow, Operator(), [OUTSIDER], PASSWORD)
    return organization


def shown_as(first: int, last: int, total: int) -> str:
    """What the page says it shows: "1 to 25 of 30 commitments", or "30 commitments"."""
    words = f"{total} commitment{'s' if total != 1 else ''}."
    return words if (first, last) == (1, total) else f"{first}\N{EN DASH}{last} of {words}"


def titles(page: Page) -> list[str]:
    return page.locator("table.commitment-list tbody td.title").all_inner_texts()


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_a_lead_filters_sorts_pages_and_downloads_what_is_shown(
    new_page: NewPage, listed: Organization, page_watch: PageWatch
) -> None:
    page = new_page(listed.data_lead)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Commitments").click()
    page.wait_for_url("**/commitments")  # reached from the header
    expect(page.locator("#found-count")).to_have_text(shown_as(1, 30, 30))

    page.get_by_label("Per page").select_option("25")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#found-count")).to_have_text(shown_as(1, 25, 30))
    assert query_of(page)["size"] == ["25"]
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("#found-count")).to_have_text(shown_as(26, 30, 30))
    assert len(titles(page)) == 5

    page.goto("/commitments?size=25")
    page.get_by_role("link", name="Commitment", exact=True).click()  # sort by title
    expect(page.get_by_role("columnheader", name="Commitment")).to_have_attribute(
        "aria-sort", "ascending"
    )
    shown = titles(page)
    assert shown[0] == FORMULA  # "=" comes before any letter
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("#found-count")).to_have_text(shown_as(26, 30, 30))
    shown += titles(page)
    assert shown[-1] == "Weekly export of the scores"
    assert shown == sorted(shown)
    page.get_by_role("link", name="Commitment", exact=True).click()  # the other way round
    expect(page.get_by_role("columnheader", name="Commitment")).to_have_attribute(
        "aria-sort", "descending"
    )
    assert titles(page)[0] == "Weekly export of the scores"
    assert query_of(page)["order"] == ["desc"]

    with page.expect_download() as download:  # every page of what is shown, in its order
        page.get_by_role("link", name="Download CSV").click()
    rows = csv_rows(download.value.path().read_text(encoding="utf-8"))
    assert rows[0] == [
        "Key", "Title", "Requester", "Performer", "State", "Due (UTC)", "Partnership", "Rating",
    ]  # fmt: skip
    assert [row[1] for row in rows[1:]] == ["'" + t if t == FORMULA else t for t in shown[::-1]]
    weekly = next(row for row in rows if row[0] == "weekly-export")
    assert weekly[2:5] == [listed.care_name, listed.data_name, "Accepted"]
    assert weekly[7] == "4"

    page.get_by_label("Accepted", exact=True).check()
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#found-count")).to_have_text(shown_as(1, 1, 1))
    assert query_of(page)["state"] == ["accepted"]
    expect(page.locator("table.commitment-list tbody")).to_contain_text("rated 4 of 5")

    page_watch.expect(r"status of 422")
    page.goto("/commitments?due_from=2026-02-30&state=lost&team=data")
    due_from = page.get_by_label("Due from")
    expect(due_from).to_have_attribute("aria-invalid", "true")
    expect(due_from).to_have_accessible_description(
        "'2026-02-30' is not a date; give one such as 2026-12-08."
    )
    expect(page.locator("fieldset.states .field-error")).to_contain_text("'lost' is not one of")
    expect(page.locator("#found-count")).to_have_text(
        "Correct what is marked above to see commitments."
    )
    expect(page.get_by_label("Team", exact=True)).to_have_value("data")  # the filters stay


def test_an_outsider_reads_every_commitment_but_not_the_rating(
    new_page: NewPage, listed: Organization
) -> None:
    page = new_page(OUTSIDER, PHONE)
    page.goto("/commitments?state=accepted")
    expect(page.locator("#found-count")).to_have_text(shown_as(1, 1, 1))
    row = page.locator("table.commitment-list tbody tr")
    expect(row).to_contain_text("Weekly export of the scores")
    expect(row).not_to_contain_text("rated")
    answer = page.request.get("/commitments.csv?state=accepted")
    assert answer.headers["content-type"].startswith("text/csv")
    [_, weekly] = csv_rows(answer.text())
    assert (weekly[0], weekly[7]) == ("weekly-export", "")

    page.get_by_label("My teams' only").check()
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#found-count")).to_have_text("No commitment matches these filters.")
    assert query_of(page)["mine"] == ["1"]
