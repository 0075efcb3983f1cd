"""Every /api/v1 route tried as each role of the matrix, with the status one table expects.

The roles are those of tests/api/conftest.py; "the right team" is `data`. One server and one
organization serve the whole module, and each case prepares fresh objects under keys of its
own, so that no case depends on another. A route that does different things under one path
(each move of a commitment, a purpose edited or activated, team or pair trust) has a row per
variant; every route has at least one row, or `test_every_route_has_a_row` fails.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from api_org import PASSWORD, PEOPLE, ROLES, Org, build_org

from accord.commitments import service as commitments
from accord.commitments.domain import Move
from accord.config import Settings
from accord.db import make_engine
from accord.errors import NotFound
from accord.health import service as health
from accord.health.domain import Statement
from accord.notify import service as notify
from accord.notify.domain import Channel, Kind, Notice
from accord.org import service as org_service
from accord.org.domain import Person
from accord.partnerships import service as partnerships
from accord.partnerships.domain import Partnership, Party
from accord.purposes import service as purposes
from accord.stories import service as stories
from accord.uow import UnitOfWork
from factories import (
    OPERATOR,
    SETTINGS,
    last_event_id,
    make_partnership,
    make_person,
    make_purpose,
    make_team,
)
from live_server import serve

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SIGNED_IN = tuple(role for role in ROLES if role != "anonymous")
DATA_SIDE = ("member", "lead")
HTTP_METHODS = frozenset({"get", "put", "post", "patch", "delete", "head", "options", "trace"})


def clock() -> datetime:
    """The module's clock stands still: a case that needs a past due date makes its moves then."""
    return NOW


def statuses(ok: int, *allowed: str, refused: int = 403) -> dict[str, int]:
    """Anonymous 401, the `allowed` roles `ok`, every other role `refused`."""
    return {
        role: 401 if role == "anonymous" else ok if role in allowed else refused for role in ROLES
    }


@dataclass
class World(Org):
    """The organization of tests/api/conftest.py behind one server, shared by the module."""

    people: dict[str, Person] = field(default_factory=dict)
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    serial: Iterator[int] = field(default_factory=itertools.count)

    def fresh(self, prefix: str) -> str:
        """A key no other case uses."""
        return f"{prefix}-{next(self.serial)}"

    def email(self, role: str) -> str:
        """The e-mail of whoever plays `role`; anonymous requests name ana where they need one."""
        return PEOPLE["lead" if role == "anonymous" else role]


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The organization on a fresh SQLite database, served over HTTP for the whole module."""
    path = tmp_path_factory.mktemp("matrix") / "accord.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        tokens = build_org(engine, clock)
        # Everyone of the matrix gets a password, so that each role can sign in as itself.
        org_service.set_passwords(
            UnitOfWork(engine, clock), OPERATOR, list(PEOPLE.values()), PASSWORD
        )
        people = {
            role: org_service.get_person(UnitOfWork(engine, clock), email)
            for role, email in PEOPLE.items()
        }
        # Pinned, so that an ACCORD_TRUST_VISIBILITY in the environment cannot open trust to all.
        settings = Settings(
            database_url=f"sqlite:///{path}", secret_key="test-secret", trust_visibility="partners"
        )
        for base_url in serve(settings, clock):
            world = World(base_url, engine, clock, tokens, people)
            world.clients = {role: world.client(role) for role in ROLES}
            try:
                yield world
            finally:
                for client in world.clients.values():
                    client.close()
    finally:
        engine.dispose()


@dataclass
class Call:
    """A prepared request: the path's parameters, body and query, and how to tell what it did."""

    params: dict[str, str | int] = field(default_factory=dict)
    json: Any = None
    query: dict[str, str] | None = None
    # For a 2xx answer: the change is there (or, for a read, the answer is the right one).
    acted: Callable[[httpx.Response], None] = lambda response: None
    # For a refusal: the thing the request would have changed is as it was.
    unchanged: Callable[[], None] = lambda: None


Prepare = Callable[[World, str], Call]


@dataclass(frozen=True)
class Row:
    """A route (or one variant of it) and the status each role gets."""

    method: str
    path: str
    expect: dict[str, int]
    prepare: Prepare
    variant: str = ""
    logged: bool = True  # whether its change appends an event (reading a notification: no)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.variant}]" if self.variant else "")


def missing(fetch: Callable[[], object]) -> bool:
    """Whether `fetch` finds nothing."""
    try:
        fetch()
    except NotFound:
        return True
    return False


def members(world: World, slug: str) -> set[str]:
    team = org_service.get_team(world.uow(), slug)
    return {m.person.email for m in team.memberships if m.left_at is None}


def data_like_team(world: World) -> str:
    """A new team led by ana with member cy, as `data` is; the lead and member roles are in it."""
    slug = world.fresh("team")
    make_team(world.uow(), slug)
    for role in ("lead", "member"):
        org_service.set_membership(world.uow(), OPERATOR, slug, PEOPLE[role], role)
    return slug


def data_care_partnership(world: World, purpose: str = "churn") -> str:
    """A new partnership of `data` and `care`, started by ana and affirmed by nobody yet."""
    key = world.fresh("p")
    make_partnership(
        world.uow(),
        world.people["lead"],
        key=key,
        purpose=purpose,
        parties=[("data", "Customer health data"), ("care", "Save playbooks")],
    )
    return key


def commitment_in(
    world: World,
    state: str,
    *,
    requester: str = "care",
    proposer: str | None = None,
    past_due: bool = False,
    partnership: str = "signals",
) -> tuple[str, int]:
    """A new commitment in `state`, requested by `requester` of the other team: key, version."""
    # Each team's moves are made by its lead; `proposer` is the team that proposed the change of
    # a renegotiating one. With `past_due`, the moves were made three days ago, due yesterday.
    performer = "data" if requester == "care" else "care"
    leads = {"data": world.people["lead"], "care": world.people["requester_lead"]}
    key = world.fresh("c")
    at = NOW - timedelta(days=3) if past_due else NOW
    commitment = commitments.request(
        world.uow(),
        leads[requester],
        partnership=partnership,
        requester=requester,
        performer=performer,
        title=f"Churn-risk scores {key}",
        due=NOW - timedelta(days=1) if past_due else NOW + timedelta(days=30),
        reliance="high",
        key=key,
        at=at,
    )
    promise = (performer, "promise", {})
    steps: list[tuple[str, str, dict[str, Any]]] = {
        "requested": [],
        "countered": [(performer, "counter", {"title": "Weekly churn-risk scores"})],
        "promised": [promise],
        "renegotiating": [
            promise,
            (proposer or performer, "propose_change", {"due": NOW + timedelta(days=45)}),
        ],
        "delivered": [promise, (performer, "report_done", {"note": "Live"})],
    }[state]
    for team, move, args in steps:
        commitment = commitments.move(
            world.uow(), leads[team], key, move, version=commitment.version, at=at, **args
        )
    return key, commitment.version


def current(world: World, key: str) -> tuple[str, int]:
    """A commitment's state and version."""
    commitment = commitments.get_commitment(world.uow(), key).commitment
    return commitment.state.value, commitment.version


