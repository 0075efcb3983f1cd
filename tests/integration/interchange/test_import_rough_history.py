"""Real, rough histories: what a live move may not do, an import lets pass and reports.

A promise made after its due date, a member of both teams answering a change, an accept without
a value, dates without a time: each is imported, and the import report says where and what was
adjusted. Live moves keep their rules.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from accord.cli import SHOWN
from accord.commitments import service as commitments
from accord.errors import Forbidden, Invalid, RuleBroken
from accord.interchange.exporter import export_document
from accord.interchange.importer import import_document
from accord.interchange.reading import INSTANT_FIELDS
from accord.interchange.report import Adjustment, ImportRefused
from accord.interchange.schemas import Document
from accord.trust.domain import Track, fold
from accord.uow import UnitOfWork
from factories import OPERATOR, chain_ok, last_event_id
from interchange_documents import example

SECTIONS = (
    "teams",
    "people",
    "purposes",
    "partnerships",
    "commitments",
    "health_checks",
    "stories",
)
DEE = "dee@example.org"  # a member of both teams


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def commitment(key: str, *history: dict[str, Any]) -> dict[str, Any]:
    """A commitment of the example's partnership: customer-success asks data-platform."""
    return {
        "key": key,
        "partnership": "churn-signals",
        "requester": "customer-success",
        "performer": "data-platform",
        "history": list(history),
    }


def request(when: str, due: str, by: str = "bo@example.org") -> dict[str, Any]:
    return {"move": "request", "by": by, "at": when, "title": "Churn export", "due": due}


def step(move: str, by: str, when: str, **fields: Any) -> dict[str, Any]:
    return {"move": move, "by": by, "at": when, **fields}


def with_commitments(*items: dict[str, Any]) -> dict[str, Any]:
    """The example, with Dee in both teams and the given commitments after its own."""
    document = example()
    document["people"].append(
        {
            "email": DEE,
            "name": "Dee Both",
            "role": "member",
            "memberships": [
                {"team": "customer-success", "role": "member"},
                {"team": "data-platform", "role": "member"},
            ],
        }
    )
    document["commitments"].extend(copy.deepcopy(items))
    return document


def track(uow: UnitOfWork, key: str) -> Track:
    """The commitment as trust folds it from its events."""
    events = commitments.history(uow, key, OPERATOR)
    return fold([(e.at, e.subject, e.payload) for e in events])[key]


def state(uow: UnitOfWork) -> tuple[dict[str, Any], int]:
    return export_document(uow), last_event_id(uow)


def adjusted(report: Any) -> list[tuple[str, str]]:
    return [(a.path, a.message) for a in report.adjustments]


PROMISED_LATE = commitment(
    "late-promise",
    request("2026-01-10T09:00:00Z", "2026-01-20T00:00:00Z"),
    step("promise", "ana@example.org", "2026-01-25T09:00:00Z"),
    step("report_done", "ana@example.org", "2026-02-01T09:00:00Z"),
    step("accept", "bo@example.org", "2026-02-02T09:00:00Z", value=4),
)
COUNTER_ACCEPTED_LATE = commitment(
    "late-counter",
    request("2026-01-10T09:00:00Z", "2026-02-01T00:00:00Z"),
    step("counter", "ana@example.org", "2026-01-12T09:00:00Z", due="2026-01-20T00:00:00Z"),
    step("accept_counter", "bo@example.org", "2026-01-22T09:00:00Z"),
    step("report_done", "ana@example.org", "2026-01-30T09:00:00Z"),
    step("accept", "bo@example.org", "2026-01-31T09:00:00Z", value=3),
)
REQUESTED_LATE = commitment(
    "late-request",
    request("2026-02-10T09:00:00Z", "2026-02-01T00:00:00Z"),
    step("promise", "ana@example.org", "2026-02-11T09:00:00Z"),
)


