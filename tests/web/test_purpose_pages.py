"""The purpose pages through HTTP: the list, a purpose, its forms and its forecast."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, post_form, sign_in_as

from accord.config import Settings
from accord.org import service as org
from accord.org.domain import Operator
from accord.purposes import service as purposes
from accord.trust import forecast as forecasts
from accord.uow import UnitOfWork
from factories import make_commitment, make_partnership, make_person, make_purpose, make_team


@pytest.fixture
def uow(sqlite_engine: Engine) -> UnitOfWork:
    """Data (Ana leads) and Care (Bo leads, Cy is a member) partner on Bo's purpose `churn`."""
    uow = UnitOfWork(sqlite_engine)
    make_team(uow, "data", name="Data")
    make_team(uow, "care", name="Customer Care")
    ana = make_person(uow, "ana@example.org", teams={"data": "lead"}, name="Ana")
    bo = make_person(uow, "bo@example.org", teams={"care": "lead"}, name="Bo")
    make_person(uow, "cy@example.org", teams={"care": "member"}, name="Cy")
    make_person(uow, "vi@example.org", role="viewer", name="Vi")
    for email in ("ana@example.org", "bo@example.org", "cy@example.org", "vi@example.org"):
        org.set_password(uow, Operator(), email, PASSWORD)
    purpose = make_purpose(
        uow,
        bo,
        key="churn",
        measures=[{"name": "Monthly churn", "unit": "%", "baseline": 4.0, "target": 2.0}],
    )
    partnership = make_partnership(
        uow,
        ana,
        key="signals",
        purpose=purpose,
        parties=[("data", "Signals"), ("care", "Playbooks")],
        affirmed_by=[ana, bo],
    )
    for number in (1, 2):
        make_commitment(
            uow,
            partnership,
            bo,
            "care",
            "data",
            key=f"c-{number}",
            reliance="critical",
            due=uow.now() + timedelta(days=10 * number),
        )
    return uow


def field_error(page: str, field_id: str) -> str:
    """The message shown beside the input with this id."""
    found = re.search(rf'id="{field_id}-error" class="field-error">([^<]*)<', page)
    assert found is not None, f"no error beside {field_id}"
    return found.group(1)


def test_the_list_shows_status_sponsor_and_partnerships(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "ana@example.org")

    page = client.get("/purposes")
    drafts = client.get("/purposes?status=draft")

    assert page.status_code == 200
    row = page.text.split('href="/purposes/churn"')[1].split("</tr>")[0]
    assert "active" in row
    assert "Bo" in row
    assert re.search(r'class="num">1</td>', row)
    assert 'href="/purposes/churn"' not in drafts.text


def test_viewers_get_no_new_purpose_form(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "vi@example.org")
    assert 'action="/purposes"' not in client.get("/purposes").text

    sign_in_as(client, "cy@example.org")
    assert 'action="/purposes"' in client.get("/purposes").text


