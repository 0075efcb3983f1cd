"""Histories for the forecast tests: commitment events made by the commitment domain in memory
(pure, for the sweep and the backtest) and accord/1 documents (imported in one transaction, for
services, CLI and API). In the documents, whether a commitment lands on time depends mostly on
its lead time, as DESIGN §2 says real ones do, so a fitted model has something to find.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from accord.commitments.domain import Commitment, Move, Side
from accord.errors import RuleBroken
from accord.events.domain import iso
from accord.org.domain import Team

Event = tuple[datetime, str, dict[str, Any]]
TEAMS = ("r", "p", "o", "q")
LEADS = {
    "r": "rita@example.org",
    "p": "paul@example.org",
    "o": "olga@example.org",
    "q": "quinn@example.org",
}
MEMBER = "mo@example.org"  # a plain member of p
ADMIN = "root@example.org"
START = datetime(2025, 1, 1, tzinfo=UTC)
RELIANCES = ("none", "low", "medium", "high", "critical")


def on_time_chance(lead_days: float) -> float:
    return 0.9 if lead_days >= 10 else 0.2


class Log:
    """Commitment events made by the real commitment domain, in memory: (at, subject, payload)
    exactly as the services would write them, in the order they are made."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.commitments: dict[str, Commitment] = {}

    def request(
        self,
        key: str,
        requester: str,
        performer: str,
        at: datetime,
        due: datetime,
        reliance: str = "high",
    ) -> Log:
        commitment, payload = Commitment.request(
            key=key,
            partnership=cast(Any, None),
            requester=Team(requester, requester.upper()),
            performer=Team(performer, performer.upper()),
            measure=None,
            sides=frozenset({Side.REQUESTER}),
            at=at,
            args={"title": key, "due": due, "reliance": reliance},
        )
        payload.update(partnership="all", requester=requester, performer=performer)
        self.commitments[key] = commitment
        self.events.append((at, f"commitment:{key}", payload))
        return self

    def move(self, key: str, move: str, at: datetime, side: Side | None = None, **args: Any) -> Log:
        """`move` on `key` at `at`, by `side` (by default whichever side the move needs)."""
        payload = self.commitments[key].apply(
            Move(move),
            sides=frozenset({side}) if side else frozenset(Side),
            at=at,
            expected_version=None,
            args=args,
            actor=f"person-{len(self.events)}",  # never the one who proposed
        )
        self.events.append((at, f"commitment:{key}", payload))
        return self


ARGS = {
    "decline": lambda rng, now: {"reason": "No capacity"},
    "revoke": lambda rng, now: {"reason": "Priorities changed"},
    "reject": lambda rng, now: {"reason": "Not what we asked"},
    "accept": lambda rng, now: {"value": rng.randint(1, 5)},
    "counter": lambda rng, now: {"due": now + timedelta(days=rng.randint(1, 30))},
    "revise": lambda rng, now: {
        "due": now + timedelta(days=rng.randint(1, 30)),
        "reliance": rng.choice(RELIANCES),
    },
    "propose_change": lambda rng, now: {"due": now + timedelta(days=rng.randint(1, 30))},
}
WEIGHTS = {"promise": 8, "report_done": 8, "accept": 8, "counter": 1, "propose_change": 1}
RARE = {"withdraw", "decline", "revoke", "reject"}


def random_log(seed: int, steps: int, teams: tuple[str, ...] = TEAMS) -> Log:
    """Requests and random allowed moves among `teams`, one event every 1 to 60 hours (every
    instant unique): counters, renegotiations, batches due on one day, late and on-time
    deliveries, revokes, misses, withdrawals, and some left open."""
    rng = random.Random(seed)
    log = Log()
    now = START
    opened: list[str] = []
    dues: list[datetime] = []
    for step in range(steps):
        now += timedelta(hours=rng.randint(1, 12), microseconds=rng.randint(0, 999))
        if not opened or rng.random() < 0.3:
            key = f"c{step:04d}"
            requester, performer = rng.sample(teams, 2)
            if dues and rng.random() < 0.3:  # a release: the same due date as one before
                due = max(rng.choice(dues[-4:]), now + timedelta(days=1))
            else:
                due = now + timedelta(days=rng.choice([0.5, 2, 5, 9, 15, 30, 45]))
            dues.append(due)
            log.request(key, requester, performer, now, due, rng.choice(RELIANCES))
            opened.append(key)
            continue
        key = rng.choice(opened)
        commitment = log.commitments[key]
        moves = commitment.allowed_moves(frozenset(Side), now)
        if not moves:
            continue
        move = rng.choices(moves, [WEIGHTS.get(m.value, 0.3 if m in RARE else 1) for m in moves])[0]
        side = rng.choice(list(Side)) if move == Move.PROPOSE_CHANGE else None
        try:
            log.move(key, move.value, now, side, **ARGS.get(move.value, lambda r, n: {})(rng, now))
        except RuleBroken:  # a due date already past, say
            continue
        if not commitment.allowed_moves(frozenset(Side), now + timedelta(days=10_000)):
            opened.remove(key)
    return log