def test_a_promise_after_its_due_date_is_imported_reported_and_counted_late(uow):
    report = import_document(uow, OPERATOR, with_commitments(PROMISED_LATE))

    assert report.created["commitments"] == 2
    assert adjusted(report) == [
        (
            "commitments[1].history[1]",
            "promised after its due date 2026-01-20T00:00:00Z; counted as late unless a new due "
            "date is agreed",
        )
    ]
    late = track(uow, "late-promise")
    assert (late.state, late.promised_at, late.on_time()) == (
        "accepted",
        at("2026-01-25T09:00:00Z"),
        False,
    )
    outcome = late.outcome()
    assert outcome is not None
    assert (outcome.on_time, outcome.kept_word) == (False, False)
    assert chain_ok(uow)


def test_a_counter_accepted_after_its_due_date_is_imported_and_reported(uow):
    report = import_document(uow, OPERATOR, with_commitments(COUNTER_ACCEPTED_LATE))

    assert adjusted(report) == [
        (
            "commitments[1].history[2]",
            "counter accepted after its due date 2026-01-20T00:00:00Z; counted as late unless a "
            "new due date is agreed",
        )
    ]
    late = commitments.get_commitment(uow, "late-counter").commitment
    assert (late.state.value, late.due) == ("accepted", at("2026-01-20T00:00:00Z"))
    assert not track(uow, "late-counter").on_time()


def test_a_request_due_before_it_was_made_is_imported_and_reported(uow):
    report = import_document(uow, OPERATOR, with_commitments(REQUESTED_LATE))

    assert adjusted(report) == [
        (
            "commitments[1].history[0]",
            "'request' sets a due date 2026-02-01T00:00:00Z already past at 2026-02-10T09:00:00Z",
        ),
        (
            "commitments[1].history[1]",
            "promised after its due date 2026-02-01T00:00:00Z; counted as late unless a new due "
            "date is agreed",
        ),
    ]
    assert commitments.get_commitment(uow, "late-request").commitment.is_overdue(
        at("2026-02-11T10:00:00Z")
    )


def test_live_moves_keep_the_due_date_rules(uow, clock):
    import_document(uow, OPERATOR, with_commitments())
    with uow:
        bo = uow.org.person("bo@example.org")
        ana = uow.org.person("ana@example.org")
    clock.now = at("2026-06-01T00:00:00Z")
    with pytest.raises(RuleBroken) as past:
        commitments.request(
            uow,
            bo,
            partnership="churn-signals",
            requester="customer-success",
            performer="data-platform",
            title="Too late",
            due=at("2026-05-01T00:00:00Z"),
            key="x",
        )
    assert past.value.rule == "commitment.due_in_past"

    commitments.request(
        uow,
        bo,
        partnership="churn-signals",
        requester="customer-success",
        performer="data-platform",
        title="Soon",
        due=at("2026-06-10T00:00:00Z"),
        key="soon",
    )
    commitments.move(uow, ana, "soon", "counter", version=1, due=at("2026-06-05T00:00:00Z"))
    clock.now = at("2026-06-06T00:00:00Z")
    with pytest.raises(RuleBroken) as late:
        commitments.move(uow, bo, "soon", "accept_counter", version=2)
    assert late.value.rule == "commitment.due_in_past"


def test_a_member_of_both_teams_answering_their_own_change_is_imported_with_a_warning(uow):
    document = with_commitments(
        commitment(
            "both",
            request("2026-01-10T09:00:00Z", "2026-03-01T00:00:00Z"),
            step("promise", "ana@example.org", "2026-01-11T09:00:00Z"),
            step("propose_change", DEE, "2026-02-01T09:00:00Z", due="2026-03-10T00:00:00Z"),
            step("accept_change", DEE, "2026-02-02T09:00:00Z"),
            step(
                "propose_change",
                "ana@example.org",
                "2026-02-03T09:00:00Z",
                due="2026-03-20T00:00:00Z",
            ),
            step("reject_change", DEE, "2026-02-04T09:00:00Z"),
        )
    )

    report = import_document(uow, OPERATOR, document)

    assert adjusted(report) == [
        (
            "commitments[1].history[2]",
            "'propose_change' by dee@example.org, a member of both teams; taken as the "
            "performer's move",
        ),
        (
            "commitments[1].history[3]",
            "'accept_change' answers a proposal dee@example.org made themselves, a member of both "
            "teams; taken as the requester's answer",
        ),
        (
            "commitments[1].history[5]",
            "'reject_change' by dee@example.org, a member of both teams; taken as the requester's "
            "move",
        ),
    ]
    both = commitments.get_commitment(uow, "both").commitment
    assert (both.state.value, both.due) == ("promised", at("2026-03-10T00:00:00Z"))
    sides = [e.payload["side"] for e in commitments.history(uow, "both", OPERATOR)]
    assert sides == ["R", "P", "P", "R", "P", "R"]


