"""Full-text search of stories on SQLite (FTS5) and PostgreSQL (tsvector): what both promise."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from accord.org.domain import Person
from accord.stories import service as stories
from accord.uow import UnitOfWork
from built_once import built_once
from factories import make_person, make_team

HOSTILE = [
    '"',
    '""',
    "*",
    "AND",
    "OR NOT",
    "NEAR(",
    "NEAR(a b",
    "'",
    ":",
    "-",
    "-dashboard",
    "title:dashboard",
    "dash*",
    "^",
    "(",
    ")",
    "{x}",
    "a & b | !c",
    "\\",
    "%_",
    "'; DROP TABLE stories; --",
    "dashboard\x00",
    "ünïcödé",
]


@pytest.fixture
def people(request: pytest.FixtureRequest, engine: Engine, uow: UnitOfWork) -> dict[str, Person]:
    return built_once(request, engine, lambda: build_people(uow))


def build_people(uow: UnitOfWork) -> dict[str, Person]:
    make_team(uow, "data")
    return {
        "ana": make_person(uow, "ana@example.org", teams={"data": "lead"}),
        "bo": make_person(uow, "bo@example.org", teams={"data": "member"}),
        "vi": make_person(uow, "vi@example.org", role="viewer"),
        "adm": make_person(uow, "adm@example.org", role="admin"),
    }


@pytest.fixture
def shelf(
    request: pytest.FixtureRequest, engine: Engine, uow: UnitOfWork, people: dict[str, Person]
) -> None:
    built_once(request, engine, lambda: build_shelf(uow, people))


def build_shelf(uow: UnitOfWork, people: dict[str, Person]) -> None:
    def story(key: str, title: str, body: str, **more: Any) -> None:
        stories.create_story(uow, people["ana"], key=key, title=title, body=body, **more)

    story("dashboard", "A dashboard both teams read", "We looked at the same numbers daily.")
    story("retro", "Our first retrospective", "Blameless and short; we were **sharing** notes.")
    story("tagged", "Quiet wins", "Nothing to say here.", tags=["Onboarding Journey"])
    story("results", "Numbers", "Short one.", results="Churn fell by a third in one quarter.")
    story("hidden", "A dashboard nobody should see", "It named a customer.")
    stories.hide_story(uow, people["adm"], "hidden", "Names a customer")


def keys(found: list[Any]) -> list[str]:
    return [s.key for s in found]


@pytest.mark.usefixtures("shelf")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dashboard", ["dashboard"]),  # a word of the title
        ("blameless", ["retro"]),  # of the body
        ("onboarding", ["tagged"]),  # of a tag
        ("journey", ["tagged"]),  # the second word of a tag
        ("quarter", ["results"]),  # of the results
        ("DASHBOARD", ["dashboard"]),  # any case
        ("shared", ["retro"]),  # a word's other form: shared, sharing
        ("numbers daily", ["dashboard"]),  # every word must be there
        ("dashboard blameless", []),
        ("nothingmatches", []),
    ],
)
def test_search_finds_words_in_title_body_tags_and_results(
    uow: UnitOfWork, people: dict[str, Person], query: str, expected: list[str]
) -> None:
    assert keys(stories.list_stories(uow, people["vi"], q=query)) == expected


@pytest.mark.usefixtures("shelf")
def test_a_hidden_story_is_found_only_by_admins(uow: UnitOfWork, people: dict[str, Person]) -> None:
    assert keys(stories.list_stories(uow, people["bo"], q="dashboard")) == ["dashboard"]
    assert sorted(keys(stories.list_stories(uow, people["adm"], q="dashboard"))) == [
        "dashboard",
        "hidden",
    ]
    # its author sees it too, as on its own page
    assert "hidden" in keys(stories.list_stories(uow, people["ana"], q="customer"))


@pytest.mark.usefixtures("shelf")
def test_the_better_match_comes_first_and_pages_follow_the_ranking(
    uow: UnitOfWork, people: dict[str, Person]
) -> None:
    stories.create_story(
        uow,
        people["bo"],
        key="all-about-numbers",
        title="Numbers, numbers, numbers",
        body="Numbers we share: numbers of churn, numbers of calls.",
    )

    ranked = keys(stories.list_stories(uow, people["vi"], q="numbers"))
    first = stories.list_stories(uow, people["vi"], q="numbers", limit=1)
    rest = stories.list_stories(uow, people["vi"], q="numbers", after=first[0].key)

    assert ranked[0] == "all-about-numbers"
    assert set(ranked) == {"all-about-numbers", "dashboard", "results"}
    assert keys(first) + keys(rest) == ranked


@pytest.mark.usefixtures("shelf")
def test_search_combines_with_a_tag(uow: UnitOfWork, people: dict[str, Person]) -> None:
    assert keys(stories.list_stories(uow, people["vi"], q="quiet", tag="onboarding-journey")) == [
        "tagged"
    ]
    assert (
        keys(stories.list_stories(uow, people["vi"], q="dashboard", tag="onboarding-journey")) == []
    )


@pytest.mark.usefixtures("shelf")
def test_an_edit_is_found_by_its_new_words_only(uow: UnitOfWork, people: dict[str, Person]) -> None:
    stories.update_story(uow, people["ana"], "retro", body="Kanban, then calm.", tags=["kanban"])

    assert keys(stories.list_stories(uow, people["vi"], q="blameless")) == []
    assert keys(stories.list_stories(uow, people["vi"], q="calm")) == ["retro"]
    stories.delete_story(uow, people["ana"], "retro")
    assert keys(stories.list_stories(uow, people["vi"], q="calm")) == []


@pytest.mark.usefixtures("shelf")
@pytest.mark.parametrize("query", HOSTILE)
def test_search_syntax_in_a_query_answers_normally(
    uow: UnitOfWork, people: dict[str, Person], query: str
) -> None:
    found = stories.list_stories(uow, people["vi"], q=query)

    assert isinstance(found, list)
    if query in ("-dashboard", "dashboard\x00"):
        # operators are words' neighbours, not operators
        assert keys(found) == ["dashboard"]
    if query in ('"', '""', "*", "-", ":", "(", ")", "'", "^", "\\", "%_"):
        # no words at all: no search, the newest stories
        assert len(found) == 4


@pytest.mark.usefixtures("shelf")
@pytest.mark.parametrize("query", ["dashboard or blameless", "dashboard OR nothingmatches"])
def test_or_is_a_word_like_any_other_on_both_databases(
    uow: UnitOfWork, people: dict[str, Person], query: str
) -> None:
    # Every word must be there (SQLite's rule); PostgreSQL's websearch syntax would read "or".
    assert keys(stories.list_stories(uow, people["vi"], q=query)) == []


@pytest.mark.usefixtures("shelf")
def test_a_feed_leaves_hidden_stories_out_even_for_admins(
    uow: UnitOfWork, people: dict[str, Person]
) -> None:
    shown = keys(stories.list_stories(uow, people["adm"], q="dashboard", shown_only=True))
    own = keys(stories.list_stories(uow, people["ana"], shown_only=True))

    assert shown == ["dashboard"]
    assert "hidden" not in own
