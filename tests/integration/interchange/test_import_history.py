"""History that outlived the people in it: roles, accounts and memberships that changed later."""

from __future__ import annotations

from typing import Any

import pytest

from accord.commitments import service as commitments
from accord.errors import Forbidden
from accord.interchange.exporter import export_document
from accord.interchange.importer import import_document
from accord.interchange.report import ImportRefused
from accord.org import service as org
from accord.purposes import service as purposes
from factories import (
    OPERATOR,
    chain_ok,
    checkout,
    last_event_id,
    make_commitment,
)
from interchange_documents import example


@pytest.fixture
def acted(uow, clock):
    """Paul promised, Rita requested and updated a measure as a partner lead."""
    partners = checkout(uow)
    rita, paul, partnership = partners["rita"], partners["paul"], partners.partnership
    purposes.add_measure(uow, OPERATOR, partnership.purpose.key, name="Conversion", baseline=1)
    clock.advance(hours=1)
    purposes.update_measure(uow, rita, partnership.purpose.key, "Conversion", value=2)
    make_commitment(uow, "checkout", rita, "payments", "platform", key="vault")
    clock.advance(hours=1)
    commitments.move(uow, paul, "vault", "promise", version=1)
    clock.advance(days=1)
    return uow


@pytest.mark.parametrize(
    "change",
    [
        {"active": False},
        {"role": "viewer"},
    ],
    ids=["deactivated", "made-viewer"],
)
def test_people_whose_account_changed_after_they_acted_survive_a_round_trip(
    acted, other_uow, change: dict[str, Any]
):
    org.update_person(acted, OPERATOR, "paul@example.org", **change)
    org.update_person(acted, OPERATOR, "rita@example.org", **change)
    exported = export_document(acted)

    import_document(other_uow, OPERATOR, exported)

    assert export_document(other_uow) == exported
    with other_uow:
        paul = other_uow.org.person("paul@example.org")
        assert (paul.active, paul.role.value) == (
            change.get("active", True),
            change.get("role", "member"),
        )


def test_a_lead_demoted_after_updating_a_measure_survives_a_round_trip(acted, other_uow):
    org.set_membership(acted, OPERATOR, "payments", "rita@example.org", "member")
    exported = export_document(acted)

    import_document(other_uow, OPERATOR, exported)

    assert export_document(other_uow) == exported
    [update] = exported["purposes"][0]["measures"][0]["updates"]
    assert update["by"] == "rita@example.org"


def test_measure_updates_are_replayed_by_an_admin_only(acted):
    key = export_document(acted)["purposes"][0]["key"]
    with pytest.raises(Forbidden):
        purposes.update_measure(
            acted, org.list_people(acted)[0], key, "Conversion", value=3, by="paul@example.org"
        )


def test_a_move_made_after_its_maker_left_the_team_is_refused(other_uow):
    document = example()
    ana = document["people"][0]
    ana["memberships"][0]["left_at"] = "2026-01-10T12:00:00Z"  # before her promise on 01-11
    mark = last_event_id(other_uow)

    with pytest.raises(ImportRefused) as refused:
        import_document(other_uow, OPERATOR, document)

    paths = [p.path for p in refused.value.problems]
    assert paths == ["commitments[0].history[1].by"]
    assert "ana@example.org had left 'data-platform'" in refused.value.problems[0].message
    assert last_event_id(other_uow) == mark
    assert chain_ok(other_uow)


def test_an_affirmation_made_after_leaving_is_refused(other_uow):
    document = example()
    document["people"][1]["memberships"][0]["left_at"] = "2026-01-02T00:00:00Z"

    with pytest.raises(ImportRefused) as refused:
        import_document(other_uow, OPERATOR, document)

    assert "partnerships[0].parties[1].affirmed_by" in [p.path for p in refused.value.problems]


def test_a_membership_that_ended_after_the_moves_is_kept(other_uow):
    document = example()
    document["people"][0]["memberships"][0]["left_at"] = "2026-04-01T00:00:00Z"

    import_document(other_uow, OPERATOR, document)

    exported = export_document(other_uow)
    assert exported["people"][0]["memberships"] == [
        {"team": "data-platform", "role": "lead", "left_at": "2026-04-01T00:00:00Z"}
    ]
    with other_uow:
        assert not other_uow.org.person("ana@example.org").teams()


def test_white_space_and_an_omitted_current_import_twice_unchanged(other_uow):
    document = example()
    document["teams"][0]["name"] = "  Data Platform "
    document["partnerships"][0]["parties"][0]["contribution"] = "Customer health data  "
    del document["purposes"][0]["measures"][0]["current"]

    import_document(other_uow, OPERATOR, document)
    again = import_document(other_uow, OPERATOR, document)

    assert sum(again.created.values()) == 0
    exported = export_document(other_uow)
    names = {team["slug"]: team["name"] for team in exported["teams"]}
    assert names["data-platform"] == "Data Platform"
    assert exported["purposes"][0]["measures"][0]["current"] == 4.0