# Sign-in and one's own tokens.


def sign_in(world: World, role: str) -> Call:
    email = world.email(role)

    def acted(response: httpx.Response) -> None:
        person = org_service.authenticate_token(world.uow(), response.json()["token"])
        assert person is not None
        assert person.email == email

    return Call(json={"email": email, "password": PASSWORD, "name": "matrix"}, acted=acted)


def me(world: World, role: str) -> Call:
    return Call(acted=lambda response: _equal(response.json()["email"], world.email(role)))


def my_tokens(world: World, role: str) -> Call:
    def acted(response: httpx.Response) -> None:
        assert response.json(), "the token this request came with is one of mine"

    return Call(acted=acted)


def new_token(world: World, role: str) -> Call:
    def acted(response: httpx.Response) -> None:
        person = org_service.authenticate_token(world.uow(), response.json()["token"])
        assert person is not None
        assert person.email == world.email(role)

    return Call(json={"name": "ci"}, acted=acted)


def spare_token(world: World, email: str) -> Call:
    """A new token of `email`'s, to revoke; the tokens the matrix signs in with stay live."""
    name = world.fresh("spare")
    secret = org_service.create_token(world.uow(), OPERATOR, email, name)
    owner = org_service.get_person(world.uow(), email)
    [token_id] = [t.id for t in org_service.list_tokens(world.uow(), owner) if t.name == name]
    assert token_id is not None

    def live() -> bool:
        return org_service.authenticate_token(world.uow(), secret) is not None

    return Call(
        params={"token_id": token_id},
        acted=lambda response: _equal(live(), False),
        unchanged=lambda: _equal(live(), True),
    )


def revoke_own_token(world: World, role: str) -> Call:
    return spare_token(world, world.email(role))


def revoke_anothers_token(world: World, role: str) -> Call:
    # bo plays no role of the matrix: his token is nobody's own here.
    return spare_token(world, PEOPLE["requester_lead"])


# Notifications: each person's own.


def notice_for(world: World, email: str) -> int:
    """A new unread notification of `email`'s, as the rules keep one; its id."""
    uow = world.uow()
    with uow:
        person = uow.org.person(email)
        assert person.id is not None
        made = uow.notify.add(
            Notice(
                person_id=person.id,
                kind=Kind.OUTCOME,
                subject="test",
                title="Something happened",
                text="Something happened to a commitment",
                link="/commitments",
                key=world.fresh("notice"),
            ),
            uow.now(),
        )
        uow.commit()
    assert made is not None
    return made


def unread_ids(world: World, email: str) -> set[int]:
    person = org_service.get_person(world.uow(), email)
    return {n.id for n in notify.inbox(world.uow(), person, unread_only=True, limit=200)}


def my_notifications(world: World, role: str) -> Call:
    # bo plays no role of the matrix: his notifications are nobody's own here.
    mine = notice_for(world, world.email(role))
    theirs = notice_for(world, PEOPLE["requester_lead"])

    def acted(response: httpx.Response) -> None:
        ids = {item["id"] for item in response.json()["items"]}
        assert mine in ids
        assert theirs not in ids

    return Call(query={"unread": "true"}, acted=acted)


def read_notifications(world: World, role: str) -> Call:
    mine = notice_for(world, world.email(role))
    theirs = notice_for(world, PEOPLE["requester_lead"])

    def acted(response: httpx.Response) -> None:
        assert mine not in unread_ids(world, world.email(role))
        assert theirs in unread_ids(world, PEOPLE["requester_lead"])

    return Call(
        json={"ids": [mine, theirs]},
        acted=acted,
        unchanged=lambda: _equal(mine in unread_ids(world, world.email(role)), True),
    )


def my_preferences(world: World, role: str) -> Call:
    return Call(acted=lambda response: _equal(set(response.json()), {k.value for k in Kind}))


def choose_preferences(world: World, role: str) -> Call:
    def channel() -> Channel:
        person = org_service.get_person(world.uow(), world.email(role))
        return notify.preferences(world.uow(), person)[Kind.REPLY]

    before = channel()
    after = Channel.OFF if before != Channel.OFF else Channel.INBOX
    return Call(
        json={"reply": after.value},
        acted=lambda response: _equal(channel(), after),
        unchanged=lambda: _equal(channel(), before),
    )


def new_feed_token(world: World, role: str) -> Call:
    def acted(response: httpx.Response) -> None:
        reader = notify.feed_reader(world.uow(), response.json()["token"])
        assert reader is not None
        assert reader.email == world.email(role)

    return Call(acted=acted)


def revoke_feed_token(world: World, role: str) -> Call:
    person = org_service.get_person(world.uow(), world.email(role))
    token = notify.make_feed_token(world.uow(), person)

    def live() -> bool:
        return notify.feed_reader(world.uow(), token) is not None

    return Call(
        acted=lambda response: _equal(live(), False), unchanged=lambda: _equal(live(), True)
    )


# Teams and people.


def list_teams(world: World, role: str) -> Call:
    return Call(acted=lambda response: _has(response.json()["items"], "slug", "data"))


def create_team(world: World, role: str) -> Call:
    slug = world.fresh("team")
    return Call(
        json={"slug": slug, "name": f"Team {slug}"},
        acted=lambda response: _equal(org_service.get_team(world.uow(), slug).slug, slug),
        unchanged=lambda: _equal(missing(lambda: org_service.get_team(world.uow(), slug)), True),
    )


def get_team(world: World, role: str) -> Call:
    return Call(params={"slug": "data"}, acted=lambda r: _equal(r.json()["slug"], "data"))


def edit_team(world: World, role: str) -> Call:
    slug = data_like_team(world)

    def mission() -> str:
        return org_service.get_team(world.uow(), slug).mission

    return Call(
        params={"slug": slug},
        json={"mission": "Trustworthy data for every decision"},
        acted=lambda response: _equal(mission(), "Trustworthy data for every decision"),
        unchanged=lambda: _equal(mission(), ""),
    )


def add_member(world: World, role: str) -> Call:
    slug = data_like_team(world)
    dee = PEOPLE["requester_member"]
    return Call(
        params={"slug": slug},
        json={"email": dee, "role": "member"},
        acted=lambda response: _equal(dee in members(world, slug), True),
        unchanged=lambda: _equal(dee in members(world, slug), False),
    )


def remove_member(world: World, role: str) -> Call:
    slug = data_like_team(world)
    dee = PEOPLE["requester_member"]
    org_service.set_membership(world.uow(), OPERATOR, slug, dee, "member")
    return Call(
        params={"slug": slug, "email": dee},
        acted=lambda response: _equal(dee in members(world, slug), False),
        unchanged=lambda: _equal(dee in members(world, slug), True),
    )


def list_people(world: World, role: str) -> Call:
    return Call(acted=lambda response: _has(response.json()["items"], "email", PEOPLE["lead"]))


