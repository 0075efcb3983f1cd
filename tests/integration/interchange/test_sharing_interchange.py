"""Health checks and stories in the `accord/1` document, on SQLite and PostgreSQL.

A round travels only as the anonymity rule lets it out: per party, the number of answers, and
their counts once the round has closed with enough of them; never a comment, never one answer.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest

from accord.commitments import service as commitments
from accord.config import Settings
from accord.health import service as health
from accord.interchange.exporter import export_document
from accord.interchange.importer import import_document
from accord.interchange.report import ImportRefused
from accord.stories import service as stories
from accord.uow import UnitOfWork
from factories import (
    OPERATOR,
    SETTINGS,
    chain_ok,
    last_event_id,
    make_commitment,
    make_partnership,
    make_person,
    make_purpose,
    make_team,
)

SCORES = {"purpose": 4, "direction": 4, "ability": 3, "integrity": 5, "value": 4, "overall": 4}
COMMENT = "Our partners told us early about the slip"


def answer(uow: UnitOfWork, person: Any, key: str, **changes: int) -> None:
    health.answer(uow, person, key, {**SCORES, **changes}, comment=f"{COMMENT} ({person.email})")


@pytest.fixture
def org(uow: UnitOfWork, clock: Any) -> dict[str, Any]:
    return build_org(uow, clock)


def build_org(uow: UnitOfWork, clock: Any) -> dict[str, Any]:
    """`data` (ana lead; cy, dan members) and `care` (bo lead; dee member) in `signals`; a
    closed round where data answered three times and care twice, an open round with one answer,
    a story with replies and a metric, and a hidden one."""
    make_team(uow, "data")
    make_team(uow, "care")
    people = {
        name: make_person(uow, f"{name}@example.org", teams={team: role})
        for name, team, role in (
            ("ana", "data", "lead"),
            ("cy", "data", "member"),
            ("dan", "data", "member"),
            ("bo", "care", "lead"),
            ("dee", "care", "member"),
        )
    }
    people["adm"] = make_person(uow, "adm@example.org", role="admin")
    purpose = make_purpose(uow, people["bo"], key="churn")
    make_partnership(
        uow,
        people["ana"],
        key="signals",
        purpose=purpose,
        parties=[("data", "Customer health data"), ("care", "Save playbooks")],
        affirmed_by=[people["ana"], people["bo"]],
    )
    # care delivered to data once before the rounds: data's view of care has a record
    make_commitment(uow, "signals", people["ana"], "data", "care", key="c-1")
    for who, move, args in (
        ("bo", "promise", {}),
        ("bo", "report_done", {}),
        ("ana", "accept", {"value": 5}),
    ):
        commitments.move(uow, people[who], "c-1", move, version=None, **args)
    clock.advance(days=1)
    health.open_round(
        uow, SETTINGS, people["ana"], "signals", clock.now + timedelta(days=7), key="q1"
    )
    for name, ability in (("ana", 2), ("cy", 4), ("dan", 5), ("bo", 3), ("dee", 1)):
        answer(uow, people[name], "q1", ability=ability)
    clock.advance(days=8)
    health.open_round(
        uow, SETTINGS, people["bo"], "signals", clock.now + timedelta(days=7), key="q2"
    )
    answer(uow, people["cy"], "q2", ability=1)
    stories.create_story(
        uow,
        people["cy"],
        key="daily-score",
        title="A daily churn score",
        body="We agreed on **one** definition.\n\n- a score\n- its reasons",
        tags=["Churn", "data sharing"],
        partnerships=["signals"],
        teams=["data", "care"],
        purposes=["churn"],
        results="Saves went up",
        metric_name="Save rate",
        metric_value=7.5,
        metric_unit="points",
    )
    clock.advance(hours=3)
    stories.reply(uow, people["bo"], "daily-score", "Thank you, *Cy*.")
    clock.advance(hours=1)
    stories.reply(uow, people["ana"], "daily-score", "The reasons made it work.")
    stories.create_story(
        uow, people["dee"], key="off-topic", title="Lunch menu", body="Not a partnership story"
    )
    stories.hide_story(uow, people["adm"], "off-topic", "Not about a partnership")
    return people


def test_a_round_is_exported_only_as_the_anonymity_rule_allows(uow, org, clock):
    document = export_document(uow, settings=Settings(min_responses=3))

    rounds = {check["key"]: check for check in document["health_checks"]}
    closed = {party["team"]: party for party in rounds["q1"]["parties"]}
    assert closed["data"]["responses"] == 3
    assert closed["data"]["distribution"]["ability"] == [0, 1, 0, 1, 1]
    assert closed["data"]["distribution"]["integrity"] == [0, 0, 0, 0, 3]
    # care: two answers, under the threshold, so only their number
    assert closed["care"] == {"team": "care", "responses": 2, "distribution": None}
    assert rounds["q1"]["answered_by"] == sorted(
        f"{name}@example.org" for name in ("ana", "cy", "dan", "bo", "dee")
    )
    # the open round: counts wait for the close, whatever their number
    assert [p["distribution"] for p in rounds["q2"]["parties"]] == [None, None]
    assert [p["responses"] for p in rounds["q2"]["parties"]] == [0, 1]  # care, data
    text = json.dumps(document)
    assert COMMENT not in text, "a comment is one person's answer: it is never exported"


def test_one_more_answer_to_an_open_round_changes_only_its_count_in_the_export(uow, org):
    before = export_document(uow)

    answer(uow, org["dan"], "q2", ability=5)

    after = export_document(uow)
    [was] = [c for c in before["health_checks"] if c["key"] == "q2"]
    [now] = [c for c in after["health_checks"] if c["key"] == "q2"]
    assert now["answered_by"] == sorted([*was["answered_by"], "dan@example.org"])
    assert [p["responses"] for p in now["parties"]] == [0, 2]  # care, data
    assert [p["distribution"] for p in now["parties"]] == [None, None]
    assert {**after, "health_checks": None} == {**before, "health_checks": None}


def test_a_lower_threshold_lets_more_out_and_a_higher_one_less(uow, org):
    two, four = (
        {
            c["key"]: c
            for c in export_document(uow, settings=Settings(min_responses=n))["health_checks"]
        }
        for n in (2, 4)
    )

    assert all(p["distribution"] is not None for p in two["q1"]["parties"])
    assert all(p["distribution"] is None for p in four["q1"]["parties"])


def test_health_checks_and_stories_survive_a_round_trip(uow, other_uow, org):
    exported = export_document(uow)

    report = import_document(other_uow, OPERATOR, exported)

    assert report.created["health_checks"] == 2
    assert report.created["stories"] == 2
    assert export_document(other_uow) == exported
    story = next(s for s in exported["stories"] if s["key"] == "daily-score")
    assert story["tags"] == ["churn", "data-sharing"]
    assert story["metric"] == {"name": "Save rate", "value": 7.5, "unit": "points"}
    assert [r["author"] for r in story["replies"]] == ["bo@example.org", "ana@example.org"]
    hidden = next(s for s in exported["stories"] if s["key"] == "off-topic")["hidden"]
    assert hidden["by"] == "adm@example.org"
    assert hidden["reason"] == "Not about a partnership"


def test_an_imported_round_keeps_who_answered_and_its_results(uow, other_uow, org, clock):
    import_document(other_uow, OPERATOR, export_document(uow))
    cy = other_uow_person(other_uow, "cy@example.org")
    admin = other_uow_person(other_uow, "adm@example.org")

    # cy answered the open round before the move: not again after it
    with pytest.raises(Exception, match="already answered"):
        answer(other_uow, cy, "q2")
    results = health.round_results(other_uow, Settings(min_responses=3), admin, "q1")
    shown = {p.team.slug: p for p in results.parties}
    assert shown["data"].shown
    assert not shown["care"].shown
    assert results.combined == shown["data"].statements
    assert shown["data"].comments == (), "comments are not carried by the document"
    # the trust data's partners had earned when the round opened, read again from the log
    source = health.round_results(uow, Settings(min_responses=3), org["adm"], "q1")
    [ability, *_] = results.perception["data"]
    assert ability.earned == pytest.approx(source.perception["data"][0].earned)
    assert ability.earned > 0.5  # care's delivery counted, not the prior alone


def other_uow_person(uow: UnitOfWork, email: str) -> Any:
    from accord.org import service as org_service

    return org_service.get_person(uow, email)


def test_importing_the_same_document_again_changes_nothing(uow, org):
    exported = export_document(uow)
    before = last_event_id(uow)

    report = import_document(uow, OPERATOR, exported)

    assert report.created["health_checks"] == report.created["stories"] == 0
    assert report.unchanged["health_checks"] == 2
    assert report.unchanged["stories"] == 2
    assert last_event_id(uow) == before


def test_an_open_round_given_with_its_counts_imports_them_and_compares_as_exported(
    uow, other_uow, org
):
    """A document from elsewhere may carry an open round's counts: they are kept for its
    results, and the document still counts as already imported the second time."""
    document = export_document(uow)
    q2 = next(c for c in document["health_checks"] if c["key"] == "q2")
    data = next(p for p in q2["parties"] if p["team"] == "data")
    data["distribution"] = {name: [1, 0, 0, 0, 0] for name in SCORES}

    import_document(other_uow, OPERATOR, document)
    again = import_document(other_uow, OPERATOR, document)

    assert again.unchanged["health_checks"] == 2
    assert again.created == dict.fromkeys(again.created, 0)


def refused(uow: UnitOfWork, document: dict[str, Any]) -> list[tuple[str, str]]:
    before = (export_document(uow), last_event_id(uow))
    with pytest.raises(ImportRefused) as error:
        import_document(uow, OPERATOR, document)
    assert (export_document(uow), last_event_id(uow)) == before
    assert chain_ok(uow)
    return [(p.path, p.message) for p in error.value.problems]


@pytest.fixture
def document(uow, org) -> dict[str, Any]:
    """The organization's export, emptied of its own rounds and stories, to import into it."""
    exported = export_document(uow)
    rounds, shared = exported["health_checks"], exported["stories"]
    for check in rounds:
        check["key"] = f"other-{check['key']}"
    for story in shared:
        story["key"] = f"other-{story['key']}"
    return {"format": "accord/1", "health_checks": rounds[:1], "stories": shared[:1]}


