"""Stories through their services, on SQLite and PostgreSQL: who may write, edit, hide, reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from accord.errors import Conflict, Forbidden, Invalid, NotFound
from accord.org.domain import Person
from accord.stories import service as stories
from accord.uow import UnitOfWork
from built_once import built_once
from factories import OPERATOR, data_and_care, events_after, last_event_id, make_person


@dataclass
class World:
    ana: Person  # lead of data
    cy: Person  # member of data
    bo: Person  # lead of care
    vi: Person  # viewer
    adm: Person  # admin


@pytest.fixture
def world(request: pytest.FixtureRequest, engine: Engine, uow: UnitOfWork) -> World:
    return built_once(request, engine, lambda: build_world(uow))


def build_world(uow: UnitOfWork) -> World:
    partners = data_and_care(uow, sponsor=None, affirmed=False)
    return World(
        ana=partners["ana"],
        cy=make_person(uow, "cy@example.org", teams={"data": "member"}),
        bo=partners["bo"],
        vi=make_person(uow, "vi@example.org", role="viewer"),
        adm=make_person(uow, "adm@example.org", role="admin"),
    )


def publish(uow: UnitOfWork, author: Person, key: str = "first", **fields: Any) -> str:
    defaults: dict[str, Any] = {"title": "How we met", "body": "We *talked* first."}
    return stories.create_story(uow, author, key=key, **{**defaults, **fields}).key


def test_a_member_publishes_a_story_with_tags_links_results_and_a_metric(
    uow: UnitOfWork, world: World
) -> None:
    mark = last_event_id(uow)

    story = stories.create_story(
        uow,
        world.cy,
        title="  Churn halved in a quarter ",
        body="It started with a **shared** dashboard.",
        tags=["Data Sharing", "data-sharing", "Quick Wins"],
        partnerships=["signals"],
        teams=["data", "care"],
        purposes=["signals-purpose"],
        results="Churn went from 4% to 2%.",
        metric_name="Monthly churn",
        metric_value=2.0,
        metric_unit="%",
    )

    got = stories.get_story(uow, world.vi, story.key)
    assert got.key == "churn-halved-in-a-quarter"
    assert got.title == "Churn halved in a quarter"
    assert got.tags == ["data-sharing", "quick-wins"]
    assert [p.key for p in got.partnerships] == ["signals"]
    assert sorted(t.slug for t in got.teams) == ["care", "data"]
    assert [p.key for p in got.purposes] == ["signals-purpose"]
    assert (got.metric_name, got.metric_value, got.metric_unit) == ("Monthly churn", 2.0, "%")
    assert got.author.email == "cy@example.org"
    assert got.created_at == got.updated_at == uow.now()
    [event] = events_after(uow, mark)
    assert (event.type, event.subject, event.actor) == (
        "story.published",
        "story:churn-halved-in-a-quarter",
        "cy@example.org",
    )
    assert event.payload["tags"] == ["data-sharing", "quick-wins"]


def test_a_viewer_may_read_but_not_write_or_reply(uow: UnitOfWork, world: World) -> None:
    key = publish(uow, world.ana)

    with pytest.raises(Forbidden) as refused:
        publish(uow, world.vi, key="viewers")
    with pytest.raises(Forbidden):
        stories.reply(uow, world.vi, key, "Nice")

    assert refused.value.rule == "permission.viewer"
    assert stories.get_story(uow, world.vi, key).replies == []
    assert [s.key for s in stories.list_stories(uow, world.vi)] == [key]


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("partnerships", ["signals", "nowhere"], "nowhere"),
        ("teams", ["ghosts"], "ghosts"),
        ("purposes", ["no-such-purpose"], "no-such-purpose"),
    ],
)
def test_an_unknown_link_is_named_and_nothing_is_published(
    uow: UnitOfWork, world: World, field: str, value: list[str], named: str
) -> None:
    mark = last_event_id(uow)

    with pytest.raises(NotFound) as refused:
        publish(uow, world.ana, **{field: value})

    assert repr(named) in str(refused.value)
    assert stories.list_stories(uow, world.adm) == []
    assert last_event_id(uow) == mark


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"title": "  "}, "text.empty"),
        ({"title": "x" * 201}, "text.too_long"),
        ({"body": ""}, "text.empty"),
        ({"tags": ["ok", "!!!"]}, "story.tag_invalid"),
        ({"tags": [f"t{n}" for n in range(11)]}, "story.too_many_tags"),
        ({"metric_value": 3.0}, "story.metric_incomplete"),
        ({"metric_name": "Churn"}, "story.metric_incomplete"),
        ({"metric_name": "Churn", "metric_value": float("nan")}, "story.metric_invalid"),
        ({"key": "Not A Slug"}, "slug.invalid"),
    ],
)
def test_bad_input_is_refused_by_rule(
    uow: UnitOfWork, world: World, fields: dict[str, object], rule: str
) -> None:
    with pytest.raises(Invalid) as refused:
        publish(uow, world.ana, **fields)

    assert refused.value.rule == rule
    assert stories.list_stories(uow, world.adm) == []


def test_a_second_story_gets_a_key_of_its_own_and_a_taken_key_is_refused(
    uow: UnitOfWork, world: World
) -> None:
    first = stories.create_story(uow, world.ana, title="Kick-off", body="b").key
    second = stories.create_story(uow, world.ana, title="Kick-off", body="b").key

    with pytest.raises(Conflict):
        publish(uow, world.bo, key=first)

    assert (first, second) == ("kick-off", "kick-off-2")


def test_only_the_author_or_an_admin_edits_and_deletes(
    uow: UnitOfWork, world: World, clock: Any
) -> None:
    key = publish(uow, world.cy, tags=["old"])

    for someone in (world.ana, world.bo, world.vi):
        with pytest.raises(Forbidden):
            stories.update_story(uow, someone, key, title="Taken over")
        with pytest.raises(Forbidden):
            stories.delete_story(uow, someone, key)
    later = clock.advance(hours=1)
    stories.update_story(uow, world.cy, key, title="Renamed", tags=["New Tag"])
    stories.update_story(uow, world.adm, key, metric_name="Churn", metric_value=1.5)

    story = stories.get_story(uow, world.ana, key)
    assert (story.title, story.tags, story.metric_value) == ("Renamed", ["new-tag"], 1.5)
    assert story.updated_at == later > story.created_at
    stories.delete_story(uow, world.adm, key)
    with pytest.raises(NotFound):
        stories.get_story(uow, world.adm, key)
    assert [e.type for e in events_after(uow)][-3:] == [
        "story.updated",
        "story.updated",
        "story.deleted",
    ]


def test_an_author_who_became_a_viewer_no_longer_edits(uow: UnitOfWork, world: World) -> None:
    from accord.org import service as org

    key = publish(uow, world.cy)
    org.update_person(uow, OPERATOR, "cy@example.org", role="viewer")

    with pytest.raises(Forbidden):
        stories.update_story(uow, org.get_person(uow, "cy@example.org"), key, title="Mine")


def test_the_metric_is_removed_with_nones(uow: UnitOfWork, world: World) -> None:
    key = publish(uow, world.ana, metric_name="Churn", metric_value=2.0, metric_unit="%")

    stories.update_story(uow, world.ana, key, metric_name=None, metric_value=None, metric_unit=None)

    story = stories.get_story(uow, world.ana, key)
    assert (story.metric_name, story.metric_value, story.metric_unit) == (None, None, None)


def test_only_an_admin_hides_and_then_only_the_author_and_admins_see_it(
    uow: UnitOfWork, world: World
) -> None:
    key = publish(uow, world.cy)

    for someone in (world.cy, world.ana, world.vi):
        with pytest.raises(Forbidden):
            stories.hide_story(uow, someone, key, "Names a customer")
    stories.hide_story(uow, world.adm, key, "Names a customer")

    for someone in (world.ana, world.bo, world.vi):
        with pytest.raises(NotFound):
            stories.get_story(uow, someone, key)
        with pytest.raises(NotFound):
            stories.reply(uow, someone, key, "Hello?")
        assert stories.list_stories(uow, someone) == []
        assert stories.tags_in_use(uow, someone) == []
    seen = stories.get_story(uow, world.cy, key)
    assert (seen.hidden, seen.hidden_reason) == (True, "Names a customer")
    assert seen.hidden_by is not None
    assert seen.hidden_by.email == "adm@example.org"
    assert [s.key for s in stories.list_stories(uow, world.cy)] == [key]
    assert [s.key for s in stories.list_stories(uow, world.adm)] == [key]

    stories.show_story(uow, world.adm, key)
    assert stories.get_story(uow, world.bo, key).hidden is False
    types = [e.type for e in events_after(uow)]
    assert types[-2:] == ["story.hidden", "story.shown"]


def test_hiding_needs_a_reason(uow: UnitOfWork, world: World) -> None:
    key = publish(uow, world.cy)

    with pytest.raises(Invalid):
        stories.hide_story(uow, world.adm, key, " ")

    assert stories.get_story(uow, world.bo, key).hidden is False


def test_members_reply_and_only_a_replys_author_or_an_admin_deletes_it(
    uow: UnitOfWork, world: World
) -> None:
    key = publish(uow, world.ana)
    first = stories.reply(uow, world.bo, key, "We felt the **same**.")
    second = stories.reply(uow, world.cy, key, "Thanks!")
    assert first.id is not None
    assert second.id is not None

    with pytest.raises(Forbidden):
        stories.delete_reply(uow, world.ana, key, first.id)  # the story's author, not the reply's
    with pytest.raises(NotFound):
        stories.delete_reply(uow, world.adm, key, 999_999)
    with pytest.raises(Invalid):
        stories.reply(uow, world.bo, key, "   ")
    stories.delete_reply(uow, world.bo, key, first.id)
    stories.delete_reply(uow, world.adm, key, second.id)

    assert stories.get_story(uow, world.ana, key).replies == []
    types = [e.type for e in events_after(uow)]
    assert types[-4:] == [
        "story.replied",
        "story.replied",
        "story.reply_deleted",
        "story.reply_deleted",
    ]


def test_deleting_a_story_removes_its_thread_tags_and_links(uow: UnitOfWork, world: World) -> None:
    key = publish(uow, world.ana, tags=["kick-off"], partnerships=["signals"], teams=["data"])
    stories.reply(uow, world.bo, key, "Reply")

    stories.delete_story(uow, world.ana, key)

    assert stories.tags_in_use(uow, world.adm) == []
    assert stories.stories_of_partnership(uow, world.adm, "signals") == []
    publish(uow, world.ana, key=key)  # the key is free again, and nothing is left over
    assert stories.get_story(uow, world.ana, key).replies == []


def test_an_import_gives_author_and_times_and_only_an_admin_may(
    uow: UnitOfWork, world: World
) -> None:
    then = uow.now() - timedelta(days=40)

    with pytest.raises(Forbidden):
        publish(uow, world.ana, at=then)
    with pytest.raises(Forbidden):
        stories.create_story(
            uow, world.ana, title="t", body="b", author="bo@example.org", imported=True
        )
    story = stories.create_story(
        uow, OPERATOR, title="Old", body="b", author="bo@example.org", at=then, imported=True
    )
    answer = stories.reply(
        uow, OPERATOR, story.key, "Old reply", author="cy@example.org", at=then, imported=True
    )

    got = stories.get_story(uow, world.vi, story.key)
    assert (got.author.email, got.created_at, got.updated_at) == ("bo@example.org", then, then)
    assert (answer.author.email, answer.created_at) == ("cy@example.org", then)


def test_lists_are_newest_first_filtered_and_paged(
    uow: UnitOfWork, world: World, clock: Any
) -> None:
    for n in range(5):
        clock.advance(minutes=1)
        publish(
            uow,
            world.ana if n % 2 else world.bo,
            key=f"s{n}",
            tags=["even"] if n % 2 == 0 else ["odd"],
            partnerships=["signals"] if n < 2 else [],
            teams=["care"] if n == 4 else [],
        )

    newest = [s.key for s in stories.list_stories(uow, world.vi)]
    first = stories.list_stories(uow, world.vi, limit=2)
    rest = stories.list_stories(uow, world.vi, after=first[-1].key)

    assert newest == ["s4", "s3", "s2", "s1", "s0"]
    assert [s.key for s in first] + [s.key for s in rest] == newest
    assert [s.key for s in stories.list_stories(uow, world.vi, tag="Even")] == ["s4", "s2", "s0"]
    assert [s.key for s in stories.stories_of_partnership(uow, world.vi, "signals")] == [
        "s1",
        "s0",
    ]
    assert [s.key for s in stories.list_stories(uow, world.vi, team="care")] == ["s4"]
    assert [s.key for s in stories.list_stories(uow, world.vi, author="ana@example.org")] == [
        "s3",
        "s1",
    ]
    assert stories.tags_in_use(uow, world.vi) == [("even", 3), ("odd", 2)]
    with pytest.raises(NotFound):
        stories.list_stories(uow, world.vi, partnership="nowhere")
    with pytest.raises(Invalid):
        stories.list_stories(uow, world.vi, after="no-such-story")


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"title": "Kick\x00off"}, "title"),
        ({"body": "Line\x0bbreak"}, "body"),
        ({"results": "\x1bresults"}, "results"),
        ({"metric_name": "n\x00", "metric_value": 1.0}, "metric_name"),
        ({"title": "half \ud800 a pair"}, "title"),
    ],
)
def test_a_control_character_is_refused_by_name_and_nothing_is_kept(
    uow: UnitOfWork, world: World, fields: dict[str, object], where: str
) -> None:
    # PostgreSQL refuses a NUL outright, and XML (the Atom feed) every one of them.
    with pytest.raises(Invalid) as refused:
        publish(uow, world.ana, **fields)

    assert refused.value.rule == "text.control_character"
    assert refused.value.message.startswith(where)
    assert stories.list_stories(uow, world.adm) == []


def test_replies_edits_and_reasons_refuse_control_characters_too(
    uow: UnitOfWork, world: World
) -> None:
    key = publish(uow, world.ana)

    for attempt in (
        lambda: stories.reply(uow, world.bo, key, "hi\x00"),
        lambda: stories.update_story(uow, world.ana, key, title="t\x08"),
        lambda: stories.hide_story(uow, world.adm, key, "why\x00"),
    ):
        with pytest.raises(Invalid) as refused:
            attempt()
        assert refused.value.rule == "text.control_character"

    story = stories.get_story(uow, world.adm, key)
    assert (story.title, story.replies, story.hidden) == ("How we met", [], False)


def test_keys_and_filters_with_a_nul_are_simply_not_found(uow: UnitOfWork, world: World) -> None:
    publish(uow, world.ana, partnerships=["signals"])

    with pytest.raises(NotFound):
        stories.get_story(uow, world.bo, "first\x00")
    with pytest.raises(Invalid):
        stories.list_stories(uow, world.bo, partnership="signals\x00")
    with pytest.raises(Invalid):
        stories.list_stories(uow, world.bo, author="ana@example.org\x00")
    with pytest.raises(Invalid):
        publish(uow, world.ana, key="second", teams=["data\x00"])


def test_the_keys_of_pages_are_never_story_keys(uow: UnitOfWork, world: World) -> None:
    # /stories/new is the form and /api/v1/stories/tags the tag list: a story there is lost.
    made = [stories.create_story(uow, world.ana, title=t, body="b").key for t in ("New", "Tags")]

    with pytest.raises(Invalid) as refused:
        publish(uow, world.ana, key="new")

    assert made == ["new-2", "tags-2"]
    assert refused.value.rule == "story.key_reserved"


def test_an_empty_edit_is_still_only_the_authors_or_an_admins(
    uow: UnitOfWork, world: World
) -> None:
    key = publish(uow, world.cy)

    for someone in (world.ana, world.vi):
        with pytest.raises(Forbidden):
            stories.update_story(uow, someone, key)

    assert stories.update_story(uow, world.cy, key).key == key
    assert stories.update_story(uow, world.adm, key).key == key
