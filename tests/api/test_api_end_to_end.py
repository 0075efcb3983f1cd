"""From an empty organization to earned trust, through HTTP only, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from accord.config import Settings
from accord.events import service as events
from accord.events.domain import iso
from accord.org import service as org
from accord.uow import UnitOfWork
from factories import OPERATOR
from live_server import serve

ADMIN = "root@example.org"
PASSWORD = "a long and secret phrase"
PEOPLE = {
    "ana@example.org": ("Ana Lima", "data", "lead"),
    "cy@example.org": ("Cy Moss", "data", "member"),
    "bo@example.org": ("Bo Park", "care", "lead"),
    "dee@example.org": ("Dee Ray", "care", "member"),
}
TEAMS = ("care", "data", "ops")
CHECKS = (
    "shared_purpose",
    "enough_parties",
    "contributions_stated",
    "contributions_distinct",
    "all_affirmed",
)
ALPHA = 0.15  # EigenTrust's weight of the uniform distribution (DESIGN §2)
# Per dimension, each commitment's evidence: (its time, r, s).
Evidence = dict[str, list[tuple[datetime, float, float]]]


@dataclass
class Server:
    """A running server on a database that holds only an admin, and the clock it reads."""

    base_url: str
    engine: Engine
    clock: Any
    settings: Settings
    admin_token: str
    stack: ExitStack

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.stack.enter_context(
            httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
        )


@pytest.fixture
def server(engine: Engine, clock: Any) -> Iterator[Server]:
    """An empty organization but for one admin with an API token, served over HTTP."""
    org.create_person(UnitOfWork(engine, clock), OPERATOR, email=ADMIN, name="Root", role="admin")
    token = org.create_token(UnitOfWork(engine, clock), OPERATOR, ADMIN)
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="test-secret")
    with ExitStack() as stack:
        for base_url in serve(settings, clock):
            yield Server(base_url, engine, clock, settings, token, stack)


def answer(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json()


def opinion(r: float, s: float, weight: float, base_rate: float) -> dict[str, float]:
    """DESIGN §2's opinion from evidence r, s with prior weight W and base rate a."""
    total = r + s + weight
    return {
        "expected": (r + weight * base_rate) / total,
        "belief": r / total,
        "disbelief": s / total,
        "uncertainty": weight / total,
        "r": r,
        "s": s,
    }


def value_evidence(value: int) -> tuple[float, float]:
    return (value - 1) / 4, 1 - (value - 1) / 4


def expected_trust(evidence: Evidence, as_of: datetime, settings: Settings) -> dict[str, Any]:
    """Team and pair trust of `data` as of an instant, from its dated (r, s), by DESIGN §2."""
    # Every commitment here is care's of data: the organization, the team and the pair have the
    # same evidence, and only the prior weights and base rates differ.
    half_life = timedelta(days=settings.half_life_days)
    team: dict[str, Any] = {}
    pair: dict[str, Any] = {}
    for name, items in evidence.items():
        known = [(0.5 ** ((as_of - at) / half_life), r, s) for at, r, s in items if at <= as_of]
        r = sum(w * r_c for w, r_c, _ in known)
        s = sum(w * s_c for w, _, s_c in known)
        org_rate = (r + 1) / (r + s + 2)
        team[name] = opinion(r, s, settings.team_prior_weight, org_rate)
        # the pair's prior is data's record without care's commitments: here nothing, so the
        # base rate is the organization's (DESIGN §2)
        pair[name] = opinion(r, s, settings.pair_prior_weight, org_rate)
    weights = {
        "ability": settings.weight_ability,
        "integrity": settings.weight_integrity,
        "value": settings.weight_value,
    }
    for document in (team, pair):
        document["overall"] = {
            key: sum(weights[n] * document[n][key] for n in weights) / sum(weights.values())
            for key in ("expected", "uncertainty")
        }
    return {"team": team, "pair": pair}


