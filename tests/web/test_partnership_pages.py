"""The partnership page, its commitment board and the commitment page, through HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, csrf_of, signed_in

from accord.commitments import service as commitments
from accord.config import Settings
from accord.org import service as org
from accord.org.domain import Operator
from accord.partnerships import service as partnerships
from accord.uow import UnitOfWork
from factories import last_event_id, make_partnership, make_person, make_purpose, make_team
from live_server import serve


class Org:
    """Data (Ana, lead) and Care (Bo, lead) in an active partnership; Care asked Data."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        uow = self.uow()
        make_team(uow, "data", name="Data Platform")
        make_team(uow, "care", name="Customer Care")
        make_team(uow, "ops", name="Operations")
        self.ana = make_person(uow, "ana@example.org", name="Ana", teams={"data": "lead"})
        self.bo = make_person(uow, "bo@example.org", name="Bo", teams={"care": "lead"})
        self.cy = make_person(uow, "cy@example.org", name="Cy", teams={"ops": "lead"})
        for email in ("ana@example.org", "bo@example.org", "cy@example.org"):
            org.set_password(uow, Operator(), email, PASSWORD)
        self.purpose = make_purpose(uow, self.bo)
        self.partnership = make_partnership(
            uow,
            self.ana,
            purpose=self.purpose,
            parties=[("data", "Signals"), ("care", "Playbooks")],
            affirmed_by=[self.ana, self.bo],
        ).key
        self.request = commitments.request(
            uow,
            self.bo,
            partnership=self.partnership,
            requester="care",
            performer="data",
            title="Daily churn-risk score",
            due=uow.now() + timedelta(days=20),
            reliance="high",
        ).key

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def state(self, key: str | None = None) -> str:
        view = commitments.get_commitment(self.uow(), key or self.request)
        return view.commitment.state.value

    def version(self, key: str | None = None) -> int:
        return commitments.get_commitment(self.uow(), key or self.request).commitment.version


@pytest.fixture
def world(sqlite_engine: Engine) -> Org:
    return Org(sqlite_engine)


@pytest.fixture
def base(world: Org) -> Iterator[str]:
    url = world.engine.url.render_as_string(hide_password=False)
    yield from serve(Settings(database_url=url, secret_key="test-secret"))


def moves_offered(html: str, key: str) -> set[str]:
    """The moves whose forms the page shows for one commitment."""
    card = re.search(rf'<article class="commitment" id="c-{key}".*?</article>', html, re.S)
    if card is None:
        card = re.search(r'<div id="commitment-main">.*', html, re.S)
    assert card is not None
    return set(re.findall(r'name="move" value="([a-z_]+)"', card.group(0)))


def post_move(client: httpx.Client, key: str, move: str, **fields: Any) -> httpx.Response:
    page = client.get(f"/commitments/{key}")
    data = {"csrf_token": csrf_of(page.text), "move": move, **fields}
    return client.post(f"/commitments/{key}/moves", data=data)


def test_the_board_offers_each_side_only_its_moves(world: Org, base: str) -> None:
    with signed_in(base, "ana@example.org") as ana, signed_in(base, "bo@example.org") as bo:
        performer = ana.get(f"/partnerships/{world.partnership}")
        requester = bo.get(f"/partnerships/{world.partnership}")

    assert performer.status_code == requester.status_code == 200
    assert moves_offered(performer.text, world.request) == {"promise", "counter", "decline"}
    assert moves_offered(requester.text, world.request) == {"withdraw"}


def test_an_outsider_sees_the_board_but_no_move(world: Org, base: str) -> None:
    with signed_in(base, "cy@example.org") as cy:
        page = cy.get(f"/partnerships/{world.partnership}")

    assert "Daily churn-risk score" in page.text
    assert moves_offered(page.text, world.request) == set()
    assert 'action="/partnerships/' + world.partnership + '/commitments"' not in page.text


