"""A party that left a partnership travels in `accord/1` with its `left_at`, so that its past
commitments there import again; on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from accord.commitments import service as commitments
from accord.health import service as health
from accord.interchange.exporter import export_document
from accord.interchange.importer import import_document
from accord.interchange.report import ImportRefused
from accord.partnerships import service as partnerships
from accord.uow import UnitOfWork
from factories import (
    OPERATOR,
    SETTINGS,
    chain_ok,
    make_commitment,
    make_partnership,
    make_person,
    make_purpose,
    make_team,
)

SECTIONS = (
    "teams",
    "people",
    "purposes",
    "partnerships",
    "commitments",
    "health_checks",
    "stories",
)


def build(uow: UnitOfWork, clock: Any) -> None:
    """`signals` of data and care; marketing joined by invitation, delivered a commitment to
    data, and left; then a health-check round opened on the two that stayed."""
    for slug in ("data", "care", "marketing"):
        make_team(uow, slug)
    ana = make_person(uow, "ana@example.org", teams={"data": "lead"})
    bo = make_person(uow, "bo@example.org", teams={"care": "lead"})
    mo = make_person(uow, "mo@example.org", teams={"marketing": "lead"})
    make_purpose(uow, bo, key="churn")
    make_partnership(
        uow,
        ana,
        key="signals",
        purpose="churn",
        parties=[("data", "Signals"), ("care", "Playbooks")],
        affirmed_by=[ana, bo],
    )
    clock.advance(days=1)
    invitation = partnerships.invite(uow, bo, "signals", "marketing")
    clock.advance(days=1)
    partnerships.accept_invitation(uow, mo, invitation.id, " Win-back campaigns ")
    for person, team in ((ana, "data"), (bo, "care"), (mo, "marketing")):
        partnerships.affirm(uow, person, "signals", team)
    clock.advance(days=1)
    asked = make_commitment(uow, "signals", ana, "data", "marketing", key="campaign")
    clock.advance(days=1)
    promised = commitments.move(uow, mo, "campaign", "promise", version=asked.version)
    clock.advance(days=5)
    done = commitments.move(uow, mo, "campaign", "report_done", version=promised.version)
    clock.advance(days=1)
    commitments.move(uow, ana, "campaign", "accept", version=done.version, value=4)
    clock.advance(days=2)
    partnerships.leave(uow, mo, "signals", "marketing")
    clock.advance(days=3)
    health.open_round(uow, SETTINGS, bo, "signals", clock.now + timedelta(days=14), key="q1")


@pytest.fixture
def exported(uow: UnitOfWork, clock: Any) -> dict[str, Any]:
    build(uow, clock)
    return export_document(uow)


def test_a_party_that_left_is_exported_after_the_parties_with_the_time_it_left(
    exported: dict[str, Any], clock: Any
) -> None:
    [signals] = exported["partnerships"]

    assert signals["status"] == "active"
    assert [p["team"] for p in signals["parties"]] == ["data", "care", "marketing"]
    assert [set(p) for p in signals["parties"][:2]] == [
        {"team", "contribution", "affirmed_by", "affirmed_at"}
    ] * 2
    assert signals["parties"][2] == {
        "team": "marketing",
        "contribution": "Win-back campaigns",
        "affirmed_by": None,
        "affirmed_at": None,
        "left_at": (clock.now - timedelta(days=3)).isoformat().replace("+00:00", "Z"),
    }
    [round_] = exported["health_checks"]
    assert [p["team"] for p in round_["parties"]] == ["care", "data"]


def test_a_party_that_left_survives_a_round_trip(
    exported: dict[str, Any], other_uow: UnitOfWork
) -> None:
    report = import_document(other_uow, OPERATOR, exported)

    assert report.created["partnerships"] == 1
    assert export_document(other_uow) == exported
    view = partnerships.get_partnership(other_uow, "signals")
    assert [p.team.slug for p in view.partnership.parties] == ["data", "care"]
    assert (view.partnership.status.value, view.label.value) == ("active", "trust-based")
    assert commitments.get_commitment(other_uow, "campaign").commitment.state.value == "accepted"
    assert chain_ok(other_uow)
    assert import_document(other_uow, OPERATOR, exported).created == dict.fromkeys(SECTIONS, 0)


def test_a_party_that_left_with_an_open_commitment_is_refused(
    exported: dict[str, Any], other_uow: UnitOfWork
) -> None:
    document = copy.deepcopy(exported)
    history = document["commitments"][0]["history"]
    document["commitments"][0]["history"] = history[:2]  # promised, never delivered

    with pytest.raises(ImportRefused) as refused:
        import_document(other_uow, OPERATOR, document)

    # (and so, still forming, the partnership is not the active one the document says)
    problem = refused.value.problems[0]
    assert problem.path == "partnerships[0].parties[2].left_at"
    assert "while 1 of its commitments there are open (campaign)" in problem.message


def test_a_party_that_left_affirms_nothing(exported: dict[str, Any], other_uow: UnitOfWork) -> None:
    document = copy.deepcopy(exported)
    document["partnerships"][0]["parties"][2]["affirmed_by"] = "mo@example.org"

    with pytest.raises(ImportRefused) as refused:
        import_document(other_uow, OPERATOR, document)

    problem = refused.value.problems[0]  # then each thing of the partnership not made
    assert (problem.path, problem.message) == (
        "partnerships[0].parties[2].affirmed_by",
        "a party that left affirms no charter",
    )