def create_person(world: World, role: str) -> Call:
    email = f"{world.fresh('new')}@example.org"
    return Call(
        json={"email": email, "name": "New Person"},
        acted=lambda response: _equal(org_service.get_person(world.uow(), email).email, email),
        unchanged=lambda: _equal(missing(lambda: org_service.get_person(world.uow(), email)), True),
    )


def get_person(world: World, role: str) -> Call:
    email = PEOPLE["lead"]
    return Call(params={"email": email}, acted=lambda r: _equal(r.json()["email"], email))


def edit_person(world: World, role: str) -> Call:
    email = f"{world.fresh('someone')}@example.org"
    make_person(world.uow(), email, name="Someone")

    def name() -> str:
        return org_service.get_person(world.uow(), email).name

    return Call(
        params={"email": email},
        json={"name": "Someone Else"},
        acted=lambda response: _equal(name(), "Someone Else"),
        unchanged=lambda: _equal(name(), "Someone"),
    )


# Purposes and measures.


def list_purposes(world: World, role: str) -> Call:
    return Call(acted=lambda response: _has(response.json()["items"], "key", "churn"))


def create_purpose(world: World, role: str) -> Call:
    key = world.fresh("purpose")
    return Call(
        json={"key": key, "title": f"Purpose {key}"},
        acted=lambda response: _equal(purposes.get_purpose(world.uow(), key).status.value, "draft"),
        unchanged=lambda: _equal(missing(lambda: purposes.get_purpose(world.uow(), key)), True),
    )


def get_purpose(world: World, role: str) -> Call:
    return Call(params={"key": "churn"}, acted=lambda r: _equal(r.json()["key"], "churn"))


def edit_purpose(world: World, role: str) -> Call:
    key = world.fresh("purpose")
    make_purpose(world.uow(), world.people["requester_lead"], key=key, statement="Before")

    def statement() -> str:
        return purposes.get_purpose(world.uow(), key).statement

    return Call(
        params={"key": key},
        json={"statement": "After"},
        acted=lambda response: _equal(statement(), "After"),
        unchanged=lambda: _equal(statement(), "Before"),
    )


def activate_purpose(world: World, role: str) -> Call:
    # ana sponsors it: the lead role is the sponsor here.
    key = world.fresh("purpose")
    make_purpose(world.uow(), world.people["lead"], key=key, status="draft")

    def status() -> str:
        return purposes.get_purpose(world.uow(), key).status.value

    return Call(
        params={"key": key},
        json={"status": "active"},
        acted=lambda response: _equal(status(), "active"),
        unchanged=lambda: _equal(status(), "draft"),
    )


def add_measure(world: World, role: str) -> Call:
    key = world.fresh("purpose")
    make_purpose(world.uow(), world.people["requester_lead"], key=key)

    def names() -> list[str]:
        return [m.name for m in purposes.get_purpose(world.uow(), key).measures]

    return Call(
        params={"key": key},
        json={"name": "Saved accounts", "unit": "accounts"},
        acted=lambda response: _equal(names(), ["Saved accounts"]),
        unchanged=lambda: _equal(names(), []),
    )


def update_measure(world: World, role: str) -> Call:
    # bo sponsors the purpose; `data` partners on it, so its lead may update the measure.
    key = world.fresh("purpose")
    measure = {"name": "Monthly churn", "unit": "%", "baseline": 4.0, "target": 2.0}
    make_purpose(world.uow(), world.people["requester_lead"], key=key, measures=[measure])
    data_care_partnership(world, purpose=key)

    def values() -> list[float]:
        purpose = purposes.get_purpose(world.uow(), key)
        return [u.value for u in purpose.measure("Monthly churn").updates]

    return Call(
        params={"key": key, "name": "Monthly churn"},
        json={"value": 3.1, "note": "After the first playbook"},
        acted=lambda response: _equal(values(), [3.1]),
        unchanged=lambda: _equal(values(), []),
    )


def purpose_forecast(world: World, role: str) -> Call:
    key = world.fresh("purpose")
    make_purpose(world.uow(), world.people["requester_lead"], key=key)
    partnership = data_care_partnership(world, purpose=key)
    commitment, _ = commitment_in(world, "requested", partnership=partnership)

    def acted(response: httpx.Response) -> None:
        [row] = response.json()["commitments"]
        assert row["key"] == commitment
        # Each commitment's probability is its pair's trust: shown to whoever may see the pair.
        sees_pair = role in (*DATA_SIDE, "admin")
        assert (row["probability"] is not None) == sees_pair, row

    return Call(params={"key": key}, acted=acted)


# Partnerships.


def list_partnerships(world: World, role: str) -> Call:
    # The cases' own partnerships stay forming: `signals` is the one active.
    return Call(
        query={"status": "active"},
        acted=lambda response: _has(response.json()["items"], "key", "signals"),
    )


def create_partnership(world: World, role: str) -> Call:
    key = world.fresh("p")
    return Call(
        json={
            "key": key,
            "name": f"Partnership {key}",
            "purpose": "churn",
            "parties": [
                {"team": "data", "contribution": "Customer health data"},
                {"team": "care", "contribution": "Save playbooks"},
            ],
        },
        acted=lambda response: _equal(partnership_of(world, key).key, key),
        unchanged=lambda: _equal(missing(lambda: partnership_of(world, key)), True),
    )


def partnership_of(world: World, key: str) -> Partnership:
    return partnerships.get_partnership(world.uow(), key).partnership


def get_partnership(world: World, role: str) -> Call:
    return Call(params={"key": "signals"}, acted=lambda r: _equal(r.json()["key"], "signals"))


def edit_charter(world: World, role: str) -> Call:
    key = data_care_partnership(world)

    def name() -> str:
        return partnership_of(world, key).name

    return Call(
        params={"key": key},
        json={"name": "Churn signals, renamed"},
        acted=lambda response: _equal(name(), "Churn signals, renamed"),
        unchanged=lambda: _equal(name(), "Churn signals"),
    )


def parties(world: World, key: str) -> dict[str, Party]:
    return {party.team.slug: party for party in partnership_of(world, key).parties}


def invitation_to(world: World, key: str, slug: str, inviter: str = "lead") -> int:
    """A pending invitation of team `slug` to partnership `key`, sent by `inviter`: its id."""
    invitation = partnerships.invite(world.uow(), world.people[inviter], key, slug)
    assert invitation.id is not None
    return invitation.id


def invitation_state(world: World, invitation_id: int) -> str:
    return partnerships.get_invitation(world.uow(), invitation_id).state.value


def invite(world: World, role: str) -> Call:
    key = data_care_partnership(world)
    slug = world.fresh("team")
    make_team(world.uow(), slug)

    def invited() -> list[str]:
        return [i.team.slug for i in partnerships.list_invitations(world.uow(), partnership=key)]

    return Call(
        params={"key": key},
        json={"team": slug},
        acted=lambda response: _equal(invited(), [slug]),
        unchanged=lambda: _equal(invited(), []),
    )


