"""Teams, people, memberships, and the questions of who may act."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import TypeGuard
from zoneinfo import available_timezones

from accord.errors import Forbidden, Invalid, RuleBroken
from accord.text import CONTROL


class TeamKind(StrEnum):
    TEAM = "team"
    DELIVERY_GROUP = "delivery_group"
    BUSINESS_UNIT = "business_unit"
    SHARED_SERVICE = "shared_service"


class MemberRole(StrEnum):
    LEAD = "lead"
    MEMBER = "member"


class GlobalRole(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


# What no text may hold: control characters but tab and line breaks (PostgreSQL refuses NUL, XML
# refuses the rest), lone surrogates, and the two non-characters U+FFFE and U+FFFF.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_slug(slug: str, what: str = "slug", *, field: str | None = None) -> str:
    if not SLUG.fullmatch(slug) or len(slug) > 63:
        raise Invalid(
            f"{what} {slug!r} must be 1-63 lowercase letters, digits and single hyphens",
            rule="slug.invalid",
            field=field,
        )
    return slug


def slugify(text: str, fallback: str = "item") -> str:
    """A url-safe key made from a title: 'Halve churn!' -> 'halve-churn'."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50].strip("-")
    return slug or fallback


def unique_key(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`… whichever is not taken."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def choose_key(key: str | None, title: str, what: str, keys_like: Callable[[str], set[str]]) -> str:
    """The key given, checked; or one made from the title that no other `what` has yet."""
    if key is None:
        base = slugify(title, what)[:40].strip("-") or what
        return unique_key(base, keys_like(base))
    return check_slug(key, f"{what} key", field="key")


def check_characters(value: str, what: str, *, field: str | None = None) -> str:
    """The text, unless it holds a character that no text may hold; then where it is."""
    found = CONTROL.search(value)
    if found is not None:
        raise Invalid(
            f"{what} holds the control character U+{ord(found.group()):04X} "
            f"at position {found.start() + 1}",
            rule="text.control_character",
            field=field,
        )
    return value


def check_text(
    value: str,
    what: str,
    *,
    max_length: int = 200,
    required: bool = True,
    field: str | None = None,
) -> str:
    """The text without surrounding white space; `what` names it in a refusal, `field` is the
    input it came in."""
    value = check_characters(value, what, field=field).strip()
    if required and not value:
        raise Invalid(f"{what} must not be empty", rule="text.empty", field=field)
    if len(value) > max_length:
        raise Invalid(
            f"{what} is longer than {max_length} characters", rule="text.too_long", field=field
        )
    return value


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zones of the system's tz database (or of the tzdata package)."""
    return frozenset(available_timezones() | {"UTC"})


def check_time_zone(name: str, *, field: str = "time_zone") -> str:
    """An IANA time zone name this server knows ('Europe/Paris')."""
    name = name.strip()
    if name not in time_zones():
        raise Invalid(
            f"{name[:64]!r} is not a time zone; choose one from the list",
            rule="person.time_zone_unknown",
            field=field,
        )
    return name


def normalize_email(email: str, *, field: str = "email") -> str:
    email = email.strip().lower()
    if not EMAIL.fullmatch(email) or len(email) > 320:
        raise Invalid(f"{email!r} is not an e-mail address", rule="email.invalid", field=field)
    return email


@dataclass(eq=False)
class Team:
    """A team, delivery group, business unit or shared service."""

    slug: str
    name: str
    kind: TeamKind = TeamKind.TEAM
    mission: str = ""
    parent: Team | None = None
    memberships: list[Membership] = field(default_factory=list, repr=False)
    id: int | None = None

    def set_parent(self, parent: Team | None) -> None:
        ancestor = parent
        while ancestor is not None:
            if ancestor is self:
                raise RuleBroken(
                    f"team {self.slug!r} cannot sit under {parent.slug if parent else ''!r}: "
                    "the tree would loop",
                    rule="team.parent_cycle",
                    field="parent",
                )
            ancestor = ancestor.parent
        self.parent = parent

    def leads(self) -> list[Person]:
        return [
            m.person for m in self.memberships if m.role == MemberRole.LEAD and m.left_at is None
        ]


@dataclass(eq=False)
class Person:
    """Someone who signs in; belongs to teams."""

    email: str
    name: str
    role: GlobalRole = GlobalRole.MEMBER
    password_hash: str | None = None
    active: bool = True
    memberships: list[Membership] = field(default_factory=list, repr=False)
    session_epoch: int = 0  # sessions signed with an older epoch are over
    time_zone: str | None = None  # an IANA zone the pages show and read times in; None is UTC
    id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == GlobalRole.ADMIN

    @property
    def current_memberships(self) -> list[Membership]:
        return [m for m in self.memberships if m.left_at is None]

    def membership(self, team: Team, *, former: bool = False) -> Membership | None:
        """The person's membership of `team`: the current one, or with `former` any."""
        for membership in self.memberships:
            if membership.team is team and (former or membership.left_at is None):
                return membership
        return None

    def is_member(self, team: Team) -> bool:
        return self.membership(team) is not None

    def is_lead(self, team: Team) -> bool:
        membership = self.membership(team)
        return membership is not None and membership.role == MemberRole.LEAD

    def teams(self) -> list[Team]:
        return [m.team for m in self.current_memberships]

    def join(self, team: Team, role: MemberRole = MemberRole.MEMBER) -> Membership:
        """Become a member of `team` (again), or change the role in it."""
        membership = self.membership(team, former=True)
        if membership is not None:
            membership.role = role
            membership.left_at = None
            return membership
        membership = Membership(person=self, team=team, role=role)
        # when mapped, creating the membership already files it on both sides
        for collection in (self.memberships, team.memberships):
            if not any(m is membership for m in collection):
                collection.append(membership)
        return membership

    def leave(self, team: Team, at: datetime) -> Membership | None:
        """Stop being a member of `team`; the membership is kept, ended, for the record."""
        membership = self.membership(team)
        if membership is not None:
            membership.left_at = at
        return membership


@dataclass(eq=False)
class Membership:
    person: Person
    team: Team
    role: MemberRole = MemberRole.MEMBER
    left_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class ApiToken:
    """A machine credential; only its hash is kept."""

    person: Person
    name: str
    token_hash: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    id: int | None = None

    def live(self, at: datetime) -> bool:
        """Whether the token lets its person in at `at`: not revoked, not expired, person active."""
        return self.revoked_at is None and at < self.expires_at and self.person.active


@dataclass(frozen=True)
class Operator:
    """Whoever runs the `accord` command on the server: administers, acts for no team."""

    label: str = "cli"


Actor = Person | Operator


def actor_name(actor: Actor) -> str:
    return actor.email if isinstance(actor, Person) else f"operator:{actor.label}"


def is_admin(actor: Actor) -> bool:
    return isinstance(actor, Operator) or actor.is_admin


def ensure_admin(actor: Actor, doing: str) -> None:
    if not is_admin(actor):
        raise Forbidden(f"only an admin may {doing}", rule="permission.admin_only")


def _writer(actor: Actor) -> Person | Forbidden:
    """The person who may change things for their teams, or why `actor` may not."""
    if isinstance(actor, Operator):
        return Forbidden(
            "this is done by a person for their team, not by the operator",
            rule="permission.person_only",
        )
    if actor.role == GlobalRole.VIEWER:
        return Forbidden(f"{actor.email} is a viewer and may only read", rule="permission.viewer")
    if not actor.active:
        return Forbidden(f"{actor.email} is deactivated", rule="permission.inactive")
    return actor


def may_write(actor: Actor) -> TypeGuard[Person]:
    """Whether `actor` may change things for their teams: an active person, not a viewer."""
    return isinstance(_writer(actor), Person)


def ensure_can_write(actor: Actor) -> Person:
    """A person who may change things for their teams (not a viewer, not the operator)."""
    writer = _writer(actor)
    if isinstance(writer, Forbidden):
        raise writer
    return writer


def may_lead(actor: Actor, team: Team) -> bool:
    """Whether `actor` may act as a lead of `team`: one of its leads, who may write."""
    return may_write(actor) and actor.is_lead(team)


def ensure_lead(actor: Actor, team: Team, doing: str) -> Person:
    person = ensure_can_write(actor)
    if not may_lead(person, team):
        raise Forbidden(
            f"only a lead of {team.name} may {doing}; {person.name} is not",
            rule="permission.lead_only",
        )
    return person


def may_lead_or_admin(actor: Actor, team: Team) -> bool:
    """Whether `actor` may change a team's name, mission and members: an admin, or one of its
    leads (DESIGN §7)."""
    return is_admin(actor) or may_lead(actor, team)


def ensure_lead_or_admin(actor: Actor, team: Team, doing: str) -> None:
    if not may_lead_or_admin(actor, team):
        ensure_lead(actor, team, doing)  # refuses, saying why