def test_request_promise_deliver_accept_through_the_forms(world: Org, base: str) -> None:
    with signed_in(base, "ana@example.org") as ana, signed_in(base, "bo@example.org") as bo:
        promised = post_move(ana, world.request, "promise", version=world.version(), view="board")
        assert promised.status_code == 303
        assert (
            promised.headers["location"] == f"/partnerships/{world.partnership}#c-{world.request}"
        )
        assert world.state() == "promised"

        done = post_move(ana, world.request, "report_done", version=world.version(), note="Live")
        assert done.status_code == 303
        assert world.state() == "delivered"
        assert moves_offered(bo.get(f"/commitments/{world.request}").text, world.request) == {
            "accept",
            "reject",
        }

        accepted = post_move(bo, world.request, "accept", version=world.version(), value="5")
        assert accepted.status_code == 303
        page = bo.get(f"/commitments/{world.request}")

    assert world.state() == "accepted"
    assert commitments.get_commitment(world.uow(), world.request).commitment.value == 5
    for done in ("asked", "promised", "reported it done", "accepted the delivery"):
        assert f"<strong>{done}</strong>" in page.text
    assert 'Bo</a> <span class="muted">of Customer Care</span> <strong>asked' in page.text
    assert "bo@example.org" not in page.text
    assert "This commitment is closed." in page.text


def test_an_htmx_move_answers_the_new_board(world: Org, base: str) -> None:
    with signed_in(base, "ana@example.org") as ana:
        page = ana.get(f"/partnerships/{world.partnership}")
        response = ana.post(
            f"/commitments/{world.request}/moves",
            data={
                "csrf_token": csrf_of(page.text),
                "move": "promise",
                "version": str(world.version()),
                "view": "board",
            },
            headers={"HX-Request": "true"},
        )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="board"')
    assert "<html" not in response.text
    assert moves_offered(response.text, world.request) >= {"report_done", "revoke"}


def test_a_move_not_offered_is_refused_and_changes_nothing(world: Org, base: str) -> None:
    before = last_event_id(world.uow())
    with signed_in(base, "bo@example.org") as bo:
        response = post_move(bo, world.request, "promise", version=world.version())

    assert response.status_code == 403
    assert "&#39;promise&#39; is for" in response.text
    assert "<html" in response.text
    assert "Traceback" not in response.text
    assert world.state() == "requested"
    assert last_event_id(world.uow()) == before


def test_a_move_on_a_stale_version_is_refused(world: Org, base: str) -> None:
    stale = world.version()
    commitments.move(world.uow(), world.ana, world.request, "promise", version=stale)
    before = last_event_id(world.uow())
    with signed_in(base, "ana@example.org") as ana:
        response = post_move(ana, world.request, "revoke", version=stale, reason="no time")

    assert response.status_code == 409
    assert "version" in response.text
    assert world.state() == "promised"
    assert last_event_id(world.uow()) == before


def test_a_move_without_its_csrf_token_is_refused(world: Org, base: str) -> None:
    with signed_in(base, "ana@example.org") as ana:
        response = ana.post(
            f"/commitments/{world.request}/moves",
            data={"move": "promise", "version": str(world.version())},
        )
        forged = ana.post(
            f"/commitments/{world.request}/moves",
            data={"move": "promise", "version": str(world.version()), "csrf_token": "guess"},
        )

    assert response.status_code == forged.status_code == 403
    assert "did not come from Accord" in response.text
    assert world.state() == "requested"


def test_a_move_missing_its_reason_shows_the_error_beside_the_field(world: Org, base: str) -> None:
    with signed_in(base, "ana@example.org") as ana:
        response = post_move(ana, world.request, "decline", version=world.version())

    assert response.status_code == 422
    assert "needs reason" in response.text
    assert world.state() == "requested"


def test_accept_refuses_a_value_out_of_range_beside_the_field(world: Org, base: str) -> None:
    for move in ("promise", "report_done"):
        commitments.move(world.uow(), world.ana, world.request, move, version=world.version())
    with signed_in(base, "bo@example.org") as bo:
        response = post_move(bo, world.request, "accept", version=world.version(), value="9")

    assert response.status_code == 422
    slot = f"{world.request}-accept-value-error"
    assert re.search(
        rf'id="{slot}" class="field-error">Value must be a whole number', response.text
    )
    assert world.state() == "delivered"


def test_accept_offers_no_rating_chosen_and_refuses_none_beside_the_field(
    world: Org, base: str
) -> None:
    for move in ("promise", "report_done"):
        commitments.move(world.uow(), world.ana, world.request, move, version=world.version())
    with signed_in(base, "bo@example.org") as bo:
        page = bo.get(f"/commitments/{world.request}")
        response = post_move(bo, world.request, "accept", version=world.version(), note="Fine")

    rating = re.search(r'<select id="[^"]+-accept-value".*?</select>', page.text, re.S)
    assert rating is not None
    assert "selected" not in rating.group(0)
    assert response.status_code == 422
    slot = f"{world.request}-accept-value-error"
    assert f'id="{slot}" class="field-error">Choose the value it brought' in response.text
    assert world.state() == "delivered"