def invitation_of_data_like_team(world: World) -> tuple[str, int]:
    """A partnership of care and a new team, started by bo, who invites a new team led by ana
    with member cy (as `data` is): the partnership's key and the invitation's id."""
    key = world.fresh("p")
    other = world.fresh("team")
    make_team(world.uow(), other)
    make_partnership(
        world.uow(),
        world.people["requester_lead"],
        key=key,
        purpose="churn",
        parties=[("care", "Save playbooks"), (other, "Field insight")],
    )
    return key, invitation_to(world, key, data_like_team(world), "requester_lead")


def answer_invitation(to: str) -> Prepare:
    def prepare(world: World, role: str) -> Call:
        _, invitation_id = invitation_of_data_like_team(world)
        return Call(
            params={"invitation_id": invitation_id},
            json={"contribution": "Customer health data"} if to == "accepted" else None,
            acted=lambda response: _equal(invitation_state(world, invitation_id), to),
            unchanged=lambda: _equal(invitation_state(world, invitation_id), "pending"),
        )

    return prepare


def withdraw_invitation(world: World, role: str) -> Call:
    key = data_care_partnership(world)
    slug = world.fresh("team")
    make_team(world.uow(), slug)
    invitation_id = invitation_to(world, key, slug, "requester_lead")
    return Call(
        params={"invitation_id": invitation_id},
        acted=lambda response: _equal(invitation_state(world, invitation_id), "withdrawn"),
        unchanged=lambda: _equal(invitation_state(world, invitation_id), "pending"),
    )


def partnership_invitations(world: World, role: str) -> Call:
    key, invitation_id = invitation_of_data_like_team(world)
    return Call(
        params={"key": key},
        acted=lambda response: _has(response.json()["items"], "id", invitation_id),
    )


def team_invitations(world: World, role: str) -> Call:
    _, invitation_id = invitation_of_data_like_team(world)
    team = partnerships.get_invitation(world.uow(), invitation_id).team.slug
    return Call(
        query={"team": team, "state": "pending"},
        acted=lambda response: _has(response.json()["items"], "id", invitation_id),
    )


def get_invitation(world: World, role: str) -> Call:
    _, invitation_id = invitation_of_data_like_team(world)
    return Call(
        params={"invitation_id": invitation_id},
        acted=lambda response: _equal(response.json()["id"], invitation_id),
    )


def leave(world: World, role: str) -> Call:
    # data, care and a third party led by bo: data may leave, and two parties remain.
    key = data_care_partnership(world)
    third = world.fresh("team")
    make_team(world.uow(), third)
    org_service.set_membership(world.uow(), OPERATOR, third, PEOPLE["requester_lead"], "lead")
    invitation_id = invitation_to(world, key, third, "requester_lead")
    partnerships.accept_invitation(world.uow(), world.people["requester_lead"], invitation_id)
    return Call(
        params={"key": key, "team": "data"},
        acted=lambda response: _equal("data" in parties(world, key), False),
        unchanged=lambda: _equal("data" in parties(world, key), True),
    )


def set_contribution(team: str) -> Prepare:
    def prepare(world: World, role: str) -> Call:
        key = data_care_partnership(world)
        before = parties(world, key)[team].contribution

        def contribution() -> str:
            return parties(world, key)[team].contribution

        return Call(
            params={"key": key, "team": team},
            json={"contribution": "Churn-risk scores every morning"},
            acted=lambda response: _equal(contribution(), "Churn-risk scores every morning"),
            unchanged=lambda: _equal(contribution(), before),
        )

    return prepare


def affirm(world: World, role: str) -> Call:
    key = data_care_partnership(world)

    def affirmed_by() -> str | None:
        party = parties(world, key)["data"]
        return party.affirmed_by.email if party.affirmed_by else None

    return Call(
        params={"key": key},
        json={"team": "data"},
        acted=lambda response: _equal(affirmed_by(), PEOPLE["lead"]),
        unchanged=lambda: _equal(affirmed_by(), None),
    )


# Commitments.


def list_commitments(world: World, role: str) -> Call:
    # A partnership of its own keeps the commitment on the first page.
    partnership = data_care_partnership(world)
    key, _ = commitment_in(world, "requested", partnership=partnership)
    return Call(
        query={"partnership": partnership},
        acted=lambda response: _has(response.json()["items"], "key", key),
    )


def request(world: World, role: str) -> Call:
    # `data` requests of `care`: the member and lead roles are on the requester side.
    key = world.fresh("c")
    return Call(
        json={
            "key": key,
            "partnership": "signals",
            "requester": "data",
            "performer": "care",
            "title": "Save playbook for churn-risk accounts",
            "due": (NOW + timedelta(days=30)).isoformat(),
            "reliance": "high",
        },
        acted=lambda response: _equal(current(world, key), ("requested", 1)),
        unchanged=lambda: _equal(
            missing(lambda: commitments.get_commitment(world.uow(), key)), True
        ),
    )


def get_commitment(world: World, role: str) -> Call:
    key, _ = commitment_in(world, "requested")
    return Call(params={"key": key}, acted=lambda r: _equal(r.json()["key"], key))


def commitment_history(world: World, role: str) -> Call:
    key, _ = commitment_in(world, "promised")

    def acted(response: httpx.Response) -> None:
        assert [e["type"] for e in response.json()] == [
            "commitment.requested",
            "commitment.promised",
        ]

    return Call(params={"key": key}, acted=acted)


# An accept's value rating and note are trust evidence: everyone reads that it was accepted, the
# two teams and admins read the rating and note too (DESIGN §7); the hashes are for admins.
EVIDENCE_NOTE = "Saved 12 accounts in the first week"


def accepted_in(world: World, partnership: str = "signals") -> str:
    """A new commitment `care` asked of `data`, delivered and accepted, rated 4 with a note."""
    key, version = commitment_in(world, "delivered", partnership=partnership)
    commitments.move(
        world.uow(),
        world.people["requester_lead"],
        key,
        "accept",
        version=version,
        at=NOW,
        value=4,
        note=EVIDENCE_NOTE,
    )
    return key


def _rated(body: dict[str, Any], role: str) -> None:
    assert body["state"] == "accepted"
    sees = role in (*DATA_SIDE, "admin")
    assert (body["value"], body["withheld"]) == ((4, []) if sees else (None, ["value"]))


def _accept_event(events: list[dict[str, Any]], role: str) -> None:
    [accept] = [e for e in events if e["type"] == "commitment.accepted"]
    assert (accept["payload"]["to"], accept["actor"]) == ("accepted", PEOPLE["requester_lead"])
    sees = role in (*DATA_SIDE, "admin")
    evidence = {"value": 4, "note": EVIDENCE_NOTE}
    assert accept["payload"]["args"] == (evidence if sees else {})
    chain = [] if role == "admin" else ["prev_hash", "hash"]
    hidden = [] if sees else ["payload.args.value", "payload.args.note"]
    assert accept["withheld"] == hidden + chain
    assert (accept["hash"] is None) == (role != "admin")


def get_accepted(world: World, role: str) -> Call:
    key = accepted_in(world)
    return Call(params={"key": key}, acted=lambda response: _rated(response.json(), role))


