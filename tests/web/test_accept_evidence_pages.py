"""An accept's value rating and note on the pages (DESIGN §7): the commitment page, the
partnership's board and the audit log show them to the two teams and admins only."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, sign_in_as

from accord.commitments import service as commitments
from accord.org import service as org
from accord.org.domain import Operator
from accord.uow import UnitOfWork
from factories import make_commitment, make_partnership, make_person, make_purpose, make_team

NOTE = "Saved twelve accounts in the first week"
# Who signs in, and whether the rating and the note are theirs to read.
READERS = {
    "ana@example.org": True,  # lead of data, the performer
    "dee@example.org": True,  # member of care, the requester
    "root@example.org": True,  # an admin
    "fay@example.org": False,  # member of ops, no party
    "gus@example.org": False,  # lead of ops, a partner of data in another partnership
    "vi@example.org": False,  # a viewer
}


@pytest.fixture
def uow(sqlite_engine: Engine) -> UnitOfWork:
    """care asked data for c-1; data delivered, and bo of care accepted it, rated 4, with a note."""
    uow = UnitOfWork(sqlite_engine)
    for slug in ("data", "care", "ops"):
        make_team(uow, slug)
    ana = make_person(uow, "ana@example.org", teams={"data": "lead"})
    bo = make_person(uow, "bo@example.org", teams={"care": "lead"})
    gus = make_person(uow, "gus@example.org", teams={"ops": "lead"})
    make_person(uow, "dee@example.org", teams={"care": "member"})
    make_person(uow, "fay@example.org", teams={"ops": "member"})
    make_person(uow, "vi@example.org", role="viewer")
    make_person(uow, "root@example.org", role="admin")
    org.set_passwords(uow, Operator(), list(READERS), PASSWORD)
    purpose = make_purpose(uow, bo, key="churn")
    make_partnership(
        uow,
        ana,
        key="signals",
        purpose=purpose,
        parties=[("data", "Signals"), ("care", "Playbooks")],
        affirmed_by=[ana, bo],
    )
    make_partnership(
        uow,
        ana,
        key="runbooks",
        purpose=purpose,
        parties=[("data", "Signals"), ("ops", "Runbooks")],
        affirmed_by=[ana, gus],
    )
    make_commitment(uow, "signals", bo, "care", "data", key="c-1", title="Churn-risk scores")
    commitments.move(uow, ana, "c-1", "promise", version=1)
    commitments.move(uow, ana, "c-1", "report_done", version=2, note="Live")
    commitments.move(uow, bo, "c-1", "accept", version=3, value=4, note=NOTE)
    return uow


def page(client: httpx.Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.text


@pytest.mark.usefixtures("uow")
def test_the_commitment_page_shows_the_rating_to_the_two_teams_and_admins(
    client: httpx.Client,
) -> None:
    for email, sees in READERS.items():
        sign_in_as(client, email)
        shown = page(client, "/commitments/c-1")
        assert "Churn-risk scores" in shown
        assert "and accepted." in shown, email
        assert ("<dt>Value</dt><dd>4 of 5</dd>" in shown) == sees, email
        assert (NOTE in shown) == sees, email
        assert ("Value: 4" in shown) == sees, email
        assert ("shown only to the members of" in shown) == (not sees), email


@pytest.mark.usefixtures("uow")
def test_the_board_shows_the_rating_to_the_two_teams_and_admins(client: httpx.Client) -> None:
    for email, sees in READERS.items():
        sign_in_as(client, email)
        board = page(client, "/partnerships/signals")
        assert 'href="/commitments/c-1"' in board, email
        assert ("value 4/5" in board) == sees, email


@pytest.mark.usefixtures("uow")
def test_the_audit_log_shows_the_accept_but_its_evidence_only_to_the_two_teams(
    client: httpx.Client,
) -> None:
    for email, sees in READERS.items():
        sign_in_as(client, email)
        for url in ("/audit", "/audit?subject=commitment:c-1", "/audit?type=commitment.accepted"):
            log = page(client, url)
            assert "commitment.accepted" in log, (email, url)
            assert (NOTE in log) == sees, (email, url)
            assert ("&#34;value&#34;: 4" in log) == sees, (email, url)
            assert ("Not shown to you: value, note" in log) == (not sees), (email, url)
