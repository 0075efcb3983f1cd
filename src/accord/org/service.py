"""Use cases of the organization: teams, people, memberships, credentials.

Longer than most modules on purpose: each use case is short, and they share the context's
checks, lookups and credential rules.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from accord.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    NotSignedIn,
    RuleBroken,
    TooManyRequests,
    about,
    choice,
)
from accord.events.catalog import (
    MembershipRemoved,
    MembershipSet,
    PasswordSet,
    PersonCreated,
    PersonUpdated,
    SignedOut,
    SignInSlowed,
    TeamCreated,
    TeamUpdated,
    TokenCreated,
    TokenRevoked,
)
from accord.org.domain import (
    Actor,
    ApiToken,
    GlobalRole,
    MemberRole,
    Membership,
    Person,
    Team,
    TeamKind,
    actor_name,
    check_slug,
    check_text,
    check_time_zone,
    ensure_admin,
    ensure_lead_or_admin,
    may_lead_or_admin,
    normalize_email,
)
from accord.uow import UnitOfWork

_hasher = PasswordHasher()
MIN_PASSWORD = 8
# Guessing is slowed per account and per address: this many failures in the window, then a wait.
SIGN_IN_MINUTES = 15
SIGN_IN_WINDOW = timedelta(minutes=SIGN_IN_MINUTES)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 30
TOKEN_DAYS = 90  # how long a new API token lives unless ACCORD_TOKEN_DAYS says otherwise
_UNSET = object()


def _team_event(
    event: type[TeamCreated | TeamUpdated], team: Team, actor: Actor, at: datetime
) -> TeamCreated | TeamUpdated:
    return event(
        team=team.slug,
        actor=actor_name(actor),
        at=at,
        name=team.name,
        kind=team.kind.value,
        mission=team.mission,
        parent=team.parent.slug if team.parent else None,
    )


def create_team(
    uow: UnitOfWork,
    actor: Actor,
    *,
    slug: str,
    name: str,
    kind: TeamKind | str = TeamKind.TEAM,
    mission: str = "",
    parent: str | None = None,
) -> Team:
    """Create a team (admins only)."""
    with uow:
        actor = uow.bind(actor)
        ensure_admin(actor, "create teams")
        check_slug(slug, "team slug", field="slug")
        if uow.org.find_team(slug) is not None:
            raise Conflict(f"team {slug!r} already exists", rule="team.exists", field="slug")
        team = Team(
            slug=slug,
            name=check_text(name, "team name", field="name"),
            kind=_kind(kind),
            mission=check_text(
                mission, "mission", max_length=2000, required=False, field="mission"
            ),
        )
        if parent is not None:
            with about("parent"):
                team.set_parent(uow.org.team(parent))
        uow.org.add(team)
        uow.record(_team_event(TeamCreated, team, actor, uow.now()))
        uow.commit()
        return team


def update_team(
    uow: UnitOfWork,
    actor: Actor,
    slug: str,
    *,
    name: str | None = None,
    mission: str | None = None,
    kind: TeamKind | str | None = None,
    parent: str | object | None = _UNSET,
) -> Team:
    """Change a team's name or mission (its leads, an admin); kind and parent (an admin)."""
    with uow:
        actor = uow.bind(actor)
        team = uow.org.team(slug)
        ensure_lead_or_admin(actor, team, "edit the team")
        if kind is not None or parent is not _UNSET:
            ensure_admin(actor, "move a team in the tree or change its kind")
        if name is not None:
            team.name = check_text(name, "team name", field="name")
        if mission is not None:
            team.mission = check_text(
                mission, "mission", max_length=2000, required=False, field="mission"
            )
        if kind is not None:
            team.kind = _kind(kind)
        if parent is not _UNSET:
            with about("parent"):
                team.set_parent(uow.org.team(parent) if isinstance(parent, str) else None)
        uow.record(_team_event(TeamUpdated, team, actor, uow.now()))
        uow.commit()
        return team