def list_accepted(world: World, role: str) -> Call:
    partnership = data_care_partnership(world)
    key = accepted_in(world, partnership)

    def acted(response: httpx.Response) -> None:
        [item] = [c for c in response.json()["items"] if c["key"] == key]
        _rated(item, role)

    return Call(query={"partnership": partnership}, acted=acted)


def accepted_history(world: World, role: str) -> Call:
    key = accepted_in(world)
    return Call(params={"key": key}, acted=lambda response: _accept_event(response.json(), role))


def accepted_events(world: World, role: str) -> Call:
    key = accepted_in(world)
    return Call(
        query={"subject": f"commitment:{key}"},
        acted=lambda response: _accept_event(response.json()["items"], role),
    )


@dataclass(frozen=True)
class MoveCase:
    """A move, the commitment it is made on, and the state it leads to."""

    move: Move
    state: str
    requester: str
    to: str
    args: dict[str, Any] = field(default_factory=dict)
    proposer: str | None = None
    past_due: bool = False


def move_on(case: MoveCase) -> Prepare:
    def prepare(world: World, role: str) -> Call:
        key, version = commitment_in(
            world,
            case.state,
            requester=case.requester,
            proposer=case.proposer,
            past_due=case.past_due,
        )
        return Call(
            params={"key": key},
            json={"move": case.move.value, "version": version, **case.args},
            acted=lambda response: _equal(current(world, key), (case.to, version + 1)),
            unchanged=lambda: _equal(current(world, key), (case.state, version)),
        )

    return prepare


LATER = (NOW + timedelta(days=45)).isoformat()
# Each move on a commitment where `data` is the side DESIGN §1 names for it.
RIGHT_SIDE_MOVES = [
    MoveCase(Move.PROMISE, "requested", "care", "promised"),
    MoveCase(Move.COUNTER, "requested", "care", "countered", {"due": LATER}),
    MoveCase(Move.DECLINE, "requested", "care", "declined", {"reason": "No capacity"}),
    MoveCase(Move.ACCEPT_COUNTER, "countered", "data", "promised"),
    MoveCase(Move.REVISE, "countered", "data", "requested", {"title": "Monthly scores"}),
    MoveCase(Move.WITHDRAW, "promised", "data", "withdrawn", {"reason": "Not needed"}),
    MoveCase(Move.PROPOSE_CHANGE, "promised", "care", "renegotiating", {"due": LATER}),
    MoveCase(Move.ACCEPT_CHANGE, "renegotiating", "care", "promised", proposer="care"),
    MoveCase(Move.REJECT_CHANGE, "renegotiating", "care", "promised", proposer="care"),
    MoveCase(Move.REVOKE, "promised", "care", "revoked", {"reason": "Lost the data source"}),
    MoveCase(Move.REPORT_DONE, "promised", "care", "delivered", {"note": "Live"}),
    MoveCase(Move.ACCEPT, "delivered", "data", "accepted", {"value": 5}),
    MoveCase(Move.REJECT, "delivered", "data", "promised", {"reason": "Scores are stale"}),
    MoveCase(Move.MARK_MISSED, "promised", "data", "missed", past_due=True),
]
# Moves where `data` is not the side that may make them: refused to everyone.
WRONG_SIDE_MOVES = [
    MoveCase(Move.PROMISE, "requested", "data", "promised"),
    MoveCase(Move.ACCEPT, "delivered", "care", "accepted", {"value": 5}),
    MoveCase(Move.ACCEPT_CHANGE, "renegotiating", "care", "promised", proposer="data"),
]


# Trust.


def team_trust(slug: str, of: str | None = None) -> Prepare:
    def prepare(world: World, role: str) -> Call:
        def acted(response: httpx.Response) -> None:
            assert (response.json()["team"], response.json()["of"]) == (slug, of)

        return Call(params={"slug": slug}, query={"of": of} if of else None, acted=acted)

    return prepare


def partner_trust(world: World, role: str) -> Call:
    # A team like `data` whose only partner is `care`, so other cases add no partners to it.
    slug = data_like_team(world)
    make_partnership(
        world.uow(),
        world.people["lead"],
        key=world.fresh("p"),
        purpose="churn",
        parties=[(slug, "Customer health data"), ("care", "Save playbooks")],
    )

    def acted(response: httpx.Response) -> None:
        # Only the members of the two teams and admins see the pair's trust.
        seen = [report["team"] for report in response.json()]
        assert seen == (["care"] if role in (*DATA_SIDE, "admin") else [])

    return Call(params={"slug": slug}, acted=acted)


def pair_evidence(world: World, role: str) -> Call:
    def acted(response: httpx.Response) -> None:
        body = response.json()
        assert (body["team"], body["of"], body["trust"]["of"]) == ("data", "care", "care")
        assert body["count"] >= len(body["items"])

    return Call(params={"slug": "data"}, query={"of": "care"}, acted=acted)


def commitment_forecast(world: World, role: str) -> Call:
    key, _ = commitment_in(world, "promised")

    def acted(response: httpx.Response) -> None:
        assert 0 <= response.json()["probability"] <= 1

    return Call(params={"key": key}, acted=acted)


def backtest(world: World, role: str) -> Call:
    return Call(acted=lambda response: _equal("brier" in response.json(), True))


# The event log, export and import.


def list_events(world: World, role: str) -> Call:
    return Call(acted=lambda response: _equal(bool(response.json()["items"]), True))


def export(world: World, role: str) -> Call:
    return Call(acted=lambda response: _equal(response.json()["format"], "accord/1"))


def import_document(world: World, role: str) -> Call:
    slug = world.fresh("imported")
    return Call(
        json={"format": "accord/1", "teams": [{"slug": slug, "name": "Imported", "kind": "team"}]},
        acted=lambda response: _equal(org_service.get_team(world.uow(), slug).slug, slug),
        unchanged=lambda: _equal(missing(lambda: org_service.get_team(world.uow(), slug)), True),
    )


# Health checks.


def responses_of(world: World, key: str) -> dict[str, int]:
    check = health.get_round(world.uow(), OPERATOR, key).check
    return {tally.team.slug: tally.responses for tally in check.tallies}


def open_round(world: World) -> str:
    """A new partnership of data and care with a round open for a week, opened by ana."""
    partnership = data_care_partnership(world)
    check = health.open_round(
        world.uow(), SETTINGS, world.people["lead"], partnership, NOW + timedelta(days=7)
    )
    return check.key


def closed_round(world: World) -> tuple[str, str]:
    """A new partnership with a closed round in which three of data answered: its keys."""
    partnership = data_care_partnership(world)
    start = NOW - timedelta(days=20)
    check = health.open_round(
        world.uow(),
        SETTINGS,
        OPERATOR,
        partnership,
        start + timedelta(days=14),
        opened_at=start,
        imported=True,
    )
    counts = {s.value: [0, 0, 1, 2, 0] for s in Statement}
    health.set_tallies(world.uow(), OPERATOR, check.key, {"data": (3, counts)})
    return partnership, check.key