def test_the_new_purpose_form_creates_a_draft(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "cy@example.org")

    response = post_form(
        client,
        "/purposes",
        {
            "title": "Answer every ticket in a day",
            "statement": "Waiting customers leave",
            "sponsor": "cy@example.org",
            "target_date": "2027-03-31",
            "parent": "churn",
            "key": "",
        },
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/purposes/answer-every-ticket-in-a-day"
    created = purposes.get_purpose(uow, "answer-every-ticket-in-a-day")
    assert created.status.value == "draft"
    assert created.sponsor is not None
    assert created.sponsor.email == "cy@example.org"
    assert created.parent is not None
    assert created.parent.key == "churn"
    assert str(created.target_date) == "2027-03-31"


def test_a_refused_new_purpose_shows_why_beside_the_field(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "cy@example.org")
    before = len(purposes.list_purposes(uow))

    no_title = post_form(client, "/purposes", {"title": " ", "sponsor": "cy@example.org"})
    no_sponsor = post_form(client, "/purposes", {"title": "Fine", "sponsor": "nobody@example.org"})
    bad_date = post_form(client, "/purposes", {"title": "Fine", "target_date": "31/03/2027"})

    assert no_title.status_code == 422
    assert "must not be empty" in field_error(no_title.text, "new-title")
    assert no_sponsor.status_code == 404
    assert "nobody@example.org" in field_error(no_sponsor.text, "new-sponsor")
    assert bad_date.status_code == 422
    assert "YYYY-MM-DD" in field_error(bad_date.text, "new-target_date")
    assert len(purposes.list_purposes(uow)) == before


def test_a_viewer_who_posts_anyway_is_refused_and_nothing_is_made(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "vi@example.org")

    response = post_form(client, "/purposes", {"title": "Sneaky"})

    assert response.status_code == 403
    assert "viewer and may only read" in response.text
    assert [p.key for p in purposes.list_purposes(uow)] == ["churn"]


def test_a_form_without_the_csrf_token_is_refused(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "bo@example.org")

    created = client.post("/purposes", data={"title": "Forged"})
    moved = client.post("/purposes/churn/status", data={"status": "abandoned"})

    assert created.status_code == 403
    assert moved.status_code == 403
    assert [p.key for p in purposes.list_purposes(uow)] == ["churn"]
    assert purposes.get_purpose(uow, "churn").status.value == "active"


def test_status_buttons_are_the_sponsors(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "ana@example.org")
    page = client.get("/purposes/churn")
    refused = post_form(client, "/purposes/churn/status", {"status": "achieved"})

    assert 'action="/purposes/churn/status"' not in page.text
    assert refused.status_code == 403
    assert "Only the sponsor of the purpose “Halve customer churn” or an admin" in refused.text
    assert purposes.get_purpose(uow, "churn").status.value == "active"

    sign_in_as(client, "bo@example.org")
    page = client.get("/purposes/churn")
    assert "Mark achieved" in page.text
    assert "Abandon" in page.text
    moved = post_form(client, "/purposes/churn/status", {"status": "achieved"})
    assert moved.status_code == 303
    assert purposes.get_purpose(uow, "churn").status.value == "achieved"
    assert "Reopen" in client.get("/purposes/churn").text


def test_the_edit_form_changes_title_statement_and_date(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "cy@example.org")

    response = post_form(
        client,
        "/purposes/churn/edit",
        {"title": "Cut churn by half", "statement": "Why: revenue", "target_date": "2028-01-01"},
    )
    empty = post_form(client, "/purposes/churn/edit", {"title": "", "statement": "x"})

    assert response.status_code == 303
    purpose = purposes.get_purpose(uow, "churn")
    assert (purpose.title, purpose.statement) == ("Cut churn by half", "Why: revenue")
    assert str(purpose.target_date) == "2028-01-01"
    assert empty.status_code == 422
    assert "must not be empty" in field_error(empty.text, "edit-title")
    assert purposes.get_purpose(uow, "churn").statement == "Why: revenue"


def test_a_measure_is_added_and_a_duplicate_name_is_refused_beside_the_name(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "cy@example.org")

    added = post_form(
        client,
        "/purposes/churn/measures",
        {"name": "Save rate", "unit": "%", "baseline": "18", "target": "35", "current": ""},
    )
    again = post_form(client, "/purposes/churn/measures", {"name": "Save rate", "baseline": "1"})
    not_a_number = post_form(
        client, "/purposes/churn/measures", {"name": "Other", "target": "lots"}
    )

    assert added.status_code == 303
    measure = purposes.get_purpose(uow, "churn").measure("Save rate")
    assert (measure.unit, measure.baseline, measure.target, measure.current) == (
        "%",
        18.0,
        35.0,
        18.0,
    )
    assert again.status_code == 409
    assert "already has a measure" in field_error(again.text, "measure-name")
    assert not_a_number.status_code == 422
    assert "must be a number" in field_error(not_a_number.text, "measure-target")
    assert [m.name for m in purposes.get_purpose(uow, "churn").measures] == [
        "Monthly churn",
        "Save rate",
    ]


def test_measure_updates_are_for_the_sponsor_and_partner_leads(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "cy@example.org")
    assert 'action="/purposes/churn/measure-updates"' not in client.get("/purposes/churn").text
    refused = post_form(
        client, "/purposes/churn/measure-updates", {"measure": "Monthly churn", "value": "3"}
    )
    assert refused.status_code == 403
    assert "only the sponsor" in refused.text.lower()
    assert purposes.get_purpose(uow, "churn").measure("Monthly churn").updates == []

    sign_in_as(client, "ana@example.org")
    assert 'action="/purposes/churn/measure-updates"' in client.get("/purposes/churn").text
    bad = post_form(
        client, "/purposes/churn/measure-updates", {"measure": "Monthly churn", "value": "x"}
    )
    done = post_form(
        client,
        "/purposes/churn/measure-updates",
        {"measure": "Monthly churn", "value": "3.5", "note": "First month"},
    )

    assert bad.status_code == 422
    assert "must be a number" in field_error(bad.text, "m1-value")
    assert done.status_code == 303
    measure = purposes.get_purpose(uow, "churn").measure("Monthly churn")
    assert [(u.value, u.note) for u in measure.updates] == [(3.5, "First month")]
    assert measure.current == 3.5
    page = client.get("/purposes/churn").text
    assert "History of Monthly churn" in page
    assert "25% of the way" in page


def test_the_forecast_shows_the_services_numbers_rounded(
    client: httpx.Client, uow: UnitOfWork, base_url: str
) -> None:
    sign_in_as(client, "ana@example.org")
    ana = org.get_person(uow, "ana@example.org")
    settings = Settings(database_url="sqlite://", secret_key="test-secret")

    page = client.get("/purposes/churn").text
    forecast = forecasts.purpose_forecast(uow, settings, ana, "churn")

    assert forecast.complete
    assert len(forecast.commitments) == 2
    shown_all = re.search(r'id="p-all">([^<]+)<', page)
    shown_expected = re.search(r'id="expected">([^<]+)<', page)
    assert shown_all is not None
    assert shown_expected is not None
    assert shown_all.group(1) == f"{forecast.outlook.probability_all * 100:.0f}%"
    expected = f"{forecast.outlook.expected_count:.2f}".rstrip("0").rstrip(".")
    assert shown_expected.group(1) == expected
    for row in forecast.commitments:
        assert row.probability is not None
        cells = page.split(f'href="/commitments/{row.key}"')[1].split("</tr>")[0]
        assert f"{row.probability * 100:.0f}%" in cells


def test_the_forecast_totals_are_withheld_from_those_outside_the_pairs(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "vi@example.org")

    page = client.get("/purposes/churn").text

    assert 'id="p-all"' not in page
    assert "Totals are withheld because you may not see the trust" in page
    assert page.count(">hidden<") == 2