def test_a_live_member_of_both_teams_still_cannot_answer_their_own_change(uow):
    import_document(
        uow,
        OPERATOR,
        with_commitments(
            commitment(
                "both",
                request("2026-01-10T09:00:00Z", "2027-03-01T00:00:00Z"),
                step("promise", "ana@example.org", "2026-01-11T09:00:00Z"),
                step("propose_change", DEE, "2026-02-01T09:00:00Z", due="2027-03-10T00:00:00Z"),
            )
        ),
    )
    with uow:
        dee = uow.org.person(DEE)

    with pytest.raises(Forbidden) as refused:
        commitments.move(uow, dee, "both", "accept_change", version=None)

    assert refused.value.rule == "commitment.own_proposal"


def test_an_accept_without_a_value_is_imported_without_value_evidence(uow, other_uow):
    document = with_commitments(
        commitment(
            "unrated",
            request("2026-01-10T09:00:00Z", "2026-03-01T00:00:00Z"),
            step("promise", "ana@example.org", "2026-01-11T09:00:00Z"),
            step("report_done", "ana@example.org", "2026-02-01T09:00:00Z"),
            step("accept", "bo@example.org", "2026-02-02T09:00:00Z", note="Fine"),
        )
    )

    report = import_document(uow, OPERATOR, document)

    assert adjusted(report) == [
        ("commitments[1].history[3]", "accepted without a value: no value evidence")
    ]
    unrated = commitments.get_commitment(uow, "unrated").commitment
    assert (unrated.state.value, unrated.value) == ("accepted", None)
    [*_, accepted] = commitments.history(uow, "unrated", OPERATOR)
    assert accepted.payload["args"] == {"note": "Fine"}
    outcome = track(uow, "unrated").outcome()
    assert outcome is not None
    assert (outcome.on_time, outcome.value) == (True, None)
    assert outcome.evidence(1.0).as_tuple()[4:] == (0.0, 0.0)
    exported = export_document(uow)
    assert exported["commitments"][1]["history"][3] == document["commitments"][1]["history"][3]
    assert import_document(uow, OPERATOR, document).unchanged["commitments"] == 2
    import_document(other_uow, OPERATOR, exported)
    assert export_document(other_uow) == exported


def test_a_live_accept_still_needs_a_value(uow):
    import_document(
        uow,
        OPERATOR,
        with_commitments(
            commitment(
                "unrated",
                request("2026-01-10T09:00:00Z", "2026-03-01T00:00:00Z"),
                step("promise", "ana@example.org", "2026-01-11T09:00:00Z"),
                step("report_done", "ana@example.org", "2026-02-01T09:00:00Z"),
            )
        ),
    )
    with uow:
        bo = uow.org.person("bo@example.org")

    with pytest.raises(Invalid) as refused:
        commitments.move(uow, bo, "unrated", "accept", version=None)

    assert refused.value.rule == "commitment.missing_field"


def dated() -> dict[str, Any]:
    """The example with dates alone where it had instants."""
    document = example()
    document["partnerships"][0]["parties"][0]["affirmed_at"] = "2026-01-05"
    history = document["commitments"][0]["history"]
    history[0]["due"] = "2026-03-01"
    history[1]["at"] = "2026-01-11"
    history[2]["due"] = "2026-03-15"
    history[5]["at"] = "2026-03-16"
    return document