def open_health_check(world: World, role: str) -> Call:
    key = data_care_partnership(world)

    def rounds() -> int:
        return len(health.rounds_of(world.uow(), Settings(), OPERATOR, key))

    return Call(
        params={"key": key},
        json={"closes_at": (NOW + timedelta(days=14)).isoformat()},
        acted=lambda response: _equal(rounds(), 1),
        unchanged=lambda: _equal(rounds(), 0),
    )


def health_trend(world: World, role: str) -> Call:
    partnership, key = closed_round(world)

    def acted(response: httpx.Response) -> None:
        [row] = response.json()
        assert (row["health_check"], row["parties"][0]["shown"]) == (key, True)

    return Call(params={"key": partnership}, acted=acted)


def latest_health_checks(world: World, role: str) -> Call:
    _, key = closed_round(world)

    def acted(response: httpx.Response) -> None:
        # The results of a round are for its parties' members and admins only.
        seen = key in [row["health_check"] for row in response.json()["items"]]
        assert seen == (role in (*DATA_SIDE, "admin"))

    return Call(acted=acted)


def get_health_check(world: World, role: str) -> Call:
    key = open_round(world)
    return Call(params={"key": key}, acted=lambda r: _equal(r.json()["key"], key))


def answer_health_check(world: World, role: str) -> Call:
    key = open_round(world)
    scores = {s.value: 4 for s in Statement}
    return Call(
        params={"key": key},
        json=scores,
        acted=lambda response: _equal(responses_of(world, key), {"data": 1, "care": 0}),
        unchanged=lambda: _equal(responses_of(world, key), {"data": 0, "care": 0}),
    )


def health_results(world: World, role: str) -> Call:
    _, key = closed_round(world)

    def acted(response: httpx.Response) -> None:
        assert response.json()["published"] is True
        assert [p["shown"] for p in response.json()["parties"]] == [True, False]

    return Call(params={"key": key}, acted=acted)


# Stories.


def story_of_member(world: World) -> str:
    """A new story told by cy, the member role, about `signals`."""
    key = world.fresh("story")
    stories.create_story(
        world.uow(),
        world.people["member"],
        key=key,
        title=f"Story {key}",
        body="How we met",
        partnerships=["signals"],
    )
    return key


def story_gone(world: World, key: str) -> bool:
    return missing(lambda: stories.get_story(world.uow(), OPERATOR, key))


def list_stories(world: World, role: str) -> Call:
    key = story_of_member(world)
    return Call(acted=lambda response: _has(response.json()["items"], "key", key))


def search_everything(world: World, role: str) -> Call:
    key = story_of_member(world)
    return Call(
        query={"q": f"Story {key}"},
        acted=lambda response: _has(response.json()["items"], "key", key),
    )


def publish_story(world: World, role: str) -> Call:
    key = world.fresh("story")
    return Call(
        json={"key": key, "title": "Our kick-off", "body": "We met", "tags": ["rituals"]},
        acted=lambda response: _equal(story_gone(world, key), False),
        unchanged=lambda: _equal(story_gone(world, key), True),
    )


def story_tags(world: World, role: str) -> Call:
    key = world.fresh("story")
    stories.create_story(
        world.uow(), world.people["member"], key=key, title="t", body="b", tags=[key]
    )
    return Call(acted=lambda response: _has(response.json()["items"], "tag", key))


def get_story(world: World, role: str) -> Call:
    key = story_of_member(world)
    return Call(params={"key": key}, acted=lambda r: _equal(r.json()["key"], key))


def edit_story(world: World, role: str) -> Call:
    key = story_of_member(world)

    def title() -> str:
        return stories.get_story(world.uow(), OPERATOR, key).title

    return Call(
        params={"key": key},
        json={"title": "Retold"},
        acted=lambda response: _equal(title(), "Retold"),
        unchanged=lambda: _equal(title(), f"Story {key}"),
    )


def hide_story(world: World, role: str) -> Call:
    key = story_of_member(world)

    def hidden() -> bool:
        return stories.get_story(world.uow(), OPERATOR, key).hidden

    return Call(
        params={"key": key},
        json={"hidden": True, "hidden_reason": "Names a customer"},
        acted=lambda response: _equal(hidden(), True),
        unchanged=lambda: _equal(hidden(), False),
    )


def delete_story(world: World, role: str) -> Call:
    key = story_of_member(world)
    return Call(
        params={"key": key},
        acted=lambda response: _equal(story_gone(world, key), True),
        unchanged=lambda: _equal(story_gone(world, key), False),
    )


def replies_of(world: World, key: str) -> list[str]:
    return [r.body for r in stories.get_story(world.uow(), OPERATOR, key).replies]


def reply_to_story(world: World, role: str) -> Call:
    key = story_of_member(world)
    return Call(
        params={"key": key},
        json={"body": "Same for us"},
        acted=lambda response: _equal(replies_of(world, key), ["Same for us"]),
        unchanged=lambda: _equal(replies_of(world, key), []),
    )


def delete_reply(world: World, role: str) -> Call:
    # cy (the member role) replied to bo's story: the reply's author, not the story's.
    key = world.fresh("story")
    stories.create_story(world.uow(), world.people["requester_lead"], key=key, title="t", body="b")
    reply_id = stories.reply(world.uow(), world.people["member"], key, "Mine").id
    assert reply_id is not None
    return Call(
        params={"key": key, "reply_id": reply_id},
        acted=lambda response: _equal(replies_of(world, key), []),
        unchanged=lambda: _equal(replies_of(world, key), ["Mine"]),
    )


# Webhooks: a team's leads and admins; deliveries: admins.

HOOK_URL = "https://93.184.216.34/hook"  # a public address: no name to look up


def webhook_ids(world: World, slug: str) -> list[int]:
    return [hook.id for hook in notify.list_webhooks(world.uow(), OPERATOR, slug)]


def team_with_webhook(world: World) -> tuple[str, int]:
    """A new team like `data`, with a webhook an admin added: its slug, the webhook's id."""
    slug = data_like_team(world)
    made = notify.add_webhook(world.uow(), OPERATOR, SETTINGS, slug, url=HOOK_URL)
    return slug, made.webhook.id


def list_webhooks(world: World, role: str) -> Call:
    slug, hook = team_with_webhook(world)
    return Call(
        params={"slug": slug}, acted=lambda response: _has(response.json()["items"], "id", hook)
    )


def add_webhook(world: World, role: str) -> Call:
    slug = data_like_team(world)
    return Call(
        params={"slug": slug},
        json={"url": HOOK_URL, "format": "slack"},
        acted=lambda response: _equal(webhook_ids(world, slug), [response.json()["id"]]),
        unchanged=lambda: _equal(webhook_ids(world, slug), []),
    )


def remove_webhook(world: World, role: str) -> Call:
    slug, hook = team_with_webhook(world)
    return Call(
        params={"slug": slug, "webhook_id": hook},
        acted=lambda response: _equal(webhook_ids(world, slug), []),
        unchanged=lambda: _equal(webhook_ids(world, slug), [hook]),
    )


