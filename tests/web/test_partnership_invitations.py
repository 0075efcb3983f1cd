"""Inviting a team, answering on My desk or the partnership page, withdrawing, and leaving,
through the web forms of a live server."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

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

KEY = "signals"


class Org:
    """Data (Ana, lead) and Care (Bo, lead) in the active partnership `signals`; Operations
    (Cy, lead; Dee, member) outside it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        uow = self.uow()
        make_team(uow, "data", name="Data Platform")
        make_team(uow, "care", name="Customer Care")
        make_team(uow, "ops", name="Operations")
        self.ana = make_person(uow, "ana@example.org", name="Ana", teams={"data": "lead"})
        self.bo = make_person(uow, "bo@example.org", name="Bo", teams={"care": "lead"})
        self.cy = make_person(uow, "cy@example.org", name="Cy", teams={"ops": "lead"})
        self.dee = make_person(uow, "dee@example.org", name="Dee", teams={"ops": "member"})
        for email in ("ana@example.org", "bo@example.org", "cy@example.org", "dee@example.org"):
            org.set_password(uow, Operator(), email, PASSWORD)
        make_partnership(
            uow,
            self.ana,
            key=KEY,
            purpose=make_purpose(uow, self.bo),
            parties=[("data", "Signals"), ("care", "Playbooks")],
            affirmed_by=[self.ana, self.bo],
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def parties(self) -> list[str]:
        view = partnerships.get_partnership(self.uow(), KEY)
        return [p.team.slug for p in view.partnership.parties]

    def status(self) -> str:
        return partnerships.get_partnership(self.uow(), KEY).partnership.status.value

    def invite_ops(self) -> int:
        invitation = partnerships.invite(self.uow(), self.ana, KEY, "ops")
        assert invitation.id is not None
        return invitation.id

    def state(self, invitation_id: int) -> str:
        return partnerships.get_invitation(self.uow(), invitation_id).state.value


@pytest.fixture
def world(sqlite_engine: Engine) -> Org:
    return Org(sqlite_engine)


@pytest.fixture
def base(world: Org) -> Iterator[str]:
    url = world.engine.url.render_as_string(hide_password=False)
    yield from serve(Settings(database_url=url, secret_key="test-secret"))


def options_of(page: str, select_id: str) -> list[str]:
    found = re.search(rf'<select id="{select_id}".*?</select>', page, re.S)
    assert found is not None, f"no select {select_id}"
    return [v for v in re.findall(r'<option value="([^"]*)"', found.group(0)) if v]


def test_a_lead_of_an_outside_team_cannot_add_its_team(world: Org, base: str) -> None:
    """The defect: the page's add-party form let any lead add a team. Now there is none, and the
    invitation form refuses a lead who is in no party."""
    mark = last_event_id(world.uow())
    with signed_in(base, "cy@example.org") as cy:
        page = cy.get(f"/partnerships/{KEY}")
        token = csrf_of(page.text)
        added = cy.post(
            f"/partnerships/{KEY}/parties",
            data={"csrf_token": token, "team": "ops", "contribution": "Runbooks"},
        )
        invited = cy.post(
            f"/partnerships/{KEY}/invitations", data={"csrf_token": token, "team": "ops"}
        )

    assert f'action="/partnerships/{KEY}/invitations"' not in page.text
    assert "Add the party" not in page.text
    assert added.status_code in (403, 404, 405)
    assert invited.status_code == 403
    assert world.parties() == ["data", "care"]
    assert world.status() == "active"
    assert last_event_id(world.uow()) == mark


def test_a_party_lead_invites_and_the_invited_lead_accepts_on_the_desk(
    world: Org, base: str
) -> None:
    with signed_in(base, "ana@example.org") as ana, signed_in(base, "cy@example.org") as cy:
        page = ana.get(f"/partnerships/{KEY}")
        assert options_of(page.text, "invite-team") == ["ops"]
        sent = ana.post(
            f"/partnerships/{KEY}/invitations",
            data={"csrf_token": csrf_of(page.text), "team": "ops"},
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/partnerships/{KEY}#invitations"
        after = ana.get(f"/partnerships/{KEY}")
        assert 'data-withdraw="ops"' in after.text
        assert 'data-accept="ops"' not in after.text
        assert options_of(after.text, "invite-team") == []

        desk = cy.get("/")
        [invitation_id] = [int(i) for i in re.findall(r'id="invitation-(\d+)"', desk.text)]
        assert "Invitations to join a partnership" in desk.text
        assert 'data-accept="ops"' in desk.text
        assert world.state(invitation_id) == "pending"
        accepted = cy.post(
            f"/partnerships/{KEY}/invitations/{invitation_id}/accept",
            data={"csrf_token": csrf_of(desk.text), "contribution": "On-call runbooks"},
        )
        assert accepted.status_code == 303
        assert accepted.headers["location"] == f"/partnerships/{KEY}#charter"
        joined = cy.get(f"/partnerships/{KEY}")
        desk_after = cy.get("/")

    assert world.state(invitation_id) == "accepted"
    assert world.parties() == ["data", "care", "ops"]
    assert world.status() == "forming"
    assert 'data-affirm="ops"' in joined.text
    assert "On-call runbooks" in joined.text
    assert "Invitations to join a partnership" not in desk_after.text


def test_the_invited_lead_declines_from_the_desk_and_a_member_sees_no_answer(
    world: Org, base: str
) -> None:
    invitation_id = world.invite_ops()
    with signed_in(base, "dee@example.org") as dee:
        assert "Invitations to join a partnership" not in dee.get("/").text
        assert 'data-accept="ops"' not in dee.get(f"/partnerships/{KEY}").text
    with signed_in(base, "cy@example.org") as cy:
        page = cy.get(f"/partnerships/{KEY}")
        assert 'data-accept="ops"' in page.text
        assert 'data-decline="ops"' in page.text
        assert 'data-withdraw="ops"' not in page.text
        desk = cy.get("/")
        declined = cy.post(
            f"/partnerships/{KEY}/invitations/{invitation_id}/decline",
            data={"csrf_token": csrf_of(desk.text), "back": "desk", "contribution": ""},
        )

    assert declined.status_code == 303
    assert declined.headers["location"] == "/"
    assert world.state(invitation_id) == "declined"
    assert world.parties() == ["data", "care"]


def test_a_party_lead_withdraws_and_a_late_answer_shows_why_above_the_list(
    world: Org, base: str
) -> None:
    invitation_id = world.invite_ops()
    with signed_in(base, "bo@example.org") as bo, signed_in(base, "cy@example.org") as cy:
        page = bo.get(f"/partnerships/{KEY}")
        stale = cy.get(f"/partnerships/{KEY}")
        withdrawn = bo.post(
            f"/partnerships/{KEY}/invitations/{invitation_id}/withdraw",
            data={"csrf_token": csrf_of(page.text)},
        )
        late = cy.post(
            f"/partnerships/{KEY}/invitations/{invitation_id}/accept",
            data={"csrf_token": csrf_of(stale.text), "contribution": "Runbooks"},
        )

    assert withdrawn.status_code == 303
    assert world.state(invitation_id) == "withdrawn"
    assert late.status_code == 409
    assert re.search(
        r'<p class="error" role="alert">The invitation of Operations to .[^<]+. is withdrawn',
        html.unescape(late.text),
    )
    assert world.parties() == ["data", "care"]


def test_a_contribution_too_long_is_shown_beside_its_field(world: Org, base: str) -> None:
    invitation_id = world.invite_ops()
    with signed_in(base, "cy@example.org") as cy:
        page = cy.get(f"/partnerships/{KEY}")
        refused = cy.post(
            f"/partnerships/{KEY}/invitations/{invitation_id}/accept",
            data={"csrf_token": csrf_of(page.text), "contribution": "x" * 1001},
        )

    assert refused.status_code == 422
    assert f'id="invitation-{invitation_id}-contribution-error"' in refused.text
    assert world.state(invitation_id) == "pending"


def test_an_answer_without_its_csrf_token_is_refused(world: Org, base: str) -> None:
    invitation_id = world.invite_ops()
    with signed_in(base, "cy@example.org") as cy:
        refused = cy.post(
            f"/partnerships/{KEY}/invitations/{invitation_id}/accept", data={"contribution": "x"}
        )

    assert refused.status_code == 403
    assert world.state(invitation_id) == "pending"


def test_a_party_lead_leaves_once_its_commitments_are_settled(world: Org, base: str) -> None:
    partnerships.accept_invitation(world.uow(), world.cy, world.invite_ops(), "Runbooks")
    asked = commitments.request(
        world.uow(),
        world.dee,
        partnership=KEY,
        requester="ops",
        performer="data",
        title="On-call dashboards",
        due=world.uow().now() + timedelta(days=9),
    )
    with signed_in(base, "cy@example.org") as cy, signed_in(base, "ana@example.org") as ana:
        page = cy.get(f"/partnerships/{KEY}")
        assert 'data-leave="ops"' in page.text
        assert 'data-leave="data"' not in page.text
        assert 'data-leave="data"' in ana.get(f"/partnerships/{KEY}").text
        refused = cy.post(
            f"/partnerships/{KEY}/leave", data={"csrf_token": csrf_of(page.text), "team": "ops"}
        )
        assert refused.status_code == 409
        party = re.search(r'<li id="party-ops">.*?</li>', refused.text, re.S)
        assert party is not None
        assert "settle or withdraw them first" in party.group(0)
        assert world.parties() == ["data", "care", "ops"]

        commitments.move(world.uow(), world.dee, asked.key, "withdraw", version=asked.version)
        left = cy.post(
            f"/partnerships/{KEY}/leave", data={"csrf_token": csrf_of(page.text), "team": "ops"}
        )
        after = cy.get(f"/partnerships/{KEY}")

    assert left.status_code == 303
    assert world.parties() == ["data", "care"]
    assert "Operations left the partnership" in after.text
    assert "On-call dashboards" in after.text  # its history stays on the board's closed list


def test_leaving_a_partnership_of_two_says_to_dissolve_it(world: Org, base: str) -> None:
    with signed_in(base, "bo@example.org") as bo:
        page = bo.get(f"/partnerships/{KEY}")
        refused = bo.post(
            f"/partnerships/{KEY}/leave", data={"csrf_token": csrf_of(page.text), "team": "care"}
        )

    assert refused.status_code == 409
    assert "dissolve or conclude it instead" in refused.text
    assert world.parties() == ["data", "care"]