def create_person(
    uow: UnitOfWork,
    actor: Actor,
    *,
    email: str,
    name: str,
    role: GlobalRole | str = GlobalRole.MEMBER,
    password: str | None = None,
) -> Person:
    """Create a person who can sign in (admins only)."""
    with uow:
        actor = uow.bind(actor)
        ensure_admin(actor, "create people")
        email = normalize_email(email)
        if uow.org.find_person(email) is not None:
            raise Conflict(f"person {email!r} already exists", rule="person.exists", field="email")
        person = Person(email=email, name=check_text(name, "name", field="name"), role=_role(role))
        if password is not None:
            person.password_hash = hash_password(password)
        uow.org.add(person)
        uow.record(
            PersonCreated(
                person=email,
                actor=actor_name(actor),
                at=uow.now(),
                name=person.name,
                role=person.role.value,
            )
        )
        uow.commit()
        return person


def update_person(
    uow: UnitOfWork,
    actor: Actor,
    email: str,
    *,
    name: str | None = None,
    role: GlobalRole | str | None = None,
    active: bool | None = None,
) -> Person:
    """Change a person's name, global role or whether they may sign in (admins only).

    Deactivating a person ends their sessions and revokes their API tokens for good: a person
    reactivated later signs in again and makes new tokens."""
    with uow:
        actor = uow.bind(actor)
        ensure_admin(actor, "edit people")
        person = uow.org.person(email)
        demoted = role is not None and _role(role) != GlobalRole.ADMIN
        if person is actor and (active is False or demoted):
            raise RuleBroken(
                f"{person.email} cannot deactivate themself or give up the admin role; "
                "another admin can",
                rule="person.self_lockout",
                field="active" if active is False else "role",
            )
        if name is not None:
            person.name = check_text(name, "name", field="name")
        if role is not None:
            person.role = _role(role)
        revoked: list[str] = []
        if active is False and person.active:
            # leaving ends every way in: reactivating the person later revives none of them
            person.session_epoch += 1
            for token in uow.org.tokens_of(person):
                if token.revoked_at is None:
                    token.revoked_at = uow.now()
                    revoked.append(token.name)
        if active is not None:
            person.active = active
        uow.record(
            PersonUpdated(
                person=person.email,
                actor=actor_name(actor),
                at=uow.now(),
                name=person.name,
                role=person.role.value,
                active=person.active,
                tokens_revoked=revoked,
            )
        )
        uow.commit()
        return person


def set_membership(
    uow: UnitOfWork, actor: Actor, team_slug: str, email: str, role: MemberRole | str
) -> Membership:
    """Add a person to a team or change their role in it (the team's leads or an admin)."""
    with uow:
        actor = uow.bind(actor)
        team = uow.org.team(team_slug)
        ensure_lead_or_admin(actor, team, "change its members")
        with about("email"):
            person = uow.org.person(email)
        member_role = _member_role(role)
        membership = person.join(team, member_role)
        uow.record(
            MembershipSet(
                team=team.slug,
                actor=actor_name(actor),
                at=uow.now(),
                person=person.email,
                role=member_role.value,
            )
        )
        uow.commit()
        return membership


def remove_membership(
    uow: UnitOfWork, actor: Actor, team_slug: str, email: str, *, at: datetime | None = None
) -> None:
    """Take a person out of a team (the team's leads or an admin)."""
    with uow:
        actor = uow.bind(actor)
        team = uow.org.team(team_slug)
        ensure_lead_or_admin(actor, team, "change its members")
        with about("email"):
            person = uow.org.person(email)
        when = at or uow.now()
        if person.leave(team, when) is None:
            raise NotFound(
                f"{person.name} is not in {team.name}",
                rule="membership.not_found",
                field="email",
            )
        uow.record(
            MembershipRemoved(team=team.slug, actor=actor_name(actor), at=when, person=person.email)
        )
        uow.commit()


