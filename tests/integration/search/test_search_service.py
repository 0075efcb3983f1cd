"""Search everything on SQLite (FTS5) and PostgreSQL (tsvector): each kind, the ranking, what a
reader may not see, and queries full of search syntax."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from accord.org import service as org
from accord.org.domain import Person
from accord.search import service as search
from accord.search.domain import Kind, SearchHit
from accord.stories import service as stories
from accord.uow import UnitOfWork
from built_once import built_once
from factories import OPERATOR, make_commitment, make_partners, make_person

HOSTILE = [
    '"',
    '""',
    "*",
    "AND",
    "OR NOT",
    "NEAR(",
    "NEAR(billing feed",
    "'",
    "''",
    ":",
    "-",
    "-billing",
    "title:billing",
    "bill*",
    "^",
    "(",
    ")",
    "{x}",
    "a & b | !c",
    "billing:* & !feed",
    "\\",
    "%_",
    "'; DROP TABLE commitments; --",
    "billing\x00",
    "ünïcödé",
    "the",
    "a",
]


@pytest.fixture
def org_chart(request: pytest.FixtureRequest, engine: Engine, uow: UnitOfWork) -> dict[str, Any]:
    return built_once(request, engine, lambda: build_org_chart(uow))


def build_org_chart(uow: UnitOfWork) -> dict[str, Any]:
    partners = make_partners(
        uow,
        {"data": ("ana", "The billing warehouse"), "care": ("bo", "Playbooks")},
        key="signals",
        name="Churn signals",
        sponsor="bo",
        team_names={"data": "Data Platform", "care": "Customer Success"},
    )
    org.update_team(uow, OPERATOR, "data", mission="Pipelines and the billing warehouse")
    make_commitment(
        uow,
        partners.partnership,
        partners["bo"],
        "care",
        "data",
        title="Billing data feed",
        conditions_of_satisfaction="Invoices of every account, daily",
        key="feed",
    )
    make_commitment(
        uow,
        partners.partnership,
        partners["bo"],
        "care",
        "data",
        title="Churn dashboard",
        conditions_of_satisfaction="Shows the billing data of each account",
        key="dashboard",
    )
    viewer = make_person(uow, "vi@example.org", role="viewer", name="Vi Ewer")
    admin = make_person(uow, "adm@example.org", role="admin", name="Ada Admin")
    make_person(uow, "billie@example.org", name="Billie Holiday", teams={"care": "member"})
    stories.create_story(
        uow,
        partners["ana"],
        key="told",
        title="How billing found its feed",
        body="We met every week.",
    )
    stories.create_story(
        uow,
        partners["ana"],
        key="secret",
        title="Billing secrets",
        body="Names a customer.",
    )
    stories.hide_story(uow, admin, "secret", "Names a customer")
    return {"ana": partners["ana"], "bo": partners["bo"], "vi": viewer, "adm": admin}


def found(hits: list[SearchHit]) -> list[tuple[str, str]]:
    return [(hit.kind.value, hit.key) for hit in hits]


# A query that finds a kind, and the thing of that kind it finds (None: any of it).
FINDS = [
    ("billing data feed", Kind.COMMITMENT, "feed"),  # a title
    ("invoices", Kind.COMMITMENT, "feed"),  # its conditions of satisfaction
    ("churn signals", Kind.PARTNERSHIP, "signals"),
    ("halve churn", Kind.PURPOSE, None),  # the purpose's title
    ("customers serve", Kind.PURPOSE, None),  # its statement
    ("data platform", Kind.TEAM, "data"),
    ("pipelines", Kind.TEAM, "data"),  # a team's mission
    ("billie", Kind.PERSON, "billie@example.org"),
    ("holiday", Kind.PERSON, "billie@example.org"),
    ("met every week", Kind.STORY, "told"),
    ("dashb", Kind.COMMITMENT, "dashboard"),  # the start of a word
    ("BILLING DATA", Kind.COMMITMENT, "feed"),  # any case
    ("dashboards", Kind.COMMITMENT, "dashboard"),  # a word's other form
]


def test_each_kind_is_found_by_its_words(uow: UnitOfWork, org_chart: dict[str, Person]) -> None:
    for query, kind, key in FINDS:
        hits = search.search(uow, org_chart["vi"], query)

        assert kind in {hit.kind for hit in hits}, (query, found(hits))
        if key is not None:
            assert (kind.value, key) in found(hits), (query, found(hits))


def test_the_title_that_holds_every_word_comes_first(
    uow: UnitOfWork, org_chart: dict[str, Person]
) -> None:
    hits = search.search(uow, org_chart["vi"], "billing data feed")

    assert found(hits)[0] == ("commitment", "feed")
    first = hits[0]
    assert first.title == "Billing data feed"
    assert first.path == "/commitments/feed"
    assert first.context == (
        "Customer Success asks Data Platform for Billing data feed, due "
        + first.context.rsplit("due ", 1)[1]
    )
    assert [hit.rank for hit in hits] == sorted((hit.rank for hit in hits), reverse=True)


def test_every_word_must_be_there(uow: UnitOfWork, org_chart: dict[str, Person]) -> None:
    assert search.search(uow, org_chart["vi"], "billing nothingmatches") == []
    assert search.search(uow, org_chart["vi"], "billing or nothingmatches") == []


def test_kinds_and_limit_narrow_the_answer(uow: UnitOfWork, org_chart: dict[str, Person]) -> None:
    only = search.search(uow, org_chart["vi"], "billing", kinds=[Kind.TEAM, Kind.PERSON])
    one = search.search(uow, org_chart["vi"], "billing", limit=1)

    assert {hit.kind for hit in only} == {Kind.TEAM, Kind.PERSON}
    assert len(one) == 1


def test_a_hidden_story_is_found_only_by_its_author_and_admins(
    uow: UnitOfWork, org_chart: dict[str, Person]
) -> None:
    def story_keys(person: str) -> set[str]:
        hits = search.search(uow, org_chart[person], "billing", kinds=[Kind.STORY])
        return {hit.key for hit in hits}

    assert story_keys("vi") == {"told"}
    assert story_keys("bo") == {"told"}
    assert story_keys("ana") == {"told", "secret"}
    assert story_keys("adm") == {"told", "secret"}


def test_a_person_no_longer_active_is_found_only_by_admins(
    uow: UnitOfWork, org_chart: dict[str, Person]
) -> None:
    org.update_person(uow, OPERATOR, "billie@example.org", active=False)

    assert search.search(uow, org_chart["vi"], "billie") == []
    hits = search.search(uow, org_chart["adm"], "billie")
    assert found(hits) == [("person", "billie@example.org")]
    assert hits[0].context == "No longer active"


def test_a_person_is_placed_by_their_teams(uow: UnitOfWork, org_chart: dict[str, Person]) -> None:
    [hit] = search.search(uow, org_chart["vi"], "billie holiday")

    assert hit.context == "Member of Customer Success"
    assert hit.path == "/teams/care"
    assert search.search(uow, org_chart["adm"], "billie holiday")[0].path == (
        "/admin/people/billie@example.org"
    )


def test_an_edit_is_found_by_its_new_words(uow: UnitOfWork, org_chart: dict[str, Person]) -> None:
    org.update_team(uow, OPERATOR, "data", name="Warehouse Crew")

    assert ("team", "data") not in found(search.search(uow, org_chart["vi"], "platform"))
    assert ("team", "data") in found(search.search(uow, org_chart["vi"], "warehouse crew"))


def test_search_syntax_in_a_query_answers_normally(
    uow: UnitOfWork, org_chart: dict[str, Person]
) -> None:
    for query in HOSTILE:
        hits = search.search(uow, org_chart["vi"], query)

        assert isinstance(hits, list)
        if query in ("-billing", "billing\x00", "billing:* & !feed"):
            # operators are words' neighbours, not operators
            assert ("commitment", "feed") in found(hits), query