def network(teams: list[str], local: dict[tuple[str, str], float]) -> dict[str, float]:
    """EigenTrust reputation N·t_j from local trust l_ij (DESIGN §2)."""
    n = len(teams)
    uniform = [1 / n] * n
    rows = []
    for i in teams:
        row = [max(local.get((i, j), 0.0), 0.0) for j in teams]
        total = sum(row)
        rows.append([x / total for x in row] if total > 0 else uniform)
    t = uniform
    while True:
        new = [
            (1 - ALPHA) * sum(rows[i][j] * t[i] for i in range(n)) + ALPHA * uniform[j]
            for j in range(n)
        ]
        change = sum(abs(a - b) for a, b in zip(new, t, strict=True))
        t = new
        if change < 1e-10:
            return {team: n * t[k] for k, team in enumerate(teams)}


def assert_trust(
    document: dict[str, Any], expected: dict[str, Any], as_of: datetime, of: str | None
) -> None:
    assert (document["team"], document["of"], document["as_of"]) == ("data", of, iso(as_of))
    for name in ("ability", "integrity", "value", "overall"):
        # the figures in words are added fields: interval, enough_evidence, words
        assert set(document[name]) == {*expected[name], "interval", "enough_evidence", "words"}
        figures = {key: document[name][key] for key in expected[name]}
        assert figures == pytest.approx(expected[name], rel=1e-9, abs=1e-12), name
        low, high = document[name]["interval"]
        assert 0 <= low <= high <= 1


def flags(given: float, ability: dict[str, float]) -> list[str]:
    """DESIGN §1's over-reliant and under-used rules for a pair."""
    if given >= 0.75 and (ability["expected"] < 0.6 or ability["uncertainty"] > 0.5):
        return ["over_reliant"]
    if ability["expected"] >= 0.8 and ability["uncertainty"] <= 0.3 and given == 0:
        return ["under_used"]
    return []


def assert_pair(
    document: dict[str, Any], expected: dict[str, Any], as_of: datetime, given: float
) -> None:
    assert_trust(document, expected, as_of, "care")
    ability = expected["ability"]
    assert document["given"] == given
    assert document["gap"] == pytest.approx(given - ability["expected"], rel=1e-9, abs=1e-12)
    assert document["flags"] == flags(given, ability)