def test_report_done_from_its_confirmation_step_keeps_the_note(world: Org, base: str) -> None:
    commitments.move(world.uow(), world.ana, world.request, "promise", version=world.version())
    with signed_in(base, "ana@example.org") as ana:
        page = ana.get(f"/commitments/{world.request}")
        done = post_move(ana, world.request, "report_done", version=world.version(), note="Live")
        after = ana.get(f"/commitments/{world.request}")

    assert 'data-move="report_done">Report done…</summary>' in page.text
    assert f'id="{world.request}-report_done-note"' in page.text
    assert done.status_code == 303
    assert world.state() == "delivered"
    assert "<strong>reported it done</strong>" in after.text
    assert "Note: Live" in after.text


def test_a_request_with_a_past_due_date_is_refused_beside_the_due_field(
    world: Org, base: str
) -> None:
    before = last_event_id(world.uow())
    with signed_in(base, "bo@example.org") as bo:
        page = bo.get(f"/partnerships/{world.partnership}")
        response = bo.post(
            f"/partnerships/{world.partnership}/commitments",
            data={
                "csrf_token": csrf_of(page.text),
                "requester": "care",
                "performer": "data",
                "title": "Yesterday's numbers",
                "due": "2001-01-01T09:00",
                "reliance": "low",
            },
        )

    assert response.status_code == 409  # a broken rule, as the API answers it
    assert re.search(
        r'id="req-due-error" class="field-error">The due date must be in the future '
        r"\(it is \w{3} \d+ \w{3} \d{4} \d\d:\d\d UTC now\)\.<",
        response.text,
    )
    assert 'value="Yesterday&#39;s numbers"' in response.text  # what was typed is kept
    assert last_event_id(world.uow()) == before


def test_a_request_through_the_form_lands_on_the_board(world: Org, base: str) -> None:
    with signed_in(base, "bo@example.org") as bo:
        page = bo.get(f"/partnerships/{world.partnership}")
        response = bo.post(
            f"/partnerships/{world.partnership}/commitments",
            data={
                "csrf_token": csrf_of(page.text),
                "requester": "care",
                "performer": "data",
                "title": "Weekly churn digest",
                "due": "2031-03-01T09:00",
                "reliance": "critical",
            },
        )
        board = bo.get(f"/partnerships/{world.partnership}")

    assert response.status_code == 303
    found = commitments.list_commitments(world.uow(), partnership=world.partnership)
    made = next(c for c in found if c.title == "Weekly churn digest")
    assert made.reliance.value == "critical"
    assert made.due.isoformat().startswith("2031-03-01T09:00")
    assert f'id="c-{made.key}"' in board.text


def test_a_partnership_started_on_a_form_turns_trust_based_when_both_affirm(
    world: Org, base: str
) -> None:
    with signed_in(base, "cy@example.org") as cy, signed_in(base, "bo@example.org") as bo:
        form = cy.get("/partnerships/new")
        created = cy.post(
            "/partnerships/new",
            data={
                "csrf_token": csrf_of(form.text),
                "name": "Calm nights",
                "purpose": world.purpose.key,
                "team": "ops",
                "partners": ["care"],
                "contribution": "On-call runbooks",
                "working_agreements": "Page only for customer impact\nReview every incident",
                "review_every_days": "14",
            },
        )
        assert created.status_code == 303
        key = created.headers["location"].rsplit("/", 1)[1]
        view = partnerships.get_partnership(world.uow(), key)
        assert view.label.value == "traditional"
        assert view.partnership.working_agreements == [
            "Page only for customer impact",
            "Review every incident",
        ]

        page = bo.get(f"/partnerships/{key}")
        assert 'data-affirm="care"' in page.text
        assert 'data-affirm="ops"' not in page.text
        contribution = bo.post(
            f"/partnerships/{key}/contribution",
            data={"csrf_token": csrf_of(page.text), "team": "care", "contribution": "Calm users"},
        )
        assert contribution.status_code == 303
        for client, team in ((cy, "ops"), (bo, "care")):
            page = client.get(f"/partnerships/{key}")
            answer = client.post(
                f"/partnerships/{key}/affirm",
                data={"csrf_token": csrf_of(page.text), "team": team},
            )
            assert answer.status_code == 303
        final = bo.get(f"/partnerships/{key}")

    view = partnerships.get_partnership(world.uow(), key)
    assert view.label.value == "trust-based"
    assert view.partnership.status.value == "active"
    assert "Every check passes" in final.text


