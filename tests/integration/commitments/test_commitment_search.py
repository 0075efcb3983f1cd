"""The commitments list's search: filters, orders, pages and what a reader reads of each, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.commitments import service as commitments
from accord.errors import AccordError, Invalid, NotFound
from built_once import built_once
from factories import make_commitment, make_partnership, make_person, make_purpose, make_team

START = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def world(request, engine, uow, clock):
    """data and care work in `signals` (purpose churn), care and ops in `rota` (purpose uptime);
    seven commitments, due one day apart from 10 June, in several states; Olga is in no team."""
    return built_once(request, engine, lambda: build_world(uow, clock))


def build_world(uow, clock):
    for slug in ("data", "care", "ops"):
        make_team(uow, slug)
    ana = make_person(uow, "ana@example.org", teams={"data": "lead"})
    bo = make_person(uow, "bo@example.org", teams={"care": "lead"})
    cy = make_person(uow, "cy@example.org", teams={"ops": "lead"})
    olga = make_person(uow, "olga@example.org")
    churn = make_purpose(uow, bo, key="churn", title="Halve churn")
    uptime = make_purpose(uow, cy, key="uptime", title="No outages")
    make_partnership(
        uow, ana, key="signals", purpose=churn, parties=[("data", "Signals"), ("care", "Calls")],
        affirmed_by=[ana, bo],
    )  # fmt: skip
    make_partnership(
        uow, bo, key="rota", purpose=uptime, parties=[("care", "Calls"), ("ops", "Pager")],
        affirmed_by=[bo, cy],
    )  # fmt: skip
    plan = [  # key, partnership, requester person, requester, performer, title
        ("c1", "signals", bo, "care", "data", "Churn score"),
        ("c2", "signals", bo, "care", "data", "Account health"),
        ("c3", "signals", ana, "data", "care", "Call notes"),
        ("c4", "rota", bo, "care", "ops", "Pager rota"),
        ("c5", "rota", cy, "ops", "care", "Escalation list"),
        ("c6", "signals", bo, "care", "data", "Data dictionary"),
        ("c7", "rota", bo, "care", "ops", "Backup drill"),
    ]
    for day, (key, partnership, person, requester, performer, title) in enumerate(plan):
        make_commitment(
            uow, partnership, person, requester, performer, key=key, title=title,
            due=datetime(2026, 6, 10 + day, 17, tzinfo=UTC),
        )  # fmt: skip
    # promised: c1 (data), c4 (ops); delivered and accepted with 4: c2 (data to care)
    for key, performer in (("c1", ana), ("c2", ana), ("c4", cy)):
        clock.advance(minutes=1)
        move(uow, performer, key, "promise")
    clock.advance(minutes=1)
    move(uow, ana, "c2", "report_done", note="done")
    clock.advance(minutes=1)
    move(uow, bo, "c2", "accept", value=4, note="good")
    clock.advance(minutes=1)
    move(uow, cy, "c7", "decline", reason="no time")
    return {"ana": ana, "bo": bo, "cy": cy, "olga": olga}


def move(uow, actor, key, name, **args):
    version = commitments.get_commitment(uow, key).commitment.version
    commitments.move(uow, actor, key, name, version=version, **args)


def keys(found) -> list[str]:
    return [v.commitment.key for v in found.views]


def test_every_commitment_by_due_date_counted(uow, world):
    found = commitments.search_commitments(uow, world["olga"])

    assert keys(found) == ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]
    assert found.total == 7


def test_a_long_list_is_counted_only_so_far(uow, world, monkeypatch):
    monkeypatch.setattr(commitments, "COUNTED_UP_TO", 5)

    found = commitments.search_commitments(uow, world["olga"], limit=2)
    assert (found.total, found.more, len(found.views)) == (5, True, 2)
    exact = commitments.search_commitments(uow, world["olga"], team="ops")
    assert (exact.total, exact.more) == (3, False)


def test_filters_narrow_the_list_and_name_what_they_found(uow, world):
    def search(**filters):
        return commitments.search_commitments(uow, world["olga"], **filters)

    by_ops = search(team="ops")
    assert keys(by_ops) == ["c4", "c5", "c7"]
    assert by_ops.team is not None
    assert by_ops.team.name == "Ops"
    assert keys(search(team="ops", side="performer")) == ["c4", "c7"]
    assert keys(search(team="ops", side="R")) == ["c5"]
    assert keys(search(partnership="rota")) == ["c4", "c5", "c7"]
    assert keys(search(purpose="churn")) == ["c1", "c2", "c3", "c6"]
    assert keys(search(purpose="churn", partnership="rota")) == []
    assert keys(search(states=["promised", "accepted"])) == ["c1", "c2", "c4"]
    june_12 = datetime(2026, 6, 12, tzinfo=UTC)
    in_range = search(due_from=june_12, due_before=june_12 + timedelta(days=2))
    assert keys(in_range) == ["c3", "c4"]
    assert in_range.total == 2
    assert keys(search(team="data", states=["requested"])) == ["c3", "c6"]


def test_overdue_and_mine(uow, world, clock):
    clock.now = datetime(2026, 6, 13, 18, tzinfo=UTC)  # c1 and c4 promised, now past due

    assert keys(commitments.search_commitments(uow, world["olga"], overdue=True)) == ["c1", "c4"]
    assert keys(commitments.search_commitments(uow, world["cy"], mine=True)) == ["c4", "c5", "c7"]
    nothing = commitments.search_commitments(uow, world["olga"], mine=True)
    assert (keys(nothing), nothing.total) == ([], 0)


def test_orders_and_pages_agree(uow, world):
    def search(**args):
        return keys(commitments.search_commitments(uow, world["olga"], **args))

    by_title = ["c2", "c7", "c3", "c1", "c6", "c5", "c4"]
    assert search(sort="title") == by_title
    assert search(sort="title", descending=True) == by_title[::-1]
    # accepted, declined, promised, requested; in a state by due date
    assert search(sort="state") == ["c2", "c7", "c1", "c4", "c3", "c5", "c6"]
    assert search(sort="updated", descending=True)[:3] == ["c7", "c2", "c4"]

    page_two = commitments.search_commitments(uow, world["olga"], sort="title", offset=3, limit=3)
    assert (keys(page_two), page_two.total, page_two.offset) == (by_title[3:6], 7, 3)


def test_a_walk_page_after_page_reads_each_whole_order_once(uow, world):
    def walk(sort, descending):
        walked: list[str] = []
        after = None
        while True:
            found = commitments.search_commitments(
                uow, world["olga"], sort=sort, descending=descending, after=after, limit=2,
                count=False,
            )  # fmt: skip
            assert found.total is None
            walked += keys(found)
            if len(found.views) < 2:
                return walked
            after = commitments.position(found.views[-1].commitment, sort)

    for sort in commitments.SORTS:
        for descending in (False, True):
            whole = commitments.search_commitments(
                uow, world["olga"], sort=sort, descending=descending
            )
            assert walk(sort, descending) == keys(whole), (sort, descending)


def test_a_rating_is_read_only_by_the_two_teams(uow, world):
    def rating(reader):
        [view] = commitments.search_commitments(uow, reader, states=["accepted"]).views
        return view.value

    assert rating(world["bo"]) == 4
    assert rating(world["ana"]) == 4
    assert rating(world["cy"]) is None
    assert rating(world["olga"]) is None


def test_a_bad_filter_is_refused_naming_it(uow, world):
    refusals = [
        ({"states": ["promised", "lost"]}, Invalid, "state"),
        ({"team": "nobody"}, NotFound, "team"),
        ({"partnership": "nothing"}, NotFound, "partnership"),
        ({"purpose": "nothing"}, NotFound, "purpose"),
        ({"sort": "colour"}, Invalid, "sort"),
        ({"due_from": START + timedelta(days=2), "due_before": START}, Invalid, "due_before"),
    ]
    for filters, kind, field in refusals:
        with pytest.raises(AccordError) as refused:
            commitments.search_commitments(uow, world["olga"], **filters)

        assert isinstance(refused.value, kind), filters
        assert refused.value.field == field


def test_the_choices_are_the_readers_teams_and_their_partnerships(uow, world):
    choices = commitments.search_choices(uow, world["bo"])

    assert [t.slug for t in choices.teams] == ["care"]
    assert sorted(p.key for p in choices.partnerships) == ["rota", "signals"]
    assert sorted(p.key for p in choices.purposes) == ["churn", "uptime"]
    assert commitments.search_choices(uow, world["olga"]).teams == []