def test_counts_that_do_not_add_up_are_refused_with_their_path(uow, document):
    broken = copy.deepcopy(document)
    assert broken["health_checks"][0]["parties"][1]["team"] == "data"
    broken["health_checks"][0]["parties"][1]["distribution"]["value"] = [0, 0, 0, 0, 2]

    [(path, message)] = refused(uow, broken)

    assert path == "health_checks[0].parties[1]"
    assert "distribution.value counts 2 answers, responses says 3" in message


def test_unknown_names_in_rounds_and_stories_are_each_listed(uow, document):
    broken = copy.deepcopy(document)
    broken["health_checks"][0]["answered_by"].append("nobody@example.org")
    broken["stories"][0]["partnerships"] = ["no-such-partnership"]
    broken["stories"][0]["replies"][0]["author"] = "ghost@example.org"

    problems = refused(uow, broken)

    paths = dict(problems)
    assert paths["health_checks[0].answered_by[5]"] == "no person 'nobody@example.org'"
    assert paths["stories[0].replies[0].author"] == "no person 'ghost@example.org'"


def test_a_story_linking_what_does_not_exist_is_refused(uow, document):
    broken = {**copy.deepcopy(document), "health_checks": []}
    broken["stories"][0]["partnerships"] = ["no-such-partnership"]

    [(path, message)] = refused(uow, broken)

    assert path == "stories[0]"
    assert "no-such-partnership" in message


