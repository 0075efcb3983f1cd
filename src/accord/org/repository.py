"""Queries for teams, people and tokens; never commits."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, literal, select, text
from sqlalchemy.orm import Session, defaultload, joinedload, lazyload

from accord.db import DirectRead, KeyCache
from accord.errors import NotFound
from accord.org.domain import ApiToken, GlobalRole, MemberRole, Membership, Person, Team
from accord.org.orm import (
    api_tokens_table,
    memberships_table,
    people_table,
    sign_in_failures_table,
    teams_table,
)
from accord.partnerships.orm import parties_table
from accord.text import CONTROL
from accord.trust.orm import trust_state_table

# E-mails `stored_emails` reads a statement (they are its parameters).
_EMAILS_A_QUERY = 5_000

failures = sign_in_failures_table.c


# Loader options are built once, on first use (the mappers are all configured by then):
# they are immutable, and building them costs about as much as a small query.
@functools.cache
def _person_with_teams() -> list[Any]:
    # One query: the memberships joined to the person, each with its team (and the team's
    # parents); a membership's person is the one loaded, found without a query.
    memberships = joinedload(Person.memberships)  # type: ignore[arg-type]
    return [
        memberships.joinedload(Membership.team).lazyload(Team.memberships),  # type: ignore[misc, arg-type]
        memberships.lazyload(Membership.person),  # type: ignore[misc, arg-type]
    ]


@functools.cache
def _team_alone() -> tuple[Any, ...]:
    """A team's and its parents' members load only when asked for: the parents come joined
    (up to three levels), and each one's members would otherwise take a query of their own."""
    options: list[Any] = [lazyload(Team.memberships)]  # type: ignore[arg-type]
    parent = defaultload(Team.parent)  # type: ignore[arg-type]
    for _ in range(3):
        options.append(parent.lazyload(Team.memberships))  # type: ignore[arg-type]
        parent = parent.defaultload(Team.parent)  # type: ignore[arg-type]
    return tuple(options)


# The queries every request makes are built once, with parameters: building one (and its
# cache key) costs about as much as running it.
@functools.cache
def _token_query(teams: bool) -> Any:
    person = defaultload(ApiToken.person)  # type: ignore[misc, arg-type]
    if teams:
        # Four entities (token, person, membership, team), not seven: the teams' parents, which
        # no check reads, load only when asked for (ORM row handlers are built on every run).
        memberships = person.joinedload(Person.memberships)  # type: ignore[arg-type]
        team = memberships.joinedload(Membership.team)  # type: ignore[misc, arg-type]
        options = [
            team.lazyload(Team.memberships),  # type: ignore[arg-type]
            team.lazyload(Team.parent),  # type: ignore[arg-type]
            memberships.lazyload(Membership.person),  # type: ignore[misc, arg-type]
        ]
    else:
        options = [person.raiseload(Person.memberships)]  # type: ignore[arg-type]
    return (
        select(ApiToken).where(api_tokens_table.c.token_hash == bindparam("hash")).options(*options)
    )


@dataclass(frozen=True)
class TokenGrant:
    """What a request made with an API token may see, read in one query without mapped objects:
    the token's validity, its owner's role and current teams (by slug), and the stored trust
    sums' version (`TrustAnswers` serves a kept answer only at the version it was made at)."""

    person_id: int
    role: GlobalRole
    active: bool
    expires_at: datetime
    revoked_at: datetime | None
    teams: frozenset[str]
    trust_version: int
    trust_built: bool
    # whether the owner leads a team in a partnership with the team asked about
    leads_a_partner: bool = False

    def live(self, at: datetime) -> bool:
        """As `ApiToken.live`: not revoked, not expired, its owner active."""
        return self.revoked_at is None and at < self.expires_at and self.active