def set_password(uow: UnitOfWork, actor: Actor, email: str, password: str) -> None:
    """Set a person's password (the person themself or an admin)."""
    set_passwords(uow, actor, [email], password)


def set_passwords(uow: UnitOfWork, actor: Actor, emails: Sequence[str], password: str) -> None:
    """Give people one password in one change (each person themself, or an admin for anyone)."""
    with uow:
        actor = uow.bind(actor)
        people = [uow.org.person(email) for email in emails]
        if not (isinstance(actor, Person) and all(person is actor for person in people)):
            ensure_admin(actor, "set another person's password")
        password_hash = hash_password(password)
        for person in people:
            person.password_hash = password_hash
            person.session_epoch += 1  # a new password ends every open session
            uow.record(PasswordSet(person=person.email, actor=actor_name(actor), at=uow.now()))
        uow.commit()


def end_sessions(uow: UnitOfWork, actor: Actor) -> int | None:
    """Sign a person out everywhere: every session cookie given to them so far stops working.
    The new session epoch is returned, to sign the one session the person keeps, if any."""
    with uow:
        person = uow.bind(actor)
        if not isinstance(person, Person):
            return None
        person.session_epoch += 1
        uow.record(SignedOut(person=person.email, actor=person.email, at=uow.now()))
        uow.commit()
        return person.session_epoch


def update_profile(
    uow: UnitOfWork, actor: Actor, *, name: str | None = None, time_zone: str | None = None
) -> Person:
    """Change one's own name, or the time zone one's pages show and read times in."""
    with uow:
        person = _self(uow, actor)
        if name is not None:
            person.name = check_text(name, "name", field="name")
        if time_zone is not None:
            person.time_zone = check_time_zone(time_zone)
        uow.record(
            PersonUpdated(
                person=person.email,
                actor=person.email,
                at=uow.now(),
                name=person.name,
                role=person.role.value,
                active=person.active,
                time_zone=person.time_zone if time_zone is not None else None,
            )
        )
        uow.commit()
        return person


def change_password(
    uow: UnitOfWork, actor: Actor, current: str, password: str, address: str
) -> int:
    """Change one's own password, given the current one (checked as a sign-in is, so guessing
    it is slowed the same way). Every session ends; the new session epoch is returned, to sign
    the one session the person keeps."""
    if not isinstance(actor, Person):
        raise Forbidden("the operator has no password", rule="permission.person_only")
    try:
        sign_in(uow, actor.email, current, address)
    except NotSignedIn:
        raise Invalid(
            "the current password is not right",
            rule="password.wrong",
            field="current_password",
        ) from None
    with uow:
        person = _self(uow, actor)
        person.password_hash = hash_password(password)
        person.session_epoch += 1
        uow.record(PasswordSet(person=person.email, actor=person.email, at=uow.now()))
        uow.commit()
        return person.session_epoch


def _self(uow: UnitOfWork, actor: Actor) -> Person:
    """The actor as a person in this unit of work; the operator has no profile."""
    person = uow.bind(actor)
    if not isinstance(person, Person):
        raise Forbidden("the operator has no profile", rule="permission.person_only")
    return person


def create_token(
    uow: UnitOfWork,
    actor: Actor,
    email: str,
    name: str = "api",
    *,
    days: int = TOKEN_DAYS,
    longest: int = TOKEN_DAYS,
) -> str:
    """Make an API token for a person; only its secret, shown once (see `issue_token`)."""
    return issue_token(uow, actor, email, name, days=days, longest=longest)[0]