def test_a_round_overlapping_another_of_its_partnership_is_refused(uow, document):
    # the organization's first round, under another key: the same dates on the same partnership
    [(path, message)] = refused(uow, {**document, "stories": []})

    assert path == "health_checks[0]"
    assert "already has a health check open" in message


def test_the_same_key_with_other_content_is_a_problem(uow, org):
    exported = export_document(uow)
    exported["stories"][0]["title"] = "Another title"
    exported["health_checks"][0]["closes_at"] = "2030-01-01T00:00:00Z"

    problems = dict(refused(uow, exported))

    assert "differs in title" in problems["stories[0]"]
    assert "differs in closes_at" in problems["health_checks[0]"]


FAIL_EARNED = {
    "sqlite": [
        "CREATE TRIGGER fail_earned BEFORE UPDATE ON health_checks "
        "WHEN NEW.earned IS NOT NULL BEGIN SELECT RAISE(ABORT, 'power cut'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION fail_earned() RETURNS trigger AS "
        "$$ BEGIN RAISE EXCEPTION 'power cut'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER fail_earned BEFORE UPDATE ON health_checks FOR EACH ROW "
        "WHEN (NEW.earned IS NOT NULL) EXECUTE FUNCTION fail_earned()",
    ],
}
HEAL_EARNED = {
    "sqlite": ["DROP TRIGGER fail_earned"],
    "postgresql": ["DROP TRIGGER fail_earned ON health_checks", "DROP FUNCTION fail_earned()"],
}


def test_imported_rounds_never_stand_without_the_trust_their_partners_had_earned(
    uow, other_uow, clock
):
    """The earned trust of imported rounds is written in the import's own transaction: when
    writing it fails (as a crash right after the import's commit used to cut it off), nothing of
    the import is kept, and once it can be written the rounds have it."""
    build_org(other_uow, clock)
    exported = export_document(other_uow)
    dialect = uow.engine.dialect.name
    with uow.engine.begin() as connection:
        for statement in FAIL_EARNED[dialect]:
            connection.exec_driver_sql(statement)

    # PostgreSQL passes the trigger's words on; SQLite says it as a broken constraint
    with pytest.raises(Exception, match=r"power cut|already exists"):
        import_document(uow, OPERATOR, exported)

    nothing = export_document(uow)
    assert (nothing["teams"], nothing["health_checks"], nothing["commitments"]) == ([], [], [])
    with uow.engine.begin() as connection:
        for statement in HEAL_EARNED[dialect]:
            connection.exec_driver_sql(statement)
    report = import_document(uow, OPERATOR, exported)
    assert report.created["health_checks"] == 2
    with uow:
        assert uow.health.without_earned() == []
    admin = other_uow_person(uow, "adm@example.org")
    results = health.round_results(uow, Settings(min_responses=3), admin, "q1")
    source = health.round_results(
        other_uow, Settings(min_responses=3), other_uow_person(other_uow, "adm@example.org"), "q1"
    )
    assert results.perception["data"][0].earned == pytest.approx(
        source.perception["data"][0].earned
    )