def all_events(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    """Every event, page by page (pages of 50, so that the cursor is followed)."""
    found: list[dict[str, Any]] = []
    query = {**params, "limit": 50}
    while True:
        page = answer(client.get("/api/v1/events", params=query))
        found += page["items"]
        if page["next"] is None:
            return found
        query["cursor"] = page["next"]


def move(client: httpx.Client, key: str, name: str, version: int, **args: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/commitments/{key}/moves", json={"move": name, "version": version, **args}
    )
    body: dict[str, Any] = answer(response)
    assert response.headers["etag"] == f'"{body["version"]}"'
    return body


def check(body: dict[str, Any], state: str, version: int, allowed: set[str]) -> None:
    assert (body["state"], body["version"]) == (state, version)
    assert set(body["allowed_moves"]) == allowed
    assert len(body["allowed_moves"]) == len(allowed)


def failing(partnership: dict[str, Any]) -> list[str]:
    return [c["name"] for c in partnership["checks"] if not c["passed"]]


@dataclass
class Run:
    """The clients of one run and the events it must leave in the log: (type, subject, actor)."""

    admin: httpx.Client
    people: dict[str, httpx.Client]
    expected_events: list[tuple[str, str, str]]

    def expect(self, kind: str, subject: str, actor: str) -> None:
        self.expected_events.append((kind, subject, actor))


def build_organization(server: Server) -> Run:
    """The admin makes the teams, the people and their memberships; each person signs in."""
    run = Run(server.client(server.admin_token), {}, [])
    for slug in TEAMS:
        team = answer(
            run.admin.post("/api/v1/teams", json={"slug": slug, "name": slug.title()}), 201
        )
        assert (team["slug"], team["members"]) == (slug, [])
        run.expect("team.created", f"team:{slug}", ADMIN)
    for email, (name, slug, role) in PEOPLE.items():
        person = answer(
            run.admin.post(
                "/api/v1/people", json={"email": email, "name": name, "password": PASSWORD}
            ),
            201,
        )
        assert (person["email"], person["role"], person["memberships"]) == (email, "member", [])
        team = answer(
            run.admin.post(f"/api/v1/teams/{slug}/members", json={"email": email, "role": role})
        )
        assert {"email": email, "name": name, "role": role} in team["members"]
        run.expect("person.created", f"person:{email}", ADMIN)
        run.expect("membership.set", f"team:{slug}", ADMIN)

    anonymous = server.client()
    for email in PEOPLE:
        signed_in = anonymous.post(
            "/api/v1/auth/token", json={"email": email, "password": PASSWORD}
        )
        run.people[email.split("@")[0]] = server.client(answer(signed_in, 201)["token"])
        run.expect("token.created", f"person:{email}", email)
    me = answer(run.people["ana"].get("/api/v1/me"))
    assert (me["email"], me["memberships"]) == (
        "ana@example.org",
        [{"team": "data", "role": "lead"}],
    )
    return run


def activate_purpose(run: Run) -> str:
    """A member drafts a purpose that the sponsor, and only the sponsor, activates."""
    dee, bo = run.people["dee"], run.people["bo"]
    draft = {
        "title": "Halve customer churn",
        "statement": "Customers who stay are customers we serve well",
        "sponsor": "bo@example.org",
    }
    purpose = answer(dee.post("/api/v1/purposes", json=draft), 201)
    key: str = purpose["key"]
    assert (purpose["status"], purpose["sponsor"]) == ("draft", "bo@example.org")
    assert dee.patch(f"/api/v1/purposes/{key}", json={"status": "active"}).status_code == 403
    activated = answer(bo.patch(f"/api/v1/purposes/{key}", json={"status": "active"}))
    assert activated["status"] == "active"
    run.expect("purpose.created", f"purpose:{key}", "dee@example.org")
    run.expect("purpose.status_changed", f"purpose:{key}", "bo@example.org")
    return key


def form_partnership(run: Run, purpose: str) -> str:
    """A lead starts the partnership; it turns trust-based when the second lead affirms."""
    ana, bo = run.people["ana"], run.people["bo"]
    charter = {
        "name": "Churn signals",
        "purpose": purpose,
        "parties": [
            {"team": "data", "contribution": "Customer health data"},
            {"team": "care", "contribution": "Save playbooks"},
        ],
        "working_agreements": ["Say early when a date slips"],
        "review_every_days": 30,
    }
    partnership = answer(ana.post("/api/v1/partnerships", json=charter), 201)
    key: str = partnership["key"]
    assert [c["name"] for c in partnership["checks"]] == list(CHECKS)
    assert (partnership["label"], partnership["status"]) == ("traditional", "forming")
    assert failing(partnership) == ["all_affirmed"]
    affirm = f"/api/v1/partnerships/{key}/affirm"
    assert bo.post(affirm, json={"team": "data"}).status_code == 403  # not bo's team
    partnership = answer(ana.post(affirm, json={"team": "data"}))
    assert (partnership["label"], partnership["status"]) == ("traditional", "forming")
    assert failing(partnership) == ["all_affirmed"]
    partnership = answer(bo.post(affirm, json={"team": "care"}))
    assert (partnership["label"], partnership["status"]) == ("trust-based", "active")
    assert failing(partnership) == []
    affirmed = {p["team"]: (p["affirmed"], p["affirmed_by"]) for p in partnership["parties"]}
    assert affirmed == {"data": (True, "ana@example.org"), "care": (True, "bo@example.org")}
    assert answer(run.people["dee"].get(f"/api/v1/partnerships/{key}"))["label"] == "trust-based"
    run.expect("partnership.created", f"partnership:{key}", "ana@example.org")
    run.expect("partnership.affirmed", f"partnership:{key}", "ana@example.org")
    run.expect("partnership.affirmed", f"partnership:{key}", "bo@example.org")
    run.expect("partnership.activated", f"partnership:{key}", "bo@example.org")
    return key


def request(run: Run, partnership: str, title: str, due: datetime, reliance: str) -> str:
    """The requester member asks data for something; returns the commitment's key."""
    body = {
        "partnership": partnership,
        "requester": "care",
        "performer": "data",
        "title": title,
        "conditions_of_satisfaction": "In the CRM by 08:00 every day",
        "due": iso(due),
        "reliance": reliance,
    }
    created = answer(run.people["dee"].post("/api/v1/commitments", json=body), 201)
    check(created, "requested", 1, {"withdraw"})
    assert (created["due"], created["reliance"], created["overdue"]) == (iso(due), reliance, False)
    run.expect("commitment.requested", f"commitment:{created['key']}", "dee@example.org")
    key: str = created["key"]
    return key


def test_from_an_empty_organization_to_earned_trust_through_http(server: Server) -> None:
    clock, settings = server.clock, server.settings
    start = clock()
    run = build_organization(server)
    ana, cy, bo, dee = (run.people[name] for name in ("ana", "cy", "bo", "dee"))
    signals = form_partnership(run, activate_purpose(run))

    def trust(client: httpx.Client, **params: str) -> dict[str, Any]:
        document: dict[str, Any] = answer(client.get("/api/v1/teams/data/trust", params=params))
        return document

    # Before any evidence every figure is the prior: E = a = 1/2, all uncertainty.
    prior = expected_trust({"ability": [], "integrity": [], "value": []}, start, settings)
    assert prior["team"]["ability"] == pytest.approx(
        {"expected": 0.5, "belief": 0, "disbelief": 0, "uncertainty": 1, "r": 0, "s": 0}
    )
    before = trust(ana)
    assert_trust(before, prior["team"], start, None)
    assert before["network"] == pytest.approx(1.0)
    assert_pair(trust(bo, of="care"), prior["pair"], start, 0.0)

    one = request(
        run, signals, "Daily churn-risk score per account", start + timedelta(days=30), "high"
    )
    # A high-reliance bet on a partner with no record yet is over-reliant.
    assert_pair(trust(bo, of="care"), prior["pair"], start, 0.75)
    clock.advance(days=1)
    offered = answer(cy.get(f"/api/v1/commitments/{one}"))
    check(offered, "requested", 1, {"promise", "counter", "decline"})
    check(move(cy, one, "promise", 1), "promised", 2, {"propose_change", "revoke", "report_done"})
    stale = cy.post(f"/api/v1/commitments/{one}/moves", json={"move": "report_done", "version": 1})
    assert (stale.status_code, stale.json()["rule"]) == (409, "commitment.version_stale")
    promised = answer(dee.get(f"/api/v1/commitments/{one}"))
    check(promised, "promised", 2, {"withdraw", "propose_change"})
    clock.advance(days=9)
    done = move(cy, one, "report_done", 2, note="Live since this morning")
    check(done, "delivered", 3, set())
    assert done["delivered_at"] == iso(clock())
    check(answer(dee.get(f"/api/v1/commitments/{one}")), "delivered", 3, {"accept", "reject"})
    clock.advance(days=1)
    accepted_at = clock()
    accepted = move(dee, one, "accept", 3, value=4, note="Saved 12 accounts in the first week")
    check(accepted, "accepted", 4, set())
    assert accepted["value"] == 4
    run.expect("commitment.promised", f"commitment:{one}", "cy@example.org")
    run.expect("commitment.reported_done", f"commitment:{one}", "cy@example.org")
    run.expect("commitment.accepted", f"commitment:{one}", "dee@example.org")

    # Accepted on time with value 4: ability and integrity (1, 0), value (3/4, 1/4), dated at
    # the acceptance; read 30 days later.
    on_time: Evidence = {
        "ability": [(accepted_at, 1, 0)],
        "integrity": [(accepted_at, 1, 0)],
        "value": [(accepted_at, *value_evidence(4))],
    }
    first_read = clock.advance(days=30)
    earned = expected_trust(on_time, first_read, settings)
    after = trust(ana)
    assert_trust(after, earned["team"], first_read, None)
    for name in ("ability", "integrity", "value"):
        assert after[name]["expected"] > before[name]["expected"]
        assert after[name]["uncertainty"] < before[name]["uncertainty"]
    w = earned["team"]["ability"]["r"]
    assert w == pytest.approx(0.5 ** (30 / settings.half_life_days))
    assert after["network"] == pytest.approx(
        network(list(TEAMS), {("care", "data"): 2 * w})["data"], rel=1e-6
    )
    pair = trust(dee, of="care")
    assert_pair(pair, earned["pair"], first_read, 0.0)
    assert pair["ability"]["expected"] > 0.5
    assert pair["ability"]["uncertainty"] < 1
    # The requester team has no record as a performer: its trust is the organization's rate.
    care = answer(bo.get("/api/v1/teams/care/trust"))
    org_rate = (w + 1) / (w + 2)
    nothing = opinion(0, 0, settings.team_prior_weight, org_rate)
    assert {key: care["ability"][key] for key in nothing} == pytest.approx(nothing)
    assert care["ability"]["enough_evidence"] is False

    due = first_read + timedelta(days=5)
    two = request(run, signals, "Churn-risk score in the weekly review", due, "critical")
    clock.advance(hours=1)
    check(move(cy, two, "promise", 1), "promised", 2, {"propose_change", "revoke", "report_done"})
    run.expect("commitment.promised", f"commitment:{two}", "cy@example.org")
    assert_pair(
        trust(bo, of="care"), expected_trust(on_time, clock(), settings)["pair"], clock(), 1.0
    )
    early = dee.post(f"/api/v1/commitments/{two}/moves", json={"move": "mark_missed", "version": 2})
    assert (early.status_code, early.json()["rule"]) == (409, "commitment.not_yet_due")

    missed_read = clock.now = due + timedelta(days=1)
    overdue = answer(dee.get(f"/api/v1/commitments/{two}"))
    check(overdue, "promised", 2, {"withdraw", "propose_change", "mark_missed"})
    assert overdue["overdue"] is True
    while_overdue = trust(ana)
    check(move(dee, two, "mark_missed", 2), "missed", 3, set())
    run.expect("commitment.marked_missed", f"commitment:{two}", "dee@example.org")

    # Missed without notice: ability and integrity (0, 1), dated at the due date; no value.
    with_miss: Evidence = {
        "ability": [(accepted_at, 1, 0), (due, 0, 1)],
        "integrity": [(accepted_at, 1, 0), (due, 0, 1)],
        "value": on_time["value"],
    }
    earned_then = expected_trust(with_miss, missed_read, settings)
    only_success = expected_trust(on_time, missed_read, settings)
    latest = trust(ana)
    assert_trust(latest, earned_then["team"], missed_read, None)
    for name in ("ability", "integrity"):
        assert latest[name]["expected"] < only_success["team"][name]["expected"]
        assert latest[name]["expected"] < after[name]["expected"]
        assert latest[name]["s"] > 0
    value = only_success["team"]["value"]
    assert {key: latest["value"][key] for key in value} == pytest.approx(value, rel=1e-9)
    # Marking it missed only makes final what overdue already counted.
    for name in ("ability", "integrity", "value"):
        now, then = ({key: doc[name][key] for key in value} for doc in (latest, while_overdue))
        assert now == pytest.approx(then, rel=1e-9, abs=1e-12)
        assert latest[name]["words"] == while_overdue[name]["words"]
    ability, integrity = earned_then["team"]["ability"], earned_then["team"]["integrity"]
    local = ability["r"] - ability["s"] + integrity["r"] - integrity["s"]
    assert latest["network"] == pytest.approx(
        network(list(TEAMS), {("care", "data"): local})["data"], rel=1e-6
    )
    assert_pair(trust(bo, of="care"), earned_then["pair"], missed_read, 0.0)
    # As of an hour before the due date the second one was open and not yet overdue.
    earlier = due - timedelta(hours=1)
    replay = trust(ana, as_of=iso(earlier))
    assert_trust(replay, expected_trust(with_miss, earlier, settings)["team"], earlier, None)
    assert replay["ability"]["s"] == 0
    assert latest["ability"]["expected"] < replay["ability"]["expected"]

    histories = {
        one: ["request", "promise", "report_done", "accept"],
        two: ["request", "promise", "mark_missed"],
    }
    check_event_log(server, run, histories)
    check_export(run, histories, accepted=(one, accepted_at))


def check_event_log(server: Server, run: Run, histories: dict[str, list[str]]) -> None:
    """The log through the API: chained, holding every event of the run, each history in order."""
    logged = all_events(run.admin)
    assert [e["id"] for e in logged] == list(range(1, len(logged) + 1))
    for previous, event in itertools.pairwise(logged):
        assert event["prev_hash"] == previous["hash"]
    seen = Counter((e["type"], e["subject"], e["actor"]) for e in logged)
    missing = Counter(run.expected_events) - seen
    assert not missing, missing
    for key, moves in histories.items():
        history = all_events(run.admin, subject=f"commitment:{key}")
        assert [e["payload"]["move"] for e in history] == moves
        assert [e["payload"]["version"] for e in history] == list(range(1, len(moves) + 1))
    assert events.verify(UnitOfWork(server.engine, server.clock, read_only=True)).ok


def check_export(run: Run, histories: dict[str, list[str]], accepted: tuple[str, datetime]) -> None:
    """The admin's export holds the organization and every commitment's history; no secrets."""
    assert run.people["ana"].get("/api/v1/export").status_code == 403
    exported = run.admin.get("/api/v1/export")
    document = answer(exported)
    assert "$argon2" not in exported.text
    assert document["format"] == "accord/1"
    assert [t["slug"] for t in document["teams"]] == sorted(TEAMS)
    people = {p["email"]: p for p in document["people"]}
    assert set(people) == {ADMIN, *PEOPLE}
    for email, (_, slug, role) in PEOPLE.items():
        assert people[email]["memberships"] == [{"team": slug, "role": role}]
    [purpose] = document["purposes"]
    assert (purpose["status"], purpose["sponsor"]) == ("active", "bo@example.org")
    [partnership] = document["partnerships"]
    assert partnership["purpose"] == purpose["key"]
    assert {p["team"]: p["affirmed_by"] for p in partnership["parties"]} == {
        "data": "ana@example.org",
        "care": "bo@example.org",
    }
    commitments = {c["key"]: c for c in document["commitments"]}
    moves = {c["key"]: [step["move"] for step in c["history"]] for c in document["commitments"]}
    assert moves == histories
    key, accepted_at = accepted
    steps = commitments[key]["history"]
    assert [s["by"] for s in steps] == [
        "dee@example.org",
        "cy@example.org",
        "cy@example.org",
        "dee@example.org",
    ]
    assert (steps[0]["title"], steps[0]["reliance"]) == (
        "Daily churn-risk score per account",
        "high",
    )
    assert (steps[-1]["value"], steps[-1]["at"]) == (4, iso(accepted_at))
    assert all(
        (c["partnership"], c["requester"], c["performer"]) == (partnership["key"], "care", "data")
        for c in commitments.values()
    )
