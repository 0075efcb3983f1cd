"""Messages for people: no field names, no keys, no microseconds; an input's refusal says the
field in the words its form labels it with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from accord.commitments.domain import Commitment, Side
from accord.errors import Invalid, RuleBroken
from accord.inputs import field_words, in_words
from accord.org.domain import Team
from accord.partnerships.domain import Partnership, charter_checks
from accord.partnerships.schemas import PartnershipUpdate
from accord.partnerships.service import _review
from accord.purposes.domain import Purpose, PurposeStatus

# A moment of a live move, with microseconds as the clock gives them.
NOW = datetime(2026, 12, 3, 15, 10, 29, 216318, tzinfo=UTC)


def partnership(status: PurposeStatus = PurposeStatus.ACTIVE) -> Partnership:
    purpose = Purpose(key="churn", title="Halve customer churn", status=status)
    found = Partnership(key="signals", name="Churn signals", purpose=purpose)
    found.add_party(Team(slug="care", name="Customer Success"), "Playbooks")
    found.add_party(Team(slug="data", name="Data Platform"), "Signals")
    return found


def test_a_due_date_in_the_past_is_refused_in_words_without_microseconds() -> None:
    pact = partnership()
    care, data = (party.team for party in pact.parties)
    with pytest.raises(RuleBroken) as refused:
        Commitment.request(
            key="c-1",
            partnership=pact,
            requester=care,
            performer=data,
            measure=None,
            sides=frozenset({Side.REQUESTER}),
            at=NOW,
            args={"title": "Billing data feed", "due": NOW - timedelta(days=32)},
        )

    message = refused.value.message
    assert message == "the due date must be in the future (it is Thu 3 Dec 2026 15:10 UTC now)"
    assert refused.value.field == "due"


def test_review_every_days_is_said_as_its_label() -> None:
    with pytest.raises(Invalid) as refused:
        _review(0)

    assert refused.value.message == "review every (days) must be from 1 to 366"
    assert refused.value.field == "review_every_days"


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("often", "review every (days) must be a whole number, not 'often'"),
        ("", "review every (days) must not be empty"),
    ],
)
def test_an_input_refused_by_its_model_names_the_field_as_the_form_does(
    given: str, words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        PartnershipUpdate.model_validate({"review_every_days": given})

    assert [in_words(item) for item in refused.value.errors()] == [words]


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("review_every_days", "review every (days)"),
        ("conditions_of_satisfaction", "conditions of satisfaction"),
        ("due", "the due date"),
        ("metric.value", "metric value"),
    ],
)
def test_fields_are_said_in_words(field: str, words: str) -> None:
    assert field_words(field) == words


def test_a_charter_check_names_the_purpose_by_its_title() -> None:
    checks = {c.name: c for c in charter_checks(partnership(PurposeStatus.DRAFT))}

    assert checks["shared_purpose"].detail == "the purpose “Halve customer churn” is draft"