def step(move: str, by: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {"move": move, "by": by, "at": iso(at), **fields}


def organization() -> dict[str, Any]:
    """Teams r, p, o, q, one lead each, a plain member of p, an admin; partnership `all`
    (every team a party, all affirmed) for purpose `churn`."""
    people: list[dict[str, Any]] = [
        {
            "email": email,
            "name": email.split("@")[0].title(),
            "role": "member",
            "memberships": [{"team": team, "role": "lead"}],
        }
        for team, email in LEADS.items()
    ]
    people.append(
        {
            "email": MEMBER,
            "name": "Mo",
            "role": "member",
            "memberships": [{"team": "p", "role": "member"}],
        }
    )
    people.append({"email": ADMIN, "name": "Root", "role": "admin", "memberships": []})
    affirmed = iso(START - timedelta(days=10))
    return {
        "format": "accord/1",
        "teams": [{"slug": t, "name": f"Team {t.upper()}", "kind": "team"} for t in TEAMS],
        "people": people,
        "purposes": [
            {"key": "churn", "title": "Halve churn", "status": "active", "sponsor": LEADS["r"]}
        ],
        "partnerships": [
            {
                "key": "all",
                "name": "All of us",
                "purpose": "churn",
                "parties": [
                    {
                        "team": t,
                        "contribution": f"What {t} brings",
                        "affirmed_by": LEADS[t],
                        "affirmed_at": affirmed,
                    }
                    for t in TEAMS
                ],
            }
        ],
        "commitments": [],
    }


def finished_document(
    count: int, *, before: datetime, seed: int = 7, every_days: float = 2.0
) -> dict[str, Any]:
    """`count` finished commitments between random pairs, one asked every `every_days`, all
    settled by `before`: on time mostly when promised 10 or more days ahead, late or missed
    mostly when fewer."""
    rng = random.Random(seed)
    document = organization()
    first = before - timedelta(days=every_days * count + 60)
    for index in range(count):
        requester, performer = rng.sample(TEAMS, 2)
        asked = first + timedelta(days=every_days * index)
        promised = asked + timedelta(hours=1)
        lead = rng.choice([1.0, 3.0, 6.0, 14.0, 30.0, 50.0])
        due = promised + timedelta(days=lead)
        history = [
            step(
                "request",
                LEADS[requester],
                asked,
                title=f"Thing {index}",
                due=iso(due),
                reliance=rng.choice(RELIANCES),
            ),
            step("promise", LEADS[performer], promised),
        ]
        if rng.random() < on_time_chance(lead):
            done = due - timedelta(hours=6)
            history += [
                step("report_done", LEADS[performer], done),
                step("accept", LEADS[requester], done + timedelta(hours=2), value=4),
            ]
        elif rng.random() < 0.5:
            done = due + timedelta(days=2)
            history += [
                step("report_done", LEADS[performer], done),
                step("accept", LEADS[requester], done + timedelta(hours=2), value=2),
            ]
        else:
            history.append(step("mark_missed", LEADS[requester], due + timedelta(hours=3)))
        document["commitments"].append(
            {
                "key": f"h{index:03d}",
                "partnership": "all",
                "requester": requester,
                "performer": performer,
                "history": history,
            }
        )
    return document


def add_open(
    document: dict[str, Any],
    key: str,
    requester: str,
    performer: str,
    *,
    asked: datetime,
    due: datetime,
    reliance: str = "high",
    moves: tuple[str, ...] = ("promise",),
) -> None:
    """An open commitment asked at `asked`, then `moves` (by the performer) an hour apart."""
    history = [
        step(
            "request", LEADS[requester], asked, title=f"Open {key}", due=iso(due), reliance=reliance
        )
    ]
    at = asked
    for move in moves:
        at += timedelta(hours=1)
        history.append(step(move, LEADS[performer], at))
    document["commitments"].append(
        {
            "key": key,
            "partnership": "all",
            "requester": requester,
            "performer": performer,
            "history": history,
        }
    )


def forecast_document(now: datetime, count: int = 40) -> dict[str, Any]:
    """`count` finished commitments before `now`, and open ones at `now`:

    - `ahead`, `ahead-2` (r asks p, high and critical) and `third` (o asks p, high): promised,
      due weeks after `now`;
    - `late` (r asks p, low): promised, due a day before `now`, undelivered;
    - `delivered` (r asks p, low): reported done before its due date, not yet accepted.
    """
    document = finished_document(count, before=now - timedelta(days=1))
    asked = now - timedelta(hours=3)
    add_open(document, "ahead", "r", "p", asked=asked, due=now + timedelta(days=20))
    add_open(
        document,
        "ahead-2",
        "r",
        "p",
        asked=asked,
        due=now + timedelta(days=25),
        reliance="critical",
    )
    add_open(document, "third", "o", "p", asked=asked, due=now + timedelta(days=15))
    add_open(
        document,
        "late",
        "r",
        "p",
        asked=now - timedelta(days=5),
        due=now - timedelta(days=1),
        reliance="low",
    )
    add_open(
        document,
        "delivered",
        "r",
        "p",
        asked=asked,
        due=now + timedelta(days=9),
        reliance="low",
        moves=("promise", "report_done"),
    )
    return document