@functools.cache
def _grant_query() -> Any:
    t, p, m = api_tokens_table.c, people_table.c, memberships_table.c
    team, state = teams_table.c, trust_state_table.c
    # as `trust.visibility`: a party of the team's partnerships (any) whose team the owner leads
    asked, other, led = parties_table.alias(), parties_table.alias(), memberships_table.alias()
    asked_team = teams_table.alias()
    leads_a_partner = (
        select(literal(1))
        .select_from(
            asked.join(asked_team, asked_team.c.id == asked.c.team_id)
            .join(other, other.c.partnership_id == asked.c.partnership_id)
            .join(led, led.c.team_id == other.c.team_id)
        )
        .where(
            asked_team.c.slug == bindparam("team"),
            led.c.person_id == p.id,
            led.c.left_at.is_(None),
            led.c.role == MemberRole.LEAD,
        )
        .exists()
    )
    joined = (
        api_tokens_table.join(people_table, p.id == t.person_id)
        .join(trust_state_table, state.id == 1)
        .outerjoin(memberships_table, and_(m.person_id == p.id, m.left_at.is_(None)))
        .outerjoin(teams_table, team.id == m.team_id)
    )
    return (
        select(
            t.expires_at,
            t.revoked_at,
            p.id,
            p.role,
            p.active,
            state.version,
            state.built,
            team.slug,
            leads_a_partner.label("leads_a_partner"),
        )
        .select_from(joined)
        .where(t.token_hash == bindparam("hash"))
    )


def token_grant(connection: Connection | Session, token_hash: str, team: str) -> TokenGrant | None:
    """The token of this hash as a `TokenGrant` for a read of `team` (one row per current team
    of its owner), or None for no such token. One statement, so it needs no transaction of its
    own: a connection will do (`TrustAnswers` asks it without a unit of work)."""
    rows = connection.execute(_grant_query(), {"hash": token_hash, "team": team}).all()
    return _grant(rows) if rows else None


def _grant(rows: Sequence[Any]) -> TokenGrant:
    """The `TokenGrant` of a grant query's rows (one per current team of the token's owner)."""
    first = rows[0]
    return TokenGrant(
        person_id=first.id,
        role=first.role,
        active=bool(first.active),
        expires_at=first.expires_at,
        revoked_at=first.revoked_at,
        teams=frozenset(row.slug for row in rows if row.slug is not None),
        trust_version=int(first.version),
        trust_built=bool(first.built),
        leads_a_partner=bool(first.leads_a_partner),
    )


@dataclass(frozen=True)
class ReadGrant:
    """`token_grant` for a read of `team` (as `of` sees it), with the ids of the two teams (None
    for no such team) and the stored trust sums' bookkeeping row: all a read of a team's present
    trust asks before its sums, in one statement (`trust.service.present_trust`)."""

    grant: TokenGrant
    team_id: int | None
    of_id: int | None
    state: Any  # the row of `trust_state`, its columns as they are named there


@functools.cache
def _read_grant_query() -> Any:
    ids = [
        select(team.c.id)
        .where(team.c.slug == bindparam(name))
        .scalar_subquery()
        .label(f"{name}_id")
        for name, team in (("team", teams_table.alias()), ("of", teams_table.alias()))
    ]
    state = [column.label(f"state_{column.name}") for column in trust_state_table.c]
    return _grant_query().add_columns(*ids, *state)


def read_grant(
    connection: Connection | Session, token_hash: str, team: str, of: str | None
) -> ReadGrant | None:
    """The token of this hash for a read of `team` (as `of` sees it), as `ReadGrant` says; None
    for no such token. One statement, straight on the driver (`DirectRead`)."""
    read = _read_grant()
    rows = read.rows(connection, {"hash": token_hash, "team": team, "of": of})
    if not rows:
        return None
    first = rows[0]
    state = dict(zip(_STATE_NAMES, first[len(read.names) - len(_STATE_NAMES) :], strict=True))
    return ReadGrant(_grant(rows), first.team_id, first.of_id, state)


# the columns of `trust_state`, the last of `_read_grant_query`'s
_STATE_NAMES = tuple(column.name for column in trust_state_table.c)


