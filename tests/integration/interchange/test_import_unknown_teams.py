"""An import lists every team a document names that neither it nor the organization holds,
each at its JSON path: beside a shape refused, in every section, and where the item naming it
was refused for another reason first; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from accord.interchange.importer import import_document
from accord.interchange.report import ImportRefused
from accord.uow import UnitOfWork
from factories import OPERATOR, last_event_id
from interchange_documents import example


def problems(uow: UnitOfWork, document: dict[str, Any]) -> list[tuple[str, str]]:
    before = last_event_id(uow)
    with pytest.raises(ImportRefused) as refused:
        import_document(uow, OPERATOR, document)
    assert last_event_id(uow) == before  # nothing was kept
    return [(p.path, p.message) for p in refused.value.problems]


def test_an_unknown_team_is_listed_beside_a_shape_refused(uow: UnitOfWork) -> None:
    document = example()
    document["teams"][1]["kind"] = "tribe"
    document["people"][0]["memberships"].append({"team": "finance", "role": "member"})

    found = problems(uow, document)

    assert ("people[0].memberships[1].team", "no team 'finance'") in found
    assert [path for path, _ in found] == ["teams[1].kind", "people[0].memberships[1].team"]


def test_every_place_an_unknown_team_is_named_is_listed(uow: UnitOfWork) -> None:
    document = example()
    document["people"][1]["memberships"].append({"team": "finance", "role": "member"})
    document["partnerships"][0]["parties"].append({"team": "finance", "contribution": "Money"})
    document["commitments"][0]["requester"] = "finance"

    found = problems(uow, document)

    assert [p for p in found if "finance" in p[1]] == [
        ("people[1].memberships[1].team", "no team 'finance'"),
        ("partnerships[0].parties[2].team", "no team 'finance'"),
        ("commitments[0].requester", "no team 'finance'"),
    ]


def test_an_unknown_performer_is_listed_once_at_its_own_path(uow: UnitOfWork) -> None:
    document = example()
    document["commitments"][0]["performer"] = "finance"

    assert problems(uow, document) == [("commitments[0].performer", "no team 'finance'")]


def test_a_team_the_organization_holds_is_known(uow: UnitOfWork) -> None:
    import_document(uow, OPERATOR, example())
    document = example()
    del document["teams"][0]  # data-platform is there already
    document["people"][0]["memberships"].append({"team": "finance", "role": "member"})

    found = problems(uow, document)

    assert ("people[0].memberships[1].team", "no team 'finance'") in found
    assert not any("data-platform" in message for _, message in found)