def issue_token(
    uow: UnitOfWork,
    actor: Actor,
    email: str,
    name: str = "api",
    *,
    days: int = TOKEN_DAYS,
    longest: int = TOKEN_DAYS,
) -> tuple[str, ApiToken]:
    """Make an API token for a person, living `days` days (1 to `longest`): its secret, returned
    once (only its hash is kept), and the token."""
    if not 1 <= days <= longest:
        raise Invalid(
            f"a token lives from 1 to {longest} days, not {days}",
            rule="token.lifetime",
            field="expires_in_days",
        )
    with uow:
        actor = uow.bind(actor)
        person = uow.org.person(email)
        if not (isinstance(actor, Person) and actor is person):
            ensure_admin(actor, "create tokens for another person")
        secret = "acc_" + secrets.token_urlsafe(32)
        token = ApiToken(
            person=person,
            name=check_text(name, "token name", max_length=100, field="name"),
            token_hash=token_hash(secret),
            created_at=uow.now(),
            expires_at=uow.now() + timedelta(days=days),
        )
        uow.org.add(token)
        uow.record(
            TokenCreated(
                person=person.email,
                actor=actor_name(actor),
                at=uow.now(),
                name=token.name,
                expires_at=token.expires_at.isoformat(),
            )
        )
        uow.commit()
        return secret, token


def authenticate_password(uow: UnitOfWork, email: str, password: str) -> Person | None:
    """The person with this e-mail and password, if both are right and the person is active."""
    with uow:
        return _verified(uow, email, password)