@functools.cache
def _read_grant() -> DirectRead:
    return DirectRead(_read_grant_query())


@functools.cache
def _team_query(members: bool) -> Any:
    query = select(Team).where(teams_table.c.slug == bindparam("slug"))
    return query if members else query.options(*_team_alone())


@functools.cache
def _bare_team_query() -> Any:
    """A team's own row alone: its parents and members load only when asked for (a read that
    needs its id and slug, and compares it with the reader's teams by identity, needs no more;
    building three joined parents costs more than the query)."""
    options = (lazyload(Team.memberships), lazyload(Team.parent))  # type: ignore[arg-type]
    return select(Team).where(teams_table.c.slug == bindparam("slug")).options(*options)


class OrgRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._teams = KeyCache[Team](session)
        self._people = KeyCache[Person](session)

    def add(self, item: Team | Person | ApiToken) -> None:
        self.session.add(item)

    def find_team(self, slug: str, *, members: bool = True) -> Team | None:
        """The team; without `members` its members load only when asked for (a cheaper read)."""
        query = _team_query(members)
        return self._teams.find(slug, lambda: self.session.scalars(query, {"slug": slug}).first())

    def team(self, slug: str, *, members: bool = True) -> Team:
        team = self.find_team(slug, members=members)
        if team is None:
            raise NotFound(f"no team {slug!r}", rule="team.not_found")
        return team

    def bare_team(self, slug: str) -> Team:
        """The team with neither its parents nor its members loaded: they load when asked for,
        in this session only (a use case that hands the team on past its session uses `team`).
        Not remembered for the session's later `team` look-ups, which load the parents."""
        known = None if CONTROL.search(slug) else self._teams.find(slug, lambda: None)
        if known is None and not CONTROL.search(slug):
            known = self.session.scalars(_bare_team_query(), {"slug": slug}).first()
        if known is None:
            raise NotFound(f"no team {slug!r}", rule="team.not_found")
        return known

    def teams(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        ids: Collection[int] | None = None,
        members: bool = True,
    ) -> Sequence[Team]:
        """Teams by slug; `after` and `limit` give one page, `ids` only those teams; without
        `members` their members load only when asked for (a cheaper read)."""
        query = select(Team).order_by(teams_table.c.slug)
        if after is not None:
            query = query.where(teams_table.c.slug > after)
        if ids is not None:
            query = query.where(teams_table.c.id.in_(list(ids)))
        if not members:
            query = query.options(*_team_alone())
        return self.session.scalars(query.limit(limit)).unique().all()

    def team_names(self) -> dict[str, str]:
        """Every team's name by its slug, in one two-column query (no team is loaded)."""
        rows = self.session.execute(
            select(teams_table.c.slug, teams_table.c.name).order_by(teams_table.c.slug)
        )
        return {str(slug): str(name) for slug, name in rows}

    def team_count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(teams_table)) or 0)

    def children(self, team: Team) -> Sequence[Team]:
        """The teams right under `team`, without their members."""
        query = select(Team).where(teams_table.c.parent_id == team.id).options(*_team_alone())
        return self.session.scalars(query).all()

    def find_person(self, email: str) -> Person | None:
        email = email.strip().lower()
        return self._people.find(
            email,
            lambda: self.session.scalars(
                select(Person).where(people_table.c.email == email)
            ).first(),
        )

    def stored_emails(self, emails: Iterable[str]) -> set[str]:
        """Those of `emails` (lower case, as stored) a person is stored under, read together (a
        few thousand a statement); one holding a control character is none (`find_person`)."""
        asked = sorted({email for email in emails if not CONTROL.search(email)})
        stored: set[str] = set()
        for start in range(0, len(asked), _EMAILS_A_QUERY):
            some = asked[start : start + _EMAILS_A_QUERY]
            stored.update(
                self.session.scalars(
                    select(people_table.c.email).where(people_table.c.email.in_(some))
                )
            )
        return stored

    def person(self, email: str) -> Person:
        person = self.find_person(email)
        if person is None:
            raise NotFound(f"no person {email!r}", rule="person.not_found")
        return person

    def person_by_id(self, person_id: int | None) -> Person:
        """The person with their memberships and teams (the teams' own members load on demand:
        loading them eagerly would pull in every member of every team of the person)."""
        person = (
            self.session.get(
                Person,
                person_id,
                options=_person_with_teams(),
            )
            if person_id is not None
            else None
        )
        if person is None:
            raise NotFound("the signed-in person no longer exists", rule="person.not_found")
        return person

    def people(self, *, after: str | None = None, limit: int | None = None) -> Sequence[Person]:
        """People by e-mail; `after` and `limit` give one page."""
        query = select(Person).order_by(people_table.c.email)
        if after is not None:
            query = query.where(people_table.c.email > after)
        return self.session.scalars(query.limit(limit)).all()

    def tokens_of(self, person: Person) -> Sequence[ApiToken]:
        return self.session.scalars(
            select(ApiToken)
            .where(api_tokens_table.c.person_id == person.id)
            .order_by(api_tokens_table.c.id)
        ).all()

    def token(self, person: Person, token_id: int) -> ApiToken:
        token = self.session.scalars(
            select(ApiToken).where(
                api_tokens_table.c.id == token_id, api_tokens_table.c.person_id == person.id
            )
        ).first()
        if token is None:
            raise NotFound(f"{person.email} has no token {token_id}", rule="token.not_found")
        return token

    def sign_in_failures(self, account: str, address: str, since: datetime) -> tuple[int, int]:
        """Failed sign-ins since `since`: of this account, and from this address."""

        def count(*where: Any) -> int:
            query = select(func.count()).select_from(sign_in_failures_table).where(*where)
            return int(self.session.scalar(query) or 0)

        return (
            count(failures.account == account, failures.at > since),
            count(failures.address == address, failures.at > since),
        )

    def oldest_failure(self, account: str, address: str, since: datetime) -> datetime | None:
        oldest: datetime | None = self.session.scalar(
            select(func.min(failures.at)).where(
                failures.at > since, (failures.account == account) | (failures.address == address)
            )
        )
        return oldest

    def latest_failure(self, account: str, since: datetime) -> datetime | None:
        latest: datetime | None = self.session.scalar(
            select(func.max(failures.at)).where(failures.at > since, failures.account == account)
        )
        return latest

    def hold_sign_in(self, account: str, address: str) -> None:
        """Serialize the sign-in checks of one account and of one address until the transaction
        ends, so that the failures counted and the one added are one step: on PostgreSQL, under
        READ COMMITTED, twenty simultaneous guesses would otherwise all count the same four
        failures. SQLite's writers already queue at BEGIN IMMEDIATE."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for name in sorted({f"sign-in account {account}", f"sign-in address {address}"}):
            digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"),
                {"key": int.from_bytes(digest, "big", signed=True)},
            )

    def add_sign_in_failure(self, account: str, address: str, at: datetime) -> None:
        self.session.execute(
            insert(sign_in_failures_table).values(account=account, address=address, at=at)
        )

    def forget_sign_in_failures(self, *, account: str | None = None, before: datetime) -> None:
        """Drop failures older than `before` (and, with `account`, every one of that account)."""
        condition = failures.at < before
        if account is not None:
            condition = condition | (failures.account == account)
        self.session.execute(delete(sign_in_failures_table).where(condition))

    def token_by_hash(self, token_hash: str, *, teams: bool = False) -> ApiToken | None:
        """The token and its owner; with `teams` the owner's memberships and teams too, in the
        same query (for a request that goes on to act as them in this session), else without
        them: a credential check alone needs none."""
        found = self.session.scalars(_token_query(teams), {"hash": token_hash})
        return found.unique().one_or_none()