def test_dates_alone_are_read_as_times_and_reported(uow):
    report = import_document(uow, OPERATOR, dated())

    assert adjusted(report) == [
        (
            "partnerships[0].parties[0].affirmed_at",
            "'2026-01-05' has no time: read as the start of that day, 2026-01-05T00:00:00Z",
        ),
        (
            "commitments[0].history[0].due",
            "'2026-03-01' has no time: read as the end of that day, 2026-03-01T23:59:59Z",
        ),
        (
            "commitments[0].history[1].at",
            "'2026-01-11' has no time: read as the start of that day, 2026-01-11T00:00:00Z",
        ),
        (
            "commitments[0].history[2].due",
            "'2026-03-15' has no time: read as the end of that day, 2026-03-15T23:59:59Z",
        ),
        (
            "commitments[0].history[5].at",
            "'2026-03-16' has no time: read as the start of that day, 2026-03-16T00:00:00Z",
        ),
    ]
    c = commitments.get_commitment(uow, "c-1").commitment
    assert (c.due, c.requested_at) == (at("2026-03-15T23:59:59Z"), at("2026-01-10T09:00:00Z"))
    history = export_document(uow)["commitments"][0]["history"]
    assert [history[1]["at"], history[2]["due"], history[5]["at"]] == [
        "2026-01-11T00:00:00Z",
        "2026-03-15T23:59:59Z",
        "2026-03-16T00:00:00Z",
    ]
    assert export_document(uow)["partnerships"][0]["parties"][0]["affirmed_at"] == (
        "2026-01-05T00:00:00Z"
    )


def test_a_move_dated_the_day_of_a_timed_move_before_it_keeps_the_order(uow):
    document = example()
    history = document["commitments"][0]["history"]
    history[1]["at"] = "2026-01-10"  # the request was at 09:00 that day
    history[2]["at"] = "2026-02-20"  # the move before was on another day

    report = import_document(uow, OPERATOR, document)

    assert adjusted(report) == [
        (
            "commitments[0].history[1].at",
            "'2026-01-10' has no time: read as 2026-01-10T09:00:00Z, the time of the move before "
            "it that day",
        ),
        (
            "commitments[0].history[2].at",
            "'2026-02-20' has no time: read as the start of that day, 2026-02-20T00:00:00Z",
        ),
    ]
    assert [e.at for e in commitments.history(uow, "c-1", OPERATOR)][:3] == [
        at("2026-01-10T09:00:00Z"),
        at("2026-01-10T09:00:00Z"),
        at("2026-02-20T00:00:00Z"),
    ]
    assert import_document(uow, OPERATOR, document).unchanged["commitments"] == 1


def test_every_instant_of_the_format_may_be_a_date():
    """The fields read_dates looks at are exactly the instants of accord/1."""

    def instants(model: Any, seen: set[type]) -> set[str]:
        found: set[str] = set()
        if model in seen:
            return found
        seen.add(model)
        for name, info in model.model_fields.items():
            text = str(info.annotation)
            if "AwareDatetime" in text:
                found.add(name)
            for inner in _models(info.annotation):
                found |= instants(inner, seen)
        return found

    assert instants(Document, set()) == INSTANT_FIELDS


def _models(annotation: Any) -> list[type]:
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models(arg)]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "2026-01-11T09:00:00",
            "'2026-01-11T09:00:00' has no time zone: give one, as in 2024-03-01T10:00:00Z or "
            "2024-03-01T10:00:00+01:00, or a date alone",
        ),
        ("2026-02-30", None),
    ],
    ids=["no-zone", "no-such-day"],
)
def test_a_time_without_a_zone_or_a_day_not_in_the_calendar_stays_refused(uow, value, message):
    document = example()
    document["commitments"][0]["history"][1]["at"] = value

    with pytest.raises(ImportRefused) as refused:
        import_document(uow, OPERATOR, document)

    [problem] = refused.value.problems
    assert problem.path == "commitments[0].history[1].at"
    if message is not None:
        assert problem.message == message


