"""Every refusal of an input model is told in Accord's words, naming the field, for the API and
the pages alike: never pydantic's own ("String should have…", "Field required")."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from accord.commitments.schemas import CommitmentCreate, MoveCreate
from accord.health.schemas import AnswerCreate
from accord.inputs import field_of, in_words
from accord.org.schemas import TeamCreate
from accord.partnerships.schemas import PartnershipUpdate
from accord.purposes.schemas import MeasureCreate, PurposeCreate
from accord.stories.schemas import StoryCreate

JARGON = ("Input should", "String should", "List should", "Field required", "Value error")
SCORES = {"purpose": 4, "direction": 4, "ability": 4, "integrity": 4, "value": 4, "overall": 4}
REQUEST = {"partnership": "p", "requester": "a", "performer": "b", "title": "T"}


def refusals(model: type[BaseModel], data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [in_words(item) for item in caught.value.errors()]


@pytest.mark.parametrize(
    ("model", "data", "words"),
    [
        (PurposeCreate, {}, "title must not be empty"),
        (PurposeCreate, {"title": "t" * 201}, "title is longer than 200 characters"),
        (
            PurposeCreate,
            {"title": "T", "target_date": "soon"},
            "the target date 'soon' is not a date",
        ),
        (PurposeCreate, {"title": "T", "colour": "red"}, "colour is not a field of this request"),
        (MeasureCreate, {"name": "M", "target": "lots"}, "target must be a number, not 'lots'"),
        (MeasureCreate, {"name": "M", "target": ""}, "target must not be empty"),
        (TeamCreate, {"slug": "s", "name": "N", "kind": "tribe"}, "kind 'tribe' is not one of"),
        (PartnershipUpdate, {"review_every_days": "often"}, "review every (days) must be a whole"),
        (MoveCreate, {"move": "accept", "value": "top"}, "value must be a whole number"),
        (CommitmentCreate, {**REQUEST, "due": "soon"}, "the due date 'soon' is not an ISO 8601"),
        (
            CommitmentCreate,
            {**REQUEST, "due": "2026-06-01T10:00"},
            "the due date '2026-06-01T10:00' needs",
        ),
        (
            CommitmentCreate,
            {**REQUEST, "due": "2300-01-01T00:00:00Z"},
            "the due date must lie from 1900",
        ),
        (AnswerCreate, {**SCORES, "integrity": ""}, "integrity needs an answer from 1 to 5"),
        (AnswerCreate, {**SCORES, "value": 9}, "value must be a whole number from 1 to 5, not 9"),
        (StoryCreate, {"title": "T", "body": "B", "metric": {"name": "M"}}, "metric value must"),
    ],
)
def test_a_refusal_names_its_field_in_plain_words(
    model: type[BaseModel], data: dict[str, Any], words: str
) -> None:
    told = refusals(model, data)

    assert any(message.startswith(words) for message in told), told
    assert not [message for message in told if any(j in message for j in JARGON)]


def test_a_long_value_is_quoted_in_a_few_words_only() -> None:
    [told] = refusals(AnswerCreate, {**SCORES, "purpose": "9" * 5000})

    assert told.startswith("purpose must be a whole number from 1 to 5, not '9999")
    assert len(told) < 120


@pytest.mark.parametrize(
    ("location", "field"),
    [
        (("body", "title"), "title"),
        (("body", "metric", "value"), "metric.value"),
        (("body", "parties", 1, "team"), "parties.team"),
        (("query", "limit"), "limit"),
        (("title",), "title"),
        (("body",), "body"),
    ],
)
def test_a_location_is_read_as_the_field_of_the_input_schema(
    location: tuple[int | str, ...], field: str
) -> None:
    assert field_of(location) == field