def pinged(world: World) -> tuple[int, str]:
    """A new delivery waiting in the outbox (a webhook's test message): its id and key."""
    slug, hook = team_with_webhook(world)
    key = notify.ping_webhook(world.uow(), OPERATOR, slug, hook)
    found = notify.list_deliveries(world.uow(), OPERATOR, limit=200)
    [delivery] = [d.row.id for d in found if d.row.key == key]
    return delivery, key


def list_deliveries(world: World, role: str) -> Call:
    _, key = pinged(world)
    return Call(acted=lambda response: _has(response.json()["items"], "key", key))


def retry_delivery(world: World, role: str) -> Call:
    delivery, _ = pinged(world)
    return Call(
        params={"delivery_id": delivery},
        acted=lambda response: _equal(response.json()["state"], "pending"),
    )


def _equal(actual: object, expected: object) -> None:
    assert actual == expected


def _has(items: list[dict[str, Any]], name: str, value: object) -> None:
    assert value in [item[name] for item in items]


V1 = "/api/v1"
MOVES = f"{V1}/commitments/{{key}}/moves"
READ = statuses(200, *SIGNED_IN)
TRUST_READERS = statuses(200, *DATA_SIDE, "admin")
TABLE = [
    # The only route without credentials: whoever calls it signs in (anonymous as ana).
    Row("POST", f"{V1}/auth/token", dict.fromkeys(ROLES, 201), sign_in),
    Row("GET", f"{V1}/me", READ, me),
    Row("GET", f"{V1}/me/tokens", READ, my_tokens),
    # A viewer reads through the API too, so it may make tokens of its own.
    Row("POST", f"{V1}/me/tokens", statuses(201, *SIGNED_IN), new_token),
    Row(
        "DELETE", f"{V1}/me/tokens/{{token_id}}", statuses(204, *SIGNED_IN), revoke_own_token, "own"
    ),
    # The path names my tokens: another's is not among them, and 404 does not say it exists.
    Row(
        "DELETE",
        f"{V1}/me/tokens/{{token_id}}",
        statuses(204, refused=404),
        revoke_anothers_token,
        "another's",
    ),
    Row("GET", f"{V1}/notifications", READ, my_notifications),
    Row(
        "POST",
        f"{V1}/notifications/read",
        statuses(200, *SIGNED_IN),
        read_notifications,
        logged=False,
    ),
    Row("GET", f"{V1}/me/notification-preferences", READ, my_preferences),
    Row(
        "PUT",
        f"{V1}/me/notification-preferences",
        statuses(200, *SIGNED_IN),
        choose_preferences,
    ),
    Row("POST", f"{V1}/me/feed-token", statuses(201, *SIGNED_IN), new_feed_token),
    Row("DELETE", f"{V1}/me/feed-token", statuses(204, *SIGNED_IN), revoke_feed_token),
    Row("GET", f"{V1}/teams", READ, list_teams),
    Row("POST", f"{V1}/teams", statuses(201, "admin"), create_team),
    Row("GET", f"{V1}/teams/{{slug}}", READ, get_team),
    Row("PATCH", f"{V1}/teams/{{slug}}", statuses(200, "lead", "admin"), edit_team),
    Row("POST", f"{V1}/teams/{{slug}}/members", statuses(200, "lead", "admin"), add_member),
    Row(
        "DELETE",
        f"{V1}/teams/{{slug}}/members/{{email}}",
        statuses(204, "lead", "admin"),
        remove_member,
    ),
    Row("GET", f"{V1}/people", READ, list_people),
    Row("POST", f"{V1}/people", statuses(201, "admin"), create_person),
    Row("GET", f"{V1}/people/{{email}}", READ, get_person),
    Row("PATCH", f"{V1}/people/{{email}}", statuses(200, "admin"), edit_person),
    Row("GET", f"{V1}/purposes", READ, list_purposes),
    Row("POST", f"{V1}/purposes", statuses(201, "outsider", *DATA_SIDE, "admin"), create_purpose),
    Row("GET", f"{V1}/purposes/{{key}}", READ, get_purpose),
    Row(
        "PATCH",
        f"{V1}/purposes/{{key}}",
        statuses(200, "outsider", *DATA_SIDE, "admin"),
        edit_purpose,
        "edit",
    ),
    Row(
        "PATCH",
        f"{V1}/purposes/{{key}}",
        statuses(200, "lead", "admin"),
        activate_purpose,
        "activate, ana sponsoring",
    ),
    Row(
        "POST",
        f"{V1}/purposes/{{key}}/measures",
        statuses(201, "outsider", *DATA_SIDE, "admin"),
        add_measure,
    ),
    # The sponsor (bo) or a lead of a partner team; admins are not named for measures.
    Row(
        "POST",
        f"{V1}/purposes/{{key}}/measures/{{name}}/updates",
        statuses(201, "lead"),
        update_measure,
    ),
    # Readable by all; each commitment's probability only by whoever may see its pair.
    Row("GET", f"{V1}/purposes/{{key}}/forecast", READ, purpose_forecast),
    Row("GET", f"{V1}/partnerships", READ, list_partnerships),
    Row("POST", f"{V1}/partnerships", statuses(201, "lead"), create_partnership),
    Row("GET", f"{V1}/partnerships/{{key}}", READ, get_partnership),
    Row("PATCH", f"{V1}/partnerships/{{key}}", statuses(200, "lead"), edit_charter),
    # No team joins on its own: a lead of a party invites, a lead of the invited team answers.
    Row("GET", f"{V1}/partnerships/{{key}}/invitations", READ, partnership_invitations),
    Row("POST", f"{V1}/partnerships/{{key}}/invitations", statuses(201, "lead"), invite),
    Row("GET", f"{V1}/invitations", READ, team_invitations),
    Row("GET", f"{V1}/invitations/{{invitation_id}}", READ, get_invitation),
    Row(
        "POST",
        f"{V1}/invitations/{{invitation_id}}/accept",
        statuses(200, "lead"),
        answer_invitation("accepted"),
    ),
    Row(
        "POST",
        f"{V1}/invitations/{{invitation_id}}/decline",
        statuses(200, "lead"),
        answer_invitation("declined"),
    ),
    Row(
        "POST",
        f"{V1}/invitations/{{invitation_id}}/withdraw",
        statuses(200, "lead"),
        withdraw_invitation,
    ),
    Row("DELETE", f"{V1}/partnerships/{{key}}/parties/{{team}}", statuses(200, "lead"), leave),
    Row(
        "PATCH",
        f"{V1}/partnerships/{{key}}/parties/{{team}}",
        statuses(200, "lead"),
        set_contribution("data"),
        "own party",
    ),
    # Each party states what it uniquely contributes (point 2 of DESIGN's opening list).
    Row(
        "PATCH",
        f"{V1}/partnerships/{{key}}/parties/{{team}}",
        statuses(200),
        set_contribution("care"),
        "the other party",
    ),
    Row("POST", f"{V1}/partnerships/{{key}}/affirm", statuses(200, "lead"), affirm),
    Row("GET", f"{V1}/commitments", READ, list_commitments),
    Row("GET", f"{V1}/commitments", READ, list_accepted, "accepted: its rating"),
    Row("POST", f"{V1}/commitments", statuses(201, *DATA_SIDE), request),
    Row("GET", f"{V1}/commitments/{{key}}", READ, get_commitment),
    Row("GET", f"{V1}/commitments/{{key}}", READ, get_accepted, "accepted: its rating"),
    *[
        Row("POST", MOVES, statuses(200, *DATA_SIDE), move_on(case), case.move.value)
        for case in RIGHT_SIDE_MOVES
    ],
    *[
        Row("POST", MOVES, statuses(200), move_on(case), f"{case.move.value}, wrong side")
        for case in WRONG_SIDE_MOVES
    ],
    Row("GET", f"{V1}/commitments/{{key}}/history", READ, commitment_history),
    Row("GET", f"{V1}/commitments/{{key}}/history", READ, accepted_history, "accepted: evidence"),
    Row("GET", f"{V1}/commitments/{{key}}/forecast", TRUST_READERS, commitment_forecast),
    Row("GET", f"{V1}/teams/{{slug}}/trust", TRUST_READERS, team_trust("data"), "own team"),
    # ana leads `data`, a partner of `care`; cy is only a member of it.
    Row(
        "GET",
        f"{V1}/teams/{{slug}}/trust",
        statuses(200, "lead", "admin"),
        team_trust("care"),
        "partner team",
    ),
    Row("GET", f"{V1}/teams/{{slug}}/trust", TRUST_READERS, team_trust("data", of="care"), "pair"),
    Row("GET", f"{V1}/teams/{{slug}}/partners", READ, partner_trust),
    # The commitments behind a pair's trust: exactly who may see the pair.
    Row("GET", f"{V1}/teams/{{slug}}/trust/evidence", TRUST_READERS, pair_evidence),
    # An aggregate over every finished commitment that names no team.
    Row("GET", f"{V1}/trust/backtest", READ, backtest),
    Row(
        "POST",
        f"{V1}/partnerships/{{key}}/health-checks",
        statuses(201, "lead"),
        open_health_check,
    ),
    # Health results and the trend: the members of the parties and admins (DESIGN "Who sees
    # trust"); the list of latest rounds answers everyone, with only the rounds they may see.
    Row("GET", f"{V1}/partnerships/{{key}}/health-checks", TRUST_READERS, health_trend),
    Row("GET", f"{V1}/health-checks", READ, latest_health_checks),
    Row("GET", f"{V1}/health-checks/{{key}}", READ, get_health_check),
    # Admins administer; they do not answer for a team they are not in.
    Row(
        "POST",
        f"{V1}/health-checks/{{key}}/answers",
        statuses(201, *DATA_SIDE),
        answer_health_check,
    ),
    Row("GET", f"{V1}/health-checks/{{key}}/results", TRUST_READERS, health_results),
    # Stories are no trust data: everyone reads; members write and reply (DESIGN §7).
    Row("GET", f"{V1}/stories", READ, list_stories),
    Row("POST", f"{V1}/stories", statuses(201, "outsider", *DATA_SIDE, "admin"), publish_story),
    Row("GET", f"{V1}/stories/tags", READ, story_tags),
    Row("GET", f"{V1}/stories/{{key}}", READ, get_story),
    # cy (the member role) told the story: its author or an admin edits and deletes it.
    Row("PATCH", f"{V1}/stories/{{key}}", statuses(200, "member", "admin"), edit_story, "edit"),
    Row("PATCH", f"{V1}/stories/{{key}}", statuses(200, "admin"), hide_story, "hide"),
    Row("DELETE", f"{V1}/stories/{{key}}", statuses(204, "member", "admin"), delete_story),
    Row(
        "POST",
        f"{V1}/stories/{{key}}/replies",
        statuses(201, "outsider", *DATA_SIDE, "admin"),
        reply_to_story,
    ),
    Row(
        "DELETE",
        f"{V1}/stories/{{key}}/replies/{{reply_id}}",
        statuses(204, "member", "admin"),
        delete_reply,
    ),
    # A team's integrations are administered: its leads and admins (DESIGN §7).
    Row("GET", f"{V1}/teams/{{slug}}/webhooks", statuses(200, "lead", "admin"), list_webhooks),
    Row("POST", f"{V1}/teams/{{slug}}/webhooks", statuses(201, "lead", "admin"), add_webhook),
    Row(
        "DELETE",
        f"{V1}/teams/{{slug}}/webhooks/{{webhook_id}}",
        statuses(204, "lead", "admin"),
        remove_webhook,
    ),
    Row("GET", f"{V1}/deliveries", statuses(200, "admin"), list_deliveries),
    Row("POST", f"{V1}/deliveries/{{delivery_id}}/retry", statuses(200, "admin"), retry_delivery),
    Row("GET", f"{V1}/search", READ, search_everything),
    Row("GET", f"{V1}/events", READ, list_events),
    Row("GET", f"{V1}/events", READ, accepted_events, "an accept's evidence"),
    Row("GET", f"{V1}/export", statuses(200, "admin"), export),
    Row("POST", f"{V1}/import", statuses(200, "admin"), import_document),
]


