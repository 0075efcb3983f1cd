"""A form's refusals land beside the input they are about, by the field they name and never by
their words; a posted form is read as the data of the use case's input model."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from starlette.datastructures import FormData

from accord.channel.errors import sentence
from accord.errors import AccordError, Conflict, Forbidden, Invalid, NotFound, RuleBroken
from accord.partnerships.schemas import PartnershipCreate
from accord.stories.schemas import StoryCreate
from accord.web.forms import FormRefused, data_of, placed, utc

INPUTS = ["title", "statement", "sponsor", "target_date"]


@pytest.mark.parametrize(
    "words",
    [
        "purpose title must not be empty",  # begins with another input's name
        "statement holds the control character U+0007 at position 3",
        "no person 'nobody@example.org'",  # begins with no input's name at all
        "Zebras ate the sponsor",
    ],
)
def test_a_refusal_lands_beside_the_field_it_names_whatever_its_words(words: str) -> None:
    found = placed(Invalid(words, field="sponsor"), INPUTS)

    assert found.fields == {"sponsor": sentence(words)}
    assert found.general is None


@pytest.mark.parametrize(
    "error",
    [
        Invalid("title must not be empty"),  # words that name an input, but no field
        Invalid("title must not be empty", field="key"),  # a field this form does not show
        Forbidden("only a lead of 'data' may edit the title"),
    ],
)
def test_a_refusal_about_no_input_of_the_form_goes_above_it(error: AccordError) -> None:
    found = placed(error, INPUTS)

    assert found.fields == {}
    assert found.general == sentence(error.message)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Invalid("x", field="title"), 422),
        (NotFound("x", field="sponsor"), 404),
        (Conflict("x", field="title"), 409),
        (RuleBroken("x"), 409),
        (Forbidden("x"), 403),
    ],
)
def test_a_refusal_answers_the_status_the_api_answers_for_it(
    error: AccordError, status: int
) -> None:
    assert placed(error, INPUTS).status == status


def test_a_field_the_form_names_otherwise_lands_beside_the_input_that_shows_it() -> None:
    beside = {"parties": "partners", "metric.value": "metric_value"}
    inputs = ["partners", "metric_value", "metric_name"]

    assert placed(Invalid("x", field="parties"), inputs, beside).fields == {"partners": "X."}
    assert placed(Invalid("y", field="metric.value"), inputs, beside).fields == {
        "metric_value": "Y."
    }


def test_the_models_refusals_land_beside_their_inputs_in_plain_words() -> None:
    with pytest.raises(ValidationError) as caught:
        StoryCreate.model_validate(
            {
                "title": "t" * 201,
                "body": "Kept",
                "tags": [f"tag-{n}" for n in range(11)],
                "metric": {"name": "Hand-offs", "value": "lots"},
            }
        )
    inputs = ["title", "body", "tags", "metric_value"]
    found = placed(caught.value, inputs, {"metric.value": "metric_value"})

    assert found.fields == {
        "title": "Title is longer than 200 characters.",
        "tags": "Tags holds at most 10 items.",
        "metric_value": "Metric value must be a number, not 'lots'.",
    }
    assert found.status == 422


def test_a_refusal_of_one_item_of_a_list_lands_beside_the_list() -> None:
    data = {"name": "N", "purpose": "p", "parties": [{"team": "data"}, {"team": 7}]}
    with pytest.raises(ValidationError) as caught:
        PartnershipCreate.model_validate(data)

    found = placed(caught.value, ["name", "partners"], {"parties": "partners"})

    assert list(found.fields) == ["partners"]
    assert found.fields["partners"].startswith("Parties team must be text")


def test_inputs_the_page_asks_for_are_each_told_beside_them() -> None:
    needed = {"partners": "Choose at least one partner team.", "purpose": "Choose a purpose."}

    found = placed(FormRefused(needed), ["partners", "purpose"])

    assert found.fields == {
        "partners": "Choose at least one partner team.",
        "purpose": "Choose a purpose.",
    }
    assert found.status == 422


def test_a_form_is_read_as_the_data_of_its_model() -> None:
    form = FormData(
        [
            ("title", "  Halve churn  "),
            ("key", ""),
            ("target_date", ""),
            ("partners", "care"),
            ("partners", "  "),
            ("partners", "ops"),
            ("working_agreements", "Answer within a day\n\n  Say early  \n"),
            ("target", "2,5"),
            ("due", "2026-06-01T09:30"),
        ]
    )

    names = ["title", "statement", "key", "target_date", "partners", "working_agreements"]
    data: dict[str, Any] = data_of(
        form,
        [*names, "target", "due"],
        optional=["key"],
        nulls=["target_date"],
        lists=["partners"],
        lines=["working_agreements"],
        numbers=["target"],
        instants=["due"],
    )

    assert data == {
        "title": "Halve churn",
        "statement": "",  # empty, yet sent: the use case says what is wrong with it
        "target_date": None,
        "partners": ["care", "ops"],
        "working_agreements": ["Answer within a day", "Say early"],
        "target": "2.5",
        "due": "2026-06-01T09:30:00Z",
    }


@pytest.mark.parametrize(
    ("typed", "day_ends", "instant"),
    [
        ("2026-06-01", False, "2026-06-01T00:00:00Z"),
        ("2026-06-01", True, "2026-06-01T23:59:59Z"),
        ("2026-06-01T09:30", False, "2026-06-01T09:30:00Z"),
        ("2026-06-01T09:30:15", True, "2026-06-01T09:30:15Z"),
        ("2026-06-01T09:30+02:00", False, "2026-06-01T09:30+02:00"),
        ("soon", False, "soon"),
    ],
)
def test_date_and_datetime_local_inputs_are_utc(typed: str, day_ends: bool, instant: str) -> None:
    assert utc(typed, day_ends=day_ends) == instant