def test_the_new_partnership_form_shows_each_error_beside_its_field(world: Org, base: str) -> None:
    with signed_in(base, "cy@example.org") as cy:
        form = cy.get("/partnerships/new")
        response = cy.post(
            "/partnerships/new",
            data={"csrf_token": csrf_of(form.text), "name": "Lonely", "team": "ops"},
        )

    assert response.status_code == 422
    assert 'id="new-partners-error"' in response.text
    assert 'id="new-purpose-error"' in response.text
    assert not [
        v for v in partnerships.list_partnerships(world.uow()) if v.partnership.name == "Lonely"
    ]


def test_a_party_lead_cannot_affirm_for_another_party(world: Org, base: str) -> None:
    with signed_in(base, "cy@example.org") as cy:
        page = cy.get(f"/partnerships/{world.partnership}")
        response = cy.post(
            f"/partnerships/{world.partnership}/affirm",
            data={"csrf_token": csrf_of(page.text), "team": "data"},
        )

    assert response.status_code == 403
    assert "<html" in response.text


def test_the_commitment_page_shows_the_forecast_to_the_two_teams_only(
    world: Org, base: str
) -> None:
    with signed_in(base, "ana@example.org") as ana, signed_in(base, "cy@example.org") as cy:
        mine = ana.get(f"/commitments/{world.request}")
        theirs = cy.get(f"/commitments/{world.request}")

    assert re.search(r'<p class="stat">\d+%</p>', mine.text)
    assert not re.search(r'<p class="stat">\d+%</p>', theirs.text)
    assert "for the members of the two teams" in theirs.text
    assert "Only members of Customer Care and Data Platform act on this" in theirs.text


def test_unknown_partnership_and_commitment_are_not_found_pages(world: Org, base: str) -> None:
    with signed_in(base, "ana@example.org") as ana:
        missing = [ana.get("/partnerships/nope"), ana.get("/commitments/nope")]

    for response in missing:
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "does not exist" in response.text or "not found" in response.text.lower()


def test_a_move_without_its_version_is_refused(world: Org, base: str) -> None:
    before = last_event_id(world.uow())
    with signed_in(base, "ana@example.org") as ana:
        response = post_move(ana, world.request, "promise")

    assert response.status_code == 422
    assert "needs the version" in response.text
    assert world.state() == "requested"
    assert last_event_id(world.uow()) == before


def test_a_counter_changes_only_the_terms_that_were_edited(world: Org, base: str) -> None:
    due = commitments.get_commitment(world.uow(), world.request).commitment.due
    shown = due.strftime("%Y-%m-%dT%H:%M")  # the form shows the due date to the minute
    with signed_in(base, "ana@example.org") as ana:
        unchanged = post_move(
            ana,
            world.request,
            "counter",
            version=world.version(),
            title="Daily churn-risk score",
            due=shown,
            note="Same as before",
        )
        assert unchanged.status_code == 422
        assert "needs at least one new term" in unchanged.text

        countered = post_move(
            ana,
            world.request,
            "counter",
            version=world.version(),
            title="Weekly churn-risk score",
            due=shown,
        )

    assert countered.status_code == 303
    pending = commitments.get_commitment(world.uow(), world.request).commitment.pending
    assert pending is not None
    assert pending.get("title") == "Weekly churn-risk score"
    assert "due" not in pending or pending["due"] in (due, due.isoformat())


def test_the_partnerships_list_comes_a_page_at_a_time(world: Org, base: str) -> None:
    uow = world.uow()
    for _ in range(55):
        make_partnership(
            uow, world.cy, purpose=world.purpose, parties=[("ops", "Runbooks"), ("care", "")]
        )
    with signed_in(base, "cy@example.org") as cy:
        first = cy.get("/partnerships")
        more = re.search(r'<a href="(/partnerships\?[^"]+)" rel="next">', first.text)
        assert more is not None
        second = cy.get(more.group(1).replace("&amp;", "&"))
        mine = cy.get("/partnerships?mine=1")

    def keys(html: str) -> list[str]:
        return re.findall(r'<td><a href="/partnerships/([^"]+)">', html)

    assert len(keys(first.text)) == 50
    assert len(keys(second.text)) == 6
    assert not set(keys(first.text)) & set(keys(second.text))
    assert 'rel="next"' not in second.text
    assert len(keys(mine.text)) == 55  # Cy's team is in 55 of the 56