def test_every_route_has_a_row(world: World) -> None:
    """The live OpenAPI document and the table name the same routes under /api/v1."""
    document = world.clients["anonymous"].get("/api/openapi.json").json()
    live = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if path.startswith(f"{V1}/")
        for method in operations
        if method in HTTP_METHODS
    }
    table = {(row.method, row.path) for row in TABLE}
    assert sorted(live - table) == [], "routes without a row in TABLE"
    assert sorted(table - live) == [], "rows of TABLE for routes that do not exist"


def test_every_move_has_a_row() -> None:
    """Each move after the request is tried on a commitment where `data` may make it."""
    assert {case.move for case in RIGHT_SIDE_MOVES} == set(Move) - {Move.REQUEST}


def test_every_row_names_every_role() -> None:
    """No row leaves a role out, or names one the matrix does not have."""
    assert [row.name for row in TABLE if list(row.expect) != list(ROLES)] == []


@pytest.mark.parametrize(
    ("row", "role"),
    [pytest.param(row, role, id=f"{row.name}-{role}") for row in TABLE for role in ROLES],
)
def test_role_gets_the_status_of_the_table(world: World, row: Row, role: str) -> None:
    """The route answers the role as the table says; a refusal changes nothing."""
    call = row.prepare(world, role)
    url = row.path.format(**{name: quote(str(v), safe="@") for name, v in call.params.items()})
    mark = last_event_id(world.uow())
    response = world.clients[role].request(row.method, url, json=call.json, params=call.query)
    expected = row.expect[role]
    assert response.status_code == expected, f"{row.method} {url} as {role}: {response.text}"
    appended = last_event_id(world.uow()) > mark
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == expected
        assert problem["rule"]
        assert not appended, "a refused request appended an event"
        call.unchanged()
    else:
        # Every change appends an event; a read appends none.
        assert appended == (row.method != "GET" and row.logged)
        call.acted(response)