def _verified(uow: UnitOfWork, email: str, password: str) -> Person | None:
    person = uow.org.find_person(email)
    if person is None or person.password_hash is None or not person.active:
        _hasher.hash(password)  # equal time whether or not the account exists
        return None
    try:
        _hasher.verify(person.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return person


def sign_in(uow: UnitOfWork, email: str, password: str, address: str) -> Person:
    """Check a password sign-in, counting failures per account and per address.

    From MAX_FAILURES_PER_ACCOUNT failures of one account within SIGN_IN_WINDOW, each attempt
    waits `account_delay` after the latest failure (1 s, then twice as long each time, at most
    the window), refused unchecked meanwhile: guessing slows to a crawl, but a few wrong guesses
    by anyone keep the person out for seconds, not a quarter of an hour. The person is told
    (a `person.sign_in_slowed` event, for the notifications). After MAX_FAILURES_PER_ADDRESS
    failures from one address, every attempt from it is refused until the oldest failure leaves
    the window. A success clears the account's failures.
    """
    account = email.strip().lower()[:320]
    address = address[:64]
    with uow:
        uow.org.hold_sign_in(account, address)  # count, check and count again as one step
        now = uow.now()
        since = now - SIGN_IN_WINDOW
        by_account, by_address = uow.org.sign_in_failures(account, address, since)
        if by_address >= MAX_FAILURES_PER_ADDRESS:
            oldest = uow.org.oldest_failure(account, address, since) or now
            _too_many(oldest + SIGN_IN_WINDOW - now)
        if by_account >= MAX_FAILURES_PER_ACCOUNT:
            latest = uow.org.latest_failure(account, since) or now
            wait = latest + account_delay(by_account) - now
            if wait > timedelta(0):
                _too_many(wait)
        person = _verified(uow, account, password)
        if person is None:
            uow.org.forget_sign_in_failures(before=since)
            uow.org.add_sign_in_failure(account, address, now)
            known = uow.org.find_person(account)
            if by_account + 1 == MAX_FAILURES_PER_ACCOUNT and known is not None:
                uow.record(
                    SignInSlowed(
                        person=known.email,
                        actor=None,
                        at=now,
                        failures=by_account + 1,
                        window_minutes=SIGN_IN_MINUTES,
                    )
                )
            uow.commit()
            raise NotSignedIn("e-mail or password is not right", rule="auth.bad_credentials")
        if by_account:
            uow.org.forget_sign_in_failures(account=account, before=since)
            uow.commit()
        return person


def account_delay(failures: int) -> timedelta:
    """How long an account's next sign-in waits after its latest failure, once it has
    `failures` (at least MAX_FAILURES_PER_ACCOUNT) within the window."""
    exponent = min(failures - MAX_FAILURES_PER_ACCOUNT, 20)
    return min(timedelta(seconds=2**exponent), SIGN_IN_WINDOW)


def _too_many(wait: timedelta) -> NoReturn:
    seconds = max(1, math.ceil(wait.total_seconds()))
    raise TooManyRequests(
        f"too many failed sign-ins; try again in {seconds} seconds",
        retry_after=seconds,
        rule="auth.too_many_attempts",
    )


def list_tokens(uow: UnitOfWork, actor: Actor) -> Sequence[ApiToken]:
    """The API tokens of the signed-in person, live and revoked, oldest first."""
    with uow:
        person = uow.bind(actor)
        if not isinstance(person, Person):
            return []
        return uow.org.tokens_of(person)


def revoke_token(uow: UnitOfWork, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of one's own API tokens; it stops working at once."""
    with uow:
        person = uow.bind(actor)
        if not isinstance(person, Person):
            raise NotFound("the operator has no API tokens", rule="token.not_found")
        token = uow.org.token(person, token_id)
        if token.revoked_at is None:
            token.revoked_at = uow.now()
            uow.record(
                TokenRevoked(
                    person=person.email,
                    actor=person.email,
                    at=uow.now(),
                    name=token.name,
                    id=token.id,
                )
            )
            uow.commit()
        return token


def authenticate_token(uow: UnitOfWork, secret: str, *, teams: bool = False) -> Person | None:
    """The active person a live API token belongs to; with `teams`, loaded with their teams, as
    the use cases that act in the same unit of work need them."""
    with uow:
        token = uow.org.token_by_hash(token_hash(secret), teams=teams)
        if token is None or not token.live(uow.now()):
            return None
        return token.person


def list_teams(
    uow: UnitOfWork, *, after: str | None = None, limit: int | None = None
) -> Sequence[Team]:
    """Teams by slug (all, or the page after `after`)."""
    with uow:
        return uow.org.teams(after=after, limit=limit)


def team_names(uow: UnitOfWork) -> dict[str, str]:
    """Every team's name by its slug: for pages that name teams and need nothing else of them."""
    with uow:
        return uow.org.team_names()


def count_teams(uow: UnitOfWork) -> int:
    with uow:
        return uow.org.team_count()


def child_teams(uow: UnitOfWork, slug: str) -> Sequence[Team]:
    """The teams right under the team `slug`."""
    with uow:
        return uow.org.children(uow.org.team(slug, members=False))


def get_team(uow: UnitOfWork, slug: str) -> Team:
    """One team."""
    with uow:
        return uow.org.team(slug)


@dataclass(frozen=True)
class TeamView:
    """A team with what a reader may do with it (DESIGN §7)."""

    team: Team
    may_edit: bool  # its name, mission and members


def team_view(uow: UnitOfWork, reader: Actor, slug: str) -> TeamView:
    """One team, with whether `reader` may edit it."""
    with uow:
        reader = uow.bind(reader)
        team = uow.org.team(slug)
        return TeamView(team, may_lead_or_admin(reader, team))


def list_people(
    uow: UnitOfWork, *, after: str | None = None, limit: int | None = None
) -> Sequence[Person]:
    """People by e-mail (all, or the page after `after`)."""
    with uow:
        return uow.org.people(after=after, limit=limit)


def get_person(uow: UnitOfWork, email: str) -> Person:
    """One person."""
    with uow:
        return uow.org.person(email)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            f"a password needs at least {MIN_PASSWORD} characters",
            rule="password.too_short",
            field="password",
        )
    return _hasher.hash(password)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _kind(kind: TeamKind | str) -> TeamKind:
    return choice(TeamKind, kind, "team kind", field="kind")


def _role(role: GlobalRole | str) -> GlobalRole:
    return choice(GlobalRole, role, "role", field="role")


def _member_role(role: MemberRole | str) -> MemberRole:
    return choice(MemberRole, role, "team role", field="role")


def person_by_id(uow: UnitOfWork, person_id: int) -> Person | None:
    """An active person by internal id (sessions carry it), or None."""
    with uow:
        person = uow.session.get(Person, person_id)
        return person if person is not None and person.active else None
