"""A commitment of an import is checked as it is first, and looked over for instants given as a
date alone only when it does not pass (`bulk._validated`): what it reads and refuses is what
reading every date first and checking after did."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from accord.interchange.bulk import _validated
from accord.interchange.reading import INSTANT_FIELDS, read_dates
from accord.interchange.report import Adjustment
from accord.interchange.schemas import CommitmentDoc


def item(then: str = "2026-03-02T12:00:00Z", **first: Any) -> dict[str, Any]:
    request = {
        "move": "request",
        "by": "ana@example.org",
        "at": "2026-03-02T10:00:00Z",
        "title": "A thing",
        "due": "2026-04-01T00:00:00Z",
    } | first
    return {
        "key": "k-1",
        "partnership": "churn-signals",
        "requester": "customer-success",
        "performer": "data-platform",
        "history": [request, {"move": "promise", "by": "bo@example.org", "at": then}],
    }


def the_old_way(data: Any) -> tuple[CommitmentDoc | list[Any], list[Adjustment]]:
    dated: list[Adjustment] = []
    try:
        return CommitmentDoc.model_validate(read_dates(data, dated, "commitments[0]")), dated
    except ValidationError as error:
        return error.errors(), dated


def the_new_way(data: Any) -> tuple[CommitmentDoc | list[Any], list[Adjustment]]:
    dated: list[Adjustment] = []
    try:
        return _validated(data, dated, "commitments[0]"), dated
    except ValidationError as error:
        return error.errors(), dated


@pytest.mark.parametrize(
    "data",
    [
        item(),
        item(due="2026-04-01"),
        item(at="2026-03-02", due="2026-04-01"),
        item(then="2026-03-02"),  # the day of the move before: read as its time
        item(due="2026-04-01", reliance="sometimes"),  # a date alone beside a broken field
        item(due="2026-02-30"),  # not a day of the calendar
        item(due="2026-04-01T00:00:00"),  # no zone
        item(reliance="sometimes"),
        item(surprise="2026-04-01"),
        {**item(), "history": []},
        {**item(), "due": "2026-04-01"},
        "not an object",
    ],
)
def test_an_item_is_read_and_refused_as_before(data: Any) -> None:
    assert the_new_way(data) == the_old_way(data)


def test_a_date_alone_is_read_and_noted() -> None:
    doc, dated = the_new_way(item(due="2026-04-01"))

    assert isinstance(doc, CommitmentDoc)
    assert doc.history[0].due.isoformat() == "2026-04-01T23:59:59+00:00"
    assert [a.path for a in dated] == ["commitments[0].history[0].due"]
    assert [a.path for a in the_new_way(item(then="2026-03-02"))[1]] == [
        "commitments[0].history[1].at"
    ]
    assert the_new_way(item())[1] == []


def test_a_date_alone_beside_a_broken_field_refuses_only_that_field() -> None:
    errors, _ = the_new_way(item(due="2026-04-01", reliance="sometimes"))

    assert isinstance(errors, list)
    assert [e["loc"] for e in errors] == [("history", 0, "reliance")]


@pytest.mark.parametrize("name", sorted(INSTANT_FIELDS))
def test_no_field_of_a_commitment_takes_a_date_alone(name: str) -> None:
    """What the shortcut stands on: a date alone never passes as it is, wherever it is."""
    beside = {**item(), name: "2026-04-01"}
    in_a_move = item(**{name: "2026-04-01"})
    for data in (beside, in_a_move):
        with pytest.raises(ValidationError):
            CommitmentDoc.model_validate(data)