ROUGH = (PROMISED_LATE, COUNTER_ACCEPTED_LATE, REQUESTED_LATE)


def rough() -> dict[str, Any]:
    document = dated()
    document["commitments"].extend(copy.deepcopy(ROUGH))
    return document


def test_importing_a_rough_document_again_changes_nothing_and_adjusts_nothing(uow):
    first = import_document(uow, OPERATOR, rough())
    before = state(uow)

    again = import_document(uow, OPERATOR, rough())

    assert len(first.adjustments) == 5 + 1 + 1 + 2
    assert again.created == dict.fromkeys(SECTIONS, 0)
    assert again.unchanged["commitments"] == 4
    assert again.adjustments == []
    assert state(uow) == before


def test_a_rough_document_with_one_problem_is_refused_whole(uow):
    before = state(uow)
    document = rough()
    document["commitments"][1]["history"][3]["by"] = "ana@example.org"  # accept by P

    with pytest.raises(ImportRefused) as refused:
        import_document(uow, OPERATOR, document)

    assert [p.path for p in refused.value.problems] == ["commitments[1].history[3]"]
    assert state(uow) == before
    assert chain_ok(uow)


def test_only_the_new_items_of_a_document_are_reported(uow):
    import_document(uow, OPERATOR, dated())
    document = dated()
    document["commitments"].append(copy.deepcopy(PROMISED_LATE))

    report = import_document(uow, OPERATOR, document)

    assert report.created["commitments"] == 1
    assert [a.path for a in report.adjustments] == ["commitments[1].history[1]"]


def test_a_rough_document_survives_a_round_trip(uow, other_uow):
    import_document(uow, OPERATOR, rough())
    exported = export_document(uow)

    report = import_document(other_uow, OPERATOR, exported)

    assert export_document(other_uow) == exported
    assert all(not a.message.startswith("'20") for a in report.adjustments)  # no dates left
    assert sorted(a.message.split(";")[0] for a in report.adjustments) == [
        "'request' sets a due date 2026-02-01T00:00:00Z already past at 2026-02-10T09:00:00Z",
        "counter accepted after its due date 2026-01-20T00:00:00Z",
        "promised after its due date 2026-01-20T00:00:00Z",
        "promised after its due date 2026-02-01T00:00:00Z",
    ]
    assert chain_ok(other_uow)


def test_an_adjustment_reads_as_its_path_and_message():
    assert str(Adjustment("commitments[3].history[1]", "promised late")) == (
        "commitments[3].history[1]: promised late"
    )


def test_accord_import_prints_the_count_and_the_first_adjustments(engine, tmp_path):
    document = rough()
    document["commitments"].extend(
        commitment(
            f"late-{n}",
            request("2026-01-10T09:00:00Z", "2026-01-20T00:00:00Z"),
            step("promise", "ana@example.org", "2026-01-25T09:00:00Z"),
        )
        for n in range(SHOWN)
    )
    path = tmp_path / "rough.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    first = accord(engine, "import", str(path))
    again = accord(engine, "import", str(path), "--all-adjustments")

    assert first.returncode == 0, first.stdout + first.stderr
    total = 9 + SHOWN
    lines = first.stdout.splitlines()
    start = lines.index(f"{total} adjustments:") + 1
    listed = lines[start:]
    assert len(listed) == SHOWN + 1
    assert listed[0] == (
        "  partnerships[0].parties[0].affirmed_at: '2026-01-05' has no time: read as the start "
        "of that day, 2026-01-05T00:00:00Z"
    )
    assert listed[SHOWN - 1].startswith("  commitments[4].history[1]: promised after")
    assert listed[SHOWN] == f"  … and {total - SHOWN} more (--all-adjustments lists them)"
    assert again.returncode == 0, again.stdout + again.stderr
    assert "adjustment" not in again.stdout
    assert f"commitments        0 created {4 + SHOWN:6} unchanged" in again.stdout.splitlines()


def accord(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    """`accord ARGS` in a process of its own, on the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(ACCORD_DATABASE_URL=engine.url.render_as_string(hide_password=False), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
