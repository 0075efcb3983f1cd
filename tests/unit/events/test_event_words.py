"""Each event said as a sentence a person reads: every type of the catalog has one, people,
teams and things by name, old CamelCase names read as today's, details in words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from accord.events.catalog import EVENT_TYPES, LEGACY_NAMES
from accord.events.domain import spoken
from accord.events.words import SENTENCES, Names, Ref, details, plain, sentence, wanted

NAMES = Names(
    people={"ana@example.org": "Ana Lima", "bo@example.org": "Bo Berg"},
    teams={"data": "Data Platform", "care": "Customer Success"},
    commitments={"c-1": "Billing feed"},
    purposes={"churn": "Churn"},
    partnerships={"signals": "Early warning"},
)


@dataclass(frozen=True)
class Stored:
    """An event as the log holds it."""

    type: str
    subject: str
    payload: dict[str, Any] = field(default_factory=dict)
    actor: str | None = "ana@example.org"


def test_every_type_of_the_catalog_has_a_sentence() -> None:
    assert set(EVENT_TYPES) <= set(SENTENCES)


# A payload for each kind of subject, with every field a sentence of it may read.
PAYLOADS: dict[str, dict[str, Any]] = {
    "team": {"name": "Data Platform", "person": "bo@example.org", "role": "lead"},
    "person": {"name": "x", "role": "member", "active": True, "failures": 5, "window_minutes": 15},
    "purpose": {"title": "Churn", "from": "draft", "to": "active", "name": "NPS", "value": 3.5},
    "partnership": {"name": "Churn signals", "team": "care", "purpose": "churn", "to": "paused"},
    "commitment": {"args": {"title": "Billing data feed"}, "performer": "data", "to": "promised"},
    "health_check": {"partnership": "signals", "team": "care", "responses": {"care": 3}},
    "story": {"tags": ["x"], "teams": ["data"], "reason": "off topic"},
}
KEYS = {
    "team": "data",
    "person": "bo@example.org",
    "purpose": "churn",
    "partnership": "signals",
    "commitment": "c-1",
    "health_check": "h-1",
    "story": "s-1",
}


@pytest.mark.parametrize("kind", sorted(EVENT_TYPES))
def test_each_sentence_names_people_and_things_by_name_never_by_key(kind: str) -> None:
    subject_kind = EVENT_TYPES[kind].subject_kind
    event = Stored(kind, f"{subject_kind}:{KEYS[subject_kind]}", PAYLOADS[subject_kind])

    said = plain(sentence(event, NAMES))

    assert said[:1].isupper()
    assert "@" not in said
    assert "_" not in said
    assert not re.search(r"\b(c-1|h-1|s-1|signals|churn|data|care)\b", said), said
    assert kind not in said


def test_sentences_read_as_the_examples_say() -> None:
    requested = Stored(
        "commitment.requested",
        "commitment:c-1",
        {"args": {"title": "Billing data feed"}, "performer": "data", "requester": "care"},
    )
    created = Stored("purpose.created", "purpose:churn", {"title": "Churn"})

    assert plain(sentence(requested, NAMES)) == "Ana Lima asked Data Platform for Billing feed"
    assert plain(sentence(created, NAMES)) == "Ana Lima created the purpose Churn"


def test_the_people_and_things_of_a_sentence_are_references_a_page_may_link() -> None:
    event = Stored("membership.set", "team:data", {"person": "bo@example.org", "role": "lead"})

    refs = [p for p in sentence(event, NAMES) if isinstance(p, Ref)]

    assert refs == [
        Ref("person", "ana@example.org", "Ana Lima"),
        Ref("person", "bo@example.org", "Bo Berg"),
        Ref("team", "data", "Data Platform"),
    ]


@pytest.mark.parametrize(("old", "new"), sorted(LEGACY_NAMES.items()))
def test_old_camel_case_names_are_said_as_todays(old: str, new: str) -> None:
    payload = {"args": {"title": "Billing data feed"}, "performer": "data"}

    said = plain(sentence(Stored(old, "commitment:c-1", payload), NAMES))

    assert said == plain(sentence(Stored(new, "commitment:c-1", payload), NAMES))
    assert "Commitment" not in said


def test_an_unknown_type_gets_a_generic_readable_line() -> None:
    said = plain(sentence(Stored("budget.split_up", "budget:b-1", {}), NAMES))

    assert said == "Ana Lima: budget split up (budget:b-1)"


def test_the_server_and_nobody_are_said_in_words() -> None:
    by_operator = Stored("team.created", "team:data", {"name": "Data"}, "operator:cli")
    by_nobody = Stored("team.created", "team:data", {"name": "Data"}, None)

    assert plain(sentence(by_operator, NAMES)).startswith("An operator on the server created")
    assert plain(sentence(by_nobody, NAMES)).startswith("Accord created")


def test_a_thing_not_named_is_said_as_its_event_recorded_it() -> None:
    event = Stored("purpose.created", "purpose:gone", {"title": "Gone purpose"})

    assert plain(sentence(event, Names())).endswith("created the purpose Gone purpose")


def test_details_say_the_payload_in_words_without_the_machinery() -> None:
    event = Stored(
        "commitment.countered",
        "commitment:c-1",
        {
            "move": "counter",
            "from": "requested",
            "to": "countered",
            "version": 2,
            "side": "P",
            "args": {"due": "2026-12-08T17:00:00Z", "note": "Two more weeks"},
        },
    )

    said = dict(details(event, NAMES))

    assert said == {
        "Status": "requested → countered",
        "Due": "Tue 8 Dec 2026",
        "Note": "Two more weeks",
    }


def test_details_name_teams_and_rate_an_accept_out_of_five() -> None:
    created = Stored(
        "partnership.created",
        "partnership:signals",
        {"purpose": "churn", "parties": [{"team": "data", "contribution": "Signals"}]},
    )
    accepted = Stored("commitment.accepted", "commitment:c-1", {"args": {"value": 4}})

    assert dict(details(created, NAMES)) == {
        "Purpose": "Churn",
        "Parties": "Data Platform: Signals",
    }
    assert dict(details(accepted, NAMES)) == {"Value": "4 of 5"}


def test_wanted_collects_every_key_a_sentence_or_its_details_name() -> None:
    events = [
        Stored("membership.set", "team:data", {"person": "bo@example.org"}),
        Stored(
            "partnership.created",
            "partnership:signals",
            {"purpose": "churn", "parties": [{"team": "care"}]},
        ),
        Stored("commitment.promised", "commitment:c-1", {}, "operator:cli"),
    ]

    keys = wanted(events)

    assert keys["people"] == {"ana@example.org", "bo@example.org"}
    assert keys["teams"] == {"data", "care"}
    assert keys["purposes"] == {"churn"}
    assert keys["partnerships"] == {"signals"}
    assert keys["commitments"] == {"c-1"}


def test_a_message_says_an_instant_to_the_minute_without_microseconds() -> None:
    moment = datetime(2026, 12, 3, 15, 10, 29, 216318, tzinfo=UTC)

    assert spoken(moment) == "Thu 3 Dec 2026 15:10 UTC"
