"""What the demo organization is made of, read from the JSON files in `data/`.

The files hold the organization as it is described (teams, people, purposes, charters, what each
team is asked for, the words people use, the scripted commitments, the shared stories); the
code in this package draws the history from them. Lists are kept in the order of their file:
the random draws follow it, so reordering a file changes the document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

DEMO_PASSWORD = "accord-demo"  # every demo person gets it (the CLI sets it after import)
DEMO_LOGIN = "ana.lima@example.org"  # lead of Data Platform: requests to answer, work to accept
HISTORY_DAYS = 548  # 18 months
RANDOM_COMMITMENTS = 240


@dataclass(frozen=True)
class TeamPlan:
    slug: str
    name: str
    kind: str
    parent: str | None  # a parent comes before its children
    mission: str


@dataclass(frozen=True)
class PersonPlan:
    name: str
    role: str  # the global role
    memberships: tuple[tuple[str, str], ...]  # (team, role in the team)


@dataclass(frozen=True)
class TeamProfile:
    """How a team performs: on-time rate, early warning when late, and the value it brings."""

    ability: float
    integrity: float
    quality: float


@dataclass(frozen=True)
class MeasurePlan:
    name: str
    unit: str
    baseline: float
    target: float
    current: float
    decimals: int = 1


@dataclass(frozen=True)
class PurposePlan:
    key: str
    title: str
    statement: str
    status: str
    sponsor: str  # a person's name
    target_in_days: int  # from the anchor; negative for a date already past
    parent: str | None
    measures: tuple[MeasurePlan, ...]
    tracked_until_days_ago: int = 0  # the last measure update (achieved purposes stop)


@dataclass(frozen=True)
class PartyPlan:
    team: str
    contribution: str
    affirmed: bool


@dataclass(frozen=True)
class PartnershipPlan:
    key: str
    name: str
    purpose: str
    parties: tuple[PartyPlan, ...]
    working_agreements: tuple[str, ...]
    review_every_days: int
    formed_days_ago: int
    requests_until_days_ago: int  # no new requests after this (paused, concluded)
    weight: float  # how busy it is
    status: str | None = None


@dataclass(frozen=True)
class ScriptedCommitment:
    """A commitment that exists whatever the seed; each move is dated in days before the anchor
    and asks either for an item of the performer's catalog or for a title of its own."""

    partnership: str
    requester: str
    performer: str
    moves: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class StoryPlan:
    """A story the organization shares (a story of the product, with its replies)."""

    key: str
    title: str
    author: str  # a person's name
    days_ago: int
    body: str
    tags: tuple[str, ...]
    partnerships: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    results: str = ""
    metric: tuple[str, float, str] | None = None  # name, value, unit
    replies: tuple[tuple[str, int, str], ...] = ()  # author, days after the story, text


@dataclass(frozen=True)
class Phrases:
    """The words people use in the history: terms offered, reasons given, notes left."""

    counter_terms: tuple[str, ...]
    scope_changes: tuple[str, ...]
    decline_reasons: tuple[str, ...]
    withdraw_reasons: tuple[str, ...]
    notice_revoke_reasons: tuple[str, ...]
    late_revoke_reasons: tuple[str, ...]
    reject_reasons: tuple[str, ...]
    reject_change_reasons: tuple[str, ...]
    delay_notes: tuple[str, ...]
    earlier_notes: tuple[str, ...]
    later_notes: tuple[str, ...]
    done_notes: tuple[str, ...]
    missed_notes: tuple[str, ...]
    value_notes: dict[int, str]  # the value accepted work is given -> what the requester says
    reliance_weights: dict[str, int]  # how often a request carries each reliance


@dataclass(frozen=True)
class Plan:
    """The whole organization as described, before any history is drawn."""

    teams: tuple[TeamPlan, ...]
    people: tuple[PersonPlan, ...]
    profiles: dict[str, TeamProfile]  # the teams that take requests
    pair_bias: dict[tuple[str, str], float]  # (requester, performer) -> better or worse than usual
    purposes: tuple[PurposePlan, ...]
    partnerships: tuple[PartnershipPlan, ...]
    catalog: dict[str, tuple[tuple[str, str], ...]]  # team -> (title, conditions) it is asked for
    phrases: Phrases
    scripted: tuple[ScriptedCommitment, ...]
    stories: tuple[StoryPlan, ...]

    def purpose(self, key: str) -> PurposePlan:
        return next(p for p in self.purposes if p.key == key)

    def partnership(self, key: str) -> PartnershipPlan:
        return next(p for p in self.partnerships if p.key == key)


def _read(name: str) -> Any:
    return json.loads(files("accord.demo").joinpath("data", name).read_text(encoding="utf-8"))


@cache
def plan() -> Plan:
    """The demo's data files, read once."""
    organization = _read("organization.json")
    phrases: dict[str, Any] = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in _read("phrases.json").items()
    }
    phrases["value_notes"] = {int(value): note for value, note in phrases["value_notes"].items()}
    return Plan(
        teams=tuple(TeamPlan(**team) for team in organization["teams"]),
        people=tuple(
            PersonPlan(
                name=person["name"],
                role=person["role"],
                memberships=tuple((m["team"], m["role"]) for m in person["memberships"]),
            )
            for person in organization["people"]
        ),
        profiles={
            item["team"]: TeamProfile(item["ability"], item["integrity"], item["quality"])
            for item in organization["profiles"]
        },
        pair_bias={
            (item["requester"], item["performer"]): item["bias"]
            for item in organization["pair_bias"]
        },
        purposes=tuple(
            PurposePlan(
                **{**purpose, "measures": tuple(MeasurePlan(**m) for m in purpose["measures"])}
            )
            for purpose in _read("purposes.json")
        ),
        partnerships=tuple(
            PartnershipPlan(
                **{
                    **partnership,
                    "parties": tuple(PartyPlan(**p) for p in partnership["parties"]),
                    "working_agreements": tuple(partnership["working_agreements"]),
                }
            )
            for partnership in _read("partnerships.json")
        ),
        catalog={
            team: tuple((item["title"], item["conditions_of_satisfaction"]) for item in items)
            for team, items in _read("catalog.json").items()
        },
        phrases=Phrases(**phrases),
        scripted=tuple(
            ScriptedCommitment(
                partnership=item["partnership"],
                requester=item["requester"],
                performer=item["performer"],
                moves=tuple(item["moves"]),
            )
            for item in _read("scripted.json")
        ),
        stories=tuple(
            StoryPlan(
                **{
                    **story,
                    "tags": tuple(story["tags"]),
                    "partnerships": tuple(story["partnerships"]),
                    "teams": tuple(story["teams"]),
                    "purposes": tuple(story["purposes"]),
                    "metric": (
                        (story["metric"]["name"], story["metric"]["value"], story["metric"]["unit"])
                        if story["metric"]
                        else None
                    ),
                    "replies": tuple(
                        (r["author"], r["days_after"], r["body"]) for r in story["replies"]
                    ),
                }
            )
            for story in _read("stories.json")
        ),
    )
