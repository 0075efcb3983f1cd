"""Import and export of `accord/1` documents (DESIGN §5), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from accord.commitments import service as commitments
from accord.errors import Forbidden
from accord.interchange.exporter import export_document
from accord.interchange.importer import import_document
from accord.interchange.report import ImportRefused
from accord.org import service as org
from accord.partnerships import service as partnerships
from accord.purposes import service as purposes
from accord.uow import UnitOfWork
from factories import (
    OPERATOR,
    chain_ok,
    events_after,
    last_event_id,
    make_commitment,
    make_partnership,
    make_person,
    make_purpose,
    make_team,
)
from interchange_documents import example, unrelated

SECTIONS = (
    "teams",
    "people",
    "purposes",
    "partnerships",
    "commitments",
    "health_checks",
    "stories",
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def seeded(uow):
    """The test database holding a small unrelated organization, so 'unchanged' means something."""
    import_document(uow, OPERATOR, unrelated())
    return uow


def state(uow: UnitOfWork) -> tuple[dict[str, Any], int]:
    return export_document(uow), last_event_id(uow)


def refused(uow: UnitOfWork, document: Any) -> list[tuple[str, str]]:
    """Import `document`, expect it refused whole, and the database exactly as it was."""
    before = state(uow)

    with pytest.raises(ImportRefused) as error:
        import_document(uow, OPERATOR, document)

    assert state(uow) == before
    assert chain_ok(uow)
    problems = [(p.path, p.message) for p in error.value.problems]
    for path, message in problems:
        assert f"{path}: {message}" in str(error.value)
    return problems


def test_the_example_imports_and_its_history_gives_the_state(uow):
    report = import_document(uow, OPERATOR, example())

    assert report.created == {
        "teams": 2,
        "people": 3,
        "purposes": 1,
        "partnerships": 1,
        "commitments": 1,
        "health_checks": 0,
        "stories": 0,
    }
    assert report.unchanged == dict.fromkeys(SECTIONS, 0)
    view = commitments.get_commitment(uow, "c-1")
    c = view.commitment
    assert (c.state.value, c.version, c.value, c.reliance.value) == ("accepted", 6, 5, "high")
    assert (c.due, c.delivered_at, c.requested_at) == (
        at("2026-03-15T00:00:00Z"),
        at("2026-03-14T09:00:00Z"),
        at("2026-01-10T09:00:00Z"),
    )
    assert [(e.type, e.actor, e.at) for e in commitments.history(uow, "c-1", OPERATOR)] == [
        (t, m["by"], at(m["at"]))
        for t, m in zip(
            [
                "commitment.requested",
                "commitment.promised",
                "commitment.change_proposed",
                "commitment.change_accepted",
                "commitment.reported_done",
                "commitment.accepted",
            ],
            example()["commitments"][0]["history"],
            strict=True,
        )
    ]
    p = partnerships.get_partnership(uow, "churn-signals")
    assert (p.partnership.status.value, p.label.value) == ("active", "trust-based")
    assert [(x.affirmed_by.email, x.affirmed_at) for x in p.partnership.parties] == [
        ("ana@example.org", at("2026-01-05T10:00:00Z")),
        ("bo@example.org", at("2026-01-06T10:00:00Z")),
    ]
    purpose = purposes.get_purpose(uow, "churn")
    assert (purpose.status.value, purpose.sponsor.email) == ("active", "ceo@example.org")
    assert [(m.name, m.baseline, m.target, m.current) for m in purpose.measures] == [
        ("Monthly churn", 4.0, 2.0, 3.1)
    ]
    assert chain_ok(uow)


def test_export_gives_the_example_back_and_survives_a_round_trip(uow, other_uow):
    import_document(uow, OPERATOR, example())

    exported = export_document(uow)
    import_document(other_uow, OPERATOR, exported)
    again = export_document(other_uow)

    assert again == exported
    source = example()
    for section in ("teams", "people", "commitments"):
        assert sorted(exported[section], key=str) == sorted(source[section], key=str), section
    [partnership] = exported["partnerships"]
    assert partnership == {**source["partnerships"][0], "status": "active"}
    assert chain_ok(other_uow)


def test_importing_twice_changes_nothing(uow):
    import_document(uow, OPERATOR, example())
    before = state(uow)

    report = import_document(uow, OPERATOR, example())

    assert report.created == dict.fromkeys(SECTIONS, 0)
    assert report.unchanged == {
        "teams": 2,
        "people": 3,
        "purposes": 1,
        "partnerships": 1,
        "commitments": 1,
        "health_checks": 0,
        "stories": 0,
    }
    assert state(uow) == before
    assert chain_ok(uow)


def test_its_own_export_imports_again_unchanged(uow):
    import_document(uow, OPERATOR, example())
    before = state(uow)

    report = import_document(uow, OPERATOR, before[0])

    assert report.created == dict.fromkeys(SECTIONS, 0)
    assert state(uow) == before


def test_import_is_for_admins_only(uow):
    make_team(uow, "payments")
    member = make_person(uow, "lead@example.org", teams={"payments": "lead"})
    before = state(uow)

    with pytest.raises(Forbidden) as error:
        import_document(uow, member, example())

    assert error.value.rule == "permission.admin_only"
    assert state(uow) == before


def test_an_admin_person_imports_and_is_the_actor_of_the_setup_events(uow):
    admin = make_person(uow, "root@example.org", role="admin")
    mark = last_event_id(uow)

    import_document(uow, admin, example())

    replayed = events_after(uow, mark)
    assert {e.actor for e in replayed if e.type == "team.created"} == {"root@example.org"}
    assert {e.actor for e in replayed if e.subject == "commitment:c-1"} == {
        "ana@example.org",
        "bo@example.org",
    }


def test_a_given_manual_status_is_applied(uow):
    document = example()
    document["partnerships"][0]["status"] = "paused"

    import_document(uow, OPERATOR, document)

    view = partnerships.get_partnership(uow, "churn-signals")
    assert view.partnership.status.value == "paused"
    assert export_document(uow)["partnerships"][0]["status"] == "paused"


def test_a_move_in_the_wrong_state_is_refused_with_its_path(seeded):
    document = example()
    del document["commitments"][0]["history"][4]  # no report_done: accept comes while promised

    problems = refused(seeded, document)

    assert problems == [
        ("commitments[0].history[4]", "'accept' needs state delivered, is promised")
    ]


def test_a_move_by_the_wrong_side_is_refused(seeded):
    document = example()
    document["commitments"][0]["history"][1]["by"] = "bo@example.org"  # R promises

    problems = refused(seeded, document)

    assert problems == [
        ("commitments[0].history[1]", "'promise' is for a member of the performer team")
    ]


def test_a_move_by_someone_in_neither_team_is_refused(seeded):
    document = example()
    document["commitments"][0]["history"][5]["by"] = "ceo@example.org"

    [(path, message)] = refused(seeded, document)

    assert path == "commitments[0].history[5]"
    assert "Cleo Ortiz is in neither" in message


def test_a_move_by_an_unknown_person_is_refused(seeded):
    document = example()
    document["commitments"][0]["history"][3]["by"] = "nobody@example.org"

    assert refused(seeded, document) == [
        ("commitments[0].history[3].by", "no person 'nobody@example.org'")
    ]


def test_an_unknown_team_of_a_party_is_refused(seeded):
    document = example()
    document["partnerships"][0]["parties"][1]["team"] = "customer-sucess"

    problems = refused(seeded, document)

    assert ("partnerships[0].parties[1].team", "no team 'customer-sucess'") in problems


def test_an_unknown_parent_or_membership_team_is_refused(seeded):
    document = example()
    document["teams"][1]["parent"] = "nowhere"

    problems = refused(seeded, document)

    assert problems[:2] == [
        ("teams[1].parent", "no team 'nowhere'"),
        ("people[1].memberships[0].team", "no team 'customer-success'"),
    ]
    assert ("partnerships[0].parties[1].team", "no team 'customer-success'") in problems


def test_a_time_going_backwards_is_refused(seeded):
    document = example()
    document["commitments"][0]["history"][2]["at"] = "2026-01-11T08:59:59Z"

    assert refused(seeded, document) == [
        ("commitments[0].history[2].at", "goes back in time from the move before")
    ]


def test_the_same_key_with_other_content_is_refused(uow):
    import_document(uow, OPERATOR, example())
    document = example()
    document["teams"][0]["name"] = "Data Platforms"
    document["people"][1]["role"] = "admin"
    document["commitments"][0]["history"][5]["value"] = 4

    problems = refused(uow, document)

    assert problems == [
        ("teams[0]", "the same key exists with other content (differs in name)"),
        ("people[1]", "the same key exists with other content (differs in role)"),
        ("commitments[0]", "the same key exists with other content (differs in history)"),
    ]


def test_a_key_given_twice_in_one_document_is_refused(seeded):
    document = example()
    document["teams"].append(dict(document["teams"][0]))

    problems = refused(seeded, document)

    assert ("teams[2]", "'data-platform' appears twice in the document (first at teams[0])") in (
        problems
    )


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        (
            ("commitments", 0, "history", 0, "due"),
            "2026-02-30T00:00:00Z",
            "commitments[0].history[0].due",
        ),
        (("commitments", 0, "history", 3, "at"), "yesterday", "commitments[0].history[3].at"),
        (
            ("commitments", 0, "history", 1, "at"),
            "2026-01-11T09:00:00",
            "commitments[0].history[1].at",
        ),
        (
            ("partnerships", 0, "parties", 0, "affirmed_at"),
            "2026-02-30",
            "partnerships[0].parties[0].affirmed_at",
        ),
        (("purposes", 0, "target_date"), "2027-13-01", "purposes[0].target_date"),
    ],
    ids=["impossible-day", "not-a-date", "no-time-zone", "impossible-date", "bad-month"],
)
def test_a_malformed_time_is_refused_with_its_path(seeded, where, value, path):
    document = example()
    target: Any = document
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value

    problems = refused(seeded, document)

    assert [p for p, _ in problems] == [path]
    assert path.endswith((".at", ".due", "affirmed_at", "target_date"))


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (("teams", 0), "teams[0].colour"),
        (("commitments", 0, "history", 1), "commitments[0].history[1].colour"),
        ((), "colour"),
    ],
)
def test_an_unknown_field_is_refused(seeded, where, path):
    document = example()
    target: Any = document
    for part in where:
        target = target[part]
    target["colour"] = "teal"

    assert refused(seeded, document) == [(path, "is not a field of accord/1")]


def test_a_field_the_move_does_not_take_is_refused(seeded):
    document = example()
    document["commitments"][0]["history"][1]["value"] = 5

    [(path, message)] = refused(seeded, document)

    assert path == "commitments[0].history[1]"
    assert message.startswith("'promise' does not take value")


def test_a_missing_required_field_and_a_wrong_format_are_listed(seeded):
    document = example()
    document["format"] = "accord/2"
    del document["teams"][0]["name"]

    problems = refused(seeded, document)

    assert ("format", "must be 'accord/1'") in problems
    assert [p for p, _ in problems if p != "format"] == ["teams[0].name"]


def test_an_affirmation_by_someone_outside_the_team_is_refused(seeded):
    document = example()
    document["partnerships"][0]["parties"][1]["affirmed_by"] = "ana@example.org"

    [(path, message)] = refused(seeded, document)

    assert path == "partnerships[0].parties[1]"
    assert "not a member of that team" in message


def test_several_problems_of_the_shape_are_listed_at_once(seeded):
    document = example()
    document["teams"][0]["colour"] = "teal"
    document["commitments"][0]["history"][0]["due"] = "soon"
    document["commitments"][0]["history"][2]["at"] = "later"

    problems = refused(seeded, document)

    assert [p for p, _ in problems] == [
        "teams[0].colour",
        "commitments[0].history[0].due",
        "commitments[0].history[2].at",
    ]


def test_several_problems_of_the_rules_are_listed_at_once(seeded):
    document = example()
    document["teams"].append({"slug": "ops", "name": "Ops", "kind": "team", "parent": "nowhere"})
    document["commitments"][0]["history"][5]["by"] = "ana@example.org"
    document["commitments"].append(
        {
            "key": "c-2",
            "partnership": "churn-signals",
            "requester": "data-platform",
            "performer": "customer-success",
            "history": [
                {
                    "move": "request",
                    "by": "ana@example.org",
                    "at": "2026-02-01T09:00:00Z",
                    "title": "Save playbook for top accounts",
                    "due": "2026-04-01T00:00:00Z",
                },
                {"move": "report_done", "by": "bo@example.org", "at": "2026-02-02T09:00:00Z"},
            ],
        }
    )

    problems = refused(seeded, document)
    with pytest.raises(ImportRefused) as error:
        import_document(seeded, OPERATOR, document)

    assert "(3 problems)" in str(error.value)
    assert problems == [
        ("teams[2].parent", "no team 'nowhere'"),
        ("commitments[0].history[5]", "'accept' is for a member of the requester team"),
        (
            "commitments[1].history[1]",
            "'report_done' needs state promised or renegotiating, is requested",
        ),
    ]


def build_live_organization(uow: UnitOfWork, clock) -> None:
    """An organization made by people through the services: every kind of thing and move."""
    make_team(uow, "consumer", kind="business_unit", mission="Effortless buying")
    make_team(uow, "payments", parent="consumer", mission="Every payment works")
    make_team(uow, "platform", kind="shared_service")
    make_team(uow, "marketing")
    ceo = make_person(uow, "ceo@example.org", role="admin", name="Cleo Ortiz")
    ana = make_person(uow, "ana@example.org", teams={"payments": "lead"})
    rita = make_person(uow, "rita@example.org", teams={"payments": "member", "marketing": "member"})
    paul = make_person(uow, "paul@example.org", teams={"platform": "lead"})
    mo = make_person(uow, "mo@example.org", teams={"marketing": "lead"})
    make_person(uow, "vic@example.org", role="viewer")
    churn = make_purpose(
        uow,
        ceo,
        key="churn",
        measures=[
            {"name": "Monthly churn", "unit": "%", "baseline": 4.0, "target": 2.0},
            {"name": "NPS", "baseline": 20.0, "target": 40.0},
        ],
    )
    make_purpose(uow, ceo, key="draft-idea", title="An idea", status="draft")
    make_purpose(uow, ceo, key="done", title="Done already", status="achieved")
    purposes.update_purpose(uow, ceo, "draft-idea", parent="churn")
    clock.advance(hours=1)
    purposes.update_measure(uow, ceo, "churn", "Monthly churn", value=3.6, note="Q1")
    make_partnership(
        uow,
        ana,
        key="checkout",
        purpose=churn,
        parties=[("payments", "Checkout flow"), ("platform", "Payment rails")],
        affirmed_by=[ana, paul],
    )
    make_partnership(
        uow,
        mo,
        key="campaigns",
        name="Campaigns",
        purpose="done",
        parties=[("marketing", "Campaigns"), ("payments", "Offers")],
        affirmed_by=[mo, ana],
    )
    partnerships.set_status(uow, mo, "campaigns", "paused")

    def move(actor, key, name, **args):
        clock.advance(hours=3)
        version = commitments.get_commitment(uow, key).commitment.version
        commitments.move(uow, actor, key, name, version=version, **args)

    start = clock.now
    for key, reliance in (
        ("accepted", "critical"),
        ("countered", "low"),
        ("changed", "medium"),
        ("revoked", None),
        ("declined", "high"),
        ("withdrawn", None),
        ("missed", "high"),
        ("open", "low"),
        ("delivered", None),
    ):
        clock.advance(minutes=5)
        make_commitment(
            uow,
            "checkout",
            rita,
            "payments",
            "platform",
            key=key,
            title=f"Work item {key}",
            reliance=reliance,
            due=start + timedelta(days=10),
        )
    commitments.request(
        uow,
        ana,
        partnership="checkout",
        requester="payments",
        performer="platform",
        title="Churn feed",
        due=start + timedelta(days=20),
        measure="Monthly churn",
        key="with-measure",
    )
    move(paul, "accepted", "promise", note="On it")
    move(paul, "accepted", "report_done", note="Done")
    move(ana, "accepted", "accept", value=4, note="Good")
    move(paul, "countered", "counter", due=start + timedelta(days=15), title="Smaller item")
    move(rita, "countered", "revise", conditions_of_satisfaction="Both cards", reliance="high")
    move(paul, "countered", "counter", due=start + timedelta(days=16))
    move(ana, "countered", "accept_counter")
    move(paul, "changed", "promise")
    move(ana, "changed", "propose_change", due=start + timedelta(days=12), note="Earlier?")
    move(paul, "changed", "reject_change", reason="Cannot")
    move(paul, "changed", "propose_change", title="Renamed")
    move(rita, "changed", "accept_change")
    move(paul, "revoked", "promise")
    move(paul, "revoked", "revoke", reason="Team moved")
    move(paul, "declined", "decline", reason="No capacity")
    move(rita, "withdrawn", "withdraw")
    move(paul, "missed", "promise")
    move(paul, "open", "promise")
    move(paul, "delivered", "promise")
    move(paul, "delivered", "report_done")
    move(ana, "delivered", "reject", reason="Broken")
    move(paul, "delivered", "report_done", note="Fixed")
    move(paul, "with-measure", "promise")
    clock.advance(days=11)
    move(rita, "missed", "mark_missed")
    org.update_team(uow, ana, "payments", name="Checkout & Payments")


def test_a_live_organization_survives_a_round_trip(uow, other_uow, clock):
    build_live_organization(uow, clock)
    exported = export_document(uow)

    report = import_document(other_uow, OPERATOR, exported)

    assert export_document(other_uow) == exported
    assert report.created == {
        "teams": 4,
        "people": 6,
        "purposes": 3,
        "partnerships": 2,
        "commitments": 10,
        "health_checks": 0,
        "stories": 0,
    }

    def derived(u):
        return {
            c.key: (
                c.state.value,
                c.version,
                c.title,
                c.due,
                c.delivered_at,
                c.value,
                c.reliance.value,
                c.conditions_of_satisfaction,
                c.updated_at,
            )
            for c in commitments.list_commitments(u)
        }

    assert derived(other_uow) == derived(uow)
    assert {k: v[0] for k, v in derived(uow).items()} == {
        "accepted": "accepted",
        "countered": "promised",
        "changed": "promised",
        "revoked": "revoked",
        "declined": "declined",
        "withdrawn": "withdrawn",
        "missed": "missed",
        "open": "promised",
        "delivered": "delivered",
        "with-measure": "promised",
    }
    assert chain_ok(other_uow)
    assert import_document(other_uow, OPERATOR, exported).created == dict.fromkeys(SECTIONS, 0)


@pytest.mark.parametrize("who", ["lead", "sponsor"])
def test_a_measure_updated_by_a_partner_lead_survives_a_round_trip(uow, other_uow, who):
    """DESIGN §7 lets a partner lead update a measure; its export must import again."""
    make_team(uow, "payments")
    make_team(uow, "platform")
    ceo = make_person(uow, "ceo@example.org")
    ana = make_person(uow, "ana@example.org", teams={"payments": "lead"})
    make_person(uow, "paul@example.org", teams={"platform": "lead"})
    make_purpose(uow, ceo, key="churn", measures=[{"name": "Monthly churn", "baseline": 4.0}])
    make_partnership(
        uow,
        ana,
        key="checkout",
        purpose="churn",
        parties=[("payments", "Checkout"), ("platform", "Rails")],
    )
    purposes.update_measure(uow, ana if who == "lead" else ceo, "churn", "Monthly churn", value=3.5)
    exported = export_document(uow)

    import_document(other_uow, OPERATOR, exported)

    assert export_document(other_uow) == exported


def test_a_commitment_whose_requester_later_left_the_team_survives_a_round_trip(uow, other_uow):
    """History is what happened: moves by people who have since left a team stay importable."""
    make_team(uow, "payments")
    make_team(uow, "platform")
    ana = make_person(uow, "ana@example.org", teams={"payments": "lead"})
    rita = make_person(uow, "rita@example.org", teams={"payments": "member"})
    paul = make_person(uow, "paul@example.org", teams={"platform": "lead"})
    make_partnership(
        uow, ana, key="checkout", parties=[("payments", "Checkout"), ("platform", "Rails")]
    )
    make_commitment(uow, "checkout", rita, "payments", "platform", key="vault")
    commitments.move(uow, paul, "vault", "promise", version=1)
    org.remove_membership(uow, OPERATOR, "payments", "rita@example.org")
    exported = export_document(uow)

    import_document(other_uow, OPERATOR, exported)

    assert export_document(other_uow) == exported


def test_times_of_replayed_moves_are_their_own(uow, clock):
    import_document(uow, OPERATOR, example())

    [request] = [e for e in events_after(uow) if e.type == "commitment.requested"]
    [created] = [e for e in events_after(uow) if e.type == "team.created"][:1]

    assert request.at == at("2026-01-10T09:00:00Z")
    assert created.at == clock.now == datetime(2026, 6, 1, tzinfo=UTC)


def test_a_deactivated_person_stays_deactivated_through_a_round_trip(uow, other_uow):
    make_team(uow, "payments")
    make_person(uow, "ana@example.org", teams={"payments": "lead"})
    org.update_person(uow, OPERATOR, "ana@example.org", active=False)
    exported = export_document(uow)
    assert exported["people"][0]["active"] is False

    import_document(other_uow, OPERATOR, exported)

    with other_uow:
        assert other_uow.org.person("ana@example.org").active is False
    assert export_document(other_uow) == exported


def test_a_former_membership_is_exported_with_the_time_it_ended(uow, clock):
    make_team(uow, "payments")
    make_person(uow, "rita@example.org", teams={"payments": "member"})
    left = clock.advance(days=3)
    org.remove_membership(uow, OPERATOR, "payments", "rita@example.org")

    [person] = export_document(uow)["people"]

    assert person["memberships"] == [
        {"team": "payments", "role": "member", "left_at": left.strftime("%Y-%m-%dT%H:%M:%SZ")}
    ]
